"""Projected credit records as plain values (what the SQL module returns; no rows leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

OPEN = "open"
AWARDED = "awarded"
DECLINED = "declined"
REVERSED = "reversed"
ADJUSTED = "adjusted"


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
