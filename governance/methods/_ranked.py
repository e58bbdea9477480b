"""Ranked ballots, shared by instant runoff and Schulze.

Ballot: ``{"ranking": [<option index>, ...]}``, most preferred first, at least one option and
no option twice. A ballot may rank only some options: the unranked ones come below every ranked
option and are tied among themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from governance.errors import InvalidBallotError
from governance.methods._ballots import read_fields, read_option_list
from governance.methods.base import Rules


def read_ranking(ballot: Mapping[str, object], rules: Rules) -> tuple[int, ...]:
    """Return the ranking; raise ``InvalidBallotError`` if the ballot is malformed."""
    ranking = read_option_list(read_fields(ballot, {"ranking"})["ranking"], rules, "ranking")
    if not ranking:
        raise InvalidBallotError("a ranking must rank at least one option")
    return ranking


def group_rankings(
    ballots: Sequence[Mapping[str, object]], rules: Rules
) -> Counter[tuple[int, ...]]:
    """Validate every ballot and return how many ballots cast each distinct ranking."""
    return Counter(read_ranking(ballot, rules) for ballot in ballots)


def first_preferences(groups: Counter[tuple[int, ...]], n_options: int) -> list[int]:
    """Return, per option, how many ballots rank it first."""
    firsts = [0] * n_options
    for ranking, count in groups.items():
        firsts[ranking[0]] += count
    return firsts
