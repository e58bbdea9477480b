"""Ranked choice by the Schulze method (beatpath), winning-votes variant.

Ballot: ``{"ranking": [<option index>, ...]}``; see ``governance.tally._ranked``.

Counting rule (M. Schulze, "A new monotonic, clone-independent, reversal symmetric, and
Condorcet-consistent single-winner election method", Social Choice and Welfare 36 (2011)
267-303; the widest-path computation as in the "Implementation" section of Wikipedia's
"Schulze method" article):

1. d[x][y] is the number of ballots that rank x above y. A ranked option is above every
   unranked option; two unranked options count for neither.
2. The link x -> y has strength d[x][y] when d[x][y] > d[y][x] (its winning votes), else 0.
3. p[x][y] is the strength of the strongest (widest) path from x to y, where a path is as strong
   as its weakest link, found by the Floyd-Warshall variant: for each i, for each j != i, for
   each k not in {i, j}: p[j][k] = max(p[j][k], min(p[j][i], p[i][k])).
4. x is a potential winner when p[x][y] >= p[y][x] for every other option y.
5. A sole potential winner wins; several are a tie for the tie rule (Schulze's own
   tie-breaking ranking is not used). No quorum, or no ballots, means no winner.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from governance.tally._quorum import (
    Decision,
    choose_winner,
)
from governance.tally._ranked import RankedMethod
from governance.tally.base import Json, Rules

ALGORITHM_VERSION: Final = "schulze/2"

Matrix = list[list[int]]


def pairwise(groups: Counter[tuple[int, ...]], n_options: int) -> Matrix:
    """Step 1: return d, where d[x][y] counts the ballots ranking x above y."""
    d = [[0] * n_options for _ in range(n_options)]
    for ranking, count in groups.items():
        unranked = [option for option in range(n_options) if option not in ranking]
        for position, x in enumerate(ranking):
            for y in (*ranking[position + 1 :], *unranked):
                d[x][y] += count
    return d


def strongest_paths(d: Matrix) -> Matrix:
    """Steps 2-3: return p, the strengths of the strongest paths between every two options."""
    n = len(d)
    p = [[d[x][y] if d[x][y] > d[y][x] else 0 for y in range(n)] for x in range(n)]
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            for k in range(n):
                if k not in (i, j):
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return p


def potential_winners(p: Matrix) -> list[int]:
    """Step 4: return the options x with p[x][y] >= p[y][x] for every y."""
    n = len(p)
    return [x for x in range(n) if all(p[x][y] >= p[y][x] for y in range(n))]


def _count(
    groups: Counter[tuple[int, ...]], rules: Rules
) -> tuple[list[dict[str, Json]], Decision]:
    d = pairwise(groups, rules.n_options)
    p = strongest_paths(d)
    winners = potential_winners(p)
    rounds: list[dict[str, Json]] = [
        {"step": "pairwise", "d": d},
        {"step": "strongest_paths", "p": p},
        {"step": "potential_winners", "options": winners},
    ]
    return rounds, choose_winner(winners, rules)


class Schulze(RankedMethod):
    """Schulze method; see module docstring."""

    name = "schulze"
    algorithm = ALGORITHM_VERSION
    count = staticmethod(_count)
