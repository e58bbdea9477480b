"""The credit rule table: activities, credits per unit, approver and caps, by version; and
the cap decisions, pure: given what is already counted, may ``credits`` more be awarded?

Every cap is in credits and counts awards net of their reversals and adjustments. The month
of an award is the calendar month of its activity date (``done_on`` or ``held_on``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from ledger.credits.errors import OverCapError, UnknownActivityError
from ledger.encoding import JSONValue, canonical_json
from ledger.errors import MalformedStatementError
from ledger.fields import (
    SLUG,
    Declared,
    Spec,
    integer,
    json_schema,
    nested,
    one_of,
    parse,
    spec,
    text,
    to_json,
)

ORGANISER = "organiser"
COUNTERPARTY = "counterparty"
CONVENOR = "convenor"
BOARD = "board"
APPROVERS = frozenset({ORGANISER, COUNTERPARTY, CONVENOR, BOARD})
"""Who signs the award: the session organiser, the claim's counterparty, a convenor, the board."""

MAX_RULES = 100
MAX_CREDITS = 1000
KIND = "credit.rules_adopted"


@dataclass(frozen=True)
class Caps(Declared):
    """Caps in credits: per member per month, per pair of members per month, per member per bid."""

    per_member_month: int | None = integer(minimum=1, maximum=100_000, optional=True)
    per_pair_month: int | None = integer(minimum=1, maximum=100_000, optional=True)
    per_bid: int | None = integer(minimum=1, maximum=100_000, optional=True)


@dataclass(frozen=True)
class Rule(Declared):
    """One activity of the rule table."""

    activity: str = text(SLUG)
    label: str = text(max_length=200)
    credits: int = integer(minimum=1, maximum=MAX_CREDITS)
    evidence: str = text(max_length=200)
    approver: str = one_of(APPROVERS)
    caps: Caps = nested(Caps, key="cap")

    def amount(self, quantity: int) -> int:
        """Credits for ``quantity`` units of the activity."""
        return self.credits * quantity


class Rules(Spec):
    """The list of rules, read as a mapping by activity (each activity once)."""

    def read(self, kind: str, name: str, value: Any) -> Mapping[str, Rule]:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_RULES:
            raise MalformedStatementError(f"{KIND}: rules must be a list of 1 to {MAX_RULES} rules")
        rules: dict[str, Rule] = {}
        for item in value:
            if not isinstance(item, Mapping):
                raise MalformedStatementError(f"{KIND}: each rule must be an object")
            rule = parse(Rule, f"{KIND} rule", item)
            if rule.activity in rules:
                raise MalformedStatementError(f"{KIND}: activity {rule.activity!r} appears twice")
            rules[rule.activity] = rule
        return rules

    def write(self, value: Any) -> JSONValue:
        return [to_json(rule) for rule in value.values()]

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": json_schema(Rule), "minItems": 1, "maxItems": MAX_RULES}


@dataclass(frozen=True)
class RuleTable(Declared):
    """A version of the rule table, with the governance decision that adopted it (v1: none)."""

    version: int = integer(minimum=1)
    monthly_cap_per_member: int = integer(minimum=1, maximum=100_000)
    rules: Mapping[str, Rule] = spec(Rules())
    decision: int | None = integer(minimum=0, nullable=True)

    def rule(self, activity: str) -> Rule:
        """The rule for ``activity``; raises ``UnknownActivityError``."""
        rule = self.rules.get(activity)
        if rule is None:
            raise UnknownActivityError(
                f"activity {activity!r} is not in rule table version {self.version}; "
                f"it has {sorted(self.rules)}"
            )
        return rule

    def digest(self) -> str:
        """Hex SHA-256 of the canonical table without ``decision``: what a decision adopts."""
        value = self.to_json()
        del value["decision"]
        return hashlib.sha256(canonical_json(value)).hexdigest()


parse_rule_table = partial(parse, RuleTable, KIND)


def rule_table_from_community(community: Mapping[str, Any]) -> RuleTable:
    """Version 1 of the rule table from a community file (``rule_table`` and monthly cap)."""
    return parse_rule_table(
        {
            "version": 1,
            "monthly_cap_per_member": community["monthly_cap_per_member"],
            "rules": community["rule_table"],
            "decision": None,
        }
    )


# -- caps ------------------------------------------------------------------------------------


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
