"""The demo's month of contribution credits, and the tables it prints afterwards.

Workshop registers from each working group, mentoring and bid support confirmed by the SMEs,
a consultancy placement, a refused self-confirmation, a cap hit and a reversal by a second
board member. Every act is signed by the member who makes it.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from api.demo import DemoContext, DemoEvent, DemoTable
from api.demo_governance import CONVENORS, EXTRA_MEMBERS
from ledger.credits import client, reports
from ledger.credits.bodies import ClaimBody, ReversalBody, SessionBody
from ledger.credits.client import evidence_digest
from ledger.credits.community import default_rule_table
from ledger.errors import LedgerError
from ledger.sql import SqlLogStore

PAIR_BID = "retrofit-framework-lot-2"
GUESTS = {
    "business-services": ["richmond-studio"],  # recorded by mistake: never attended
    "health-social-care": ["anchor-university"],
}


def _day(days_ago: int) -> date:
    return date.today() - timedelta(days=days_ago)


class CreditMonth:
    """A scripted month of credits for the demo community."""

    title = "credits"
    progress = "a month of credits"

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Record registers, claims and confirmations; show two refusals and a reversal."""
        events: list[DemoEvent] = []
        mistaken = await self._registers(ctx, events)
        await self._claims(ctx, events)
        await self._refusals(ctx, events)
        correction = ReversalBody(award=mistaken, credits=2, reason="error").to_json()
        seq = await ctx.submit("south-data-coop", "credit.reversed", correction)
        events.append(DemoEvent(self.title, "second board member reverses a mistaken award", seq))
        return events

    async def _registers(self, ctx: DemoContext, events: list[DemoEvent]) -> int:
        """A workshop register per working group, kept by its convenor; returns one mistaken
        award's seq."""
        workshops = ctx.community["workshops"]
        mistaken = 0
        for i, group in enumerate(ctx.community["working_groups"]):
            slug, convenor = group["slug"], CONVENORS[group["slug"]]
            handles = [m.handle for m in ctx.members_of(slug)] + EXTRA_MEMBERS.get(slug, [])
            handles += GUESTS.get(slug, [])
            attendees = tuple(ctx.members[h].member for h in handles if h != convenor)
            body = SessionBody(
                activity="workshop.attended",
                held_on=_day(26 - 5 * i),
                attendees=attendees,
                title=workshops[i % len(workshops)],
                group=slug,
            ).to_json()
            session = await ctx.submit(convenor, "credit.session_recorded", body)
            awards = client.awards_for_session(
                session_seq=session, session_body=body, table=default_rule_table()
            )
            seqs = await asyncio.gather(
                *(ctx.submit(convenor, "credit.awarded", award) for award in awards)
            )
            what = f"{group['name']}: {convenor} records {len(attendees)} attending"
            events.append(DemoEvent(self.title, what, session))
            if slug == "business-services":
                mistaken = seqs[-1]
        return mistaken

    async def _claims(self, ctx: DemoContext, events: list[DemoEvent]) -> None:
        for member, counterparty, activity, quantity, extra in (
            ("croydon-print", "merton-care", "mentoring.hour", 3, {}),
            ("sutton-books", "kingston-retrofit", "bid.support.hour", 4, {"bid": PAIR_BID}),
            ("student-consultant-1", "croydon-print", "consultancy.placement", 1, {}),
        ):
            award = await self._claim(ctx, member, counterparty, activity, quantity, extra)
            seq = await ctx.submit(counterparty, "credit.awarded", award)
            what = f"{member} claims {quantity} x {activity}; {counterparty} confirms"
            events.append(DemoEvent(self.title, what, seq))

    async def _claim(
        self,
        ctx: DemoContext,
        member: str,
        counterparty: str,
        activity: str,
        quantity: int,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        """``member`` claims; the award of the claim, for its counterparty to sign."""
        body = ClaimBody(
            activity=activity,
            quantity=quantity,
            evidence_sha256=evidence_digest(f"{member} {activity} {quantity}".encode()),
            done_on=_day(12),
            counterparty=ctx.members[counterparty].member,
            **extra,
        ).to_json()
        return client.award_for_claim(
            claim_seq=await ctx.submit(member, "credit.claimed", body),
            claimant=ctx.members[member].member,
            claim_body=body,
            table=default_rule_table(),
        )

    async def _refusals(self, ctx: DemoContext, events: list[DemoEvent]) -> None:
        award = await self._claim(ctx, "croydon-print", "merton-care", "mentoring.hour", 1, {})
        await self._refused(
            ctx,
            events,
            "croydon-print confirms its own claim",
            "croydon-print",
            "credit.awarded",
            award,
        )
        over = ClaimBody(
            activity="mentoring.hour",
            quantity=6,
            evidence_sha256=evidence_digest(b"six more hours"),
            done_on=_day(5),
            counterparty=ctx.members["merton-care"].member,
        ).to_json()
        await self._refused(
            ctx,
            events,
            "croydon-print claims 6 more mentoring hours",
            "croydon-print",
            "credit.claimed",
            over,
        )

    async def _refused(
        self,
        ctx: DemoContext,
        events: list[DemoEvent],
        what: str,
        handle: str,
        kind: str,
        body: dict[str, Any],
    ) -> None:
        try:
            await ctx.submit(handle, kind, body)
        except LedgerError as e:
            events.append(DemoEvent(self.title, f"{what}: refused, {e}"))
        else:
            raise AssertionError(f"the demo expected a refusal: {what}")


async def credit_tables(ctx: DemoContext) -> list[DemoTable]:
    """Balances, statements for two members, totals and the distribution of credits."""
    store = ctx.ledger.store
    if not isinstance(store, SqlLogStore):
        raise TypeError("the demo's reports need an SQL store")
    names = {m.member: m.handle for m in ctx.members.values()}
    registry = ctx.ledger.registry
    async with store.engine.connect() as conn:
        held = await reports.balances(conn)
        everyone = sorted(registry.members, key=lambda m: names.get(m, m))  # the steward too
        balance_rows = [
            [
                names.get(member, member),
                str(held.get(member, 0)),
                str(await reports.active_standing(conn, member, date.today())),
            ]
            for member in everyone
        ]
        tables = [DemoTable("balances", ["member", "credits", "12-month standing"], balance_rows)]
        for handle in ("croydon-print", "sutton-books"):
            lines = await reports.statement(conn, ctx.members[handle].member)
            rows = [
                [
                    str(ln.seq),
                    ln.activity_on.isoformat(),
                    ln.activity if ln.kind == "awarded" else f"{ln.activity} ({ln.kind})",
                    f"v{ln.rule_version}",
                    str(ln.quantity),
                    names.get(ln.approver, ln.approver),
                    f"{ln.credits:+d}",
                    str(ln.balance),
                ]
                for ln in lines
            ]
            columns = ["entry", "date", "activity", "rules", "qty", "approver", "+/-", "balance"]
            tables.append(DemoTable(f"statement: {handle}", columns, rows))
        for dimension in ("group", "activity", "borough", "month"):
            totals = await reports.totals(conn, registry, dimension)
            rows = [[t.key, str(t.credits)] for t in totals]
            tables.append(DemoTable(f"totals by {dimension}", [dimension, "credits"], rows))
        spread = await reports.distribution(conn, registry)
        tables.append(
            DemoTable(
                "distribution",
                ["members", "credits", "Gini"],
                [[str(spread.members), str(spread.total), spread.gini_decimal]],
            )
        )
    return tables
