"""The checks of every governance statement: working groups, then proposals.

Each check is an async read and a pure rule: it reads what the rule depends on (through the
store, the registry and the log's clock, ``scope.ctx.now``) into a frozen dataclass, and the
rule, ``rule(state, body, signer)``, raises the refusal or returns. Nothing writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

from governance import store
from governance.actions import AdoptRuleTable, AdoptTerms, ElectConvenor, action_json
from governance.bodies import (
    ALL_VOTED,
    ASSEMBLY,
    CLOSING_TIME,
    CONVENOR,
    EARLY,
    JOIN_ROLES,
    OBSERVER,
    CloseBody,
    DecisionBody,
    GroupBody,
    JoinRequestBody,
    LeaveBody,
    RequestBody,
    RoleBody,
    VoteBody,
    parse_close,
    parse_decision,
    parse_group,
    parse_join_request,
    parse_leave,
    parse_request_ref,
    parse_role,
    parse_vote,
)
from governance.errors import (
    BallotRefusedError,
    ElectorateMismatchError,
    GovernanceError,
    InvalidBallotError,
    NotConvenorError,
    NotEligibleError,
    ObserverError,
    TallyMismatchError,
    TextMissingError,
    VotingWindowError,
)
from governance.opening import Opening, parse_opening
from governance.records import (
    CLOSED,
    OPEN,
    REQUEST_OPEN,
    MembershipRecord,
    ProposalRecord,
    RequestRecord,
)
from governance.scope import (
    Scope,
    can_sign,
    count_of,
    electorate,
    is_convenor,
)
from governance.seal import check_key_pair
from governance.tally import get_method
from governance.tally.proposal_count import Count
from ledger.credits import store as credit_store
from ledger.encoding import format_time
from ledger.errors import (
    ConflictError,
    MalformedStatementError,
    NotAuthorisedError,
    NotFoundError,
)
from ledger.members import MemberRecord

B = TypeVar("B")
S = TypeVar("S")
Check = Callable[[Scope, Mapping[str, Any]], Awaitable[None]]


def _check(
    parse: Callable[[Mapping[str, Any]], B],
    read: Callable[[Scope, B], Awaitable[S]],
    rule: Callable[[S, B, MemberRecord], None],
) -> Check:
    """A check: parse the body, ``read`` the state the ``rule`` depends on, apply the rule."""

    async def check(scope: Scope, value: Mapping[str, Any]) -> None:
        body = parse(value)
        rule(await read(scope, body), body, scope.signer)

    return check


# -- working groups: creation, join requests, leaving, roles ---------------------------


@dataclass(frozen=True)
class GroupCreatedState:
    """What creating a group depends on: whether the slug is in use."""

    exists: bool


async def _group_created_state(scope: Scope, body: GroupBody) -> GroupCreatedState:
    return GroupCreatedState(await store.group(scope.conn, body.group) is not None)


def group_created_rule(state: GroupCreatedState, body: GroupBody, signer: MemberRecord) -> None:
    """Raise ``NotAuthorisedError`` for a signer off the board, ``ConflictError`` for a slug in
    use."""
    if not signer.is_board:
        raise NotAuthorisedError("only a board member creates a working group")
    if state.exists:
        raise ConflictError(f"working group {body.group!r} exists already")


def _convenor_rule(convenes: bool, group: str, what: str) -> None:
    """Raise ``NotConvenorError`` unless the signer ``convenes`` ``group``."""
    if not convenes:
        who = "a board member" if group == ASSEMBLY else f"the convenor of {group} or the board"
        raise NotConvenorError(f"only {who} {what}")


def _working_group(group: str, exists: bool) -> None:
    if group == ASSEMBLY:
        raise ConflictError("every member is in the assembly; it is not joined, left or staffed")
    if not exists:
        raise NotFoundError(f"there is no working group {group!r}")


@dataclass(frozen=True)
class MembershipState:
    """What joining or leaving a group depends on: whether the group exists, the signer's
    membership of it and their open request to join it."""

    exists: bool
    membership: MembershipRecord | None
    open_request: RequestRecord | None = None


async def _membership_state(scope: Scope, body: JoinRequestBody | LeaveBody) -> MembershipState:
    group = body.group
    return MembershipState(
        exists=await store.group(scope.conn, group) is not None,
        membership=await store.membership(scope.conn, group, scope.me),
        open_request=(
            await store.open_request(scope.conn, group, scope.me)
            if isinstance(body, JoinRequestBody)
            else None
        ),
    )


def join_requested_rule(
    state: MembershipState, body: JoinRequestBody, signer: MemberRecord
) -> None:
    """Raise ``NotFoundError`` for an unknown group, ``ConflictError`` for the assembly, a
    member already in the group, or a request already open."""
    _working_group(body.group, state.exists)
    if state.membership is not None:
        raise ConflictError(f"{signer.member} is in {body.group} already")
    if state.open_request is not None:
        raise ConflictError(
            f"{signer.member} asked to join {body.group} at entry {state.open_request.seq}"
        )


@dataclass(frozen=True)
class RequestState:
    """What approving or declining a join request depends on: the request, whether the
    signer convenes its group, and whether the requester can still sign."""

    request: RequestRecord | None
    signer_convenes: bool
    requester_can_sign: bool


async def _request_state(scope: Scope, body: RequestBody) -> RequestState:
    request = await store.request(scope.conn, body.request)
    if request is None:
        return RequestState(None, False, False)
    registry = scope.ctx.registry
    return RequestState(
        request,
        await is_convenor(scope.conn, registry, scope.me, request.group),
        can_sign(registry, request.member),
    )


def _open_request(state: RequestState, seq: int) -> RequestRecord:
    request = state.request
    if request is None:
        raise NotFoundError(f"there is no join request at entry {seq}")
    if request.status != REQUEST_OPEN:
        raise ConflictError(f"join request {seq} is {request.status} already")
    return request


def join_approved_rule(state: RequestState, body: RequestBody, signer: MemberRecord) -> None:
    """Raise ``NotFoundError``/``ConflictError`` for a missing or closed request or a requester
    who can no longer sign, ``NotAuthorisedError`` for approving one's own request,
    ``NotConvenorError`` for anyone else."""
    request = _open_request(state, body.request)
    if request.member == signer.member:
        raise NotAuthorisedError("no one approves their own join request")
    _convenor_rule(state.signer_convenes, request.group, "approves a join request")
    if not state.requester_can_sign:
        raise ConflictError(f"{request.member} is no longer a member who can sign")


def join_declined_rule(state: RequestState, body: RequestBody, signer: MemberRecord) -> None:
    """Raise ``NotFoundError``/``ConflictError`` for a missing or closed request,
    ``NotConvenorError`` for anyone but the requester and the group's convenors."""
    request = _open_request(state, body.request)
    if request.member != signer.member:
        _convenor_rule(state.signer_convenes, request.group, "declines a join request")


def left_rule(state: MembershipState, body: LeaveBody, signer: MemberRecord) -> None:
    """Raise ``NotFoundError`` for an unknown group or a signer not in it, ``ConflictError``
    for the assembly."""
    _working_group(body.group, state.exists)
    if state.membership is None:
        raise NotFoundError(f"{signer.member} is not in {body.group}")


@dataclass(frozen=True)
class RoleState:
    """What setting a role depends on: whether the group exists, whether the member named can
    sign, their current membership, and whether the signer convenes the group."""

    exists: bool
    member_can_sign: bool
    current: MembershipRecord | None
    signer_convenes: bool


async def _role_state(scope: Scope, body: RoleBody) -> RoleState:
    conn, registry = scope.conn, scope.ctx.registry
    return RoleState(
        exists=await store.group(conn, body.group) is not None,
        member_can_sign=can_sign(registry, body.member),
        current=await store.membership(conn, body.group, body.member),
        signer_convenes=await is_convenor(conn, registry, scope.me, body.group),
    )


def role_set_rule(state: RoleState, body: RoleBody, signer: MemberRecord) -> None:
    """A board member sets any role for any member who can sign (appointing a convenor makes
    the previous one an ordinary member; a non-member joins with the role). A convenor moves
    another member of the group between member and observer. Raises ``NotConvenorError``,
    ``NotAuthorisedError``, ``NotFoundError`` or ``ConflictError`` (the role is the same)."""
    _working_group(body.group, state.exists)
    if not state.member_can_sign:
        raise NotFoundError(f"{body.member!r} is not a member who can sign")
    current = state.current
    if current is not None and current.role == body.role:
        raise ConflictError(f"{body.member} is {body.role} of {body.group} already")
    if signer.is_board:
        return
    if not state.signer_convenes:
        raise NotAuthorisedError(f"only the convenor of {body.group} or the board sets roles")
    if body.role not in JOIN_ROLES or current is None or current.role == CONVENOR:
        raise NotAuthorisedError(
            "a convenor moves members of the group between member and observer; the board "
            "appoints convenors"
        )


# -- proposals: opening, ballots, closing and the decision -----------------------------


@dataclass(frozen=True)
class OpenedState:
    """What opening a proposal depends on: the log's clock, the group, the signer's standing
    in it, its electorate now, the texts kept, and what the action must follow."""

    now: datetime
    group_exists: bool
    signer_convenes: bool
    electorate: list[str]
    body_kept: bool
    next_version: int | None = None
    """The version an ``adopt_terms`` or ``adopt_rule_table`` action must have."""
    terms_kept: bool = False
    live_action: int | None = None
    """An earlier proposal still proposing the same version, if any."""
    elected_may_convene: bool = False


async def _opened_state(scope: Scope, opening: Opening) -> OpenedState:
    conn, registry = scope.conn, scope.ctx.registry
    group = opening.group
    state = OpenedState(
        now=scope.ctx.now,
        group_exists=group == ASSEMBLY or await store.group(conn, group) is not None,
        signer_convenes=await is_convenor(conn, registry, scope.me, group),
        electorate=await electorate(conn, registry, group),
        body_kept=await store.has_text(conn, opening.body_sha256),
    )
    action = opening.action
    if isinstance(action, ElectConvenor):
        return replace(state, elected_may_convene=await _may_convene(scope, action))
    if isinstance(action, AdoptTerms):
        terms = await store.current_terms(conn, action.group)
        next_version = 1 if terms is None else terms.version + 1
        state = replace(state, terms_kept=await store.has_text(conn, action.sha256))
    elif isinstance(action, AdoptRuleTable):
        table = await credit_store.rule_table(conn)
        next_version = 2 if table is None else table.version + 1
    else:
        return state
    live = await store.live_action(
        conn, action_type=str(action_json(action)["type"]), group=group, version=action.version
    )
    return replace(state, next_version=next_version, live_action=live)


def _require_kept(kept: bool, sha256: str, what: str) -> None:
    if not kept:
        raise TextMissingError(f"the text of the {what} ({sha256}) has not been stored")


def opened_rule(state: OpenedState, opening: Opening, signer: MemberRecord) -> None:
    """Raise ``NotFoundError`` for an unknown group, ``NotConvenorError``,
    ``VotingWindowError`` for a closing time already past, ``ElectorateMismatchError`` when
    the electorate is not the group's voting members now, ``TextMissingError`` for a body text
    never stored, and ``ConflictError``/``NotFoundError`` for an action that cannot follow: a
    version other than the next, a text never stored, a version another proposal proposes
    already, a convenor who is not a voting member of the group."""
    if not state.group_exists:
        raise NotFoundError(f"there is no working group {opening.group!r}")
    _convenor_rule(state.signer_convenes, opening.group, "opens a proposal")
    if opening.closes_at <= state.now:
        raise VotingWindowError(f"closes_at {format_time(opening.closes_at)} has passed")
    expected = state.electorate
    if list(opening.electorate) != expected:
        missing = sorted(set(expected) - set(opening.electorate))
        extra = sorted(set(opening.electorate) - set(expected))
        raise ElectorateMismatchError(
            f"the electorate of {opening.group} is {len(expected)} members now; the opening "
            f"lacks {missing} and wrongly lists {extra}"
        )
    _require_kept(state.body_kept, opening.body_sha256, "proposal body")
    action = opening.action
    if isinstance(action, ElectConvenor):
        if not state.elected_may_convene:
            raise NotFoundError(f"{action.member} is not a voting member of {action.group}")
        return
    if not isinstance(action, AdoptTerms | AdoptRuleTable):
        return
    if action.version != state.next_version:
        which = "terms of reference" if isinstance(action, AdoptTerms) else "credit rule table"
        raise ConflictError(f"the next {which} version is {state.next_version}")
    if isinstance(action, AdoptTerms):
        _require_kept(state.terms_kept, action.sha256, "terms of reference")
    if state.live_action is not None:
        raise ConflictError(
            f"proposal {state.live_action} already proposes version {action.version}"
        )


OPEN_PROPOSALS = "governance.open_proposals"
"""``Context.scratch`` key: open proposals read in this batch, by seq (ballots come in bulk)."""


async def _proposal(scope: Scope, seq: int) -> ProposalRecord | None:
    """The proposal at ``seq``, from this batch's open proposals if it is one of them."""
    cache: dict[int, ProposalRecord] = scope.ctx.scratch.setdefault(OPEN_PROPOSALS, {})
    record = cache.get(seq) or await store.proposal(scope.conn, seq)
    if record is not None and record.status == OPEN:
        cache[seq] = record
    return record


def _open_proposal(record: ProposalRecord | None, seq: int) -> ProposalRecord:
    if record is None:
        raise NotFoundError(f"there is no proposal at entry {seq}")
    if record.status != OPEN:
        raise VotingWindowError(f"proposal {seq} was closed at entry {record.closed_by}")
    return record


@dataclass(frozen=True)
class CastState:
    """What a ballot depends on: the log's clock, the proposal, and (for a signer outside
    its electorate) their role in its group."""

    now: datetime
    proposal: ProposalRecord | None
    outsider_role: str | None = None


async def _cast_state(scope: Scope, vote: VoteBody) -> CastState:
    record = await _proposal(scope, vote.proposal)
    state = CastState(scope.ctx.now, record)
    if record is None or record.status != OPEN or scope.me in record.opening.electorate:
        return state
    if record.opening.group == ASSEMBLY:
        return state
    member = await store.membership(scope.conn, record.opening.group, scope.me)
    return replace(state, outsider_role=None if member is None else member.role)


def cast_rule(state: CastState, vote: VoteBody, signer: MemberRecord) -> None:
    """Raise ``NotFoundError`` for an unknown proposal, ``VotingWindowError`` before opening,
    at or after the closing time, or once closed; ``ObserverError`` for an observer of the
    group and ``NotEligibleError`` for anyone else outside the electorate;
    ``MalformedStatementError`` for a plain ballot on a hidden proposal or a sealed one on an
    open count; ``BallotRefusedError`` for a plain ballot the method refuses (a block without
    a reason, an unknown option, a duplicate rank, a score out of range, dots over budget)."""
    record = _open_proposal(state.proposal, vote.proposal)
    opening = record.opening
    if state.now < opening.opens_at:
        raise VotingWindowError(f"voting opens at {format_time(opening.opens_at)}")
    if state.now >= opening.closes_at:
        raise VotingWindowError(f"voting closed at {format_time(opening.closes_at)}")
    if signer.member not in opening.electorate:
        if state.outsider_role == OBSERVER:
            raise ObserverError(f"{signer.member} observes {opening.group}; observers never vote")
        raise NotEligibleError(
            f"{signer.member} is not in the electorate frozen when this proposal opened"
        )
    if opening.hidden != (vote.sealed is not None):
        raise MalformedStatementError(
            "a hidden proposal takes sealed ballots only"
            if opening.hidden
            else "this proposal's results are open: cast a plain ballot, not a sealed one"
        )
    if vote.ballot is not None:
        try:
            get_method(opening.method).validate_ballot(
                vote.ballot, opening.tally_rules(record.seed)
            )
        except InvalidBallotError as e:
            raise BallotRefusedError(str(e)) from e


@dataclass(frozen=True)
class ClosedState:
    """What closing a proposal depends on: the log's clock, the proposal, whether the signer
    convenes its group, and (closing because all voted) how many have voted."""

    now: datetime
    proposal: ProposalRecord | None
    signer_convenes: bool = False
    voted: int = 0


async def _closed_state(scope: Scope, close: CloseBody) -> ClosedState:
    record = await _proposal(scope, close.proposal)
    state = ClosedState(scope.ctx.now, record)
    if record is None or record.status != OPEN:
        return state
    convenes = await is_convenor(scope.conn, scope.ctx.registry, scope.me, record.group)
    voted = await store.voter_count(scope.conn, record.seq) if close.reason == ALL_VOTED else 0
    return replace(state, signer_convenes=convenes, voted=voted)


def closed_rule(state: ClosedState, close: CloseBody, signer: MemberRecord) -> None:
    """``closing_time``: the closing time has come. ``all_voted``: every elector has voted.
    ``early``: before the closing time, at the convenor's discretion. A hidden proposal's
    close publishes its private seal key. Raises ``NotFoundError``, ``NotConvenorError``,
    ``VotingWindowError``/``ConflictError`` when the reason does not hold or it is closed,
    ``MalformedStatementError``/``SealMismatchError`` for a missing, unexpected or wrong key."""
    record = _open_proposal(state.proposal, close.proposal)
    opening = record.opening
    _convenor_rule(state.signer_convenes, opening.group, "closes a proposal")
    at_time = state.now >= opening.closes_at
    if close.reason == CLOSING_TIME and not at_time:
        raise VotingWindowError(f"the closing time is {format_time(opening.closes_at)}")
    if close.reason == EARLY and at_time:
        raise VotingWindowError("the closing time has passed: close with reason closing_time")
    if close.reason == ALL_VOTED and state.voted < len(opening.electorate):
        raise ConflictError(f"{state.voted} of {len(opening.electorate)} electors have voted")
    if opening.seal_key is None:
        if close.seal_private_key is not None:
            raise MalformedStatementError("only a hidden proposal's close carries a seal key")
        return
    if close.seal_private_key is None:
        raise MalformedStatementError("a hidden proposal's close publishes its seal_private_key")
    check_key_pair(private_key=close.seal_private_key, public_key=opening.seal_key)


@dataclass(frozen=True)
class DecidedState:
    """What recording a decision depends on: today, the proposal, whether the signer convenes
    its group, whether the outcome statement is kept, the recount of its ballots (or why it
    cannot be counted here) and whether a convenor it elects may still convene."""

    today: date
    proposal: ProposalRecord | None
    signer_convenes: bool = False
    statement_kept: bool = False
    count: Count | None = None
    count_error: GovernanceError | None = None
    elected_may_convene: bool = False


async def _decided_state(scope: Scope, decision: DecisionBody) -> DecidedState:
    record = await store.proposal(scope.conn, decision.proposal)
    state = DecidedState(scope.ctx.now.date(), record)
    if record is None or record.status != CLOSED:
        return state
    conn, action = scope.conn, record.opening.action
    state = replace(
        state,
        signer_convenes=await is_convenor(conn, scope.ctx.registry, scope.me, record.group),
        statement_kept=await store.has_text(conn, decision.statement_sha256),
        elected_may_convene=isinstance(action, ElectConvenor) and await _may_convene(scope, action),
    )
    try:
        return replace(state, count=await count_of(conn, record))
    except GovernanceError as e:  # e.g. an algorithm version this code no longer runs
        return replace(state, count_error=e)


def decided_rule(state: DecidedState, decision: DecisionBody, signer: MemberRecord) -> None:
    """The decision must record the result and transcript hash its recount gives. Raises
    ``NotFoundError``, ``ConflictError`` (not closed, or decided already; a review date not
    after today; a convenor it elects who may no longer convene), ``NotConvenorError``,
    ``TextMissingError`` for an outcome statement never stored, ``TallyMismatchError``."""
    record = state.proposal
    if record is None:
        raise NotFoundError(f"there is no proposal at entry {decision.proposal}")
    if record.status != CLOSED:
        raise ConflictError(f"proposal {record.seq} is {record.status}: a decision follows close")
    _convenor_rule(state.signer_convenes, record.group, "records a decision")
    if decision.review_on <= state.today:
        raise ConflictError("review_on must be a date after today")
    _require_kept(state.statement_kept, decision.statement_sha256, "outcome statement")
    count = state.count
    if count is None:
        error = state.count_error
        raise ConflictError(f"proposal {record.seq} cannot be counted here: {error}") from error
    if count.result != decision.result or count.transcript_sha256 != decision.transcript_sha256:
        raise TallyMismatchError(
            f"the recount of proposal {record.seq} gives {count.result.to_json()} with "
            f"transcript {count.transcript_sha256}; the decision records "
            f"{decision.result.to_json()} with transcript {decision.transcript_sha256}"
        )
    action = record.opening.action
    if count.tally.passed and isinstance(action, ElectConvenor) and not state.elected_may_convene:
        raise ConflictError(
            f"{action.member} is no longer a voting member of {action.group} who can sign; "
            "cannot convene"
        )


async def _may_convene(scope: Scope, action: ElectConvenor) -> bool:
    """Whether the member an election names is a voting member of its group who can sign."""
    member = await store.membership(scope.conn, action.group, action.member)
    return (
        member is not None
        and member.role != OBSERVER
        and can_sign(scope.ctx.registry, action.member)
    )


check_group_created = _check(parse_group, _group_created_state, group_created_rule)
"""A board member creates a working group with a new slug."""
check_join_requested = _check(parse_join_request, _membership_state, join_requested_rule)
"""A member asks to join a working group as a member or an observer."""
check_join_approved = _check(
    partial(parse_request_ref, "governance.group.join_approved"), _request_state, join_approved_rule
)
"""The group's convenor (or a board member) approves an open join request."""
check_join_declined = _check(
    partial(parse_request_ref, "governance.group.join_declined"), _request_state, join_declined_rule
)
"""The convenor (or a board member) declines an open request, or the requester withdraws it."""
check_left = _check(parse_leave, _membership_state, left_rule)
"""A member leaves a working group they are in (a convenor too: the board then appoints)."""
check_role_set = _check(parse_role, _role_state, role_set_rule)
"""Set a member's role in a working group."""
check_opened = _check(parse_opening, _opened_state, opened_rule)
"""The group's convenor (or a board member) opens a proposal with frozen rules."""
check_cast = _check(parse_vote, _cast_state, cast_rule)
"""A member of the frozen electorate votes while the proposal is open."""
check_closed = _check(parse_close, _closed_state, closed_rule)
"""The convenor (or a board member) closes an open proposal, for a reason that holds."""
check_decided = _check(parse_decision, _decided_state, decided_rule)
"""The convenor (or a board member) records the decision on a closed proposal, recounted
from its logged ballots."""
