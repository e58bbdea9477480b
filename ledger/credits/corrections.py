"""Checks of reversals, adjustments, disputes and rulings on disputes.

A correction is signed by a "second signer": a board member who is neither the award's
approver nor its recipient. Disputes are open to the recipient and the claim's counterparty
for a fixed window after the award was logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.credits import store
from ledger.credits.bodies import (
    parse_adjustment,
    parse_dispute,
    parse_resolution,
    parse_reversal,
)
from ledger.credits.errors import (
    AlreadyReversedError,
    OutOfWindowError,
    SecondSignerError,
    WrongAmountError,
)
from ledger.credits.records import AwardRecord
from ledger.credits.scope import Basis, Scope, check_caps_for, rule_table
from ledger.encoding import format_time, parse_time
from ledger.errors import ConflictError, NotAuthorisedError, NotFoundError


async def _award(scope: Scope, seq: int) -> AwardRecord:
    award = await store.award(scope.conn, seq)
    if award is None:
        raise NotFoundError(f"there is no award at entry {seq}")
    return award


async def _correctable(scope: Scope, seq: int) -> AwardRecord:
    """The award at ``seq`` if the signer may correct it and it is not reversed."""
    award = await _award(scope, seq)
    if not scope.signer.is_board:
        raise NotAuthorisedError("only a board member reverses or adjusts an award")
    if scope.me in (award.approver, award.member):
        raise SecondSignerError(
            f"award {seq} went to {award.member}, approved by {award.approver}: a correction "
            "needs a board member who is neither"
        )
    if award.reversed_by is not None:
        raise AlreadyReversedError(f"award {seq} was reversed at entry {award.reversed_by}")
    return award


async def _require_upheld_dispute(scope: Scope, award: AwardRecord) -> None:
    disputes = await store.disputes_of(scope.conn, award.seq)
    if not any(d.outcome == "upheld" for d in disputes):
        raise ConflictError(f"award {award.seq} has no upheld dispute")


async def check_reversal(scope: Scope, value: Mapping[str, Any]) -> None:
    """A second signer takes back what remains of an award, once.

    Raises ``NotFoundError``, ``NotAuthorisedError``/``SecondSignerError`` for the wrong
    signer, ``AlreadyReversedError``, ``ConflictError`` when nothing remains or the reason is
    ``dispute_upheld`` without an upheld dispute, ``WrongAmountError`` for any other amount.
    """
    reversal = parse_reversal(value)
    award = await _correctable(scope, reversal.award)
    if award.net == 0:
        raise ConflictError(f"nothing remains of award {award.seq} to reverse")
    if reversal.credits != award.net:
        raise WrongAmountError(
            f"a reversal takes back what remains of award {award.seq}: {award.net} credits"
        )
    if reversal.reason == "dispute_upheld":
        await _require_upheld_dispute(scope, award)


async def check_adjustment(scope: Scope, value: Mapping[str, Any]) -> None:
    """A second signer changes an award by a difference that keeps it at 0 or more.

    Raises as ``check_reversal`` does, ``WrongAmountError`` below 0, and ``OverCapError`` when
    an increase would pass a cap of the award's rule version.
    """
    adjustment = parse_adjustment(value)
    award = await _correctable(scope, adjustment.award)
    if award.net + adjustment.credits < 0:
        raise WrongAmountError(
            f"award {award.seq} stands at {award.net} credits; an adjustment of "
            f"{adjustment.credits} would take it below 0"
        )
    if adjustment.reason == "dispute_upheld":
        await _require_upheld_dispute(scope, award)
    if adjustment.credits > 0:
        table = await rule_table(scope.ctx, scope.conn, award.rule_version)
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
        await check_caps_for(scope, table=table, rule=rule, basis=basis, credits=adjustment.credits)


async def check_dispute(scope: Scope, value: Mapping[str, Any]) -> None:
    """The recipient or the claim's counterparty disputes an award within the window.

    Raises ``NotFoundError``, ``NotAuthorisedError`` for anyone else, ``AlreadyReversedError``,
    ``OutOfWindowError`` after the window, ``ConflictError`` while a dispute is open.
    """
    dispute = parse_dispute(value)
    award = await _award(scope, dispute.award)
    if scope.me not in (award.member, award.counterparty):
        raise NotAuthorisedError("only the recipient or the claim's counterparty disputes an award")
    if award.reversed_by is not None:
        raise AlreadyReversedError(f"award {award.seq} was reversed at entry {award.reversed_by}")
    closes = parse_time(award.logged_at) + scope.policy.dispute_window
    if scope.ctx.now > closes:
        raise OutOfWindowError(
            f"award {award.seq} could be disputed until {format_time(closes)} "
            f"({scope.policy.dispute_window.days} days after it was logged)"
        )
    for earlier in await store.disputes_of(scope.conn, award.seq):
        if earlier.resolved_by is None:
            raise ConflictError(f"award {award.seq} has an open dispute at entry {earlier.seq}")


async def check_resolution(scope: Scope, value: Mapping[str, Any]) -> None:
    """A board member who is not a party rules on an open dispute.

    Raises ``NotFoundError``, ``ConflictError`` for a dispute already ruled on,
    ``NotAuthorisedError`` off the board, ``SecondSignerError`` for a party (recipient,
    approver, counterparty or disputer).
    """
    resolution = parse_resolution(value)
    dispute = await store.dispute(scope.conn, resolution.dispute)
    if dispute is None:
        raise NotFoundError(f"there is no dispute at entry {resolution.dispute}")
    if dispute.resolved_by is not None:
        raise ConflictError(f"dispute {dispute.seq} was resolved at entry {dispute.resolved_by}")
    if not scope.signer.is_board:
        raise NotAuthorisedError("only a board member rules on a dispute")
    award = await _award(scope, dispute.award)
    parties = {award.member, award.approver, award.counterparty, dispute.disputer}
    if scope.me in parties:
        raise SecondSignerError("a dispute is ruled on by a board member who is not a party")
