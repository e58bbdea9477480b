"""Approval: each member approves any number of options between the rules' limits.

Ballot: ``{"approve": [<option index>, ...]}``: no option twice, in any order, with
``min_choices <= len <= max_choices`` (``max_choices`` defaults to every option).

Counting rule: each ballot gives one vote to every option it approves; the option with the most
approvals wins. No quorum or no approvals means no winner; a tie goes to the tie rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from governance.errors import InvalidBallotError
from governance.tally._ballots import check_option_rules, read_fields, read_option_list
from governance.tally._quorum import check_ballot_count, highest_total_tally
from governance.tally.base import Rules, Tally

ALGORITHM_VERSION: Final = "approval/1"


def read_approvals(ballot: Mapping[str, object], rules: Rules) -> tuple[int, ...]:
    """Return the approved options; raise ``InvalidBallotError`` if the ballot is malformed."""
    approved = read_option_list(read_fields(ballot, {"approve"})["approve"], rules, "approve")
    low, high = rules.min_choices, rules.choice_limit
    if not low <= len(approved) <= high:
        raise InvalidBallotError(
            f"a ballot must approve from {low} to {high} options, not {len(approved)}"
        )
    return approved


class Approval:
    """Approval voting; see module docstring."""

    name: Final = "approval"
    algorithm: Final = ALGORITHM_VERSION

    def validate_ballot(self, ballot: Mapping[str, object], rules: Rules) -> None:
        """Raise ``InvalidBallotError`` unless it approves distinct options, within limits."""
        check_option_rules(rules, self.name)
        read_approvals(ballot, rules)

    def tally(self, ballots: Sequence[Mapping[str, object]], rules: Rules) -> Tally:
        """Count ``ballots`` by the rule in the module docstring."""
        check_option_rules(rules, self.name)
        check_ballot_count(len(ballots), rules)
        totals = [0] * rules.n_options
        for ballot in ballots:
            for option in read_approvals(ballot, rules):
                totals[option] += 1
        return highest_total_tally(
            method=self.name,
            algorithm=self.algorithm,
            totals=totals,
            n_ballots=len(ballots),
            rules=rules,
        )
