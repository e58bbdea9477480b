"""The pure rules of the governance checks, without a database: each takes the state its
check read, the body and the signer, and raises the refusal or returns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from governance import bodies, client
from governance.checks import (
    CastState,
    ClosedState,
    DecidedState,
    GroupCreatedState,
    MembershipState,
    OpenedState,
    RequestState,
    RoleState,
    cast_rule,
    closed_rule,
    decided_rule,
    group_created_rule,
    join_approved_rule,
    join_declined_rule,
    join_requested_rule,
    left_rule,
    opened_rule,
    role_set_rule,
)
from governance.errors import (
    NotConvenorError,
    NotEligibleError,
    ObserverError,
    TextMissingError,
    VotingWindowError,
)
from governance.opening import parse_opening
from governance.records import CLOSED, OPEN, MembershipRecord, ProposalRecord, RequestRecord
from ledger.errors import ConflictError, NotAuthorisedError, NotFoundError
from ledger.members import MemberRecord

T0 = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
GROUP = "markets-data-trust"
ANA = MemberRecord("ana", "worker", "hackney", frozenset(), 1)
BOARD = MemberRecord("bo", "worker", "hackney", frozenset({"board"}), 2)
OPENING = parse_opening(
    client.open_proposal(
        group=GROUP,
        title="Priorities",
        body_text="Which priority first?",
        method="proposal",
        electorate=["ana", "ben"],
        opens_at=T0,
        closes_at=T0 + timedelta(days=7),
    )
)
PROPOSAL = ProposalRecord(7, "bo", OPENING, b"seed", OPEN, "2025-03-20T12:00:00Z")


def _request(member: str = "ben", status: str = "open") -> RequestRecord:
    return RequestRecord(3, GROUP, member, "member", status, None)


def test_group_created_needs_the_board_and_a_new_slug() -> None:
    body = bodies.GroupBody(GROUP, "Markets data trust")
    group_created_rule(GroupCreatedState(exists=False), body, BOARD)
    with pytest.raises(NotAuthorisedError):
        group_created_rule(GroupCreatedState(exists=False), body, ANA)
    with pytest.raises(ConflictError):
        group_created_rule(GroupCreatedState(exists=True), body, BOARD)


def test_join_requested_refuses_the_assembly_unknown_groups_members_and_repeats() -> None:
    body = bodies.JoinRequestBody(GROUP, "member")
    fresh = MembershipState(exists=True, membership=None)
    join_requested_rule(fresh, body, ANA)
    with pytest.raises(ConflictError, match="assembly"):
        join_requested_rule(fresh, bodies.JoinRequestBody("assembly", "member"), ANA)
    with pytest.raises(NotFoundError):
        join_requested_rule(replace(fresh, exists=False), body, ANA)
    member = MembershipRecord(GROUP, "ana", "member", 4)
    with pytest.raises(ConflictError, match="already"):
        join_requested_rule(replace(fresh, membership=member), body, ANA)
    with pytest.raises(ConflictError, match="at entry 3"):
        join_requested_rule(replace(fresh, open_request=_request("ana")), body, ANA)


def test_join_approved_by_a_convenor_of_an_open_request_from_someone_who_can_sign() -> None:
    body = bodies.RequestBody(3)
    state = RequestState(_request(), signer_convenes=True, requester_can_sign=True)
    join_approved_rule(state, body, ANA)
    with pytest.raises(NotFoundError):
        join_approved_rule(replace(state, request=None), body, ANA)
    with pytest.raises(ConflictError, match="approved already"):
        join_approved_rule(replace(state, request=_request(status="approved")), body, ANA)
    with pytest.raises(NotAuthorisedError):
        join_approved_rule(replace(state, request=_request("ana")), body, ANA)
    with pytest.raises(NotConvenorError):
        join_approved_rule(replace(state, signer_convenes=False), body, ANA)
    with pytest.raises(ConflictError, match="can sign"):
        join_approved_rule(replace(state, requester_can_sign=False), body, ANA)


def test_join_declined_by_a_convenor_or_withdrawn_by_the_requester() -> None:
    body = bodies.RequestBody(3)
    outsider = RequestState(_request(), signer_convenes=False, requester_can_sign=True)
    join_declined_rule(replace(outsider, request=_request("ana")), body, ANA)
    join_declined_rule(replace(outsider, signer_convenes=True), body, ANA)
    with pytest.raises(NotConvenorError):
        join_declined_rule(outsider, body, ANA)


def test_left_only_a_group_one_is_in() -> None:
    member = MembershipRecord(GROUP, "ana", "member", 4)
    left_rule(MembershipState(exists=True, membership=member), bodies.LeaveBody(GROUP), ANA)
    with pytest.raises(NotFoundError):
        left_rule(MembershipState(exists=True, membership=None), bodies.LeaveBody(GROUP), ANA)
    with pytest.raises(ConflictError):
        left_rule(MembershipState(exists=True, membership=None), bodies.LeaveBody("assembly"), ANA)


def test_role_set_a_convenor_moves_members_and_observers_the_board_appoints() -> None:
    member = MembershipRecord(GROUP, "ben", "member", 4)
    convenor = RoleState(exists=True, member_can_sign=True, current=member, signer_convenes=True)
    role_set_rule(convenor, bodies.RoleBody(GROUP, "ben", "observer"), ANA)
    role_set_rule(
        replace(convenor, signer_convenes=False), bodies.RoleBody(GROUP, "ben", "convenor"), BOARD
    )
    with pytest.raises(NotAuthorisedError, match="appoints convenors"):
        role_set_rule(convenor, bodies.RoleBody(GROUP, "ben", "convenor"), ANA)
    with pytest.raises(NotAuthorisedError, match="sets roles"):
        role_set_rule(
            replace(convenor, signer_convenes=False), bodies.RoleBody(GROUP, "ben", "observer"), ANA
        )
    with pytest.raises(ConflictError, match="already"):
        role_set_rule(convenor, bodies.RoleBody(GROUP, "ben", "member"), ANA)
    with pytest.raises(NotFoundError, match="can sign"):
        role_set_rule(
            replace(convenor, member_can_sign=False), bodies.RoleBody(GROUP, "ben", "observer"), ANA
        )


def test_opened_checks_in_order_group_convenor_window_electorate_text() -> None:
    state = OpenedState(
        now=T0,
        group_exists=True,
        signer_convenes=True,
        electorate=["ana", "ben"],
        body_kept=True,
    )
    opened_rule(state, OPENING, ANA)
    with pytest.raises(NotFoundError):
        opened_rule(replace(state, group_exists=False, signer_convenes=False), OPENING, ANA)
    with pytest.raises(NotConvenorError):
        opened_rule(replace(state, signer_convenes=False), OPENING, ANA)
    with pytest.raises(VotingWindowError):
        opened_rule(replace(state, now=T0 + timedelta(days=8)), OPENING, ANA)
    with pytest.raises(ConflictError, match="lacks \\['cat'\\]"):
        opened_rule(replace(state, electorate=["ana", "ben", "cat"]), OPENING, ANA)
    with pytest.raises(TextMissingError):
        opened_rule(replace(state, body_kept=False), OPENING, ANA)


def test_cast_inside_the_window_by_the_electorate() -> None:
    vote = bodies.VoteBody(7, {"choice": "agree"}, None)
    state = CastState(now=T0 + timedelta(hours=1), proposal=PROPOSAL)
    cast_rule(state, vote, ANA)
    with pytest.raises(NotFoundError):
        cast_rule(replace(state, proposal=None), vote, ANA)
    with pytest.raises(VotingWindowError, match="closed at entry"):
        cast_rule(replace(state, proposal=replace(PROPOSAL, status=CLOSED)), vote, ANA)
    with pytest.raises(VotingWindowError, match="opens at"):
        cast_rule(replace(state, now=T0 - timedelta(hours=1)), vote, ANA)
    with pytest.raises(ObserverError):
        cast_rule(replace(state, outsider_role="observer"), vote, BOARD)
    with pytest.raises(NotEligibleError):
        cast_rule(state, vote, BOARD)


def test_closed_for_a_reason_that_holds() -> None:
    state = ClosedState(now=T0 + timedelta(hours=1), proposal=PROPOSAL, signer_convenes=True)
    closed_rule(state, bodies.CloseBody(7, "early", None), ANA)
    closed_rule(replace(state, voted=2), bodies.CloseBody(7, "all_voted", None), ANA)
    with pytest.raises(ConflictError, match="1 of 2"):
        closed_rule(replace(state, voted=1), bodies.CloseBody(7, "all_voted", None), ANA)
    with pytest.raises(VotingWindowError):
        closed_rule(state, bodies.CloseBody(7, "closing_time", None), ANA)
    with pytest.raises(NotConvenorError):
        closed_rule(replace(state, signer_convenes=False), bodies.CloseBody(7, "early", None), ANA)


def test_decided_follows_the_close() -> None:
    decision = bodies.DecisionBody(
        7,
        bodies.Result("passed", None, True, (2, 0, 0), 2, 0),
        "0" * 64,
        "1" * 64,
        date(2026, 3, 20),
    )
    state = DecidedState(today=date(2025, 3, 28), proposal=PROPOSAL, signer_convenes=True)
    with pytest.raises(ConflictError, match="a decision follows close"):
        decided_rule(state, decision, ANA)
    with pytest.raises(NotFoundError):
        decided_rule(replace(state, proposal=None), decision, ANA)
    closed = replace(state, proposal=replace(PROPOSAL, status=CLOSED))
    with pytest.raises(TextMissingError):
        decided_rule(closed, decision, ANA)
