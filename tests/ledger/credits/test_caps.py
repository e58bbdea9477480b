"""Each cap, through the service: refused with the cap's name and the room left."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ledger.credits.bodies import DeclineBody
from ledger.credits.errors import OverCapError
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import TODAY, Credits, credits_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


async def _over(c: Credits, member: str, body: dict[str, Any], match: str) -> OverCapError:
    err = await c.refused(member, "credit.claimed", body, OverCapError, match)
    assert err.code == "over_cap"
    return err


async def _mentor(c: Credits, mentor: str, mentee: str, hours: int) -> int:
    return await c.earn(mentor, mentee, "mentoring.hour", hours, counterparty=mentee)


async def test_per_activity_per_member_month(database_url: str) -> None:
    async with credits_world(database_url) as c:
        for _ in range(4):
            seq, body = await c.session("board-b", ["croydon-print"])
            [award] = await c.session_award_bodies(seq, body)
            await c.submit("board-b", "credit.awarded", award)
        seq, body = await c.session("board-b", ["croydon-print", "sutton-books"])
        first, second = await c.session_award_bodies(seq, body)
        err = await c.refused(
            "board-b",
            "credit.awarded",
            first,
            OverCapError,
            r"over the per_member_month cap: workshop.attended per member per month "
            r"\(croydon-print, 2025-03\) allows 8 credits, 8 used, room for 0; this needs 2",
        )
        assert isinstance(err, OverCapError)
        assert (err.cap, err.limit, err.used, err.room) == ("per_member_month", 8, 8, 0)
        await c.submit("board-b", "credit.awarded", second)  # the others are unaffected
        # a session in another month counts against that month
        seq, body = await c.session(
            "board-b", ["croydon-print"], held_on=TODAY.replace(day=1) - timedelta(days=1)
        )
        [award] = await c.session_award_bodies(seq, body)
        await c.submit("board-b", "credit.awarded", award)
        assert await c.balance("croydon-print") == 10


async def test_per_pair_month_counts_both_directions(database_url: str) -> None:
    async with credits_world(database_url) as c:
        await c.earn(
            "croydon-print", "merton-care", "mentoring.hour", 3, counterparty="merton-care"
        )
        body = c.claim_body("mentoring.hour", 2, counterparty="merton-care")
        err = await _over(
            c,
            "croydon-print",
            body,
            r"per_pair_month cap: mentoring.hour per pair of members per month \(croydon-print "
            r"and merton-care, 2025-03\) allows 8 credits, 6 used, room for 2; this needs 4",
        )
        assert err.room == 2
        await c.earn(
            "merton-care", "croydon-print", "mentoring.hour", 1, counterparty="croydon-print"
        )
        await _over(
            c,
            "merton-care",
            c.claim_body("mentoring.hour", 1, counterparty="croydon-print"),
            "8 used, room for 0",
        )
        await c.earn(
            "croydon-print", "sutton-books", "mentoring.hour", 4, counterparty="sutton-books"
        )


async def test_per_bid(database_url: str) -> None:
    async with credits_world(database_url) as c:
        kw: dict[str, Any] = {"counterparty": "croydon-print", "bid": "council-lot-3"}
        await c.earn("sutton-books", "croydon-print", "bid.support.hour", 4, **kw)
        await _over(
            c,
            "sutton-books",
            c.claim_body("bid.support.hour", 2, **kw),
            r"per_bid cap: bid.support.hour per member per bid \(sutton-books, bid council-lot-3\)"
            r" allows 10 credits, 8 used, room for 2; this needs 4",
        )
        await c.earn("sutton-books", "croydon-print", "bid.support.hour", 1, **kw)
        other = {**kw, "bid": "hospital-catering"}
        await c.earn("sutton-books", "croydon-print", "bid.support.hour", 4, **other)
        assert await c.balance("sutton-books") == 18


async def test_monthly_overall_cap_at_claim_and_at_award(database_url: str) -> None:
    async with credits_world(database_url) as c:
        m = "croydon-print"
        await c.earn(m, "merton-care", "consultancy.placement", 1, counterparty="merton-care")
        await c.earn(m, "steward", "group.led", 1)
        await c.earn(m, "board-b", "workshop.facilitated", 2)
        await c.earn(m, "sutton-books", "mentoring.hour", 4, counterparty="sutton-books")
        assert await c.balance(m) == 38
        first = await c.claim(m, "resource.shared", 2)
        second = await c.claim(m, "resource.shared", 2)  # room is checked again at award
        await c.confirm("board-b", first)
        err = await c.refused(
            "board-b",
            "credit.awarded",
            await c.award_body(second),
            OverCapError,
            r"over the monthly cap: all credits \(croydon-print, 2025-03\) allows 40 credits, "
            r"40 used, room for 0; this needs 2",
        )
        assert isinstance(err, OverCapError) and err.cap == "monthly"
        await _over(c, m, c.claim_body("member.buddied", 1, counterparty="merton-care"), "40 used")
        decline = DeclineBody(claim=second, reason="withdrawn").to_json()
        await c.submit(m, "credit.declined", decline)
        last_month = TODAY.replace(day=1) - timedelta(days=3)
        await c.earn(
            m, "merton-care", "member.buddied", 1, counterparty="merton-care", done_on=last_month
        )
        assert await c.balance(m) == 43
