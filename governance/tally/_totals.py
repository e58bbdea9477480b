"""Methods whose winner is the option with the highest total, shared by single, approval, score
and dot voting: each ballot adds an amount to some options, then ``highest_total_tally`` decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from governance.tally._ballots import check_option_rules
from governance.tally._quorum import check_ballot_count, highest_total_tally
from governance.tally.base import Rules, Tally

ReadAmounts = Callable[[Mapping[str, object], Rules], Mapping[int, int]]
"""Read one ballot as ``{option: amount}``; raise ``InvalidBallotError`` if it is malformed."""


class TotalsMethod:
    """A highest-total method: shared validation and tally; ``read_amounts`` reads one ballot."""

    name: str
    algorithm: str
    read_amounts: ReadAmounts

    def check_rules(self, rules: Rules) -> None:
        """Raise ``InvalidRulesError`` unless ``rules`` suit the method."""
        check_option_rules(rules, self.name)

    def validate_ballot(self, ballot: Mapping[str, object], rules: Rules) -> None:
        """Raise ``InvalidBallotError`` unless ``ballot`` is valid (see the module docstring)."""
        self.check_rules(rules)
        type(self).read_amounts(ballot, rules)

    def tally(self, ballots: Sequence[Mapping[str, object]], rules: Rules) -> Tally:
        """Count ``ballots`` by the method's rule (see its module docstring)."""
        self.check_rules(rules)
        check_ballot_count(len(ballots), rules)
        totals = [0] * rules.n_options
        for ballot in ballots:
            for option, amount in type(self).read_amounts(ballot, rules).items():
                totals[option] += amount
        return highest_total_tally(
            method=self.name,
            algorithm=self.algorithm,
            totals=totals,
            n_ballots=len(ballots),
            rules=rules,
        )
