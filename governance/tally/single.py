"""Single choice (plurality): each member names one option.

Ballot: ``{"choice": <option index>}``.

Counting rule: each ballot gives one vote to its option; the option with the most votes wins.
No quorum or no votes means no winner; a tie for most votes goes to the tie rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from governance.tally._ballots import check_option_rules, read_fields, read_option
from governance.tally._quorum import check_ballot_count, highest_total_tally
from governance.tally.base import Rules, Tally

ALGORITHM_VERSION: Final = "single/1"


def read_single(ballot: Mapping[str, object], rules: Rules) -> int:
    """Return the chosen option; raise ``InvalidBallotError`` if the ballot is malformed."""
    return read_option(read_fields(ballot, {"choice"})["choice"], rules, "choice")


class SingleChoice:
    """Plurality; see module docstring."""

    name: Final = "single"
    algorithm: Final = ALGORITHM_VERSION

    def validate_ballot(self, ballot: Mapping[str, object], rules: Rules) -> None:
        """Raise ``InvalidBallotError`` unless ``ballot`` names exactly one option."""
        check_option_rules(rules, self.name)
        read_single(ballot, rules)

    def tally(self, ballots: Sequence[Mapping[str, object]], rules: Rules) -> Tally:
        """Count ``ballots`` by the rule in the module docstring."""
        check_option_rules(rules, self.name)
        check_ballot_count(len(ballots), rules)
        totals = [0] * rules.n_options
        for ballot in ballots:
            totals[read_single(ballot, rules)] += 1
        return highest_total_tally(
            method=self.name,
            algorithm=self.algorithm,
            totals=totals,
            n_ballots=len(ballots),
            rules=rules,
        )
