"""The pure rules of the credit checks on state built in memory, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from ledger.credits import bodies
from ledger.credits.checks import (
    AdoptionState,
    AwardState,
    ClaimState,
    DeclineState,
    SessionState,
    adoption_rule,
    award_rule,
    claim_rule,
    decline_rule,
    session_rule,
)
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
    AlreadyAwardedError,
    AlreadyReversedError,
    ClaimClosedError,
    DecisionRequiredError,
    DuplicateEvidenceError,
    NotAMemberError,
    OutOfWindowError,
    OverCapError,
    SecondSignerError,
    SelfApprovalError,
    WrongAmountError,
    WrongRouteError,
)
from ledger.credits.records import (
    AWARDED,
    DECLINED,
    AwardRecord,
    Basis,
    ClaimRecord,
    DisputeRecord,
    SessionRecord,
)
from ledger.credits.records import OPEN as OPEN_CLAIM
from ledger.credits.rules import Cap, rule_table_from_community
from ledger.encoding import parse_time
from ledger.errors import ConflictError, NotAuthorisedError, NotFoundError
from ledger.members import BOARD, MemberRecord
from tests.ledger.credits.helpers import RULES_V1

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


def reversal(credits: int, reason: str = "error") -> bodies.ReversalBody:
    return bodies.ReversalBody(award=7, credits=credits, reason=reason)


def adjustment(credits: int, reason: str = "error") -> bodies.AdjustmentBody:
    return bodies.AdjustmentBody(award=7, credits=credits, reason=reason)


def test_a_second_signer_reverses_what_remains() -> None:
    reversal_rule(CorrectionState(7, AWARD), reversal(4), CAT)
    with pytest.raises(WrongAmountError):
        reversal_rule(CorrectionState(7, AWARD), reversal(3), CAT)
    with pytest.raises(ConflictError, match="nothing remains"):
        reversal_rule(CorrectionState(7, replace(AWARD, net=0)), reversal(4), CAT)


def test_a_correction_needs_the_award_and_a_board_member_who_is_neither_party() -> None:
    with pytest.raises(NotFoundError, match="no award at entry 7"):
        reversal_rule(CorrectionState(7, None), reversal(4), CAT)
    with pytest.raises(NotAuthorisedError):
        reversal_rule(CorrectionState(7, AWARD), reversal(4), member("m-dan"))
    with pytest.raises(SecondSignerError):
        reversal_rule(CorrectionState(7, AWARD), reversal(4), member("m-bob", board=True))
    with pytest.raises(AlreadyReversedError):
        state = CorrectionState(7, replace(AWARD, reversed_by=8))
        adjustment_rule(state, adjustment(-1), CAT)


def test_an_upheld_dispute_must_exist_when_it_is_the_reason() -> None:
    with pytest.raises(ConflictError, match="no upheld dispute"):
        reversal_rule(CorrectionState(7, AWARD, (OPEN,)), reversal(4, "dispute_upheld"), CAT)
    reversal_rule(CorrectionState(7, AWARD, (UPHELD,)), reversal(4, "dispute_upheld"), CAT)


def test_an_adjustment_keeps_the_award_at_zero_or_more_and_under_its_caps() -> None:
    adjustment_rule(CorrectionState(7, AWARD), adjustment(-4), CAT)
    with pytest.raises(WrongAmountError, match="below 0"):
        adjustment_rule(CorrectionState(7, AWARD), adjustment(-5), CAT)
    caps = (Cap("monthly", 40, 38, "m-ann in 2026-03"),)
    adjustment_rule(CorrectionState(7, AWARD, caps=caps), adjustment(2), CAT)
    with pytest.raises(OverCapError):
        adjustment_rule(CorrectionState(7, AWARD, caps=caps), adjustment(3), CAT)


def test_a_party_disputes_an_award_within_the_window_once_at_a_time() -> None:
    now = parse_time(LOGGED) + timedelta(days=3)
    state = DisputeState(7, AWARD, (), now, timedelta(days=14))
    body = bodies.DisputeBody(award=7, reason="wrong_amount")
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
    body = bodies.ResolutionBody(dispute=9, outcome="upheld", note="")
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


V1 = rule_table_from_community(RULES_V1)
V2 = replace(V1, version=2, decision=5)
CLAIM = ClaimRecord(
    seq=6,
    member="m-ann",
    activity="mentoring.hour",
    rule_version=1,
    quantity=2,
    evidence_sha256="ab" * 32,
    done_on=date(2026, 3, 1),
    counterparty="m-bob",
    bid=None,
    group=None,
    status=OPEN_CLAIM,
    closed_by=None,
)


def test_a_board_member_adopts_the_next_version_with_a_passed_decision() -> None:
    adoption_rule(AdoptionState(None, False), V1, CAT)
    with pytest.raises(NotAuthorisedError):
        adoption_rule(AdoptionState(None, False), V1, member("m-ann"))
    with pytest.raises(ConflictError, match="without a decision"):
        adoption_rule(AdoptionState(None, False), replace(V1, decision=5), CAT)
    with pytest.raises(ConflictError, match="next rule table version is 1, not 2"):
        adoption_rule(AdoptionState(None, True), V2, CAT)
    with pytest.raises(DecisionRequiredError, match="needs a passed governance decision"):
        adoption_rule(AdoptionState(1, False), replace(V2, decision=None), CAT)
    with pytest.raises(DecisionRequiredError, match="entry 5 is not a passed decision"):
        adoption_rule(AdoptionState(1, False), V2, CAT)
    adoption_rule(AdoptionState(1, True), V2, CAT)


def test_the_approver_declines_an_open_claim_and_the_claimant_withdraws_it() -> None:
    rule = V1.rule("mentoring.hour")
    state = DeclineState(6, CLAIM, rule)
    decline_rule(state, bodies.DeclineBody(6, "withdrawn"), member("m-ann"))
    decline_rule(state, bodies.DeclineBody(6, "not_delivered"), member("m-bob"))
    with pytest.raises(NotAuthorisedError, match="only withdraw"):
        decline_rule(state, bodies.DeclineBody(6, "not_delivered"), member("m-ann"))
    with pytest.raises(NotAuthorisedError, match="only the claimant withdraws"):
        decline_rule(state, bodies.DeclineBody(6, "withdrawn"), member("m-bob"))
    with pytest.raises(NotAuthorisedError, match="only the counterparty"):
        decline_rule(state, bodies.DeclineBody(6, "not_delivered"), CAT)
    with pytest.raises(NotFoundError):
        decline_rule(DeclineState(6, None), bodies.DeclineBody(6, "withdrawn"), member("m-ann"))
    with pytest.raises(AlreadyAwardedError):
        closed = replace(CLAIM, status=AWARDED, closed_by=7)
        decline_rule(DeclineState(6, closed, rule), bodies.DeclineBody(6, "withdrawn"), CAT)
    with pytest.raises(ClaimClosedError):
        closed = replace(CLAIM, status=DECLINED, closed_by=7)
        decline_rule(DeclineState(6, closed, rule), bodies.DeclineBody(6, "withdrawn"), CAT)
    shared = replace(CLAIM, activity="resource.shared", counterparty=None)
    convenor_rule = V1.rule("resource.shared")
    body = bodies.DeclineBody(6, "not_delivered")
    decline_rule(DeclineState(6, shared, convenor_rule, convenes=True), body, member("m-dan"))
    with pytest.raises(NotAuthorisedError, match="only a convenor"):
        decline_rule(DeclineState(6, shared, convenor_rule), body, member("m-dan"))


def _award(**changes: object) -> bodies.AwardBody:
    body = bodies.AwardBody("m-ann", 4, "mentoring.hour", 1, 2, ("claim", 6))
    return replace(body, **changes)  # type: ignore[arg-type]


CLAIM_BASIS = Basis(
    "claim", 6, "m-ann", "mentoring.hour", 1, 2, date(2026, 3, 1), "m-bob", None, None
)


def test_an_award_on_a_claim_comes_from_its_approver_and_matches_its_rule() -> None:
    rule = V1.rule("mentoring.hour")
    state = AwardState(CLAIM_BASIS, rule, claim=CLAIM)
    award_rule(state, _award(), member("m-bob"))
    with pytest.raises(NotFoundError, match="no claim at entry 6"):
        award_rule(AwardState(None), _award(), member("m-bob"))
    with pytest.raises(SelfApprovalError):
        award_rule(state, _award(), member("m-ann"))
    with pytest.raises(NotAuthorisedError):
        award_rule(state, _award(), CAT)
    with pytest.raises(WrongAmountError, match="made by m-ann, not m-dan"):
        award_rule(state, _award(member="m-dan"), member("m-bob"))
    with pytest.raises(WrongAmountError, match="credits must be 4"):
        award_rule(state, _award(credits=5), member("m-bob"))
    caps = (Cap("pair", 8, 6, "m-ann and m-bob in 2026-03"),)
    with pytest.raises(OverCapError):
        award_rule(replace(state, caps=caps), _award(), member("m-bob"))


def test_an_award_on_a_register_comes_from_its_organiser_once_per_attendee() -> None:
    rule = V1.rule("workshop.attended")
    basis = replace(CLAIM_BASIS, kind="session", activity="workshop.attended", quantity=1)
    session = SessionRecord(
        6, "m-cat", "workshop.attended", 1, date(2026, 3, 1), None, "Bids", ("m-ann",)
    )
    body = _award(activity="workshop.attended", quantity=1, credits=2, on=("session", 6))
    state = AwardState(basis, rule, session=session)
    award_rule(state, body, CAT)
    with pytest.raises(NotAuthorisedError, match="only m-cat"):
        award_rule(state, body, member("m-bob"))
    with pytest.raises(NotFoundError, match="not on the register"):
        award_rule(state, replace(body, member="m-dan"), CAT)
    with pytest.raises(AlreadyAwardedError, match="at entry 8"):
        award_rule(replace(state, earlier=8), body, CAT)


TODAY = date(2026, 3, 2)
MENTORING = bodies.ClaimBody("mentoring.hour", 2, "0" * 64, date(2026, 3, 1), "m-bob", None, None)


def _claim_state(**changes: object) -> ClaimState:
    state = ClaimState(
        V1.rule("mentoring.hour"), TODAY, timedelta(days=90), frozenset({"m-bob"}), None
    )
    return replace(state, **changes)  # type: ignore[arg-type]


def test_a_claim_names_a_member_counterparty_once_per_evidence_within_its_caps() -> None:
    ann = member("m-ann")
    claim_rule(_claim_state(), MENTORING, ann)
    with pytest.raises(WrongRouteError, match="names the counterparty"):
        claim_rule(_claim_state(), replace(MENTORING, counterparty=None), ann)
    with pytest.raises(SelfApprovalError, match="their own counterparty"):
        claim_rule(_claim_state(), MENTORING, member("m-bob"))
    with pytest.raises(NotAMemberError, match="counterparty 'm-bob'"):
        claim_rule(_claim_state(members=frozenset()), MENTORING, ann)
    with pytest.raises(OutOfWindowError, match="after today"):
        claim_rule(_claim_state(), replace(MENTORING, done_on=TODAY + timedelta(days=1)), ann)
    with pytest.raises(WrongRouteError, match="session register"):
        claim_rule(_claim_state(rule=V1.rule("workshop.attended")), MENTORING, ann)
    with pytest.raises(DuplicateEvidenceError, match="claim 5"):
        claim_rule(_claim_state(earlier=5), MENTORING, ann)
    refusal = NotFoundError("no working group arts")
    with pytest.raises(NotFoundError, match="no working group arts"):
        claim_rule(_claim_state(group_refusal=refusal), MENTORING, ann)
    full = (Cap("monthly", 10, 9, "all credits"),)
    with pytest.raises(OverCapError, match="monthly"):
        claim_rule(_claim_state(caps=full), MENTORING, ann)


def test_a_register_is_recorded_by_a_convenor_of_members_other_than_themself() -> None:
    state = SessionState(
        V1.rule("workshop.attended"), TODAY, timedelta(days=90), frozenset({"m-ann"}), None
    )
    register = bodies.SessionBody("workshop.attended", TODAY, ("m-ann",), "Bids", None)
    session_rule(replace(state, convenes=True), register, CAT)
    with pytest.raises(NotAuthorisedError, match="only a convenor"):
        session_rule(state, register, CAT)
    with pytest.raises(SelfApprovalError, match="their own register"):
        session_rule(replace(state, convenes=True), register, member("m-ann"))
    with pytest.raises(NotAMemberError, match="attendee 'm-dan'"):
        session_rule(replace(state, convenes=True), replace(register, attendees=("m-dan",)), CAT)
    mentoring = replace(state, rule=V1.rule("mentoring.hour"), convenes=True)
    with pytest.raises(WrongRouteError, match="it is claimed"):
        session_rule(mentoring, register, CAT)
