"""Projected credit records as plain values: what ``ledger.credits.store`` returns, not rows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

OPEN = "open"
AWARDED = "awarded"
DECLINED = "declined"
REVERSED = "reversed"
ADJUSTED = "adjusted"

R = TypeVar("R")


def copied(cls: type[R], source: object, /, **given: Any) -> R:
    """A ``cls`` record whose fields are ``given``, or else read from ``source``'s attribute of
    the same name (a body, or another record): a field ``source`` lacks fails loudly."""
    names = [f.name for f in dataclasses.fields(cls) if f.name not in given]  # type: ignore[arg-type]
    return cls(**{name: getattr(source, name) for name in names}, **given)


@dataclass(frozen=True)
class SessionRecord:
    """A recorded session register."""

    seq: int
    organiser: str
    activity: str
    rule_version: int
    held_on: date
    group: str | None
    title: str
    attendees: tuple[str, ...]


@dataclass(frozen=True)
class ClaimRecord:
    """A claim and where it stands (``open``, ``awarded`` or ``declined``)."""

    seq: int
    member: str
    activity: str
    rule_version: int
    quantity: int
    evidence_sha256: str
    done_on: date
    counterparty: str | None
    bid: str | None
    group: str | None
    status: str
    closed_by: int | None


@dataclass(frozen=True)
class AwardRecord:
    """An award with its current net value after corrections."""

    seq: int
    member: str
    activity: str
    rule_version: int
    quantity: int
    credits: int
    net: int
    approver: str
    counterparty: str | None
    bid: str | None
    group: str | None
    activity_on: date
    basis: str
    basis_seq: int
    reversed_by: int | None
    logged_at: str


@dataclass(frozen=True)
class CorrectionRecord:
    """A reversal or adjustment; ``credits`` is the signed change to the award."""

    seq: int
    award: int
    kind: str
    credits: int
    reason: str
    signer: str
    logged_at: str


@dataclass(frozen=True)
class DisputeRecord:
    """A dispute of an award and, once ruled on, its outcome."""

    seq: int
    award: int
    disputer: str
    reason: str
    logged_at: str
    resolved_by: int | None
    outcome: str | None
    resolver: str | None


@dataclass(frozen=True, slots=True)
class StatementLine:
    """A statement line: ``awarded``, or ``reversed``/``adjusted`` (of entry ``award``)."""

    seq: int
    kind: str
    award: int
    activity_on: date
    logged_at: str
    activity: str
    rule_version: int
    quantity: int
    approver: str
    credits: int
    reason: str | None
    balance: int


@dataclass(frozen=True)
class StatementPage:
    """A page of a member's statement lines, in log order.

    ``more`` says there are lines beyond the page in the direction it was read. ``balance``
    is the member's balance when the page shows where the statement ends (``None`` when
    that takes another read: use ``balance``).
    """

    lines: list[StatementLine]
    more: bool
    balance: int | None


@dataclass(frozen=True)
class Basis:
    """What an award rests on: a claim, or one attendee's line in a session register."""

    kind: str
    seq: int
    member: str
    activity: str
    rule_version: int
    quantity: int
    day: date
    counterparty: str | None
    bid: str | None
    group: str | None
