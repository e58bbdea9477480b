"""Every credit statement body, declared once: one frozen dataclass per kind (``ledger.fields``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from ledger.errors import MalformedStatementError
from ledger.fields import (
    HEX_SHA256,
    MEMBER_ID,
    SLUG,
    Declared,
    Integer,
    JsonObject,
    Spec,
    calendar_date,
    integer,
    one_of,
    parse,
    spec,
    text,
    texts,
)

MAX_QUANTITY = 1000
MAX_ATTENDEES = 500
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
class SessionBody(Declared):
    """``credit.session_recorded``: an organiser's register of who attended."""

    activity: str = text(SLUG)
    held_on: date = calendar_date()
    attendees: tuple[str, ...] = texts(MEMBER_ID, min_items=1, max_items=MAX_ATTENDEES)
    title: str = text(max_length=120)
    group: str | None = text(SLUG, max_length=64, optional=True)


@dataclass(frozen=True)
class ClaimBody(Declared):
    """``credit.claimed``: a member's claim for a contribution."""

    activity: str = text(SLUG)
    quantity: int = integer(minimum=1, maximum=MAX_QUANTITY)
    evidence_sha256: str = text(HEX_SHA256, max_length=64)
    done_on: date = calendar_date()
    counterparty: str | None = text(MEMBER_ID, max_length=64, optional=True)
    bid: str | None = text(SLUG, max_length=64, optional=True)
    group: str | None = text(SLUG, max_length=64, optional=True)


class Basis(Spec):
    """What an award is for: ``{"claim": seq}`` or ``{"session": seq}``, read as a pair."""

    def read(self, kind: str, name: str, value: Any) -> tuple[str, int]:
        value = JsonObject().read(kind, name, value)
        if len(value) != 1 or next(iter(value)) not in BASES:
            raise MalformedStatementError(
                f'{kind}: basis must be {{"claim": seq}} or {{"session": seq}}'
            )
        basis = next(iter(value))
        return basis, Integer(minimum=0).read(f"{kind} basis", basis, value[basis])

    def write(self, value: Any) -> dict[str, Any]:
        return {value[0]: value[1]}

    def schema(self) -> dict[str, Any]:
        seq = {"type": "integer", "minimum": 0}
        return {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {basis: seq},
                    "required": [basis],
                    "additionalProperties": False,
                }
                for basis in BASES
            ]
        }


@dataclass(frozen=True)
class AwardBody(Declared):
    """``credit.awarded``: credits granted on a claim or a session register."""

    member: str = text(MEMBER_ID)
    credits: int = integer(minimum=1)
    activity: str = text(SLUG)
    rule_version: int = integer(minimum=1)
    quantity: int = integer(minimum=1, maximum=MAX_QUANTITY)
    on: tuple[str, int] = spec(Basis(), key="basis")

    @property
    def basis(self) -> str:
        """``claim`` or ``session``."""
        return self.on[0]

    @property
    def basis_seq(self) -> int:
        """The seq of the claim or session register."""
        return self.on[1]


@dataclass(frozen=True)
class DeclineBody(Declared):
    """``credit.declined``: a claim closed without an award."""

    claim: int = integer(minimum=0)
    reason: str = one_of(DECLINE_REASONS)


@dataclass(frozen=True)
class ReversalBody(Declared):
    """``credit.reversed``: credits taken back (> 0)."""

    award: int = integer(minimum=0)
    credits: int = integer(minimum=1)
    reason: str = one_of(REVERSAL_REASONS)


@dataclass(frozen=True)
class AdjustmentBody(Declared):
    """``credit.adjusted``: an award changed by a signed difference (never 0)."""

    award: int = integer(minimum=0)
    credits: int = integer(minimum=-100_000, maximum=100_000)
    reason: str = one_of(ADJUSTMENT_REASONS)

    def validate(self, kind: str) -> None:
        if self.credits == 0:
            raise MalformedStatementError(f"{kind}: credits must not be 0")


@dataclass(frozen=True)
class DisputeBody(Declared):
    """``credit.disputed``: an award challenged by its recipient or the claim's counterparty."""

    award: int = integer(minimum=0)
    reason: str = one_of(DISPUTE_REASONS)


@dataclass(frozen=True)
class ResolutionBody(Declared):
    """``credit.dispute_resolved``: a board member's ruling on a dispute."""

    dispute: int = integer(minimum=0)
    outcome: str = one_of(OUTCOMES)
    note: str = text(max_length=280)


parse_session = partial(parse, SessionBody, "credit.session_recorded")
parse_claim = partial(parse, ClaimBody, "credit.claimed")
parse_award = partial(parse, AwardBody, "credit.awarded")
parse_decline = partial(parse, DeclineBody, "credit.declined")
parse_reversal = partial(parse, ReversalBody, "credit.reversed")
parse_adjustment = partial(parse, AdjustmentBody, "credit.adjusted")
parse_dispute = partial(parse, DisputeBody, "credit.disputed")
parse_resolution = partial(parse, ResolutionBody, "credit.dispute_resolved")
