"""A running ledger with the governance and credits handlers, members, and named acts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from governance import drafts, reports, store
from governance.bodies import GroupBody, RoleBody
from governance.gates import GovernanceDecisions, GroupConvenors
from governance.handler import GovernanceHandler
from governance.records import BallotRecord, ProposalRecord
from governance.seal import SealKeyStore
from governance.tally.proposal_count import Count
from ledger.credits.handler import CreditsHandler
from ledger.errors import LedgerError
from ledger.sequencer import Handler
from tests.support import START, Clock, Members, running_ledger

E = TypeVar("E", bound=Exception)

MEMBERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "board-b": ("sme", "Croydon", ("board",)),
    **dict.fromkeys(("ana", "ben", "cat", "dan", "eve", "fay"), ("sme", "Croydon", ())),
}
GROUP = "markets-data-trust"
TODAY = START.date()


@dataclass
class Gov(Members):
    """Named members' governance acts, and reads of the governance projections."""

    seal_keys: SealKeyStore = field(kw_only=True)

    async def group(
        self,
        slug: str = GROUP,
        *,
        convenor: str = "ana",
        members: Sequence[str] = ("ben", "cat"),
        observers: Sequence[str] = (),
    ) -> None:
        """The board creates ``slug`` and sets every role directly."""
        await self.submit(
            "steward", "governance.group.created", GroupBody(group=slug, name=slug).to_json()
        )
        roles = [(convenor, "convenor")] + [(m, "member") for m in members]
        roles += [(m, "observer") for m in observers]
        for member, role in roles:
            body = RoleBody(group=slug, member=member, role=role).to_json()
            await self.submit("steward", "governance.group.role_set", body)

    async def open_body(self, group: str = GROUP, **fields: Any) -> dict[str, Any]:
        fields.setdefault("title", "Priorities for the next quarter")
        fields.setdefault("body_text", "What should we work on next quarter?")
        fields.setdefault("opens_at", self.clock.now)
        fields.setdefault("closes_at", self.clock.now + timedelta(days=7))
        async with self.write() as conn:
            return await drafts.open_body(
                conn, self.world.ledger.registry, group=group, seal_keys=self.seal_keys, **fields
            )

    async def open(self, opener: str = "ana", group: str = GROUP, **fields: Any) -> int:
        body = await self.open_body(group, **fields)
        return await self.submit(opener, "governance.proposal.opened", body)

    async def vote_body(self, member: str, proposal: int, ballot: Mapping[str, Any]) -> Any:
        async with self.read() as conn:
            return await drafts.vote_body(conn, proposal=proposal, member=member, ballot=ballot)

    async def vote(self, member: str, proposal: int, ballot: Mapping[str, Any]) -> int:
        body = await self.vote_body(member, proposal, ballot)
        return await self.submit(member, "governance.vote.cast", body)

    async def close(self, proposal: int, reason: str = "early", by: str = "ana") -> int:
        async with self.read() as conn:
            body = await drafts.close_body(
                conn, proposal=proposal, reason=reason, seal_keys=self.seal_keys
            )
        return await self.submit(by, "governance.proposal.closed", body)

    async def decision_body(self, proposal: int, statement: str = "Agreed.") -> dict[str, Any]:
        async with self.write() as conn:
            return await drafts.decision_body(
                conn,
                proposal=proposal,
                statement_text=statement,
                review_on=TODAY + timedelta(days=180),
            )

    async def decide(self, proposal: int, by: str = "ana", statement: str = "Agreed.") -> int:
        body = await self.decision_body(proposal, statement)
        return await self.submit(by, "governance.decision.recorded", body)

    async def finish(self, proposal: int, by: str = "ana") -> Count:
        """Close early, record the decision, and return the count."""
        await self.close(proposal, by=by)
        await self.decide(proposal, by=by)
        return await self.results(proposal)

    async def results(self, proposal: int) -> Count:
        async with self.read() as conn:
            return await reports.results(conn, proposal)

    async def proposal(self, seq: int) -> ProposalRecord:
        async with self.read() as conn:
            return await reports.proposal(conn, seq)

    async def ballots(self, seq: int) -> list[BallotRecord]:
        async with self.read() as conn:
            return await store.ballots_of(conn, seq)

    async def role(self, group: str, member: str) -> str | None:
        async with self.read() as conn:
            record = await store.membership(conn, group, member)
        return None if record is None else record.role


@asynccontextmanager
async def governance_world(
    database_url: str, tmp_path: Path, *, clock: Clock | None = None
) -> AsyncIterator[Gov]:
    """A ledger with governance and credits (wired to governance's gates) and the members."""
    clock = clock or Clock()
    handlers: list[Handler] = [
        GovernanceHandler(),
        CreditsHandler(decisions=GovernanceDecisions(), convenors=GroupConvenors()),
    ]
    async with running_ledger(database_url, handlers=handlers, clock=clock) as world:
        gov = Gov(
            world, clock, {"steward": world.steward}, seal_keys=SealKeyStore(tmp_path / "seal")
        )
        await gov.admit_all(MEMBERS)
        yield gov


def refusal(error: LedgerError) -> str:
    """The code of a refusal."""
    return str(getattr(error, "code", ""))
