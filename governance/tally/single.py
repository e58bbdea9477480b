"""Single choice (plurality): each member names one option.

Ballot: ``{"choice": <option index>}``.

Counting rule: each ballot gives one vote to its option; the option with the most votes wins.
No quorum or no votes means no winner; a tie for most votes goes to the tie rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from governance.tally._ballots import read_fields, read_option
from governance.tally._totals import TotalsMethod
from governance.tally.base import Rules

ALGORITHM_VERSION: Final = "single/2"


def read_single(ballot: Mapping[str, object], rules: Rules) -> int:
    """Return the chosen option; raise ``InvalidBallotError`` if the ballot is malformed."""
    return read_option(read_fields(ballot, {"choice"})["choice"], rules, "choice")


def _read_vote(ballot: Mapping[str, object], rules: Rules) -> dict[int, int]:
    """Return ``{chosen option: 1}``."""
    return {read_single(ballot, rules): 1}


class SingleChoice(TotalsMethod):
    """Plurality; see module docstring."""

    name = "single"
    algorithm = ALGORITHM_VERSION
    read_amounts = staticmethod(_read_vote)
