"""Checks of reversals, adjustments, disputes and rulings on disputes.

A correction is signed by a "second signer": a board member who is neither the award's
approver nor its recipient. Disputes are open to the recipient and the claim's counterparty
for a fixed window after the award was logged.

Each check reads the state it needs into a frozen dataclass, then a pure rule
(``reversal_rule``, ``adjustment_rule``, ``dispute_rule``, ``resolution_rule``) raises the
refusal from that state, the body and the signer alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ledger.credits import store
from ledger.credits.bodies import (
    AdjustmentBody,
    DisputeBody,
    ResolutionBody,
    ReversalBody,
    parse_adjustment,
    parse_dispute,
    parse_resolution,
    parse_reversal,
)
from ledger.credits.checks import Scope, caps_of
from ledger.credits.errors import (
    AlreadyReversedError,
    OutOfWindowError,
    SecondSignerError,
    WrongAmountError,
)
from ledger.credits.records import AwardRecord, Basis, DisputeRecord
from ledger.credits.rules import Cap, check_caps
from ledger.encoding import format_time, parse_time
from ledger.errors import ConflictError, NotAuthorisedError, NotFoundError
from ledger.members import MemberRecord


@dataclass(frozen=True)
class CorrectionState:
    """What a reversal or adjustment of award ``seq`` is checked against: the award (``None``
    if there is none), its disputes when the reason is an upheld dispute, and the caps an
    increase counts against."""

    seq: int
    award: AwardRecord | None
    disputes: tuple[DisputeRecord, ...] = ()
    caps: tuple[Cap, ...] = ()


@dataclass(frozen=True)
class DisputeState:
    """What a dispute of award ``seq`` is checked against: the award, its disputes, the
    log's time and how long an award may be disputed."""

    seq: int
    award: AwardRecord | None
    disputes: tuple[DisputeRecord, ...]
    now: datetime
    window: timedelta


@dataclass(frozen=True)
class ResolutionState:
    """What a ruling on dispute ``seq`` is checked against: the dispute and its award."""

    seq: int
    dispute: DisputeRecord | None
    award: AwardRecord | None


async def _correction_state(
    scope: Scope, correction: ReversalBody | AdjustmentBody, *, increase: bool
) -> CorrectionState:
    award = await store.award(scope.conn, correction.award)
    if award is None:
        return CorrectionState(correction.award, None)
    disputes: tuple[DisputeRecord, ...] = ()
    if correction.reason == "dispute_upheld":
        disputes = tuple(await store.disputes_of(scope.conn, award.seq))
    caps: tuple[Cap, ...] = ()
    if increase:
        table = await store.cached_rule_table(scope.ctx, scope.conn, award.rule_version)
        basis = Basis(
            kind=award.basis,
            seq=award.basis_seq,
            member=award.member,
            activity=award.activity,
            rule_version=award.rule_version,
            quantity=award.quantity,
            day=award.activity_on,
            counterparty=award.counterparty,
            bid=award.bid,
            group=award.group,
        )
        rule = table.rule(award.activity)
        caps = tuple(await caps_of(scope, table=table, rule=rule, basis=basis))
    return CorrectionState(award.seq, award, disputes, caps)


def _award(seq: int, award: AwardRecord | None) -> AwardRecord:
    if award is None:
        raise NotFoundError(f"there is no award at entry {seq}")
    return award


def _correctable(state: CorrectionState, signer: MemberRecord) -> AwardRecord:
    """The award if ``signer`` may correct it and it is not reversed."""
    award = _award(state.seq, state.award)
    if not signer.is_board:
        raise NotAuthorisedError("only a board member reverses or adjusts an award")
    if signer.member in (award.approver, award.member):
        raise SecondSignerError(
            f"award {award.seq} went to {award.member}, approved by {award.approver}: a "
            "correction needs a board member who is neither"
        )
    if award.reversed_by is not None:
        raise AlreadyReversedError(f"award {award.seq} was reversed at entry {award.reversed_by}")
    return award


def _require_upheld_dispute(state: CorrectionState, award: AwardRecord) -> None:
    if not any(d.outcome == "upheld" for d in state.disputes):
        raise ConflictError(f"award {award.seq} has no upheld dispute")


def reversal_rule(state: CorrectionState, reversal: ReversalBody, signer: MemberRecord) -> None:
    """A second signer takes back what remains of an award, once.

    Raises ``NotFoundError``, ``NotAuthorisedError``/``SecondSignerError`` for the wrong
    signer, ``AlreadyReversedError``, ``ConflictError`` when nothing remains or the reason is
    ``dispute_upheld`` without an upheld dispute, ``WrongAmountError`` for any other amount.
    """
    award = _correctable(state, signer)
    if award.net == 0:
        raise ConflictError(f"nothing remains of award {award.seq} to reverse")
    if reversal.credits != award.net:
        raise WrongAmountError(
            f"a reversal takes back what remains of award {award.seq}: {award.net} credits"
        )
    if reversal.reason == "dispute_upheld":
        _require_upheld_dispute(state, award)


def adjustment_rule(
    state: CorrectionState, adjustment: AdjustmentBody, signer: MemberRecord
) -> None:
    """A second signer changes an award by a difference that keeps it at 0 or more.

    Raises as ``reversal_rule`` does, ``WrongAmountError`` below 0, and ``OverCapError`` when
    an increase would pass a cap of the award's rule version.
    """
    award = _correctable(state, signer)
    if award.net + adjustment.credits < 0:
        raise WrongAmountError(
            f"award {award.seq} stands at {award.net} credits; an adjustment of "
            f"{adjustment.credits} would take it below 0"
        )
    if adjustment.reason == "dispute_upheld":
        _require_upheld_dispute(state, award)
    if adjustment.credits > 0:
        check_caps(list(state.caps), adjustment.credits)


def dispute_rule(state: DisputeState, dispute: DisputeBody, signer: MemberRecord) -> None:
    """The recipient or the claim's counterparty disputes an award within the window.

    Raises ``NotFoundError``, ``NotAuthorisedError`` for anyone else, ``AlreadyReversedError``,
    ``OutOfWindowError`` after the window, ``ConflictError`` while a dispute is open.
    """
    award = _award(state.seq, state.award)
    if signer.member not in (award.member, award.counterparty):
        raise NotAuthorisedError("only the recipient or the claim's counterparty disputes an award")
    if award.reversed_by is not None:
        raise AlreadyReversedError(f"award {award.seq} was reversed at entry {award.reversed_by}")
    closes = parse_time(award.logged_at) + state.window
    if state.now > closes:
        raise OutOfWindowError(
            f"award {award.seq} could be disputed until {format_time(closes)} "
            f"({state.window.days} days after it was logged)"
        )
    for earlier in state.disputes:
        if earlier.resolved_by is None:
            raise ConflictError(f"award {award.seq} has an open dispute at entry {earlier.seq}")


def resolution_rule(
    state: ResolutionState, resolution: ResolutionBody, signer: MemberRecord
) -> None:
    """A board member who is not a party rules on an open dispute.

    Raises ``NotFoundError``, ``ConflictError`` for a dispute already ruled on,
    ``NotAuthorisedError`` off the board, ``SecondSignerError`` for a party (recipient,
    approver, counterparty or disputer).
    """
    dispute = state.dispute
    if dispute is None:
        raise NotFoundError(f"there is no dispute at entry {state.seq}")
    if dispute.resolved_by is not None:
        raise ConflictError(f"dispute {dispute.seq} was resolved at entry {dispute.resolved_by}")
    if not signer.is_board:
        raise NotAuthorisedError("only a board member rules on a dispute")
    award = _award(dispute.award, state.award)
    parties = {award.member, award.approver, award.counterparty, dispute.disputer}
    if signer.member in parties:
        raise SecondSignerError("a dispute is ruled on by a board member who is not a party")


async def check_reversal(scope: Scope, value: Mapping[str, Any]) -> None:
    """``reversal_rule`` on the award the reversal names."""
    reversal = parse_reversal(value)
    state = await _correction_state(scope, reversal, increase=False)
    reversal_rule(state, reversal, scope.signer)


async def check_adjustment(scope: Scope, value: Mapping[str, Any]) -> None:
    """``adjustment_rule`` on the award the adjustment names."""
    adjustment = parse_adjustment(value)
    state = await _correction_state(scope, adjustment, increase=adjustment.credits > 0)
    adjustment_rule(state, adjustment, scope.signer)


async def check_dispute(scope: Scope, value: Mapping[str, Any]) -> None:
    """``dispute_rule`` on the award the dispute names and its earlier disputes."""
    dispute = parse_dispute(value)
    award = await store.award(scope.conn, dispute.award)
    earlier = () if award is None else tuple(await store.disputes_of(scope.conn, award.seq))
    window = scope.policy.dispute_window
    state = DisputeState(dispute.award, award, earlier, scope.ctx.now, window)
    dispute_rule(state, dispute, scope.signer)


async def check_resolution(scope: Scope, value: Mapping[str, Any]) -> None:
    """``resolution_rule`` on the dispute the ruling names and its award."""
    resolution = parse_resolution(value)
    dispute = await store.dispute(scope.conn, resolution.dispute)
    award = None if dispute is None else await store.award(scope.conn, dispute.award)
    resolution_rule(ResolutionState(resolution.dispute, dispute, award), resolution, scope.signer)
