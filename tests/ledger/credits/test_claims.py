"""Claims confirmed by the counterparty, approved by a convenor or the board, and declined;
every refusal leaves the log as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.credits import reports, store
from ledger.credits.bodies import DeclineBody
from ledger.credits.errors import (
    AlreadyAwardedError,
    ClaimClosedError,
    DuplicateEvidenceError,
    NotAMemberError,
    OutOfWindowError,
    SelfApprovalError,
    UnknownActivityError,
    WrongAmountError,
    WrongRouteError,
)
from ledger.errors import (
    MalformedStatementError,
    NotAuthorisedError,
    NotFoundError,
    UnknownKindError,
)
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import TODAY, credits_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


async def test_counterparty_confirms_by_signing_the_award(database_url: str) -> None:
    async with credits_world(database_url) as c:
        claim = await c.claim("croydon-print", "mentoring.hour", 3, counterparty="merton-care")
        award = await c.confirm("merton-care", claim)
        assert award == claim + 1
        assert await c.balance("croydon-print") == 6
        async with c.read() as conn:
            record = await store.claim(conn, claim)
            lines = await reports.statement(conn, "croydon-print")
        assert record is not None and (record.status, record.closed_by) == ("awarded", award)
        assert [(x.seq, x.activity, x.quantity, x.approver, x.credits) for x in lines] == [
            (award, "mentoring.hour", 3, "merton-care", 6)
        ]


async def test_convenor_and_board_approvals(database_url: str) -> None:
    async with credits_world(database_url) as c:
        shared = await c.claim("sutton-books", "resource.shared", 2, group="business-services")
        led = await c.claim("merton-care", "group.led", 1, group="health-social-care")
        for claim, refused, approver, match in (
            # convenor approval (default: any board member convenes), with a group named
            (shared, "merton-care", "board-b", "only a convenor of business-services"),
            # board approval
            (led, "sutton-books", "steward", "only a board member"),
        ):
            body = await c.award_body(claim)
            await c.refused(refused, "credit.awarded", body, NotAuthorisedError, match)
            await c.confirm(approver, claim)
        assert await c.balance("sutton-books") == 2
        assert await c.balance("merton-care") == 8


async def test_no_one_confirms_or_approves_their_own_claim(database_url: str) -> None:
    async with credits_world(database_url) as c:
        body = c.claim_body("mentoring.hour", 1, counterparty="croydon-print")
        await c.refused(
            "croydon-print", "credit.claimed", body, SelfApprovalError, "their own counterparty"
        )
        mine = await c.claim("board-b", "resource.shared", 1)
        await c.refused(
            "board-b",
            "credit.awarded",
            await c.award_body(mine),
            SelfApprovalError,
            "their own credits",
        )
        # a third party who is not the counterparty cannot confirm either
        claim = await c.claim("croydon-print", "mentoring.hour", 1, counterparty="merton-care")
        await c.refused(
            "sutton-books",
            "credit.awarded",
            await c.award_body(claim),
            NotAuthorisedError,
            "only the counterparty, merton-care",
        )


async def test_claims_refused_with_nothing_appended(database_url: str) -> None:
    async with credits_world(database_url) as c:
        cases = [
            (
                c.claim_body("mentoring.hour", counterparty="nobody-here"),
                NotAMemberError,
                "counterparty 'nobody-here' is not a member",
            ),
            (c.claim_body("juggling.hour"), UnknownActivityError, "not in rule table version 1"),
            (
                {**c.claim_body("mentoring.hour", counterparty="merton-care"), "quantity": 0},
                MalformedStatementError,
                "quantity must be at least 1",
            ),
            (
                {**c.claim_body("mentoring.hour", counterparty="merton-care"), "quantity": -2},
                MalformedStatementError,
                "quantity must be at least 1",
            ),
            (c.claim_body("mentoring.hour"), WrongRouteError, "names the counterparty"),
            (
                c.claim_body("bid.support.hour", counterparty="merton-care"),
                WrongRouteError,
                "names the bid",
            ),
            (
                c.claim_body("mentoring.hour", counterparty="merton-care", bid="b1"),
                WrongRouteError,
                "leave bid out",
            ),
            (c.claim_body("workshop.attended"), WrongRouteError, "session register"),
            (
                c.claim_body("resource.shared", done_on=TODAY + timedelta(days=1)),
                OutOfWindowError,
                "after today",
            ),
            (
                c.claim_body("resource.shared", done_on=TODAY - timedelta(days=91)),
                OutOfWindowError,
                "more than 90 days",
            ),
            (
                {**c.claim_body("resource.shared"), "evidence_sha256": "abc"},
                MalformedStatementError,
                "evidence_sha256 has the wrong form",
            ),
            (
                {**c.claim_body("resource.shared"), "done_on": "2025-02-30"},
                MalformedStatementError,
                "not a calendar date",
            ),
            (
                {**c.claim_body("resource.shared"), "extra": 1},
                MalformedStatementError,
                "unexpected",
            ),
        ]
        for body, error, match in cases:
            await c.refused("croydon-print", "credit.claimed", body, error, match)
        body = c.claim_body("resource.shared")
        await c.submit("croydon-print", "credit.claimed", body)
        await c.refused(
            "croydon-print", "credit.claimed", body, DuplicateEvidenceError, "already used"
        )


async def test_awards_that_do_not_match_the_claim_are_refused(database_url: str) -> None:
    async with credits_world(database_url) as c:
        claim = await c.claim("croydon-print", "mentoring.hour", 2, counterparty="merton-care")
        good = await c.award_body(claim)
        cases = [
            ({**good, "credits": 5}, WrongAmountError, "award credits must be 4"),
            ({**good, "quantity": 3}, WrongAmountError, "award quantity must be 2"),
            (
                {**good, "activity": "bid.support.hour"},
                WrongAmountError,
                "award activity must be mentoring.hour",
            ),
            ({**good, "rule_version": 2}, WrongAmountError, "award rule_version must be 1"),
            ({**good, "member": "sutton-books"}, WrongAmountError, "was made by croydon-print"),
            ({**good, "basis": {"claim": 999}}, NotFoundError, "no claim at entry 999"),
            (
                {**good, "basis": {"claim": claim, "session": 1}},
                MalformedStatementError,
                "basis must be",
            ),
            ({**good, "credits": 0}, MalformedStatementError, "credits must be at least 1"),
        ]
        for body, error, match in cases:
            await c.refused("merton-care", "credit.awarded", body, error, match)
        award = await c.submit("merton-care", "credit.awarded", good)
        err = await c.refused(
            "merton-care", "credit.awarded", good, AlreadyAwardedError, f"awarded at entry {award}"
        )
        assert err.code == "already_awarded"


async def test_decline_and_withdraw(database_url: str) -> None:
    async with credits_world(database_url) as c:
        claim = await c.claim("croydon-print", "mentoring.hour", 1, counterparty="merton-care")
        for signer, reason, match in (
            ("sutton-books", "duplicate", "only the counterparty"),
            ("merton-care", "withdrawn", "only the claimant withdraws"),
            ("croydon-print", "duplicate", "can only withdraw"),
        ):
            body = DeclineBody(claim=claim, reason=reason).to_json()
            await c.refused(signer, "credit.declined", body, NotAuthorisedError, match)
        await c.submit("merton-care", "credit.declined", body)
        award = await c.award_body(claim)
        await c.refused("merton-care", "credit.awarded", award, ClaimClosedError, "closed at")
        other = await c.claim("croydon-print", "mentoring.hour", 1, counterparty="merton-care")
        withdraw = DeclineBody(claim=other, reason="withdrawn").to_json()
        await c.submit("croydon-print", "credit.declined", withdraw)
        await c.refused("croydon-print", "credit.declined", withdraw, ClaimClosedError, "closed")
        assert await c.balance("croydon-print") == 0


async def test_there_is_no_separate_confirmation_kind(database_url: str) -> None:
    async with credits_world(database_url) as c:
        claim = await c.claim("croydon-print", "mentoring.hour", 1, counterparty="merton-care")
        for kind in ("credit.confirmed", "credit.approved", "credit.transferred"):
            err = await c.refused(
                "merton-care", kind, {"claim": claim}, UnknownKindError, "unknown statement kind"
            )
            assert err.code == "unknown_kind"
