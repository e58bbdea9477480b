"""Checked reads of every credit statement body, one frozen dataclass per kind."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.errors import MalformedStatementError
from ledger.fields import HEX_SHA256, MEMBER_ID, SLUG, Body

MAX_QUANTITY = 1000
MAX_ATTENDEES = 500
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

DECLINE_REASONS = frozenset(
    {"not_recognised", "wrong_details", "insufficient_evidence", "duplicate", "withdrawn"}
)
"""Why a claim is closed without an award; ``withdrawn`` is the claimant's own."""
REVERSAL_REASONS = frozenset({"error", "duplicate", "not_delivered", "dispute_upheld"})
ADJUSTMENT_REASONS = frozenset({"error", "wrong_quantity", "dispute_upheld"})
DISPUTE_REASONS = frozenset(
    {"not_delivered", "wrong_quantity", "wrong_member", "duplicate", "other"}
)
OUTCOMES = frozenset({"upheld", "dismissed"})
BASES = ("claim", "session")


@dataclass(frozen=True)
class SessionBody:
    """``credit.session_recorded``: an organiser's register of who attended."""

    activity: str
    held_on: date
    attendees: tuple[str, ...]
    title: str
    group: str | None


@dataclass(frozen=True)
class ClaimBody:
    """``credit.claimed``: a member's claim for a contribution."""

    activity: str
    quantity: int
    evidence_sha256: str
    done_on: date
    counterparty: str | None
    bid: str | None
    group: str | None


@dataclass(frozen=True)
class AwardBody:
    """``credit.awarded``: credits granted on a claim or a session register."""

    member: str
    credits: int
    activity: str
    rule_version: int
    quantity: int
    basis: str
    basis_seq: int


@dataclass(frozen=True)
class DeclineBody:
    """``credit.declined``: a claim closed without an award."""

    claim: int
    reason: str


@dataclass(frozen=True)
class CorrectionBody:
    """``credit.reversed`` (credits taken back, > 0) or ``credit.adjusted`` (difference, != 0)."""

    award: int
    credits: int
    reason: str


@dataclass(frozen=True)
class DisputeBody:
    """``credit.disputed``: an award challenged by its recipient or the claim's counterparty."""

    award: int
    reason: str


@dataclass(frozen=True)
class ResolutionBody:
    """``credit.dispute_resolved``: a board member's ruling on a dispute."""

    dispute: int
    outcome: str
    note: str


def parse_date(body: Body, name: str) -> date:
    """A ``YYYY-MM-DD`` calendar date field; raises ``MalformedStatementError``."""
    text = body.str(name, pattern=_DATE, max_length=10)
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise MalformedStatementError(f"{body.kind}: {name} is not a calendar date") from e


def _optional(body: Body, name: str, pattern: re.Pattern[str]) -> str | None:
    return body.str(name, pattern=pattern, max_length=64) if body.has(name) else None


def parse_session(value: Mapping[str, Any]) -> SessionBody:
    """Read a session register; at least one attendee, no duplicates."""
    body = Body("credit.session_recorded", value)
    body.only({"activity", "held_on", "attendees", "title"}, {"group"})
    return SessionBody(
        activity=body.str("activity", pattern=SLUG),
        held_on=parse_date(body, "held_on"),
        attendees=tuple(
            body.str_list("attendees", pattern=MEMBER_ID, min_items=1, max_items=MAX_ATTENDEES)
        ),
        title=body.str("title", max_length=120),
        group=_optional(body, "group", SLUG),
    )


def parse_claim(value: Mapping[str, Any]) -> ClaimBody:
    """Read a claim; the quantity must be a whole number of units from 1 to 1000."""
    body = Body("credit.claimed", value)
    body.only(
        {"activity", "quantity", "evidence_sha256", "done_on"}, {"counterparty", "bid", "group"}
    )
    return ClaimBody(
        activity=body.str("activity", pattern=SLUG),
        quantity=body.int("quantity", minimum=1, maximum=MAX_QUANTITY),
        evidence_sha256=body.str("evidence_sha256", pattern=HEX_SHA256, max_length=64),
        done_on=parse_date(body, "done_on"),
        counterparty=_optional(body, "counterparty", MEMBER_ID),
        bid=_optional(body, "bid", SLUG),
        group=_optional(body, "group", SLUG),
    )


def parse_award(value: Mapping[str, Any]) -> AwardBody:
    """Read an award; ``basis`` is exactly one of ``{"claim": seq}`` or ``{"session": seq}``."""
    body = Body("credit.awarded", value)
    body.only({"member", "credits", "activity", "rule_version", "quantity", "basis"})
    basis = Body("credit.awarded basis", body.object("basis"))
    if len(basis.value) != 1 or next(iter(basis.value)) not in BASES:
        raise MalformedStatementError(
            'credit.awarded: basis must be {"claim": seq} or {"session": seq}'
        )
    kind = next(iter(basis.value))
    return AwardBody(
        member=body.str("member", pattern=MEMBER_ID),
        credits=body.int("credits", minimum=1),
        activity=body.str("activity", pattern=SLUG),
        rule_version=body.int("rule_version", minimum=1),
        quantity=body.int("quantity", minimum=1, maximum=MAX_QUANTITY),
        basis=kind,
        basis_seq=basis.int(kind, minimum=0),
    )


def parse_decline(value: Mapping[str, Any]) -> DeclineBody:
    """Read a decline: the claim's seq and a reason code."""
    body = Body("credit.declined", value).only({"claim", "reason"})
    return DeclineBody(body.int("claim", minimum=0), body.one_of("reason", DECLINE_REASONS))


def parse_reversal(value: Mapping[str, Any]) -> CorrectionBody:
    """Read a reversal: the award's seq, the credits taken back (> 0) and a reason code."""
    body = Body("credit.reversed", value).only({"award", "credits", "reason"})
    return CorrectionBody(
        award=body.int("award", minimum=0),
        credits=body.int("credits", minimum=1),
        reason=body.one_of("reason", REVERSAL_REASONS),
    )


def parse_adjustment(value: Mapping[str, Any]) -> CorrectionBody:
    """Read an adjustment: the award's seq, a signed difference (never 0) and a reason code."""
    body = Body("credit.adjusted", value).only({"award", "credits", "reason"})
    credits = body.int("credits", minimum=-100_000, maximum=100_000)
    if credits == 0:
        raise MalformedStatementError("credit.adjusted: credits must not be 0")
    return CorrectionBody(
        award=body.int("award", minimum=0),
        credits=credits,
        reason=body.one_of("reason", ADJUSTMENT_REASONS),
    )


def parse_dispute(value: Mapping[str, Any]) -> DisputeBody:
    """Read a dispute: the award's seq and a reason code."""
    body = Body("credit.disputed", value).only({"award", "reason"})
    return DisputeBody(body.int("award", minimum=0), body.one_of("reason", DISPUTE_REASONS))


def parse_resolution(value: Mapping[str, Any]) -> ResolutionBody:
    """Read a ruling: the dispute's seq, ``upheld`` or ``dismissed``, and a short note."""
    body = Body("credit.dispute_resolved", value).only({"dispute", "outcome", "note"})
    return ResolutionBody(
        dispute=body.int("dispute", minimum=0),
        outcome=body.one_of("outcome", OUTCOMES),
        note=body.str("note", max_length=280),
    )
