"""The correction and dispute rules on state built in memory, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from ledger.credits.bodies import CorrectionBody, DisputeBody, ResolutionBody
from ledger.credits.caps import Cap
from ledger.credits.corrections import (
    CorrectionState,
    DisputeState,
    ResolutionState,
    adjustment_rule,
    dispute_rule,
    resolution_rule,
    reversal_rule,
)
from ledger.credits.errors import (
    AlreadyReversedError,
    OutOfWindowError,
    OverCapError,
    SecondSignerError,
    WrongAmountError,
)
from ledger.credits.records import AwardRecord, DisputeRecord
from ledger.encoding import parse_time
from ledger.errors import ConflictError, NotAuthorisedError, NotFoundError
from ledger.members import BOARD, MemberRecord

LOGGED = "2026-03-02T10:00:00Z"
AWARD = AwardRecord(
    seq=7,
    member="m-ann",
    activity="mentoring.hour",
    rule_version=1,
    quantity=2,
    credits=4,
    net=4,
    approver="m-bob",
    counterparty="m-bob",
    bid=None,
    group=None,
    activity_on=date(2026, 3, 1),
    basis="claim",
    basis_seq=6,
    reversed_by=None,
    logged_at=LOGGED,
)
OPEN = DisputeRecord(9, 7, "m-ann", "wrong_amount", LOGGED, None, None, None)
UPHELD = replace(OPEN, resolved_by=10, outcome="upheld", resolver="m-cat")


def member(name: str, *, board: bool = False) -> MemberRecord:
    return MemberRecord(name, "individual", "Hackney", frozenset({BOARD} if board else ()), 0)


CAT = member("m-cat", board=True)


def correction(credits: int, reason: str = "error") -> CorrectionBody:
    return CorrectionBody(award=7, credits=credits, reason=reason)


def test_a_second_signer_reverses_what_remains() -> None:
    reversal_rule(CorrectionState(7, AWARD), correction(4), CAT)
    with pytest.raises(WrongAmountError):
        reversal_rule(CorrectionState(7, AWARD), correction(3), CAT)
    with pytest.raises(ConflictError, match="nothing remains"):
        reversal_rule(CorrectionState(7, replace(AWARD, net=0)), correction(4), CAT)


def test_a_correction_needs_the_award_and_a_board_member_who_is_neither_party() -> None:
    with pytest.raises(NotFoundError, match="no award at entry 7"):
        reversal_rule(CorrectionState(7, None), correction(4), CAT)
    with pytest.raises(NotAuthorisedError):
        reversal_rule(CorrectionState(7, AWARD), correction(4), member("m-dan"))
    with pytest.raises(SecondSignerError):
        reversal_rule(CorrectionState(7, AWARD), correction(4), member("m-bob", board=True))
    with pytest.raises(AlreadyReversedError):
        state = CorrectionState(7, replace(AWARD, reversed_by=8))
        adjustment_rule(state, correction(-1), CAT)


def test_an_upheld_dispute_must_exist_when_it_is_the_reason() -> None:
    with pytest.raises(ConflictError, match="no upheld dispute"):
        reversal_rule(CorrectionState(7, AWARD, (OPEN,)), correction(4, "dispute_upheld"), CAT)
    reversal_rule(CorrectionState(7, AWARD, (UPHELD,)), correction(4, "dispute_upheld"), CAT)


def test_an_adjustment_keeps_the_award_at_zero_or_more_and_under_its_caps() -> None:
    adjustment_rule(CorrectionState(7, AWARD), correction(-4), CAT)
    with pytest.raises(WrongAmountError, match="below 0"):
        adjustment_rule(CorrectionState(7, AWARD), correction(-5), CAT)
    caps = (Cap("monthly", 40, 38, "m-ann in 2026-03"),)
    adjustment_rule(CorrectionState(7, AWARD, caps=caps), correction(2), CAT)
    with pytest.raises(OverCapError):
        adjustment_rule(CorrectionState(7, AWARD, caps=caps), correction(3), CAT)


def test_a_party_disputes_an_award_within_the_window_once_at_a_time() -> None:
    now = parse_time(LOGGED) + timedelta(days=3)
    state = DisputeState(7, AWARD, (), now, timedelta(days=14))
    body = DisputeBody(award=7, reason="wrong_amount")
    dispute_rule(state, body, member("m-ann"))
    dispute_rule(state, body, member("m-bob"))
    with pytest.raises(NotAuthorisedError):
        dispute_rule(state, body, CAT)
    with pytest.raises(NotFoundError):
        dispute_rule(replace(state, award=None), body, member("m-ann"))
    with pytest.raises(AlreadyReversedError):
        dispute_rule(replace(state, award=replace(AWARD, reversed_by=8)), body, member("m-ann"))
    with pytest.raises(OutOfWindowError, match="14 days"):
        late = now + timedelta(days=12)
        dispute_rule(replace(state, now=late), body, member("m-ann"))
    with pytest.raises(ConflictError, match="open dispute at entry 9"):
        dispute_rule(replace(state, disputes=(OPEN,)), body, member("m-ann"))
    dispute_rule(replace(state, disputes=(UPHELD,)), body, member("m-ann"))


def test_a_board_member_who_is_not_a_party_rules_on_an_open_dispute() -> None:
    body = ResolutionBody(dispute=9, outcome="upheld", note="")
    resolution_rule(ResolutionState(9, OPEN, AWARD), body, CAT)
    with pytest.raises(NotFoundError, match="no dispute at entry 9"):
        resolution_rule(ResolutionState(9, None, None), body, CAT)
    with pytest.raises(ConflictError, match="resolved at entry 10"):
        resolution_rule(ResolutionState(9, UPHELD, AWARD), body, CAT)
    with pytest.raises(NotAuthorisedError):
        resolution_rule(ResolutionState(9, OPEN, AWARD), body, member("m-dan"))
    for party in ("m-ann", "m-bob"):
        with pytest.raises(SecondSignerError):
            resolution_rule(ResolutionState(9, OPEN, AWARD), body, member(party, board=True))
    with pytest.raises(NotFoundError, match="no award at entry 7"):
        resolution_rule(ResolutionState(9, OPEN, None), body, CAT)


def test_the_state_is_frozen() -> None:
    state = CorrectionState(7, AWARD)
    with pytest.raises(AttributeError):
        state.award = None  # type: ignore[misc]
