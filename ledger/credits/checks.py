"""Checks of rule tables, session registers, claims, declines and awards.

Each check reads the projections and raises; none writes. The signer is ``scope.me``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.credits import store
from ledger.credits.bodies import (
    AwardBody,
    ClaimBody,
    parse_award,
    parse_claim,
    parse_decline,
    parse_session,
)
from ledger.credits.caps import check_caps
from ledger.credits.errors import (
    AlreadyAwardedError,
    ClaimClosedError,
    DecisionRequiredError,
    DuplicateEvidenceError,
    NotAMemberError,
    SelfApprovalError,
    WrongAmountError,
    WrongRouteError,
)
from ledger.credits.records import AWARDED, DECLINED, ClaimRecord
from ledger.credits.rules import (
    BOARD,
    CONVENOR,
    COUNTERPARTY,
    ORGANISER,
    Rule,
    parse_rule_table,
)
from ledger.credits.scope import (
    Basis,
    Scope,
    caps_of,
    check_activity_date,
    load_basis,
    rule_table,
)
from ledger.errors import ConflictError, NotAuthorisedError, NotFoundError


async def check_rules_adopted(scope: Scope, value: Mapping[str, Any]) -> None:
    """A board member adopts the next version: v1 without a decision, later ones with one.

    Raises ``NotAuthorisedError`` for a signer off the board, ``ConflictError`` for a version
    out of order or a v1 naming a decision, ``DecisionRequiredError`` when the decision gate
    does not confirm a passed decision adopting exactly this table.
    """
    table = parse_rule_table(value)
    if not scope.signer.is_board:
        raise NotAuthorisedError("only a board member (steward) adopts a rule table")
    current = await store.rule_table(scope.conn)
    expected = 1 if current is None else current.version + 1
    if table.version != expected:
        raise ConflictError(f"the next rule table version is {expected}, not {table.version}")
    if table.version == 1:
        if table.decision is not None:
            raise ConflictError("version 1 is adopted at init, without a decision")
        return
    if table.decision is None:
        raise DecisionRequiredError(
            f"rule table version {table.version} needs a passed governance decision"
        )
    gate = scope.policy.decisions
    if not await gate.passed_rule_table_decision(
        scope.ctx, table.decision, table.version, table.digest()
    ):
        raise DecisionRequiredError(
            f"entry {table.decision} is not a passed decision adopting rule table version "
            f"{table.version} (digest {table.digest()})"
        )


def _require_member(scope: Scope, member: str, what: str) -> None:
    if member not in scope.ctx.registry.members:
        raise NotAMemberError(f"{what} {member!r} is not a member")


async def check_session(scope: Scope, value: Mapping[str, Any]) -> None:
    """A convenor (or board member) records who attended a session of an organiser activity.

    Raises ``WrongRouteError`` for an activity that is claimed instead, ``OutOfWindowError``
    for a date out of range, ``SelfApprovalError`` if the organiser is on the register,
    ``NotAuthorisedError`` for a signer who does not convene the group, ``NotAMemberError``
    for an attendee who is not a member.
    """
    session = parse_session(value)
    rule = (await rule_table(scope.ctx, scope.conn)).rule(session.activity)
    if rule.approver != ORGANISER:
        raise WrongRouteError(
            f"{rule.activity} is approved by the {rule.approver}: it is claimed, not recorded "
            "in a session register"
        )
    check_activity_date(scope, session.held_on, "held_on")
    if scope.me in session.attendees:
        raise SelfApprovalError("an organiser may not put themself on their own register")
    if session.group is not None:
        await scope.policy.convenors.require_group(scope.ctx, session.group)
    if not await scope.policy.convenors.is_convenor(scope.ctx, scope.me, session.group):
        raise NotAuthorisedError(
            f"only a convenor of {session.group or 'a working group'} or a board member "
            "records a session register"
        )
    for attendee in session.attendees:
        _require_member(scope, attendee, "attendee")


async def check_claim(scope: Scope, value: Mapping[str, Any]) -> None:
    """A member claims for an activity of the rule table in force.

    Raises ``UnknownActivityError``, ``WrongRouteError`` for an organiser activity or a
    missing or unexpected counterparty or bid, ``OutOfWindowError``,
    ``SelfApprovalError``/``NotAMemberError`` for a bad counterparty,
    ``DuplicateEvidenceError`` for reused evidence, ``OverCapError`` for a claim over a cap.
    """
    claim = parse_claim(value)
    table = await rule_table(scope.ctx, scope.conn)
    rule = table.rule(claim.activity)
    if rule.approver == ORGANISER:
        raise WrongRouteError(
            f"{rule.activity} is recorded by the organiser in a session register, not claimed"
        )
    check_activity_date(scope, claim.done_on, "done_on")
    _check_claim_parties(scope, rule, claim)
    if claim.group is not None:
        await scope.policy.convenors.require_group(scope.ctx, claim.group)
    earlier = await store.evidence_in_use(scope.conn, scope.me, claim.evidence_sha256)
    if earlier is not None:
        raise DuplicateEvidenceError(f"this evidence was already used for claim {earlier}")
    basis = Basis(
        kind="claim",
        seq=-1,
        member=scope.me,
        activity=rule.activity,
        rule_version=table.version,
        quantity=claim.quantity,
        day=claim.done_on,
        counterparty=claim.counterparty,
        bid=claim.bid,
        group=claim.group,
    )
    check_caps(
        await caps_of(scope, table=table, rule=rule, basis=basis), rule.amount(claim.quantity)
    )


def _check_claim_parties(scope: Scope, rule: Rule, claim: ClaimBody) -> None:
    needs_counterparty = rule.approver == COUNTERPARTY or rule.caps.per_pair_month is not None
    if claim.counterparty is None and needs_counterparty:
        raise WrongRouteError(f"a claim for {rule.activity} names the counterparty who confirms")
    if claim.counterparty is not None:
        if claim.counterparty == scope.me:
            raise SelfApprovalError("no one is their own counterparty")
        _require_member(scope, claim.counterparty, "counterparty")
    if rule.caps.per_bid is not None and claim.bid is None:
        raise WrongRouteError(f"a claim for {rule.activity} names the bid")
    if rule.caps.per_bid is None and claim.bid is not None:
        raise WrongRouteError(f"{rule.activity} is not claimed per bid; leave bid out")


async def _require_approver(scope: Scope, rule: Rule, claim: ClaimRecord) -> None:
    """Raise ``NotAuthorisedError`` unless the signer may approve ``claim`` under ``rule``."""
    if rule.approver == COUNTERPARTY and scope.me != claim.counterparty:
        raise NotAuthorisedError(f"only the counterparty, {claim.counterparty}, confirms this")
    if rule.approver == CONVENOR and not await scope.policy.convenors.is_convenor(
        scope.ctx, scope.me, claim.group
    ):
        raise NotAuthorisedError(
            f"only a convenor of {claim.group or 'a working group'} or a board member approves"
        )
    if rule.approver == BOARD and not scope.signer.is_board:
        raise NotAuthorisedError("only a board member approves this activity")


async def _open_claim(scope: Scope, seq: int) -> ClaimRecord:
    claim = await store.claim(scope.conn, seq)
    if claim is None:
        raise NotFoundError(f"there is no claim at entry {seq}")
    if claim.status == AWARDED:
        raise AlreadyAwardedError(f"claim {seq} was awarded at entry {claim.closed_by}")
    if claim.status == DECLINED:
        raise ClaimClosedError(f"claim {seq} was closed at entry {claim.closed_by}")
    return claim


async def check_decline(scope: Scope, value: Mapping[str, Any]) -> None:
    """An approver declines an open claim, or the claimant withdraws it.

    Raises ``NotFoundError``, ``AlreadyAwardedError``/``ClaimClosedError`` for a closed claim,
    ``NotAuthorisedError`` for anyone else or a reason that is not theirs to give.
    """
    decline = parse_decline(value)
    claim = await _open_claim(scope, decline.claim)
    if scope.me == claim.member:
        if decline.reason != "withdrawn":
            raise NotAuthorisedError("a claimant can only withdraw their own claim")
        return
    if decline.reason == "withdrawn":
        raise NotAuthorisedError("only the claimant withdraws a claim")
    rule = (await rule_table(scope.ctx, scope.conn, claim.rule_version)).rule(claim.activity)
    await _require_approver(scope, rule, claim)


async def check_award(scope: Scope, value: Mapping[str, Any]) -> None:
    """The approver the rule names awards credits on a claim or a session register.

    Raises ``NotFoundError`` for a missing basis or an attendee not on the register,
    ``AlreadyAwardedError``/``ClaimClosedError``, ``SelfApprovalError``,
    ``NotAuthorisedError`` for a signer who is not the approver, ``WrongAmountError`` when the
    award does not match its basis and rule, ``OverCapError``.
    """
    award = parse_award(value)
    basis = await load_basis(scope.conn, award)
    if basis is None:
        raise NotFoundError(f"there is no {award.basis} at entry {award.basis_seq}")
    if award.member == scope.me:
        raise SelfApprovalError("no one confirms, approves or awards their own credits")
    table = await rule_table(scope.ctx, scope.conn, basis.rule_version)
    rule = table.rule(basis.activity)
    if basis.kind == "claim":
        await _check_claim_award(scope, rule, award)
    else:
        await _check_session_award(scope, award)
    _match(award, basis, rule)
    check_caps(await caps_of(scope, table=table, rule=rule, basis=basis), award.credits)


async def _check_claim_award(scope: Scope, rule: Rule, award: AwardBody) -> None:
    claim = await _open_claim(scope, award.basis_seq)
    if award.member != claim.member:
        raise WrongAmountError(f"claim {claim.seq} was made by {claim.member}, not {award.member}")
    await _require_approver(scope, rule, claim)


async def _check_session_award(scope: Scope, award: AwardBody) -> None:
    session = await store.session(scope.conn, award.basis_seq)
    if session is None:  # load_basis found it; kept for the type checker
        raise NotFoundError(f"there is no session at entry {award.basis_seq}")
    if scope.me != session.organiser:
        raise NotAuthorisedError(f"only {session.organiser}, who recorded the register, awards it")
    if award.member not in session.attendees:
        raise NotFoundError(f"{award.member} is not on the register of session {session.seq}")
    earlier = await store.award_for_basis(scope.conn, "session", session.seq, award.member)
    if earlier is not None:
        raise AlreadyAwardedError(f"{award.member} was awarded for this session at entry {earlier}")


def _match(award: AwardBody, basis: Basis, rule: Rule) -> None:
    """Raise ``WrongAmountError`` unless the award repeats its basis and the rule's amount."""
    expected = {
        "activity": basis.activity,
        "rule_version": basis.rule_version,
        "quantity": basis.quantity,
        "credits": rule.amount(basis.quantity),
    }
    for name, value in expected.items():
        if getattr(award, name) != value:
            raise WrongAmountError(
                f"award {name} must be {value} (rule version {basis.rule_version}: "
                f"{rule.credits} credits x {basis.quantity}), not {getattr(award, name)}"
            )
