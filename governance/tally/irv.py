"""Ranked choice by instant runoff (IRV, also called the alternative vote).

Ballot: ``{"ranking": [<option index>, ...]}``; see ``governance.tally._ranked``.

Counting rule, round by round (no quorum, or no ballots, means no winner):

1. Each ballot counts one vote for its highest-ranked option that is still continuing. A ballot
   with no continuing option left is exhausted and no longer counts.
2. If an option has strictly more than half the votes of the non-exhausted ballots, it wins.
3. Otherwise the option with the fewest votes is eliminated and the next round begins.
4. When several options share the fewest votes:

   a. if their votes added together are fewer than the votes of every other continuing option,
      they are all eliminated together: eliminating them one at a time, in any order, would
      eliminate every one of them before any other option, so no tie rule is needed;
   b. otherwise the tie rule decides, looking only at this round (no look-back at earlier
      rounds): under ``"seeded"`` the tied option that comes last in the seeded order is
      eliminated; under ``"none"`` the count stops there and reports a tie with no winner.

Step 4b matches pref_voting's ``instant_runoff_tb`` with the reversed seeded order as its
tie-breaker. Step 4a never changes the winner.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from governance.tally._quorum import (
    Decision,
)
from governance.tally._ranked import RankedMethod
from governance.tally._ties import last_in_order, tie_order, tie_record
from governance.tally.base import Json, Rules

ALGORITHM_VERSION: Final = "irv/2"

Groups = Counter[tuple[int, ...]]


def _round_votes(groups: Groups, continuing: set[int]) -> tuple[dict[int, int], int]:
    """Step 1: return each continuing option's votes, and the number of exhausted ballots."""
    votes = dict.fromkeys(sorted(continuing), 0)
    exhausted = 0
    for ranking, count in groups.items():
        top = next((option for option in ranking if option in continuing), None)
        if top is None:
            exhausted += count
        else:
            votes[top] += count
    return votes, exhausted


def _fewest(votes: dict[int, int]) -> tuple[list[int], bool]:
    """Steps 3-4: return the options with the fewest votes, and whether the tie rule must choose.

    The tie rule is not needed when one option has the fewest votes, or when the tied options'
    combined votes are fewer than every other option's (step 4a).
    """
    fewest = min(votes.values())
    lowest = [option for option, number in votes.items() if number == fewest]
    others = [number for number in votes.values() if number != fewest]
    safe = len(lowest) == 1 or (bool(others) and fewest * len(lowest) < min(others))
    return lowest, not safe


def _round_record(number: int, votes: dict[int, int], exhausted: int) -> dict[str, Json]:
    active = sum(votes.values())
    return {
        "step": "round",
        "round": number,
        "votes": {str(option): n for option, n in votes.items()},
        "exhausted": exhausted,
        "continuing_ballots": active,
        "majority": active // 2 + 1,
    }


def _count(groups: Groups, rules: Rules) -> tuple[list[dict[str, Json]], Decision]:
    """Run the rounds; return the transcript and the decision."""
    rounds: list[dict[str, Json]] = []
    continuing = set(range(rules.n_options))
    tied: tuple[int, ...] = ()
    tie_broken = False
    number = 0
    while True:
        number += 1
        votes, exhausted = _round_votes(groups, continuing)
        record = _round_record(number, votes, exhausted)
        rounds.append(record)
        leader = max(votes, key=votes.__getitem__)
        if 2 * votes[leader] > sum(votes.values()):
            record["elected"] = leader
            return rounds, Decision("winner", leader, tied, tie_broken)
        lowest, needs_tie_rule = _fewest(votes)
        if needs_tie_rule:
            tied = tuple(lowest)
            if rules.tie_rule == "none":
                rounds.append(
                    tie_record(tied=tied, chosen=None, rules=rules, purpose="elimination")
                )
                return rounds, Decision("tie", None, tied)
            lowest = [last_in_order(tied, tie_order(rules))]
            tie_broken = True
            rounds.append(
                tie_record(tied=tied, chosen=lowest[0], rules=rules, purpose="elimination")
            )
        record["eliminated"] = lowest
        continuing.difference_update(lowest)


class InstantRunoff(RankedMethod):
    """Instant runoff; see module docstring."""

    name = "irv"
    algorithm = ALGORITHM_VERSION
    count = staticmethod(_count)
