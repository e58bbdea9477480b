"""Bulk attendance: a convenor's session register, then one award per attendee in a batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from ledger.credits import errors
from ledger.errors import NotAuthorisedError, NotFoundError
from ledger.sequencer import Context
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import TODAY, credits_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

ATTENDEES = ["croydon-print", "sutton-books", "student-1"]


async def test_register_then_one_award_per_attendee(database_url: str) -> None:
    async with credits_world(database_url) as c:
        seq, body = await c.session("board-b", ATTENDEES, group="business-services")
        bodies = await c.session_award_bodies(seq, body)
        receipts = await asyncio.gather(
            *(c.world.submit(c.keys["board-b"], "credit.awarded", b) for b in bodies)
        )
        assert sorted(r.entry.seq for r in receipts) == [seq + 1, seq + 2, seq + 3]
        for member in ATTENDEES:
            assert await c.balance(member) == 2
        await c.refused(
            "board-b", "credit.awarded", bodies[0], errors.AlreadyAwardedError, "for this session"
        )


async def test_register_refusals(database_url: str) -> None:
    async with credits_world(database_url) as c:
        session = "credit.session_recorded"
        seq, body = await c.session("board-b", ["croydon-print"])
        cases = [
            (
                "croydon-print",
                {**body, "attendees": ["sutton-books"]},
                NotAuthorisedError,
                "only a convenor",
            ),
            (
                "board-b",
                {**body, "attendees": ["board-b", "sutton-books"]},
                errors.SelfApprovalError,
                "their own register",
            ),
            (
                "board-b",
                {**body, "attendees": ["sutton-books", "ghost"]},
                errors.NotAMemberError,
                "attendee 'ghost' is not a member",
            ),
            (
                "board-b",
                {**body, "activity": "mentoring.hour"},
                errors.WrongRouteError,
                "it is claimed",
            ),
            (
                "board-b",
                {**body, "activity": "juggling"},
                errors.UnknownActivityError,
                "not in rule table",
            ),
            (
                "board-b",
                {**body, "held_on": (TODAY + timedelta(days=2)).isoformat()},
                errors.OutOfWindowError,
                "after today",
            ),
        ]
        for member, case, error, match in cases:
            await c.refused(member, session, case, error, match)
        [good] = await c.session_award_bodies(seq, body)
        awards = [
            ("steward", good, NotAuthorisedError, "only board-b, who recorded"),
            ("board-b", {**good, "member": "sutton-books"}, NotFoundError, "not on the register"),
            ("board-b", {**good, "member": "board-b"}, errors.SelfApprovalError, "their own"),
            (
                "board-b",
                {**good, "quantity": 2, "credits": 4},
                errors.WrongAmountError,
                "quantity must be 1",
            ),
            (
                "board-b",
                {**good, "basis": {"session": seq + 99}},
                NotFoundError,
                "no session at entry",
            ),
        ]
        for member, case, error, match in awards:
            await c.refused(member, "credit.awarded", case, error, match)


class GroupConvenors:
    """A test double for governance: croydon-print convenes arts-creative only."""

    async def is_convenor(self, ctx: Context, member: str, group: str | None) -> bool:
        return (member, group) == ("croydon-print", "arts-creative")

    async def require_group(self, ctx: Context, group: str) -> None:
        if group not in ("arts-creative", "business-services"):
            raise NotFoundError(f"there is no working group {group!r}")


async def test_a_convenor_gate_decides_who_records(database_url: str) -> None:
    async with credits_world(database_url, convenors=GroupConvenors()) as c:
        seq, body = await c.session("croydon-print", ["sutton-books"], group="arts-creative")
        await c.refused(
            "croydon-print",
            "credit.session_recorded",
            {**body, "group": "business-services"},
            NotAuthorisedError,
            "only a convenor of business-services",
        )
        await c.refused(
            "board-b", "credit.session_recorded", body, NotAuthorisedError, "only a convenor"
        )
        [award] = await c.session_award_bodies(seq, body)
        await c.submit("croydon-print", "credit.awarded", award)
        assert await c.balance("sutton-books") == 2
