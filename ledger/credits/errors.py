"""Refusals of credit statements, as subclasses of the ledger's errors (nothing is appended).

::

    LedgerError
    ├── StatementError
    │   └── NotAuthorisedError
    │       ├── SelfApprovalError       confirming, approving or recording one's own credit
    │       ├── SecondSignerError       a correction signed by the approver or the recipient
    │       └── DecisionRequiredError   a rule table without a passed governance decision
    └── RuleError
        ├── OverCapError                a cap would be passed; says which cap and the room left
        ├── UnknownActivityError        the activity is not in the rule table in force
        ├── WrongAmountError            member, activity, quantity, credits or version mismatch
        ├── WrongRouteError             a claimed activity recorded as a session, or vice versa
        ├── OutOfWindowError            a date or a dispute outside the time allowed
        ├── NotFoundError
        │   ├── NotAMemberError         a counterparty or attendee who is not a member
        │   └── NoRuleTableError        no rule table has been adopted yet
        └── ConflictError
            ├── AlreadyAwardedError     a claim or attendance awarded already
            ├── ClaimClosedError        the claim was declined or withdrawn
            ├── DuplicateEvidenceError  the claimant used this evidence hash on another claim
            └── AlreadyReversedError    the award was reversed already
"""

from __future__ import annotations

from ledger.errors import (
    ConflictError,
    NotAuthorisedError,
    NotFoundError,
    RuleError,
)


class SelfApprovalError(NotAuthorisedError):
    """No one confirms, approves, records or awards their own credit."""

    code = "self_approval"


class SecondSignerError(NotAuthorisedError):
    """A reversal, adjustment or dispute ruling must come from an uninvolved board member."""

    code = "second_signer"


class DecisionRequiredError(NotAuthorisedError):
    """A new rule table version needs a passed governance decision adopting it."""

    code = "decision_required"


class OverCapError(RuleError):
    """An award (or claim) would pass a cap.

    ``cap`` names the cap (``monthly``, ``per_member_month``, ``per_pair_month``,
    ``per_bid``); ``limit``, ``used`` and ``room`` are in credits.
    """

    code = "over_cap"

    def __init__(self, message: str, *, cap: str, limit: int, used: int, room: int) -> None:
        super().__init__(message)
        self.cap = cap
        self.limit = limit
        self.used = used
        self.room = room


class UnknownActivityError(RuleError):
    """The activity is not in the rule table version that applies."""

    code = "unknown_activity"


class WrongAmountError(RuleError):
    """An award's member, activity, quantity, credits or rule version do not match its basis."""

    code = "wrong_amount"


class WrongRouteError(RuleError):
    """Organiser activities go in a session register; every other activity is claimed."""

    code = "wrong_route"


class OutOfWindowError(RuleError):
    """An activity date in the future or too long ago, or a dispute after its window."""

    code = "out_of_window"


class NotAMemberError(NotFoundError):
    """A counterparty or attendee is not a member of the co-op."""

    code = "not_a_member"


class NoRuleTableError(NotFoundError):
    """No credit rule table has been adopted yet."""

    code = "no_rule_table"


class AlreadyAwardedError(ConflictError):
    """The claim, or this attendee of this session, has been awarded already."""

    code = "already_awarded"


class ClaimClosedError(ConflictError):
    """The claim was declined or withdrawn and can no longer be awarded or declined."""

    code = "claim_closed"


class DuplicateEvidenceError(ConflictError):
    """The claimant has an open or awarded claim with the same evidence hash."""

    code = "duplicate_evidence"


class AlreadyReversedError(ConflictError):
    """The award has been reversed; it cannot be reversed again or adjusted."""

    code = "already_reversed"
