"""Governance exceptions: one base, leaf names ending in ``Error``.

::

    LedgerError (ledger.errors)
    └── GovernanceError
    ├── InvalidBallotError         a ballot does not fit its method and rules (nothing is counted)
    ├── InvalidRulesError          a proposal's rules are malformed or do not fit its method
    ├── UnknownMethodError         no voting method of that name, or not at the pinned version
    ├── TallyError                 the ballots cannot be tallied under these rules
    ├── SpoiledBallotError         a sealed ballot cannot be opened or read (counted as spoiled)
    ├── ResultsHiddenError         a hidden proposal's ballots or results asked for before close
    ├── SealKeyError               a seal key file is missing, malformed or readable by others
    ├── RecountError               a recorded decision differs from the recount of the log
    └── refusals of a statement (nothing is appended); each is also a ledger error:
        ├── ProposalRulesError     method, algorithm or rules unusable   (MalformedStatementError)
        ├── BallotRefusedError     a ballot malformed for its method     (RuleError)
        ├── NotEligibleError       not in the electorate frozen at open  (NotAuthorisedError)
        │   └── ObserverError      observers never vote
        ├── NotConvenorError       only the group's convenor or the board (NotAuthorisedError)
        ├── VotingWindowError      before opening, after closing, or closed (RuleError)
        ├── ElectorateMismatchError  the listed electorate is not the current one (ConflictError)
        ├── TallyMismatchError     the decision differs from the recount  (ConflictError)
        ├── SealMismatchError      the published private key is not the proposal's (ConflictError)
        └── TextMissingError       a text named by its hash was never stored (NotFoundError)

Each class carries a ``code``: a short, stable string for API error payloads. The refusals
inherit from ``ledger.errors`` as well, so the sequencer refuses them like any other rule
breach: the statement is not appended and the rest of its batch is untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from ledger.errors import (
    AuditError,
    ConflictError,
    KeyFileError,
    LedgerError,
    MalformedStatementError,
    NotAuthorisedError,
    NotFoundError,
    RuleError,
)


class GovernanceError(LedgerError):
    """Base of every error raised by ``governance`` (itself a ``LedgerError``: one tree)."""

    code = "governance"


class InvalidBallotError(GovernanceError):
    """A ballot has the wrong shape, a wrong type, or a value the rules do not allow."""

    code = "invalid_ballot"


class InvalidRulesError(GovernanceError):
    """A proposal's rules are malformed or unusable with its voting method."""

    code = "invalid_rules"


class UnknownMethodError(GovernanceError):
    """No voting method has that name, or it is not implemented at the pinned version."""

    code = "unknown_method"


class TallyError(GovernanceError):
    """The ballots cannot be tallied, e.g. there are more ballots than electors."""

    code = "tally_refused"


SpoiledReason = Literal[
    "not_decryptable",
    "not_canonical_json",
    "wrong_shape",
    "wrong_binding",
    "not_in_electorate",
    "invalid_ballot",
    "empty",
]
"""Why a ballot is spoiled: the closed list a transcript names from algorithm version 2 on.

In the order of the checks: ``not_decryptable``: it does not decrypt with the proposal's
key; ``not_canonical_json``: the plaintext is not RFC 8785 canonical JSON of an object;
``wrong_shape``: not exactly ``{ballot, member, proposal}`` with an object ballot;
``wrong_binding``: sealed for another proposal or voter; ``not_in_electorate``: the voter is
outside the electorate frozen at opening; ``invalid_ballot``: the method refuses it;
``empty``: neither a plain nor a sealed ballot.
"""
SPOILED_REASONS: tuple[SpoiledReason, ...] = get_args(SpoiledReason)


class SpoiledBallotError(GovernanceError):
    """A sealed ballot does not decrypt, is not JSON, or is bound to another proposal or voter.

    ``opened`` is the ballot it opened to, when it did open (bound elsewhere, or refused by
    the method): once the proposal closes it is shown with the reason.
    """

    code = "spoiled_ballot"

    def __init__(
        self, message: str, *, reason: SpoiledReason, opened: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.opened = opened


class ResultsHiddenError(GovernanceError):
    """The proposal hides its results until close, and it is still open."""

    code = "results_hidden"


class SealKeyError(GovernanceError, KeyFileError):
    """A per-proposal seal key file is missing, malformed, or readable by others."""

    code = "seal_key"


class RecountError(GovernanceError, AuditError):
    """Recounting the log's ballots gives another result than a recorded decision."""

    code = "recount_differs"


class ProposalRulesError(GovernanceError, MalformedStatementError):
    """A proposal's method, algorithm version, options or rules cannot be used."""

    code = "proposal_rules"


class BallotRefusedError(GovernanceError, RuleError):
    """A ballot is malformed for the proposal's method (wraps ``InvalidBallotError``)."""

    code = "ballot_refused"


class NotEligibleError(GovernanceError, NotAuthorisedError):
    """The voter is not in the electorate frozen when the proposal opened."""

    code = "not_eligible"


class ObserverError(NotEligibleError):
    """Observers of a group never vote."""

    code = "observer"


class NotConvenorError(GovernanceError, NotAuthorisedError):
    """Only the group's convenor (or a board member) may do this."""

    code = "not_convenor"


class VotingWindowError(GovernanceError, RuleError):
    """The proposal has not opened yet, its closing time has passed, or it is closed."""

    code = "voting_window"


class ElectorateMismatchError(GovernanceError, ConflictError):
    """The electorate in an opening statement is not the group's electorate now."""

    code = "electorate_mismatch"


class TallyMismatchError(GovernanceError, ConflictError):
    """A decision's result or transcript hash differs from the recount of the logged ballots."""

    code = "tally_mismatch"


class SealMismatchError(GovernanceError, ConflictError):
    """The private key in a closing statement is not the half of the proposal's seal key."""

    code = "seal_mismatch"


class TextMissingError(GovernanceError, NotFoundError):
    """A statement names a text by its SHA-256, but no such text has been stored."""

    code = "text_missing"
