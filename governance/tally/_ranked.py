"""Ranked ballots, shared by instant runoff and Schulze.

Ballot: ``{"ranking": [<option index>, ...]}``, most preferred first, at least one option and
no option twice. A ballot may rank only some options: the unranked ones come below every ranked
option and are tied among themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from governance.errors import InvalidBallotError
from governance.tally._ballots import check_option_rules, read_fields, read_option_list
from governance.tally._quorum import Decision, check_ballot_count, quorum_gated_tally
from governance.tally.base import Json, Rules, Tally

RankedCount = Callable[[Counter[tuple[int, ...]], Rules], tuple[list[dict[str, Json]], Decision]]


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


class RankedMethod:
    """A ranked-ballot method: shared validation, quorum and tally; ``count`` does the rounds."""

    name: str
    algorithm: str
    count: RankedCount

    def validate_ballot(self, ballot: Mapping[str, object], rules: Rules) -> None:
        """Raise ``InvalidBallotError`` unless ``ballot`` ranks distinct options."""
        check_option_rules(rules, self.name)
        read_ranking(ballot, rules)

    def tally(self, ballots: Sequence[Mapping[str, object]], rules: Rules) -> Tally:
        """Count ``ballots`` by the method's rule (see its module docstring)."""
        check_option_rules(rules, self.name)
        check_ballot_count(len(ballots), rules)
        groups = group_rankings(ballots, rules)
        firsts = first_preferences(groups, rules.n_options)

        def count() -> tuple[list[dict[str, Json]], Decision]:
            if not groups:
                return [], Decision("no_support", None)
            return type(self).count(groups, rules)

        return quorum_gated_tally(
            method=self.name,
            algorithm=self.algorithm,
            counts=firsts,
            n_ballots=len(ballots),
            rules=rules,
            count=count,
        )
