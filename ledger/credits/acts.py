"""The credit statement kinds, each declared once: who signs it, its check, its projection,
and the mutation that submits it (``ledger.acts``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ledger.acts import Act, by_kind
from ledger.credits import bodies
from ledger.credits import projection as project
from ledger.credits.checks import (
    Scope,
    check_award,
    check_claim,
    check_decline,
    check_rules_adopted,
    check_session,
)
from ledger.credits.corrections import (
    check_adjustment,
    check_dispute,
    check_resolution,
    check_reversal,
)
from ledger.credits.projection import Apply
from ledger.credits.rules import RuleTable

Check = Callable[[Scope, Mapping[str, Any]], Awaitable[None]]
CreditAct = Act[Check, Apply]

CREDIT_ACTS: tuple[CreditAct, ...] = (
    Act(
        "credit.rules_adopted",
        signer="a board member",
        mutation="adoptRuleTable",
        answer="rule_table",
        subject="version",
        check=check_rules_adopted,
        apply=project.project_rules_adopted,
        body=RuleTable,
    ),
    Act(
        "credit.session_recorded",
        signer="a convenor (or board member)",
        mutation="recordSession",
        answer="session",
        subject=None,
        check=check_session,
        apply=project.project_session,
        body=bodies.SessionBody,
    ),
    Act(
        "credit.claimed",
        signer="the claimant",
        mutation="claimCredit",
        answer="claim",
        subject=None,
        check=check_claim,
        apply=project.project_claim,
        body=bodies.ClaimBody,
    ),
    Act(
        "credit.declined",
        signer="the approver, or the claimant (withdrawn)",
        mutation="declineClaim",
        answer="claim",
        subject="claim",
        check=check_decline,
        apply=project.project_declined,
        body=bodies.DeclineBody,
    ),
    Act(
        "credit.awarded",
        signer="the approver the rule names",
        mutation="awardCredit",
        answer="award",
        subject=None,
        check=check_award,
        apply=project.project_award,
        body=bodies.AwardBody,
    ),
    Act(
        "credit.reversed",
        signer="a board member who is neither the approver nor the recipient",
        mutation="reverseAward",
        answer="award",
        subject="award",
        check=check_reversal,
        apply=project.project_reversed,
        body=bodies.ReversalBody,
    ),
    Act(
        "credit.adjusted",
        signer="as for a reversal",
        mutation="adjustAward",
        answer="award",
        subject="award",
        check=check_adjustment,
        apply=project.project_adjusted,
        body=bodies.AdjustmentBody,
    ),
    Act(
        "credit.disputed",
        signer="the recipient or the claim's counterparty, within 14 days",
        mutation="disputeAward",
        answer="dispute",
        subject=None,
        check=check_dispute,
        apply=project.project_disputed,
        body=bodies.DisputeBody,
    ),
    Act(
        "credit.dispute_resolved",
        signer="a board member who is not a party",
        mutation="resolveDispute",
        answer="dispute",
        subject="dispute",
        check=check_resolution,
        apply=project.project_resolved,
        body=bodies.ResolutionBody,
    ),
)
"""Every credit kind, in the order the API lists its mutations."""

CREDIT_ACTS_BY_KIND = by_kind(CREDIT_ACTS)
