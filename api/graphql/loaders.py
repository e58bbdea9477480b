"""DataLoaders, one set per request: each batch is one query on a connection of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Generic, TypeVar

from strawberry.dataloader import DataLoader

from governance import store as governance_store
from governance.records import BallotRecord, MembershipRecord, ProposalRecord, TermsRecord
from ledger import directory
from ledger.credits import store
from ledger.credits.records import AwardRecord, DisputeRecord, StatementPage
from ledger.directory import PersonalData
from ledger.sql import Connection, Engine, entries_at
from ledger.store import EntryRow

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class PageSpec:
    """Which page of a statement: ``size`` lines after ``after`` or before ``before``."""

    size: int
    forward: bool
    after: int | None
    before: int | None


CreditsKey = tuple[str, PageSpec | None]
"""A member and the statement page asked for, or ``None`` for their balance alone."""


def _loader(
    engine: Engine,
    fetch: Callable[[Connection, list[K]], Awaitable[Mapping[K, V]]],
    missing: V,
) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> Sequence[V]:
        async with engine.connect() as conn:
            found = await fetch(conn, keys)
        return [found.get(key, missing) for key in keys]

    return DataLoader(load_fn=load)


class _Batched(Generic[K, V]):
    """A ``Loaders`` attribute: the request's DataLoader of ``fetch``, made on first use, giving
    (a copy of) ``missing`` for a key that ``fetch`` does not find."""

    def __init__(
        self, fetch: Callable[[Connection, list[K]], Awaitable[Mapping[K, V]]], missing: V
    ) -> None:
        self._fetch = fetch
        self._missing = missing

    def __set_name__(self, owner: type[Loaders], name: str) -> None:
        self._name = name

    def __get__(self, loaders: Loaders, owner: type[Loaders] | None = None) -> DataLoader[K, V]:
        made = _loader(loaders.engine, self._fetch, copy(self._missing))
        loaders.__dict__[self._name] = made  # as ``cached_property`` keeps it
        return made


class Loaders:
    """The DataLoaders of one request, made on first use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    entry: _Batched[int, EntryRow | None] = _Batched(entries_at, None)
    """Entries by seq."""

    personal: _Batched[str, PersonalData | None] = _Batched(directory.personal_data_of, None)
    """Directory rows by member id."""

    @cached_property
    def credits(self) -> DataLoader[CreditsKey, int | StatementPage]:
        """Balances (key ``(member, None)``) and statement pages, one batch on one connection.

        A page that reaches the end of its statement carries the balance, so the typical
        member query (balance and last lines) is one query.
        """

        async def fetch(
            conn: Connection, keys: list[CreditsKey]
        ) -> dict[CreditsKey, int | StatementPage]:
            found: dict[CreditsKey, int | StatementPage] = {}
            ends: dict[str, int] = {}
            for spec in {spec for _, spec in keys if spec is not None}:
                members = [member for member, wanted in keys if wanted == spec]
                pages = await store.statement_pages(
                    conn,
                    members,
                    size=spec.size,
                    forward=spec.forward,
                    after=spec.after,
                    before=spec.before,
                )
                for member, page in pages.items():
                    found[(member, spec)] = page
                    if page.balance is not None:
                        ends[member] = page.balance
            alone = [member for member, wanted in keys if wanted is None]
            others = set(alone) - ends.keys()
            ends.update(await store.balances_of(conn, others) if others else {})
            for member in alone:
                found[(member, None)] = ends[member]
            return found

        return _loader(self.engine, fetch, 0)

    async def balance(self, member: str) -> int:
        """``member``'s lifetime balance."""
        found = await self.credits.load((member, None))
        if not isinstance(found, int):
            raise TypeError("the credits loader gave a page for a balance")
        return found

    async def statement(self, member: str, spec: PageSpec) -> StatementPage:
        """A page of ``member``'s statement."""
        found = await self.credits.load((member, spec))
        if not isinstance(found, StatementPage):
            raise TypeError("the credits loader gave a balance for a page")
        return found

    @cached_property
    def standing(self) -> DataLoader[tuple[str, date], int]:
        """Rolling standings by (member id, date)."""

        async def fetch(
            conn: Connection, keys: list[tuple[str, date]]
        ) -> dict[tuple[str, date], int]:
            found: dict[tuple[str, date], int] = {}
            for day in {day for _, day in keys}:
                members = [member for member, on in keys if on == day]
                for member, total in (await store.standings_of(conn, members, day)).items():
                    found[(member, day)] = total
            return found

        return _loader(self.engine, fetch, 0)

    award: _Batched[int, AwardRecord | None] = _Batched(store.awards_at, None)
    """Awards by seq."""

    disputes: _Batched[int, list[DisputeRecord]] = _Batched(store.disputes_of_awards, [])
    """Disputes by award seq."""

    groups_of: _Batched[str, list[MembershipRecord]] = _Batched(
        governance_store.groups_of_members, []
    )
    """Group memberships by member id."""

    members_of: _Batched[str, list[MembershipRecord]] = _Batched(
        governance_store.members_of_groups, []
    )
    """Memberships by group slug."""

    terms: _Batched[str, TermsRecord | None] = _Batched(governance_store.terms_of_groups, None)
    """Terms of reference in force by group slug."""

    proposal: _Batched[int, ProposalRecord | None] = _Batched(governance_store.proposals_at, None)
    """Proposals by seq."""

    ballots: _Batched[int, list[BallotRecord]] = _Batched(governance_store.ballots_of_proposals, [])
    """Every ballot of a proposal (superseded ones too), by proposal seq."""

    text: _Batched[str, str | None] = _Batched(governance_store.texts_of, None)
    """Kept texts (proposal bodies, terms, outcome statements) by SHA-256."""

    voters: _Batched[int, int] = _Batched(governance_store.voter_counts, 0)
    """How many have voted, by proposal seq."""
