"""What every governance check needs: the signer, the SQL connection, convenors, electorates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from governance import queries
from governance.bodies import ASSEMBLY, VOTING_ROLES
from governance.errors import NotConvenorError
from governance.records import ProposalRecord
from ledger.errors import NotFoundError, StoreError
from ledger.members import MemberRecord, Registry
from ledger.sequencer import Context


@dataclass(frozen=True)
class Scope:
    """One statement being checked: its context, SQL connection and signer."""

    ctx: Context
    conn: AsyncConnection
    signer: MemberRecord

    @property
    def me(self) -> str:
        """The signer's member id."""
        return self.signer.member


def connection(ctx: Context) -> AsyncConnection:
    """The SQL connection of the batch; raises ``StoreError`` on a store without SQL."""
    conn = ctx.tx.connection
    if not isinstance(conn, AsyncConnection):
        raise StoreError("governance needs an SQL store (SQLite or PostgreSQL)")
    return conn


def can_sign(registry: Registry, member: str) -> bool:
    """Whether ``member`` is a member with at least one active key."""
    record = registry.members.get(member)
    return record is not None and any(registry.keys[k].active for k in record.keys)


async def is_convenor(
    conn: AsyncConnection, registry: Registry, member: str, group: str | None
) -> bool:
    """Whether ``member`` convenes ``group``: board members convene every group and alone
    convene the assembly; ``None`` asks whether they convene any group at all."""
    record = registry.members.get(member)
    if record is None:
        return False
    if record.is_board:
        return True
    if group is None:
        return any(m.role == "convenor" for m in await queries.groups_of(conn, member))
    if group == ASSEMBLY:
        return False
    return await queries.convenor(conn, group) == member


async def require_convenor(scope: Scope, group: str, what: str) -> None:
    """Raise ``NotConvenorError`` unless the signer convenes ``group`` (or is on the board)."""
    if not await is_convenor(scope.conn, scope.ctx.registry, scope.me, group):
        who = "a board member" if group == ASSEMBLY else f"the convenor of {group} or the board"
        raise NotConvenorError(f"only {who} {what}")


async def require_group(conn: AsyncConnection, group: str) -> None:
    """Raise ``NotFoundError`` unless ``group`` is the assembly or a working group."""
    if group != ASSEMBLY and await queries.group(conn, group) is None:
        raise NotFoundError(f"there is no working group {group!r}")


async def electorate(conn: AsyncConnection, registry: Registry, group: str) -> list[str]:
    """Who may vote in ``group`` now, sorted: every member who can sign, for the assembly;
    the members and convenor (never observers) who can sign, for a working group."""
    if group == ASSEMBLY:
        candidates = list(registry.members)
    else:
        candidates = [
            m.member for m in await queries.members(conn, group) if m.role in VOTING_ROLES
        ]
    return sorted(m for m in candidates if can_sign(registry, m))


async def load_proposal(conn: AsyncConnection, seq: int) -> ProposalRecord:
    """The proposal opened at ``seq``; raises ``NotFoundError``."""
    record = await queries.proposal(conn, seq)
    if record is None:
        raise NotFoundError(f"there is no proposal at entry {seq}")
    return record
