"""What every governance check needs: the signer, the SQL connection, convenors, electorates."""

from __future__ import annotations

from dataclasses import dataclass

from governance import store
from governance.bodies import ASSEMBLY, VOTING_ROLES
from governance.records import ProposalRecord
from governance.tally.proposal_count import Count, count_proposal
from ledger.errors import NotFoundError
from ledger.members import MemberRecord, Registry
from ledger.sequencer import Context
from ledger.sql import Connection


@dataclass(frozen=True)
class Scope:
    """One statement being checked: its context, SQL connection and signer."""

    ctx: Context
    conn: Connection
    signer: MemberRecord

    @property
    def me(self) -> str:
        """The signer's member id."""
        return self.signer.member


def can_sign(registry: Registry, member: str) -> bool:
    """Whether ``member`` is a member with at least one active key."""
    record = registry.members.get(member)
    return record is not None and any(registry.keys[k].active for k in record.keys)


async def is_convenor(conn: Connection, registry: Registry, member: str, group: str | None) -> bool:
    """Whether ``member`` convenes ``group``: board members convene every group and alone
    convene the assembly; ``None`` asks whether they convene any group at all."""
    record = registry.members.get(member)
    if record is None:
        return False
    if record.is_board:
        return True
    if group is None:
        return any(m.role == "convenor" for m in await store.groups_of(conn, member))
    if group == ASSEMBLY:
        return False
    return await store.convenor(conn, group) == member


async def require_group(conn: Connection, group: str) -> None:
    """Raise ``NotFoundError`` unless ``group`` is the assembly or a working group."""
    if group != ASSEMBLY and await store.group(conn, group) is None:
        raise NotFoundError(f"there is no working group {group!r}")


async def electorate(conn: Connection, registry: Registry, group: str) -> list[str]:
    """Who may vote in ``group`` now, sorted: every member who can sign, for the assembly;
    the members and convenor (never observers) who can sign, for a working group."""
    if group == ASSEMBLY:
        candidates = list(registry.members)
    else:
        candidates = [m.member for m in await store.members(conn, group) if m.role in VOTING_ROLES]
    return sorted(m for m in candidates if can_sign(registry, m))


async def load_proposal(conn: Connection, seq: int) -> ProposalRecord:
    """The proposal opened at ``seq``; raises ``NotFoundError``."""
    record = await store.proposal(conn, seq)
    if record is None:
        raise NotFoundError(f"there is no proposal at entry {seq}")
    return record


async def count_of(conn: Connection, record: ProposalRecord) -> Count:
    """Count a proposal from its projected ballots (``governance.tally.proposal_count``).

    Raises ``ResultsHiddenError`` for a hidden proposal whose key is not yet published.
    """
    cast = [ballot.cast() for ballot in await store.ballots_of(conn, record.seq)]
    return count_proposal(
        record.opening,
        proposal=record.seq,
        seed=record.seed,
        ballots=cast,
        private_key=record.seal_private_key,
    )
