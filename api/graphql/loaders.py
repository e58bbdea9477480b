"""DataLoaders, one set per request: each batch is one query on a connection of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from strawberry.dataloader import DataLoader

from api.graphql import reads
from governance.records import BallotRecord, MembershipRecord, ProposalRecord, TermsRecord
from ledger.credits import reports
from ledger.credits.records import AwardRecord, DisputeRecord
from ledger.credits.reports import StatementLine
from ledger.directory import PersonalData
from ledger.store import EntryRow

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class MemberCredits:
    """A member's balance, and their statement lines if they were asked for."""

    balance: int
    lines: list[StatementLine]


def _loader(
    engine: AsyncEngine,
    fetch: Callable[[AsyncConnection, list[K]], Awaitable[Mapping[K, V]]],
    missing: V,
) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> Sequence[V]:
        async with engine.connect() as conn:
            found = await fetch(conn, keys)
        return [found.get(key, missing) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """The DataLoaders of one request, made on first use."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @cached_property
    def entry(self) -> DataLoader[int, EntryRow | None]:
        """Entries by seq."""
        return _loader(self._engine, reads.entries_at, None)

    @cached_property
    def personal(self) -> DataLoader[str, PersonalData | None]:
        """Directory rows by member id."""
        return _loader(self._engine, reads.directory_of, None)

    @cached_property
    def credits(self) -> DataLoader[tuple[str, bool], MemberCredits]:
        """A member's balance and, when the key asks for them, statement lines.

        Keyed by ``(member, with_lines)``, so a member's ``balance`` and ``statement`` in one
        query are answered by one batch, on one connection.
        """

        async def fetch(
            conn: AsyncConnection, keys: list[tuple[str, bool]]
        ) -> dict[tuple[str, bool], MemberCredits]:
            lined = {member for member, with_lines in keys if with_lines}
            lines = {member: await reports.statement(conn, member) for member in sorted(lined)}
            others = {member for member, _ in keys} - lined
            balances = await reads.balances_of(conn, others) if others else {}
            found: dict[tuple[str, bool], MemberCredits] = {}
            for member, with_lines in keys:
                if member in lines:
                    mine = lines[member]
                    total = mine[-1].balance if mine else 0
                    found[(member, with_lines)] = MemberCredits(total, mine if with_lines else [])
                else:
                    found[(member, with_lines)] = MemberCredits(balances[member], [])
            return found

        return _loader(self._engine, fetch, MemberCredits(0, []))

    @cached_property
    def standing(self) -> DataLoader[tuple[str, date], int]:
        """Rolling standings by (member id, date)."""

        async def fetch(
            conn: AsyncConnection, keys: list[tuple[str, date]]
        ) -> dict[tuple[str, date], int]:
            found: dict[tuple[str, date], int] = {}
            for day in {day for _, day in keys}:
                members = [member for member, on in keys if on == day]
                for member, total in (await reads.standings_of(conn, members, day)).items():
                    found[(member, day)] = total
            return found

        return _loader(self._engine, fetch, 0)

    @cached_property
    def award(self) -> DataLoader[int, AwardRecord | None]:
        """Awards by seq."""
        return _loader(self._engine, reads.awards_at, None)

    @cached_property
    def disputes(self) -> DataLoader[int, list[DisputeRecord]]:
        """Disputes by award seq."""
        return _loader(self._engine, reads.disputes_of_awards, [])

    @cached_property
    def groups_of(self) -> DataLoader[str, list[MembershipRecord]]:
        """Group memberships by member id."""
        return _loader(self._engine, reads.groups_of_members, [])

    @cached_property
    def members_of(self) -> DataLoader[str, list[MembershipRecord]]:
        """Memberships by group slug."""
        return _loader(self._engine, reads.members_of_groups, [])

    @cached_property
    def terms(self) -> DataLoader[str, TermsRecord | None]:
        """Terms of reference in force by group slug."""
        return _loader(self._engine, reads.terms_of_groups, None)

    @cached_property
    def proposal(self) -> DataLoader[int, ProposalRecord | None]:
        """Proposals by seq."""
        return _loader(self._engine, reads.proposals_at, None)

    @cached_property
    def ballots(self) -> DataLoader[int, list[BallotRecord]]:
        """Every ballot of a proposal (superseded ones too), by proposal seq."""
        return _loader(self._engine, reads.ballots_of_proposals, [])

    @cached_property
    def text(self) -> DataLoader[str, str | None]:
        """Kept texts (proposal bodies, terms, outcome statements) by SHA-256."""
        return _loader(self._engine, reads.texts_of, None)

    @cached_property
    def voters(self) -> DataLoader[int, int]:
        """How many have voted, by proposal seq."""
        return _loader(self._engine, reads.voter_counts, 0)
