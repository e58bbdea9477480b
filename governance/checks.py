"""The checks of every governance statement: working groups, then proposals.

Each check reads the projections and raises; none writes. The signer is ``scope.me`` and the
time is the log's clock, ``scope.ctx.now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    NotEligibleError,
    ObserverError,
    TallyMismatchError,
    VotingWindowError,
)
from governance.opening import Opening, parse_opening
from governance.records import CLOSED, OPEN, REQUEST_OPEN, ProposalRecord, RequestRecord
from governance.scope import (
    Scope,
    can_sign,
    count_of,
    electorate,
    is_convenor,
    load_proposal,
    require_convenor,
    require_group,
    require_text,
)
from governance.seal import check_key_pair
from governance.tally import get_method
from ledger.credits import store as credit_store
from ledger.encoding import format_time
from ledger.errors import (
    ConflictError,
    MalformedStatementError,
    NotAuthorisedError,
    NotFoundError,
)

# -- working groups: creation, join requests, leaving, roles ---------------------------


async def check_group_created(scope: Scope, value: Mapping[str, Any]) -> None:
    """A board member creates a working group with a new slug.

    Raises ``NotAuthorisedError`` for a signer off the board, ``ConflictError`` for a slug in
    use.
    """
    body = parse_group(value)
    if not scope.signer.is_board:
        raise NotAuthorisedError("only a board member creates a working group")
    if await store.group(scope.conn, body.group) is not None:
        raise ConflictError(f"working group {body.group!r} exists already")


async def _working_group(scope: Scope, group: str) -> None:
    if group == ASSEMBLY:
        raise ConflictError("every member is in the assembly; it is not joined, left or staffed")
    await require_group(scope.conn, group)


async def check_join_requested(scope: Scope, value: Mapping[str, Any]) -> None:
    """A member asks to join a working group as a member or an observer.

    Raises ``NotFoundError`` for an unknown group, ``ConflictError`` for the assembly, a
    member already in the group, or a request already open.
    """
    body = parse_join_request(value)
    await _working_group(scope, body.group)
    if await store.membership(scope.conn, body.group, scope.me) is not None:
        raise ConflictError(f"{scope.me} is in {body.group} already")
    earlier = await store.open_request(scope.conn, body.group, scope.me)
    if earlier is not None:
        raise ConflictError(f"{scope.me} asked to join {body.group} at entry {earlier.seq}")


async def _open_request(scope: Scope, seq: int) -> RequestRecord:
    request = await store.request(scope.conn, seq)
    if request is None:
        raise NotFoundError(f"there is no join request at entry {seq}")
    if request.status != REQUEST_OPEN:
        raise ConflictError(f"join request {seq} is {request.status} already")
    return request


async def check_join_approved(scope: Scope, value: Mapping[str, Any]) -> None:
    """The group's convenor (or a board member) approves an open join request.

    Raises ``NotFoundError``/``ConflictError`` for a missing or closed request or a requester
    who can no longer sign, ``NotAuthorisedError`` for approving one's own request,
    ``NotConvenorError`` for anyone else.
    """
    body = parse_request_ref("governance.group.join_approved", value)
    request = await _open_request(scope, body.request)
    if request.member == scope.me:
        raise NotAuthorisedError("no one approves their own join request")
    await require_convenor(scope, request.group, "approves a join request")
    if not can_sign(scope.ctx.registry, request.member):
        raise ConflictError(f"{request.member} is no longer a member who can sign")


async def check_join_declined(scope: Scope, value: Mapping[str, Any]) -> None:
    """The convenor (or a board member) declines an open request, or the requester withdraws it.

    Raises ``NotFoundError``/``ConflictError`` for a missing or closed request,
    ``NotConvenorError`` for anyone else.
    """
    body = parse_request_ref("governance.group.join_declined", value)
    request = await _open_request(scope, body.request)
    if request.member != scope.me:
        await require_convenor(scope, request.group, "declines a join request")


async def check_left(scope: Scope, value: Mapping[str, Any]) -> None:
    """A member leaves a working group they are in (a convenor too: the board then appoints).

    Raises ``NotFoundError`` for an unknown group or a signer not in it, ``ConflictError``
    for the assembly.
    """
    body = parse_leave(value)
    await _working_group(scope, body.group)
    if await store.membership(scope.conn, body.group, scope.me) is None:
        raise NotFoundError(f"{scope.me} is not in {body.group}")


async def check_role_set(scope: Scope, value: Mapping[str, Any]) -> None:
    """Set a member's role in a working group.

    A board member sets any role for any member who can sign (appointing a convenor makes
    the previous one an ordinary member; a non-member joins with the role). A convenor moves
    another member of the group between member and observer. Raises ``NotConvenorError``,
    ``NotAuthorisedError``, ``NotFoundError`` or ``ConflictError`` (the role is the same).
    """
    body = parse_role(value)
    await _working_group(scope, body.group)
    if not can_sign(scope.ctx.registry, body.member):
        raise NotFoundError(f"{body.member!r} is not a member who can sign")
    current = await store.membership(scope.conn, body.group, body.member)
    if current is not None and current.role == body.role:
        raise ConflictError(f"{body.member} is {body.role} of {body.group} already")
    if scope.signer.is_board:
        return
    if not await is_convenor(scope.conn, scope.ctx.registry, scope.me, body.group):
        raise NotAuthorisedError(f"only the convenor of {body.group} or the board sets roles")
    if body.role not in JOIN_ROLES or current is None or current.role == CONVENOR:
        raise NotAuthorisedError(
            "a convenor moves members of the group between member and observer; the board "
            "appoints convenors"
        )


# -- proposals: opening, ballots, closing and the decision -----------------------------


async def check_opened(scope: Scope, value: Mapping[str, Any]) -> None:
    """The group's convenor (or a board member) opens a proposal with frozen rules.

    Raises ``MalformedStatementError``/``ProposalRulesError`` for a bad body,
    ``NotFoundError`` for an unknown group, ``NotConvenorError``, ``VotingWindowError`` for a
    closing time already past, ``ElectorateMismatchError`` when the electorate is not the
    group's voting members now, ``TextMissingError`` for a body text never stored, and
    ``ConflictError``/``NotFoundError`` for an action that cannot follow (see ``_check_action``).
    """
    opening = parse_opening(value)
    await require_group(scope.conn, opening.group)
    await require_convenor(scope, opening.group, "opens a proposal")
    if opening.closes_at <= scope.ctx.now:
        raise VotingWindowError(f"closes_at {format_time(opening.closes_at)} has passed")
    expected = await electorate(scope.conn, scope.ctx.registry, opening.group)
    if list(opening.electorate) != expected:
        missing = sorted(set(expected) - set(opening.electorate))
        extra = sorted(set(opening.electorate) - set(expected))
        raise ElectorateMismatchError(
            f"the electorate of {opening.group} is {len(expected)} members now; the opening "
            f"lacks {missing} and wrongly lists {extra}"
        )
    await require_text(scope.conn, opening.body_sha256, "proposal body")
    await _check_action(scope, opening)


async def _check_action(scope: Scope, opening: Opening) -> None:
    action = opening.action
    if isinstance(action, AdoptTerms):
        current = await store.current_terms(scope.conn, action.group)
        expected = 1 if current is None else current.version + 1
        if action.version != expected:
            raise ConflictError(f"the next terms of reference version is {expected}")
        await require_text(scope.conn, action.sha256, "terms of reference")
    elif isinstance(action, AdoptRuleTable):
        table = await credit_store.rule_table(scope.conn)
        expected = 2 if table is None else table.version + 1
        if action.version != expected:
            raise ConflictError(f"the next credit rule table version is {expected}")
    elif isinstance(action, ElectConvenor):
        if not await _may_convene(scope, action):
            raise NotFoundError(f"{action.member} is not a voting member of {action.group}")
        return
    else:
        return
    live = await store.live_action(
        scope.conn,
        action_type=str(action_json(action)["type"]),
        group=opening.group,
        version=action.version,
    )
    if live is not None:
        raise ConflictError(f"proposal {live} already proposes version {action.version}")


OPEN_PROPOSALS = "governance.open_proposals"
"""``Context.scratch`` key: open proposals read in this batch, by seq (ballots come in bulk)."""


async def _open_proposal(scope: Scope, seq: int) -> ProposalRecord:
    cache: dict[int, ProposalRecord] = scope.ctx.scratch.setdefault(OPEN_PROPOSALS, {})
    record = cache.get(seq) or await load_proposal(scope.conn, seq)
    if record.status == OPEN:
        cache[seq] = record
    if record.status != OPEN:
        raise VotingWindowError(f"proposal {seq} was closed at entry {record.closed_by}")
    return record


async def check_cast(scope: Scope, value: Mapping[str, Any]) -> None:
    """A member of the frozen electorate votes while the proposal is open.

    Raises ``NotFoundError`` for an unknown proposal, ``VotingWindowError`` before opening,
    at or after the closing time, or once closed; ``ObserverError`` for an observer of the
    group and ``NotEligibleError`` for anyone else outside the electorate;
    ``MalformedStatementError`` for a plain ballot on a hidden proposal or a sealed one on an
    open count; ``BallotRefusedError`` for a plain ballot the method refuses (a block without
    a reason, an unknown option, a duplicate rank, a score out of range, dots over budget).
    """
    vote = parse_vote(value)
    record = await _open_proposal(scope, vote.proposal)
    opening = record.opening
    now = scope.ctx.now
    if now < opening.opens_at:
        raise VotingWindowError(f"voting opens at {format_time(opening.opens_at)}")
    if now >= opening.closes_at:
        raise VotingWindowError(f"voting closed at {format_time(opening.closes_at)}")
    if scope.me not in opening.electorate:
        await _refuse_outsider(scope, opening)
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


async def _refuse_outsider(scope: Scope, opening: Opening) -> None:
    if opening.group != ASSEMBLY:
        member = await store.membership(scope.conn, opening.group, scope.me)
        if member is not None and member.role == OBSERVER:
            raise ObserverError(f"{scope.me} observes {opening.group}; observers never vote")
    raise NotEligibleError(f"{scope.me} is not in the electorate frozen when this proposal opened")


async def check_closed(scope: Scope, value: Mapping[str, Any]) -> None:
    """The convenor (or a board member) closes an open proposal, for a reason that holds.

    ``closing_time``: the closing time has come. ``all_voted``: every elector has voted.
    ``early``: before the closing time, at the convenor's discretion. A hidden proposal's
    close publishes its private seal key. Raises ``NotConvenorError``,
    ``VotingWindowError``/``ConflictError`` when the reason does not hold or it is closed,
    ``MalformedStatementError``/``SealMismatchError`` for a missing, unexpected or wrong key.
    """
    close = parse_close(value)
    record = await _open_proposal(scope, close.proposal)
    opening = record.opening
    await require_convenor(scope, opening.group, "closes a proposal")
    at_time = scope.ctx.now >= opening.closes_at
    if close.reason == CLOSING_TIME and not at_time:
        raise VotingWindowError(f"the closing time is {format_time(opening.closes_at)}")
    if close.reason == EARLY and at_time:
        raise VotingWindowError("the closing time has passed: close with reason closing_time")
    if close.reason == ALL_VOTED:
        voted = await store.voter_count(scope.conn, record.seq)
        if voted < len(opening.electorate):
            raise ConflictError(f"{voted} of {len(opening.electorate)} electors have voted")
    if opening.seal_key is None:
        if close.seal_private_key is not None:
            raise MalformedStatementError("only a hidden proposal's close carries a seal key")
        return
    if close.seal_private_key is None:
        raise MalformedStatementError("a hidden proposal's close publishes its seal_private_key")
    check_key_pair(private_key=close.seal_private_key, public_key=opening.seal_key)


async def check_decided(scope: Scope, value: Mapping[str, Any]) -> None:
    """The convenor (or a board member) records the decision on a closed proposal.

    The tally is recomputed from the logged ballots; the decision must record the same result
    and transcript hash. Raises ``NotFoundError``, ``ConflictError`` (not closed, or decided
    already; a review date not after today), ``NotConvenorError``, ``TextMissingError`` for an
    outcome statement never stored, ``TallyMismatchError``.
    """
    decision = parse_decision(value)
    record = await load_proposal(scope.conn, decision.proposal)
    if record.status != CLOSED:
        raise ConflictError(f"proposal {record.seq} is {record.status}: a decision follows close")
    await require_convenor(scope, record.group, "records a decision")
    if decision.review_on <= scope.ctx.now.date():
        raise ConflictError("review_on must be a date after today")
    await require_text(scope.conn, decision.statement_sha256, "outcome statement")
    try:
        count = await count_of(scope.conn, record)
    except GovernanceError as e:  # e.g. an algorithm version this code no longer runs
        raise ConflictError(f"proposal {record.seq} cannot be counted here: {e}") from e
    if count.result != decision.result or count.transcript_sha256 != decision.transcript_sha256:
        raise TallyMismatchError(
            f"the recount of proposal {record.seq} gives {count.result.to_json()} with "
            f"transcript {count.transcript_sha256}; the decision records "
            f"{decision.result.to_json()} with transcript {decision.transcript_sha256}"
        )
    action = record.opening.action
    if count.tally.passed and isinstance(action, ElectConvenor):
        if not await _may_convene(scope, action):
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
