"""Checks of rule tables, session registers, claims, declines and awards.

Each check reads the state its rule depends on into a frozen value (``ClaimState``,
``SessionState``, ``AdoptionState``, ``DeclineState``, ``AwardState``), the gates' answers
included, and hands it to a pure rule (``claim_rule``, ``session_rule``, ...) that raises the
refusal; none writes. A gate's refusal (a group it does not know) is kept in the state and
raised by the rule in its place among the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ledger.credits import store
from ledger.credits.bodies import (
    AwardBody,
    ClaimBody,
    DeclineBody,
    SessionBody,
    parse_award,
    parse_claim,
    parse_decline,
    parse_session,
)
from ledger.credits.errors import (
    AlreadyAwardedError,
    ClaimClosedError,
    DecisionRequiredError,
    DuplicateEvidenceError,
    NotAMemberError,
    OutOfWindowError,
    SelfApprovalError,
    WrongAmountError,
    WrongRouteError,
)
from ledger.credits.gates import BoardConvenors, ConvenorGate, DecisionGate, NoDecisions
from ledger.credits.records import AWARDED, DECLINED, Basis, ClaimRecord, SessionRecord
from ledger.credits.rules import (
    BOARD,
    CONVENOR,
    COUNTERPARTY,
    ORGANISER,
    Cap,
    Rule,
    RuleTable,
    caps_for,
    check_caps,
    month_of,
    parse_rule_table,
)
from ledger.errors import ConflictError, NotAuthorisedError, NotFoundError
from ledger.members import MemberRecord
from ledger.sequencer import Context
from ledger.sql import Connection


@dataclass(frozen=True)
class Policy:
    """The gates governance provides and the time limits of the credit rules."""

    decisions: DecisionGate = field(default_factory=NoDecisions)
    convenors: ConvenorGate = field(default_factory=BoardConvenors)
    claim_window: timedelta = timedelta(days=90)
    dispute_window: timedelta = timedelta(days=14)


@dataclass(frozen=True)
class Scope:
    """One statement being checked: its context, SQL connection, signer and the policy."""

    ctx: Context
    conn: Connection
    signer: MemberRecord
    policy: Policy

    @property
    def me(self) -> str:
        """The signer's member id."""
        return self.signer.member


async def caps_of(scope: Scope, *, table: RuleTable, rule: Rule, basis: Basis) -> list[Cap]:
    """The caps of ``table`` that a new award to ``basis.member`` counts against, with the
    credits already used under each (``caps.check_caps`` refuses an award over one)."""
    month = month_of(basis.day)
    used = await store.usage(
        scope.conn,
        member=basis.member,
        activity=rule.activity,
        month=month,
        counterparty=basis.counterparty,
        bid=basis.bid,
    )
    return caps_for(
        rule=rule,
        monthly_cap=table.monthly_cap_per_member,
        usage=used,
        member=basis.member,
        month=month,
        counterparty=basis.counterparty,
        bid=basis.bid,
    )


@dataclass(frozen=True)
class AdoptionState:
    """What adopting a rule table is checked against: the version in force (``None`` before
    any) and whether the decision the table names passed adopting exactly that table."""

    current: int | None
    decided: bool


def adoption_rule(state: AdoptionState, table: RuleTable, signer: MemberRecord) -> None:
    """A board member adopts the next version: v1 without a decision, later ones with one.

    Raises ``NotAuthorisedError`` for a signer off the board, ``ConflictError`` for a version
    out of order or a v1 naming a decision, ``DecisionRequiredError`` when the decision gate
    does not confirm a passed decision adopting exactly this table.
    """
    if not signer.is_board:
        raise NotAuthorisedError("only a board member (steward) adopts a rule table")
    expected = 1 if state.current is None else state.current + 1
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
    if not state.decided:
        raise DecisionRequiredError(
            f"entry {table.decision} is not a passed decision adopting rule table version "
            f"{table.version} (digest {table.digest()})"
        )


async def check_rules_adopted(scope: Scope, value: Mapping[str, Any]) -> None:
    """``adoption_rule`` on the table in force and the decision gate's answer."""
    table = parse_rule_table(value)
    current = await store.rule_table(scope.conn)
    decided = False
    if table.version > 1 and table.decision is not None:
        gate = scope.policy.decisions
        decided = await gate.passed_rule_table_decision(
            scope.ctx, table.decision, table.version, table.digest()
        )
    state = AdoptionState(None if current is None else current.version, decided)
    adoption_rule(state, table, scope.signer)


async def _group_refusal(scope: Scope, group: str | None) -> NotFoundError | None:
    """The convenor gate's refusal of a claim or register naming ``group`` (``None``: it may)."""
    if group is None:
        return None
    try:
        await scope.policy.convenors.require_group(scope.ctx, group)
    except NotFoundError as e:
        return e
    return None


def _activity_date(state: DatedState, day: date, name: str) -> None:
    """Refuse an activity date after the log's date or more than the claim window before it.

    Raises ``OutOfWindowError``.
    """
    if day > state.today:
        raise OutOfWindowError(f"{name} {day} is after today ({state.today})")
    if state.today - day > state.window:
        raise OutOfWindowError(
            f"{name} {day} is more than {state.window.days} days before today "
            f"({state.today}); claims and registers must be made within that time"
        )


@dataclass(frozen=True)
class DatedState:
    """What every claim or register is checked against: the rule of its activity in the
    table in force, the log's date and the claim window, the members among those it names,
    and the convenor gate's refusal of the group it names (``None``: none, or it may)."""

    rule: Rule
    today: date
    window: timedelta
    members: frozenset[str]
    group_refusal: NotFoundError | None


async def _dated_state(
    scope: Scope, activity: str, group: str | None, named: set[str]
) -> DatedState:
    rule = (await store.cached_rule_table(scope.ctx, scope.conn)).rule(activity)
    members = frozenset(m for m in named if m in scope.ctx.registry.members)
    return DatedState(
        rule,
        scope.ctx.now.date(),
        scope.policy.claim_window,
        members,
        await _group_refusal(scope, group),
    )


def _require_member(state: DatedState, member: str, what: str) -> None:
    if member not in state.members:
        raise NotAMemberError(f"{what} {member!r} is not a member")


@dataclass(frozen=True)
class SessionState(DatedState):
    """A register's state, and whether the signer convenes the group it names."""

    convenes: bool = False


def session_rule(state: SessionState, session: SessionBody, signer: MemberRecord) -> None:
    """A convenor (or board member) records who attended a session of an organiser activity.

    Raises ``WrongRouteError`` for an activity that is claimed instead, ``OutOfWindowError``
    for a date out of range, ``SelfApprovalError`` if the organiser is on the register,
    ``NotFoundError`` for a group the gate refuses, ``NotAuthorisedError`` for a signer who
    does not convene the group, ``NotAMemberError`` for an attendee who is not a member.
    """
    rule = state.rule
    if rule.approver != ORGANISER:
        raise WrongRouteError(
            f"{rule.activity} is approved by the {rule.approver}: it is claimed, not recorded "
            "in a session register"
        )
    _activity_date(state, session.held_on, "held_on")
    if signer.member in session.attendees:
        raise SelfApprovalError("an organiser may not put themself on their own register")
    if state.group_refusal is not None:
        raise state.group_refusal
    if not state.convenes:
        raise NotAuthorisedError(
            f"only a convenor of {session.group or 'a working group'} or a board member "
            "records a session register"
        )
    for attendee in session.attendees:
        _require_member(state, attendee, "attendee")


async def check_session(scope: Scope, value: Mapping[str, Any]) -> None:
    """``session_rule`` on the rule in force, the gate's answers and the attendees."""
    session = parse_session(value)
    dated = await _dated_state(scope, session.activity, session.group, set(session.attendees))
    convenes = await scope.policy.convenors.is_convenor(scope.ctx, scope.me, session.group)
    session_rule(SessionState(**vars(dated), convenes=convenes), session, scope.signer)


@dataclass(frozen=True)
class ClaimState(DatedState):
    """A claim's state, the claim its evidence was used for already (``None``: none), and
    the caps a claim of it counts against."""

    earlier: int | None = None
    caps: tuple[Cap, ...] = ()


def claim_rule(state: ClaimState, claim: ClaimBody, signer: MemberRecord) -> None:
    """A member claims for an activity of the rule table in force.

    Raises ``WrongRouteError`` for an organiser activity or a missing or unexpected
    counterparty or bid, ``OutOfWindowError``, ``SelfApprovalError``/``NotAMemberError`` for a
    bad counterparty, ``NotFoundError`` for a group the gate refuses,
    ``DuplicateEvidenceError`` for reused evidence, ``OverCapError`` for a claim over a cap.
    """
    rule = state.rule
    if rule.approver == ORGANISER:
        raise WrongRouteError(
            f"{rule.activity} is recorded by the organiser in a session register, not claimed"
        )
    _activity_date(state, claim.done_on, "done_on")
    needs_counterparty = rule.approver == COUNTERPARTY or rule.caps.per_pair_month is not None
    if claim.counterparty is None and needs_counterparty:
        raise WrongRouteError(f"a claim for {rule.activity} names the counterparty who confirms")
    if claim.counterparty is not None:
        if claim.counterparty == signer.member:
            raise SelfApprovalError("no one is their own counterparty")
        _require_member(state, claim.counterparty, "counterparty")
    if rule.caps.per_bid is not None and claim.bid is None:
        raise WrongRouteError(f"a claim for {rule.activity} names the bid")
    if rule.caps.per_bid is None and claim.bid is not None:
        raise WrongRouteError(f"{rule.activity} is not claimed per bid; leave bid out")
    if state.group_refusal is not None:
        raise state.group_refusal
    if state.earlier is not None:
        raise DuplicateEvidenceError(f"this evidence was already used for claim {state.earlier}")
    check_caps(list(state.caps), rule.amount(claim.quantity))


async def check_claim(scope: Scope, value: Mapping[str, Any]) -> None:
    """``claim_rule`` on the rule in force, the gate's answer, the evidence and the caps
    (raises ``UnknownActivityError`` for an activity the table does not have)."""
    claim = parse_claim(value)
    named = set() if claim.counterparty is None else {claim.counterparty}
    dated = await _dated_state(scope, claim.activity, claim.group, named)
    table = await store.cached_rule_table(scope.ctx, scope.conn)
    basis = Basis(
        kind="claim",
        seq=-1,
        member=scope.me,
        activity=dated.rule.activity,
        rule_version=table.version,
        quantity=claim.quantity,
        day=claim.done_on,
        counterparty=claim.counterparty,
        bid=claim.bid,
        group=claim.group,
    )
    state = ClaimState(
        **vars(dated),
        earlier=await store.evidence_in_use(scope.conn, scope.me, claim.evidence_sha256),
        caps=tuple(await caps_of(scope, table=table, rule=dated.rule, basis=basis)),
    )
    claim_rule(state, claim, scope.signer)


def _require_approver(rule: Rule, claim: ClaimRecord, signer: MemberRecord, convenes: bool) -> None:
    """Raise ``NotAuthorisedError`` unless ``signer`` may approve ``claim`` under ``rule``
    (``convenes``: the gate's answer whether they convene the claim's group)."""
    if rule.approver == COUNTERPARTY and signer.member != claim.counterparty:
        raise NotAuthorisedError(f"only the counterparty, {claim.counterparty}, confirms this")
    if rule.approver == CONVENOR and not convenes:
        raise NotAuthorisedError(
            f"only a convenor of {claim.group or 'a working group'} or a board member approves"
        )
    if rule.approver == BOARD and not signer.is_board:
        raise NotAuthorisedError("only a board member approves this activity")


async def _convenes(scope: Scope, rule: Rule, claim: ClaimRecord) -> bool:
    """The convenor gate's answer, asked only of a rule a convenor approves under."""
    if rule.approver != CONVENOR:
        return False
    return await scope.policy.convenors.is_convenor(scope.ctx, scope.me, claim.group)


def _open_claim(seq: int, claim: ClaimRecord | None) -> ClaimRecord:
    if claim is None:
        raise NotFoundError(f"there is no claim at entry {seq}")
    if claim.status == AWARDED:
        raise AlreadyAwardedError(f"claim {seq} was awarded at entry {claim.closed_by}")
    if claim.status == DECLINED:
        raise ClaimClosedError(f"claim {seq} was closed at entry {claim.closed_by}")
    return claim


@dataclass(frozen=True)
class DeclineState:
    """What declining claim ``seq`` is checked against: the claim (``None`` if there is
    none), the rule it was made under and whether the signer convenes its group."""

    seq: int
    claim: ClaimRecord | None
    rule: Rule | None = None
    convenes: bool = False


def decline_rule(state: DeclineState, decline: DeclineBody, signer: MemberRecord) -> None:
    """An approver declines an open claim, or the claimant withdraws it.

    Raises ``NotFoundError``, ``AlreadyAwardedError``/``ClaimClosedError`` for a closed claim,
    ``NotAuthorisedError`` for anyone else or a reason that is not theirs to give.
    """
    claim = _open_claim(state.seq, state.claim)
    if signer.member == claim.member:
        if decline.reason != "withdrawn":
            raise NotAuthorisedError("a claimant can only withdraw their own claim")
        return
    if decline.reason == "withdrawn":
        raise NotAuthorisedError("only the claimant withdraws a claim")
    if state.rule is not None:
        _require_approver(state.rule, claim, signer, state.convenes)


async def check_decline(scope: Scope, value: Mapping[str, Any]) -> None:
    """``decline_rule`` on the claim, its rule and the convenor gate's answer."""
    decline = parse_decline(value)
    claim = await store.claim(scope.conn, decline.claim)
    state = DeclineState(decline.claim, claim)
    if claim is not None:
        table = await store.cached_rule_table(scope.ctx, scope.conn, claim.rule_version)
        rule = table.rule(claim.activity)
        state = DeclineState(decline.claim, claim, rule, await _convenes(scope, rule, claim))
    decline_rule(state, decline, scope.signer)


@dataclass(frozen=True)
class AwardState:
    """What an award is checked against: its basis (``None`` if the claim or session it
    names is missing) and the rule of the basis's version; the claim, or the session and
    any earlier award to the member for it; whether the signer convenes the claim's group;
    the caps the award counts against."""

    basis: Basis | None
    rule: Rule | None = None
    claim: ClaimRecord | None = None
    session: SessionRecord | None = None
    earlier: int | None = None
    convenes: bool = False
    caps: tuple[Cap, ...] = ()


def award_rule(state: AwardState, award: AwardBody, signer: MemberRecord) -> None:
    """The approver the rule names awards credits on a claim or a session register.

    Raises ``NotFoundError`` for a missing basis or an attendee not on the register,
    ``AlreadyAwardedError``/``ClaimClosedError``, ``SelfApprovalError``,
    ``NotAuthorisedError`` for a signer who is not the approver, ``WrongAmountError`` when the
    award does not match its basis and rule, ``OverCapError``.
    """
    basis, rule = state.basis, state.rule
    if basis is None or rule is None:
        raise NotFoundError(f"there is no {award.basis} at entry {award.basis_seq}")
    if award.member == signer.member:
        raise SelfApprovalError("no one confirms, approves or awards their own credits")
    if basis.kind == "claim":
        claim = _open_claim(award.basis_seq, state.claim)
        if award.member != claim.member:
            raise WrongAmountError(
                f"claim {claim.seq} was made by {claim.member}, not {award.member}"
            )
        _require_approver(rule, claim, signer, state.convenes)
    else:
        _session_award_rule(state, award, signer)
    _match(award, basis, rule)
    check_caps(list(state.caps), award.credits)


def _session_award_rule(state: AwardState, award: AwardBody, signer: MemberRecord) -> None:
    session = state.session
    if session is None:  # the basis was found; kept for the type checker
        raise NotFoundError(f"there is no session at entry {award.basis_seq}")
    if signer.member != session.organiser:
        raise NotAuthorisedError(f"only {session.organiser}, who recorded the register, awards it")
    if award.member not in session.attendees:
        raise NotFoundError(f"{award.member} is not on the register of session {session.seq}")
    if state.earlier is not None:
        raise AlreadyAwardedError(
            f"{award.member} was awarded for this session at entry {state.earlier}"
        )


async def check_award(scope: Scope, value: Mapping[str, Any]) -> None:
    """``award_rule`` on the award's basis, its rule, the claim or session, the convenor
    gate's answer and the caps."""
    award = parse_award(value)
    basis = await store.load_basis(scope.conn, award)
    state = AwardState(None) if basis is None else await _award_state(scope, award, basis)
    award_rule(state, award, scope.signer)


async def _award_state(scope: Scope, award: AwardBody, basis: Basis) -> AwardState:
    table = await store.cached_rule_table(scope.ctx, scope.conn, basis.rule_version)
    rule = table.rule(basis.activity)
    caps = tuple(await caps_of(scope, table=table, rule=rule, basis=basis))
    if basis.kind == "claim":
        claim = await store.claim(scope.conn, basis.seq)
        convenes = claim is not None and await _convenes(scope, rule, claim)
        return AwardState(basis, rule, claim=claim, convenes=convenes, caps=caps)
    session = await store.session(scope.conn, basis.seq)
    earlier = await store.award_for_basis(scope.conn, "session", basis.seq, award.member)
    return AwardState(basis, rule, session=session, earlier=earlier, caps=caps)


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
