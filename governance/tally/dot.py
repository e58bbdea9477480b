"""Dot voting: each member spreads up to ``dots`` dots over the options.

Ballot: ``{"dots": {"<option index>": <dots>, ...}}``. Keys are option indices as decimal
strings (the ballot travels as JSON); values are whole numbers >= 0; an option left out gets 0.
The ballot's total may be less than the budget ``dots`` but never more.

Counting rule: an option's total is the sum of its dots over all ballots; the highest total wins.
No quorum or no dots at all means no winner; a tie goes to the tie rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from governance.errors import InvalidBallotError, InvalidRulesError
from governance.tally._ballots import check_option_rules, read_fields, read_option_map
from governance.tally._totals import TotalsMethod
from governance.tally.base import Rules

ALGORITHM_VERSION: Final = "dot/2"


def read_dots(ballot: Mapping[str, object], rules: Rules) -> dict[int, int]:
    """Return ``{option: dots}``; raise ``InvalidBallotError`` if the ballot is malformed."""
    dots = read_option_map(read_fields(ballot, {"dots"})["dots"], rules, "dots")
    spent = sum(dots.values())
    if spent > rules.dots:
        raise InvalidBallotError(f"ballot spends {spent} dots, over the budget of {rules.dots}")
    return dots


class Dot(TotalsMethod):
    """Dot voting; see module docstring."""

    name = "dot"
    algorithm = ALGORITHM_VERSION
    read_amounts = staticmethod(read_dots)

    def check_rules(self, rules: Rules) -> None:
        """Raise ``InvalidRulesError`` unless ``rules`` give a budget of at least one dot."""
        check_option_rules(rules, self.name)
        if rules.dots < 1:
            raise InvalidRulesError("a dot vote needs a budget of at least one dot")
