"""The credit rule table: activities, credits per unit, approver and caps, by version."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.credits.errors import UnknownActivityError
from ledger.encoding import JSONValue, canonical_json
from ledger.errors import MalformedStatementError
from ledger.fields import SLUG, Body

ORGANISER = "organiser"
COUNTERPARTY = "counterparty"
CONVENOR = "convenor"
BOARD = "board"
APPROVERS = frozenset({ORGANISER, COUNTERPARTY, CONVENOR, BOARD})
"""Who signs the award: the session organiser, the claim's counterparty, a convenor, the board."""

CAP_NAMES = ("per_member_month", "per_pair_month", "per_bid")
MAX_RULES = 100
MAX_CREDITS = 1000
KIND = "credit.rules_adopted"


@dataclass(frozen=True)
class Caps:
    """Caps in credits: per member per month, per pair of members per month, per member per bid."""

    per_member_month: int | None = None
    per_pair_month: int | None = None
    per_bid: int | None = None

    def to_json(self) -> dict[str, JSONValue]:
        """The caps that are set, as a JSON object."""
        values = {name: getattr(self, name) for name in CAP_NAMES}
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class Rule:
    """One activity of the rule table."""

    activity: str
    label: str
    credits: int
    evidence: str
    approver: str
    caps: Caps

    def amount(self, quantity: int) -> int:
        """Credits for ``quantity`` units of the activity."""
        return self.credits * quantity

    def to_json(self) -> dict[str, JSONValue]:
        """The rule as it appears in a ``credit.rules_adopted`` body."""
        return {
            "activity": self.activity,
            "label": self.label,
            "credits": self.credits,
            "evidence": self.evidence,
            "approver": self.approver,
            "cap": self.caps.to_json(),
        }


@dataclass(frozen=True)
class RuleTable:
    """A version of the rule table, with the governance decision that adopted it (v1: none)."""

    version: int
    monthly_cap_per_member: int
    rules: Mapping[str, Rule]
    decision: int | None

    def rule(self, activity: str) -> Rule:
        """The rule for ``activity``; raises ``UnknownActivityError``."""
        rule = self.rules.get(activity)
        if rule is None:
            raise UnknownActivityError(
                f"activity {activity!r} is not in rule table version {self.version}; "
                f"it has {sorted(self.rules)}"
            )
        return rule

    def to_json(self) -> dict[str, JSONValue]:
        """The ``credit.rules_adopted`` body for this table."""
        return {
            "version": self.version,
            "monthly_cap_per_member": self.monthly_cap_per_member,
            "rules": [rule.to_json() for rule in self.rules.values()],
            "decision": self.decision,
        }

    def digest(self) -> str:
        """Hex SHA-256 of the canonical table without ``decision``: what a decision adopts."""
        value = self.to_json()
        del value["decision"]
        return hashlib.sha256(canonical_json(value)).hexdigest()


def parse_rule_table(value: Mapping[str, Any]) -> RuleTable:
    """Read a ``credit.rules_adopted`` body.

    Raises ``MalformedStatementError`` for missing or extra fields, a version < 1, a cap or
    credit amount that is not a positive integer, an unknown approver or a repeated activity.
    """
    body = Body(KIND, value).only({"version", "monthly_cap_per_member", "rules", "decision"})
    version = body.int("version", minimum=1)
    monthly = body.int("monthly_cap_per_member", minimum=1, maximum=100_000)
    decision = None if value.get("decision") is None else body.int("decision", minimum=0)
    items = value.get("rules")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_RULES:
        raise MalformedStatementError(f"{KIND}: rules must be a list of 1 to {MAX_RULES} rules")
    rules: dict[str, Rule] = {}
    for item in items:
        rule = _parse_rule(item)
        if rule.activity in rules:
            raise MalformedStatementError(f"{KIND}: activity {rule.activity!r} appears twice")
        rules[rule.activity] = rule
    return RuleTable(version, monthly, rules, decision)


def _parse_rule(item: Any) -> Rule:
    if not isinstance(item, Mapping):
        raise MalformedStatementError(f"{KIND}: each rule must be an object")
    body = Body(f"{KIND} rule", item)
    body.only({"activity", "label", "credits", "evidence", "approver", "cap"})
    cap = Body(f"{KIND} cap", body.object("cap")).only((), CAP_NAMES)
    caps = Caps(**{name: cap.int(name, minimum=1, maximum=100_000) for name in cap.value})
    return Rule(
        activity=body.str("activity", pattern=SLUG),
        label=body.str("label", max_length=200),
        credits=body.int("credits", minimum=1, maximum=MAX_CREDITS),
        evidence=body.str("evidence", max_length=200),
        approver=body.one_of("approver", APPROVERS),
        caps=caps,
    )


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
