"""Approval: each member approves any number of options between the rules' limits.

Ballot: ``{"approve": [<option index>, ...]}``: no option twice, in any order, with
``min_choices <= len <= max_choices`` (``max_choices`` defaults to every option).

Counting rule: each ballot gives one vote to every option it approves; the option with the most
approvals wins. No quorum or no approvals means no winner; a tie goes to the tie rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from governance.errors import InvalidBallotError
from governance.tally._ballots import read_fields, read_option_list
from governance.tally._totals import TotalsMethod
from governance.tally.base import Rules

ALGORITHM_VERSION: Final = "approval/2"


def read_approvals(ballot: Mapping[str, object], rules: Rules) -> tuple[int, ...]:
    """Return the approved options; raise ``InvalidBallotError`` if the ballot is malformed."""
    approved = read_option_list(read_fields(ballot, {"approve"})["approve"], rules, "approve")
    low, high = rules.min_choices, rules.choice_limit
    if not low <= len(approved) <= high:
        raise InvalidBallotError(
            f"a ballot must approve from {low} to {high} options, not {len(approved)}"
        )
    return approved


def _read_votes(ballot: Mapping[str, object], rules: Rules) -> dict[int, int]:
    """Return ``{approved option: 1}`` for every approved option."""
    return dict.fromkeys(read_approvals(ballot, rules), 1)


class Approval(TotalsMethod):
    """Approval voting; see module docstring."""

    name = "approval"
    algorithm = ALGORITHM_VERSION
    read_amounts = staticmethod(_read_votes)
