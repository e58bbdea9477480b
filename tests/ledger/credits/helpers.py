"""A running ledger with the credits handler, demo-like members and the v1 rule table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, UniqueConstraint, inspect

from ledger.credits import client, store
from ledger.credits.bodies import ClaimBody, SessionBody
from ledger.credits.gates import ConvenorGate, DecisionGate
from ledger.credits.handler import CreditsHandler
from ledger.credits.rules import rule_table_from_community
from ledger.errors import LedgerError
from ledger.sql import make_engine
from tests.support import START, Clock, Members, running_ledger

E = TypeVar("E", bound=LedgerError)
RULES_V1 = json.loads((Path(__file__).parent / "rules_v1.json").read_text())
TODAY = START.date()

MEMBERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "board-b": ("co-operative", "Merton", ("board",)),
    "croydon-print": ("sme", "Croydon", ()),
    "merton-care": ("social-enterprise", "Merton", ()),
    "sutton-books": ("sme", "Sutton", ()),
    "student-1": ("student", "Southwark", ()),
    "anchor-uni": ("anchor", "Southwark", ()),
}


def evidence(text: str) -> str:
    """A made-up evidence hash."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Credits(Members):
    """Named members' credit acts, and reads of the credit projections."""

    _evidence: int = 0

    def claim_body(
        self,
        activity: str,
        quantity: int = 1,
        *,
        counterparty: str | None = None,
        done_on: date = TODAY,
        bid: str | None = None,
        group: str | None = None,
    ) -> dict[str, Any]:
        self._evidence += 1
        return ClaimBody(
            activity=activity,
            quantity=quantity,
            evidence_sha256=evidence(f"evidence {self._evidence}"),
            done_on=done_on,
            counterparty=counterparty,
            bid=bid,
            group=group,
        ).to_json()

    async def claim(self, member: str, activity: str, quantity: int = 1, **kw: Any) -> int:
        return await self.submit(
            member, "credit.claimed", self.claim_body(activity, quantity, **kw)
        )

    async def award_body(self, claim_seq: int) -> dict[str, Any]:
        async with self.read() as conn:
            claim = await store.claim(conn, claim_seq)
            assert claim is not None
            table = await store.rule_table(conn, claim.rule_version)
            assert table is not None
        return client.award_for_record(claim, table)

    async def confirm(self, approver: str, claim_seq: int) -> int:
        return await self.submit(approver, "credit.awarded", await self.award_body(claim_seq))

    async def earn(
        self, member: str, approver: str, activity: str, quantity: int = 1, **kw: Any
    ) -> int:
        """Claim and have ``approver`` award it; returns the award's seq."""
        return await self.confirm(approver, await self.claim(member, activity, quantity, **kw))

    async def session(
        self, organiser: str, attendees: list[str], activity: str = "workshop.attended", **kw: Any
    ) -> tuple[int, dict[str, Any]]:
        body = SessionBody(
            activity=activity,
            held_on=kw.pop("held_on", TODAY),
            attendees=attendees,
            title=kw.pop("title", "Supply Chain Readiness"),
            **kw,
        ).to_json()
        return await self.submit(organiser, "credit.session_recorded", body), body

    async def session_award_bodies(self, seq: int, body: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.read() as conn:
            session = await store.session(conn, seq)
            assert session is not None
            table = await store.rule_table(conn, session.rule_version)
            assert table is not None
        return client.awards_for_session(session_seq=seq, session_body=body, table=table)

    async def balance(self, member: str) -> int:
        async with self.read() as conn:
            return await store.balance(conn, member)


@asynccontextmanager
async def credits_world(
    database_url: str,
    *,
    clock: Clock | None = None,
    decisions: DecisionGate | None = None,
    convenors: ConvenorGate | None = None,
    adopt: bool = True,
) -> AsyncIterator[Credits]:
    """A ledger with the credits handler, the members above and (``adopt``) rules v1."""
    clock = clock or Clock()
    handler = CreditsHandler(decisions=decisions, convenors=convenors)
    async with running_ledger(database_url, handlers=[handler], clock=clock) as world:
        credits = Credits(world, clock, {"steward": world.steward})
        await credits.admit_all(MEMBERS)
        if adopt:
            table = rule_table_from_community(RULES_V1)
            await credits.submit("steward", "credit.rules_adopted", table.to_json())
        yield credits


async def migrated_and_declared(
    database_url: str, tables: Sequence[Table]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The shape of ``tables`` in the migrated database, and as the store declares them: the
    columns (name, nullable), named indexes, primary key and unique constraints of each."""

    def migrated(sync_conn: Any) -> dict[str, Any]:
        inspector = inspect(sync_conn)
        return {
            table.name: (
                [(c["name"], c["nullable"]) for c in inspector.get_columns(table.name)],
                sorted(
                    i["name"]
                    for i in inspector.get_indexes(table.name)
                    if i["name"] and not i.get("duplicates_constraint")
                ),
                sorted(inspector.get_pk_constraint(table.name)["constrained_columns"]),
                sorted(str(u["name"]) for u in inspector.get_unique_constraints(table.name)),
            )
            for table in tables
        }

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(migrated)
    finally:
        await engine.dispose()
    declared = {
        table.name: (
            [(c.name, c.nullable) for c in table.columns],
            sorted(str(i.name) for i in table.indexes),
            sorted(c.name for c in table.primary_key.columns),
            sorted(str(u.name) for u in table.constraints if isinstance(u, UniqueConstraint)),
        )
        for table in tables
    }
    return found, declared
