"""Governance exceptions: one base, leaf names ending in ``Error``.

::

    GovernanceError
    ├── InvalidBallotError     a ballot does not fit its method and rules (nothing is counted)
    ├── InvalidRulesError      a proposal's rules are malformed or do not fit its method
    ├── UnknownMethodError     no voting method of that name, or not at the pinned version
    └── TallyError             the ballots cannot be tallied under these rules

Each class carries a ``code``: a short, stable string for API error payloads.
"""

from __future__ import annotations


class GovernanceError(Exception):
    """Base of every error raised by ``governance``."""

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
