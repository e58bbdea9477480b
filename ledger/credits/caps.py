"""Cap decisions, pure: given what is already counted, may ``credits`` more be awarded?

Every cap is in credits and counts awards net of their reversals and adjustments. The month
of an award is the calendar month of its activity date (``done_on`` or ``held_on``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.credits.errors import OverCapError
from ledger.credits.rules import Rule


def month_of(day: date) -> str:
    """``YYYY-MM`` of ``day``."""
    return f"{day.year:04d}-{day.month:02d}"


def pair_of(member: str, other: str) -> tuple[str, str]:
    """The unordered pair of two members, as a sorted tuple."""
    first, second = sorted((member, other))
    return first, second


@dataclass(frozen=True)
class Usage:
    """Credits already counted against each cap that could apply to one new award."""

    member_month: int
    activity_month: int
    pair_month: int | None = None
    bid: int | None = None


@dataclass(frozen=True)
class Cap:
    """One cap as it applies to a new award: its name, limit, use so far and scope in words."""

    name: str
    limit: int
    used: int
    scope: str

    @property
    def room(self) -> int:
        """Credits that may still be awarded under this cap."""
        return max(self.limit - self.used, 0)


def caps_for(
    *,
    rule: Rule,
    monthly_cap: int,
    usage: Usage,
    member: str,
    month: str,
    counterparty: str | None,
    bid: str | None,
) -> list[Cap]:
    """The caps that apply to an award of ``rule`` to ``member`` in ``month``, narrowest first."""
    caps: list[Cap] = []
    limits = rule.caps
    if limits.per_member_month is not None:
        scope = f"{rule.activity} per member per month ({member}, {month})"
        caps.append(Cap("per_member_month", limits.per_member_month, usage.activity_month, scope))
    if limits.per_pair_month is not None and counterparty is not None:
        a, b = pair_of(member, counterparty)
        scope = f"{rule.activity} per pair of members per month ({a} and {b}, {month})"
        caps.append(Cap("per_pair_month", limits.per_pair_month, usage.pair_month or 0, scope))
    if limits.per_bid is not None and bid is not None:
        scope = f"{rule.activity} per member per bid ({member}, bid {bid})"
        caps.append(Cap("per_bid", limits.per_bid, usage.bid or 0, scope))
    caps.append(Cap("monthly", monthly_cap, usage.member_month, f"all credits ({member}, {month})"))
    return caps


def check_caps(caps: list[Cap], credits: int) -> None:
    """Refuse ``credits`` more if any cap would be passed.

    Raises ``OverCapError`` naming the first cap passed, its limit, the credits used and the
    room left.
    """
    for cap in caps:
        if cap.used + credits > cap.limit:
            raise OverCapError(
                f"over the {cap.name} cap: {cap.scope} allows {cap.limit} credits, "
                f"{cap.used} used, room for {cap.room}; this needs {credits}",
                cap=cap.name,
                limit=cap.limit,
                used=cap.used,
                room=cap.room,
            )
