"""Dot voting: each member spreads up to ``dots`` dots over the options.

Ballot: ``{"dots": {"<option index>": <dots>, ...}}``. Keys are option indices as decimal
strings (the ballot travels as JSON); values are whole numbers >= 0; an option left out gets 0.
The ballot's total may be less than the budget ``dots`` but never more.

Counting rule: an option's total is the sum of its dots over all ballots; the highest total wins.
No quorum or no dots at all means no winner; a tie goes to the tie rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from governance.errors import InvalidBallotError, InvalidRulesError
from governance.tally._ballots import check_option_rules, read_fields, read_option_map
from governance.tally._quorum import check_ballot_count, highest_total_tally
from governance.tally.base import Rules, Tally

ALGORITHM_VERSION: Final = "dot/1"


def read_dots(ballot: Mapping[str, object], rules: Rules) -> dict[int, int]:
    """Return ``{option: dots}``; raise ``InvalidBallotError`` if the ballot is malformed."""
    dots = read_option_map(read_fields(ballot, {"dots"})["dots"], rules, "dots")
    spent = sum(dots.values())
    if spent > rules.dots:
        raise InvalidBallotError(f"ballot spends {spent} dots, over the budget of {rules.dots}")
    return dots


def _check_rules(rules: Rules) -> None:
    check_option_rules(rules, "dot")
    if rules.dots < 1:
        raise InvalidRulesError("a dot vote needs a budget of at least one dot")


class Dot:
    """Dot voting; see module docstring."""

    name: Final = "dot"
    algorithm: Final = ALGORITHM_VERSION

    def validate_ballot(self, ballot: Mapping[str, object], rules: Rules) -> None:
        """Raise ``InvalidBallotError`` unless the dots are ints >= 0 within the budget."""
        _check_rules(rules)
        read_dots(ballot, rules)

    def tally(self, ballots: Sequence[Mapping[str, object]], rules: Rules) -> Tally:
        """Count ``ballots`` by the rule in the module docstring."""
        _check_rules(rules)
        check_ballot_count(len(ballots), rules)
        totals = [0] * rules.n_options
        for ballot in ballots:
            for option, dots in read_dots(ballot, rules).items():
                totals[option] += dots
        return highest_total_tally(
            method=self.name,
            algorithm=self.algorithm,
            totals=totals,
            n_ballots=len(ballots),
            rules=rules,
        )
