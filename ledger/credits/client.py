"""The credit bodies a client computes rather than copies: awards, from their claim or register
and the rule table. Every other body is its body type (``ledger.credits.bodies``) written with
``to_json``; sign the result with ``ledger.statement.sign_statement`` and submit it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ledger.credits.bodies import AwardBody, parse_claim, parse_session
from ledger.credits.records import ClaimRecord
from ledger.credits.rules import RuleTable
from ledger.encoding import JSONValue

Body = dict[str, JSONValue]


def evidence_digest(evidence: bytes) -> str:
    """Hex SHA-256 of an evidence file: what a claim carries instead of the file."""
    return hashlib.sha256(evidence).hexdigest()


def award_for_claim(
    *, claim_seq: int, claimant: str, claim_body: Mapping[str, Any], table: RuleTable
) -> Body:
    """``credit.awarded`` confirming a claim; ``table`` is the version in force at the claim."""
    claim = parse_claim(claim_body)
    return _award(claimant, claim.activity, claim.quantity, ("claim", claim_seq), table)


def award_for_record(claim: ClaimRecord, table: RuleTable) -> Body:
    """``credit.awarded`` confirming a projected claim; ``table`` is its ``rule_version``."""
    return _award(claim.member, claim.activity, claim.quantity, ("claim", claim.seq), table)


def awards_for_session(
    *, session_seq: int, session_body: Mapping[str, Any], table: RuleTable
) -> list[Body]:
    """One ``credit.awarded`` per attendee of a recorded session (``table``: its version)."""
    session = parse_session(session_body)
    on = ("session", session_seq)
    return [_award(member, session.activity, 1, on, table) for member in session.attendees]


def _award(
    member: str, activity: str, quantity: int, on: tuple[str, int], table: RuleTable
) -> Body:
    credits = table.rule(activity).amount(quantity)
    return AwardBody(member, credits, activity, table.version, quantity, on).to_json()
