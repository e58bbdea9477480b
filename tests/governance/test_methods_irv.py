"""Instant runoff: majority of continuing ballots, bulk and seeded eliminations."""

from __future__ import annotations

from fractions import Fraction

import pytest

from governance.errors import InvalidBallotError
from governance.tally import METHODS, Rules
from tests.governance.helpers import make_rules, rankings

IRV = METHODS["irv"]
MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = range(4)
# The seeded order for the test seed is (0, 3, 2, 1): ties for elimination take 1 first, then 2.

TENNESSEE = rankings(
    (42, [MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE]),
    (26, [NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS]),
    (15, [CHATTANOOGA, KNOXVILLE, NASHVILLE, MEMPHIS]),
    (17, [KNOXVILLE, CHATTANOOGA, NASHVILLE, MEMPHIS]),
)


def test_tennessee_capital_elects_knoxville() -> None:
    tally = IRV.tally(TENNESSEE, make_rules())
    assert tally.winner == KNOXVILLE
    assert tally.counts == (42, 26, 15, 17)
    assert tally.algorithm == "irv/2"
    assert tally.to_json()["rounds"] == [
        {"step": "quorum", "ballots": 100, "electorate_size": 100, "quorum": [0, 1], "met": True},
        {
            "step": "round",
            "round": 1,
            "votes": {"0": 42, "1": 26, "2": 15, "3": 17},
            "exhausted": 0,
            "continuing_ballots": 100,
            "majority": 51,
            "eliminated": [CHATTANOOGA],
        },
        {
            "step": "round",
            "round": 2,
            "votes": {"0": 42, "1": 26, "3": 32},
            "exhausted": 0,
            "continuing_ballots": 100,
            "majority": 51,
            "eliminated": [NASHVILLE],
        },
        {
            "step": "round",
            "round": 3,
            "votes": {"0": 42, "3": 58},
            "exhausted": 0,
            "continuing_ballots": 100,
            "majority": 51,
            "elected": KNOXVILLE,
        },
    ]


def test_majority_is_of_continuing_ballots() -> None:
    ballots = rankings((2, [0]), (2, [1]), (1, [2]))
    tally = IRV.tally(ballots, make_rules(n_options=3))
    rounds = tally.rounds[1:]
    assert rounds[0]["eliminated"] == [2]
    assert rounds[1]["exhausted"] == 1
    assert rounds[1]["continuing_ballots"] == 4
    assert rounds[2] == {
        "step": "tie",
        "for": "elimination",
        "tied": [0, 1],
        "rule": "seeded",
        "chosen": 1,
    }
    assert rounds[3]["votes"] == {"0": 2}
    assert rounds[3]["exhausted"] == 3
    assert rounds[3]["elected"] == 0
    assert tally.winner == 0
    assert tally.tie_broken is True


BULK = rankings((3, [0]), (3, [1, 0]), (1, [2, 1]), (1, [3, 0]))


def test_tied_last_options_below_everyone_are_eliminated_together() -> None:
    tally = IRV.tally(BULK, make_rules())
    first = tally.rounds[1]
    assert first["votes"] == {"0": 3, "1": 3, "2": 1, "3": 1}
    assert first["eliminated"] == [2, 3]  # 1 + 1 < 3: no tie rule needed
    assert tally.rounds[2]["votes"] == {"0": 4, "1": 4}
    assert tally.rounds[3]["chosen"] == 1  # last of {0, 1} in the seeded order
    assert tally.rounds[4]["elected"] == 0
    assert tally.winner == 0
    assert tally.tied == (0, 1)


def test_zero_vote_options_never_need_the_tie_rule() -> None:
    tally = IRV.tally(rankings((2, [0, 1]), (1, [1, 0])), make_rules(n_options=6))
    assert tally.winner == 0
    assert tally.tie_broken is False


def test_final_tie_without_a_tie_rule() -> None:
    tally = IRV.tally(BULK, make_rules(tie_rule="none"))
    assert tally.outcome == "tie"
    assert tally.winner is None
    assert tally.tied == (0, 1)
    assert tally.rounds[-1] == {
        "step": "tie",
        "for": "elimination",
        "tied": [0, 1],
        "rule": "none",
        "chosen": None,
    }


# Round 1: A 4, B 3, C 2, D 1. Round 2: A 4, B 3, C 3. A look-back rule would eliminate C
# (fewer votes in round 1); ours looks at this round only and the seeded order eliminates B.
NO_LOOK_BACK = rankings((4, [0]), (3, [1, 2]), (2, [2]), (1, [3, 2]))


def test_elimination_ties_look_at_the_current_round_only() -> None:
    tally = IRV.tally(NO_LOOK_BACK, make_rules())
    assert tally.rounds[2]["votes"] == {"0": 4, "1": 3, "2": 3}
    assert tally.rounds[3] == {
        "step": "tie",
        "for": "elimination",
        "tied": [1, 2],
        "rule": "seeded",
        "chosen": 1,
    }
    assert tally.rounds[2]["eliminated"] == [1]
    assert tally.rounds[4]["votes"] == {"0": 4, "2": 6}
    assert tally.winner == 2


def test_elimination_tie_without_a_tie_rule_stops_the_count() -> None:
    tally = IRV.tally(NO_LOOK_BACK, make_rules(tie_rule="none"))
    assert tally.outcome == "tie"
    assert tally.winner is None
    assert tally.tied == (1, 2)
    assert "eliminated" not in tally.rounds[2]


def test_majority_in_the_first_round() -> None:
    tally = IRV.tally(rankings((3, [2]), (2, [0, 2])), make_rules())
    assert tally.winner == 2
    assert len(tally.rounds) == 2


def test_one_option() -> None:
    assert (
        IRV.tally(rankings((1, [0])), Rules(n_options=1, electorate_size=1, seed=b"s")).winner == 0
    )


def test_no_ballots_and_no_quorum() -> None:
    assert IRV.tally([], make_rules()).outcome == "no_support"
    unmet = IRV.tally(TENNESSEE[:10], make_rules(quorum=Fraction(1, 2)))
    assert unmet.outcome == "quorum_not_met"
    assert unmet.counts == (10, 0, 0, 0)
    assert len(unmet.rounds) == 1


@pytest.mark.parametrize(
    ("ballot", "message"),
    [
        ({"ranking": []}, "at least one option"),
        ({"ranking": [0, 1, 0]}, "lists option 0 more than once"),
        ({"ranking": [0, 4]}, "4 is not an option"),
        ({"ranking": [0, -1]}, "-1 is not an option"),
        ({"ranking": [True]}, "must be an integer, not bool"),
        ({"ranking": [1.0]}, "must be an integer, not float"),
        ({"ranking": "012"}, "must be a list, not str"),
        ({"ranking": 0}, "must be a list, not int"),
        ({"ranking": {"0": 1}}, "must be a list, not dict"),
        ({"ranking": [0], "x": 1}, "unknown keys"),
        ({"rank": [0]}, "missing 'ranking'"),
    ],
)
@pytest.mark.parametrize("name", ["irv", "schulze"])
def test_ranked_refusals(name: str, ballot: object, message: str) -> None:
    with pytest.raises(InvalidBallotError, match=message):
        METHODS[name].validate_ballot(ballot, make_rules())  # type: ignore[arg-type]
    with pytest.raises(InvalidBallotError, match=message):
        METHODS[name].tally([{"ranking": [0]}, ballot], make_rules())  # type: ignore[list-item]
