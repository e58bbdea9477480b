"""Score voting: each member gives each option a whole-number score from 0 to ``max_score``.

Ballot: ``{"scores": {"<option index>": <score>, ...}}``. Keys are option indices as decimal
strings (the ballot travels as JSON); an option left out scores 0, exactly as if it were
written with 0.

Counting rule: an option's total is the sum of its scores over all ballots; the highest total
wins. No quorum or an all-zero result means no winner; a tie goes to the tie rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from governance.errors import InvalidBallotError
from governance.tally._ballots import read_fields, read_option_map
from governance.tally._totals import TotalsMethod
from governance.tally.base import Rules

ALGORITHM_VERSION: Final = "score/2"


def read_scores(ballot: Mapping[str, object], rules: Rules) -> dict[int, int]:
    """Return ``{option: score}``; raise ``InvalidBallotError`` if the ballot is malformed."""
    scores = read_option_map(read_fields(ballot, {"scores"})["scores"], rules, "score")
    for option, score in scores.items():
        if score > rules.max_score:
            raise InvalidBallotError(
                f"score for option {option} is {score}; scores run from 0 to {rules.max_score}"
            )
    return scores


class Score(TotalsMethod):
    """Score voting; see module docstring."""

    name = "score"
    algorithm = ALGORITHM_VERSION
    read_amounts = staticmethod(read_scores)
