"""Reversals and adjustments by a second signer, and disputes within 14 days."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.credits import reports, store
from ledger.credits.bodies import AdjustmentBody, DisputeBody, ResolutionBody, ReversalBody
from ledger.credits.errors import (
    AlreadyReversedError,
    OutOfWindowError,
    OverCapError,
    SecondSignerError,
    WrongAmountError,
)
from ledger.errors import (
    ConflictError,
    MalformedStatementError,
    NotAuthorisedError,
    NotFoundError,
)
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import Credits, credits_world
from tests.support import Clock

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

REVERSED, ADJUSTED = "credit.reversed", "credit.adjusted"


async def _mentoring(c: Credits, hours: int = 3) -> int:
    """croydon-print mentors merton-care, who confirms: an award of 2 x hours."""
    return await c.earn(
        "croydon-print", "merton-care", "mentoring.hour", hours, counterparty="merton-care"
    )


async def test_reversal_needs_a_second_signer_and_happens_once(database_url: str) -> None:
    async with credits_world(database_url) as c:
        award = await c.earn("croydon-print", "board-b", "resource.shared", 2)
        body = ReversalBody(award=award, credits=2, reason="error").to_json()
        await c.refused("board-b", REVERSED, body, SecondSignerError, "needs a board member who")
        await c.refused("merton-care", REVERSED, body, NotAuthorisedError, "only a board member")
        own = await c.earn("board-b", "steward", "resource.shared", 1)
        own_body = ReversalBody(award=own, credits=1, reason="error").to_json()
        await c.refused("board-b", REVERSED, own_body, SecondSignerError, "neither")
        await c.refused("steward", REVERSED, own_body, SecondSignerError, "neither")
        await c.refused(
            "steward", REVERSED, {**body, "credits": 1}, WrongAmountError, "what remains"
        )
        await c.refused(
            "steward", REVERSED, {**body, "award": award - 1}, NotFoundError, "no award at entry"
        )
        await c.refused(
            "steward", REVERSED, {**body, "reason": "whim"}, MalformedStatementError, "reason"
        )
        reversal = await c.submit("steward", REVERSED, body)
        assert await c.balance("croydon-print") == 0
        await c.refused("steward", REVERSED, body, AlreadyReversedError, f"entry {reversal}")
        adjust = AdjustmentBody(award=award, credits=1, reason="error").to_json()
        await c.refused("steward", ADJUSTED, adjust, AlreadyReversedError, "was reversed")
        async with c.read() as conn:
            lines = await reports.statement(conn, "croydon-print")
            record = await store.claim(conn, award - 1)
        assert [(x.seq, x.kind, x.award, x.credits, x.approver, x.balance) for x in lines] == [
            (award, "awarded", award, 2, "board-b", 2),
            (reversal, "reversed", award, -2, "steward", 0),
        ]
        assert record is not None and record.status == "awarded"  # the original stays


async def test_adjustments(database_url: str) -> None:
    async with credits_world(database_url) as c:
        award = await _mentoring(c, 3)

        def adjust(credits: int, reason: str = "error") -> dict[str, Any]:
            return AdjustmentBody(award=award, credits=credits, reason=reason).to_json()

        await c.refused("steward", ADJUSTED, adjust(0), MalformedStatementError, "must not be 0")
        await c.refused("merton-care", ADJUSTED, adjust(-2), NotAuthorisedError, "only a board")
        await c.submit("steward", ADJUSTED, adjust(-2, "wrong_quantity"))
        assert await c.balance("croydon-print") == 4
        below = "stands at 4 credits; an adjustment of -5 would take it below 0"
        await c.refused("board-b", ADJUSTED, adjust(-5), WrongAmountError, below)
        over = "per_pair_month cap.*4 used, room for 4; this needs 5"
        await c.refused("board-b", ADJUSTED, adjust(5), OverCapError, over)
        await c.submit("board-b", ADJUSTED, adjust(-4))
        reversal = ReversalBody(award=award, credits=4, reason="error").to_json()
        await c.refused("steward", REVERSED, reversal, ConflictError, "nothing remains")
        # the cap room freed by the adjustments can be used again
        await _mentoring(c, 4)
        assert await c.balance("croydon-print") == 8


async def test_disputes(database_url: str) -> None:
    clock = Clock()
    async with credits_world(database_url, clock=clock) as c:
        award = await _mentoring(c, 2)
        dispute = DisputeBody(award=award, reason="wrong_quantity").to_json()
        await c.refused(
            "sutton-books",
            "credit.disputed",
            dispute,
            NotAuthorisedError,
            "only the recipient or the claim's counterparty",
        )
        opened = await c.submit("merton-care", "credit.disputed", dispute)
        await c.refused(
            "croydon-print",
            "credit.disputed",
            dispute,
            ConflictError,
            f"open dispute at entry {opened}",
        )
        ruling = ResolutionBody(dispute=opened, outcome="upheld", note="one hour").to_json()
        await c.refused(
            "merton-care",
            "credit.dispute_resolved",
            ruling,
            NotAuthorisedError,
            "only a board member",
        )
        upheld = ReversalBody(award=award, credits=4, reason="dispute_upheld").to_json()
        await c.refused("steward", REVERSED, upheld, ConflictError, "no upheld dispute")
        await c.submit("steward", "credit.dispute_resolved", ruling)
        await c.refused(
            "board-b", "credit.dispute_resolved", ruling, ConflictError, "was resolved at entry"
        )
        fix = AdjustmentBody(award=award, credits=-2, reason="dispute_upheld").to_json()
        await c.submit("board-b", ADJUSTED, fix)
        assert await c.balance("croydon-print") == 2
        # the recipient may dispute again once the first is resolved, within the window
        clock.advance(days=13, hours=23)
        again = await c.submit("croydon-print", "credit.disputed", dispute)
        dismiss = ResolutionBody(dispute=again, outcome="dismissed", note="as agreed").to_json()
        await c.submit("board-b", "credit.dispute_resolved", dismiss)
        clock.advance(hours=1, seconds=1)
        await c.refused(
            "croydon-print",
            "credit.disputed",
            dispute,
            OutOfWindowError,
            "could be disputed until 2025-04-03T12:00:",
        )


async def test_dispute_ruled_only_by_an_uninvolved_board_member(database_url: str) -> None:
    async with credits_world(database_url) as c:
        award = await c.earn("croydon-print", "board-b", "resource.shared", 1)
        opened = await c.submit(
            "croydon-print", "credit.disputed", DisputeBody(award=award, reason="other").to_json()
        )
        ruling = ResolutionBody(dispute=opened, outcome="dismissed", note="fine").to_json()
        await c.refused(
            "board-b", "credit.dispute_resolved", ruling, SecondSignerError, "not a party"
        )
        await c.submit("steward", "credit.dispute_resolved", ruling)
        reversal = ReversalBody(award=award, credits=1, reason="error").to_json()
        await c.submit("steward", REVERSED, reversal)
        dispute = DisputeBody(award=award, reason="other").to_json()
        await c.refused(
            "croydon-print", "credit.disputed", dispute, AlreadyReversedError, "was rev"
        )
        missing = ResolutionBody(dispute=award, outcome="upheld", note="x").to_json()
        await c.refused("steward", "credit.dispute_resolved", missing, NotFoundError, "no dispute")
