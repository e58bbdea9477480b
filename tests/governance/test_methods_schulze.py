"""Schulze (winning votes), with golden vectors from the literature."""

from __future__ import annotations

from governance.tally import METHODS
from governance.tally.schulze import pairwise, potential_winners, strongest_paths
from tests.governance.helpers import make_rules, rankings

SCHULZE = METHODS["schulze"]
A, B, C, D, E = range(5)

# Wikipedia, "Schulze method", the example with 45 voters and 5 candidates.
WIKIPEDIA = rankings(
    (5, [A, C, B, E, D]),
    (5, [A, D, E, C, B]),
    (8, [B, E, D, A, C]),
    (3, [C, A, B, E, D]),
    (7, [C, A, E, B, D]),
    (2, [C, B, A, D, E]),
    (7, [D, C, E, B, A]),
    (8, [E, B, A, D, C]),
)
WIKIPEDIA_D = [
    [0, 20, 26, 30, 22],
    [25, 0, 16, 33, 18],
    [19, 29, 0, 17, 24],
    [15, 12, 28, 0, 14],
    [23, 27, 21, 31, 0],
]
WIKIPEDIA_P = [
    [0, 28, 28, 30, 24],
    [25, 0, 28, 33, 24],
    [25, 29, 0, 29, 24],
    [25, 28, 28, 0, 24],
    [25, 28, 28, 31, 0],
]


def test_wikipedia_example_elects_e() -> None:
    tally = SCHULZE.tally(WIKIPEDIA, make_rules(n_options=5, electorate_size=45))
    assert tally.winner == E
    assert tally.tie_broken is False
    assert tally.counts == (10, 8, 12, 7, 8)
    assert tally.to_json()["rounds"] == [
        {"step": "quorum", "ballots": 45, "electorate_size": 45, "quorum": [0, 1], "met": True},
        {"step": "pairwise", "d": WIKIPEDIA_D},
        {"step": "strongest_paths", "p": WIKIPEDIA_P},
        {"step": "potential_winners", "options": [E]},
    ]


MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = range(4)


def test_tennessee_capital_elects_nashville_the_condorcet_winner() -> None:
    ballots = rankings(
        (42, [MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE]),
        (26, [NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS]),
        (15, [CHATTANOOGA, KNOXVILLE, NASHVILLE, MEMPHIS]),
        (17, [KNOXVILLE, CHATTANOOGA, NASHVILLE, MEMPHIS]),
    )
    tally = SCHULZE.tally(ballots, make_rules())
    assert tally.winner == NASHVILLE
    assert tally.rounds[1]["d"] == [
        [0, 42, 42, 42],
        [58, 0, 68, 68],
        [58, 32, 0, 83],
        [58, 32, 17, 0],
    ]


def test_truncated_ballots_put_unranked_options_last_and_tied() -> None:
    ballots = rankings((2, [0]), (1, [1, 2]), (1, [2]))
    groups = {(0,): 2, (1, 2): 1, (2,): 1}
    d = pairwise(groups, 3)  # type: ignore[arg-type]
    assert d == [[0, 2, 2], [1, 0, 1], [2, 1, 0]]
    p = strongest_paths(d)
    assert p == [[0, 2, 0], [0, 0, 0], [0, 0, 0]]
    assert potential_winners(p) == [0, 2]
    seeded = SCHULZE.tally(ballots, make_rules(n_options=3))
    assert seeded.winner == 0  # seeded order restricted to {0, 2} is (0, 2)
    assert seeded.tied == (0, 2)
    assert seeded.tie_broken is True
    unbroken = SCHULZE.tally(ballots, make_rules(n_options=3, tie_rule="none"))
    assert unbroken.outcome == "tie"
    assert unbroken.winner is None


def test_winning_votes_differ_from_margins_on_truncated_ballots() -> None:
    ballots = rankings((3, [1]), (4, [2, 0]), (2, [0, 1, 2]))
    tally = SCHULZE.tally(ballots, make_rules(n_options=3))
    # A cycle 0 -> 1 (6 to 3), 1 -> 2 (5 to 4), 2 -> 0 (4 to 2). By winning votes the weakest
    # link is 2 -> 0 (4), and 0 wins; by margins it would be 1 -> 2 (margin 1), and 2 would win.
    assert tally.rounds[1]["d"] == [[0, 6, 2], [3, 0, 5], [4, 4, 0]]
    assert tally.rounds[2]["p"] == [[0, 6, 5], [4, 0, 5], [4, 4, 0]]
    assert tally.winner == 0


def test_no_ballots() -> None:
    assert SCHULZE.tally([], make_rules()).outcome == "no_support"
