"""Build the body of each credit act, so callers need not know the body shapes.

Pure functions; sign the result with ``ledger.statement.sign_statement`` and submit it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ledger.credits.bodies import parse_claim, parse_session
from ledger.credits.records import ClaimRecord
from ledger.credits.rules import RuleTable
from ledger.encoding import JSONValue

Body = dict[str, JSONValue]


def evidence_digest(evidence: bytes) -> str:
    """Hex SHA-256 of an evidence file: what a claim carries instead of the file."""
    return hashlib.sha256(evidence).hexdigest()


def adopt_rules(table: RuleTable) -> Body:
    """``credit.rules_adopted`` for ``table`` (v1 at init; later versions name a decision)."""
    return table.to_json()


def _optional(body: Body, **values: str | None) -> Body:
    body.update({name: value for name, value in values.items() if value is not None})
    return body


def record_session(
    *,
    activity: str,
    held_on: date,
    attendees: Sequence[str],
    title: str,
    group: str | None = None,
) -> Body:
    """``credit.session_recorded``: the organiser's register of a session."""
    body: Body = {
        "activity": activity,
        "held_on": held_on.isoformat(),
        "attendees": list(attendees),
        "title": title,
    }
    return _optional(body, group=group)


def claim(
    *,
    activity: str,
    quantity: int,
    evidence_sha256: str,
    done_on: date,
    counterparty: str | None = None,
    bid: str | None = None,
    group: str | None = None,
) -> Body:
    """``credit.claimed``: a member's claim; ``counterparty`` confirms where the rule says so."""
    body: Body = {
        "activity": activity,
        "quantity": quantity,
        "evidence_sha256": evidence_sha256,
        "done_on": done_on.isoformat(),
    }
    return _optional(body, counterparty=counterparty, bid=bid, group=group)


def award_for_claim(
    *, claim_seq: int, claimant: str, claim_body: Mapping[str, Any], table: RuleTable
) -> Body:
    """``credit.awarded`` confirming a claim; ``table`` is the version in force at the claim."""
    parsed = parse_claim(claim_body)
    rule = table.rule(parsed.activity)
    return {
        "member": claimant,
        "credits": rule.amount(parsed.quantity),
        "activity": parsed.activity,
        "rule_version": table.version,
        "quantity": parsed.quantity,
        "basis": {"claim": claim_seq},
    }


def award_for_record(claim: ClaimRecord, table: RuleTable) -> Body:
    """``credit.awarded`` confirming a projected claim; ``table`` is its ``rule_version``."""
    return {
        "member": claim.member,
        "credits": table.rule(claim.activity).amount(claim.quantity),
        "activity": claim.activity,
        "rule_version": table.version,
        "quantity": claim.quantity,
        "basis": {"claim": claim.seq},
    }


def awards_for_session(
    *, session_seq: int, session_body: Mapping[str, Any], table: RuleTable
) -> list[Body]:
    """One ``credit.awarded`` per attendee of a recorded session (``table``: its version)."""
    parsed = parse_session(session_body)
    rule = table.rule(parsed.activity)
    return [
        {
            "member": member,
            "credits": rule.amount(1),
            "activity": parsed.activity,
            "rule_version": table.version,
            "quantity": 1,
            "basis": {"session": session_seq},
        }
        for member in parsed.attendees
    ]


def decline(*, claim_seq: int, reason: str) -> Body:
    """``credit.declined``: close a claim without award (``withdrawn``: by the claimant)."""
    return {"claim": claim_seq, "reason": reason}


def reverse(*, award_seq: int, credits: int, reason: str) -> Body:
    """``credit.reversed``: take back what remains (``credits``) of an award."""
    return {"award": award_seq, "credits": credits, "reason": reason}


def adjust(*, award_seq: int, credits: int, reason: str) -> Body:
    """``credit.adjusted``: change an award by a signed difference."""
    return {"award": award_seq, "credits": credits, "reason": reason}


def dispute(*, award_seq: int, reason: str) -> Body:
    """``credit.disputed``: challenge an award within 14 days of it."""
    return {"award": award_seq, "reason": reason}


def resolve_dispute(*, dispute_seq: int, outcome: str, note: str) -> Body:
    """``credit.dispute_resolved``: ``upheld`` or ``dismissed``, with a short note."""
    return {"dispute": dispute_seq, "outcome": outcome, "note": note}
