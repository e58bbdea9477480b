"""Dot voting: the same budget for everyone, spent or not."""

from __future__ import annotations

import pytest

from governance.errors import InvalidBallotError, InvalidRulesError
from governance.tally import METHODS
from tests.governance.helpers import Ballot, make_rules

DOT = METHODS["dot"]


def test_most_dots_wins() -> None:
    rules = make_rules(dots=5)
    ballots: list[Ballot] = [
        {"dots": {"0": 5}},
        {"dots": {"1": 3, "2": 2}},
        {"dots": {"1": 2, "3": 1}},  # two dots unspent
        {"dots": {}},
    ]
    tally = DOT.tally(ballots, rules)
    assert tally.counts == (5, 5, 2, 1)
    assert tally.winner == 0  # seeded order (0, 3, 2, 1)
    assert tally.tied == (0, 1)
    assert DOT.tally(ballots[1:], rules).winner == 1


def test_budget_is_inclusive() -> None:
    DOT.validate_ballot({"dots": {"0": 2, "3": 3}}, make_rules(dots=5))
    with pytest.raises(InvalidBallotError, match="spends 6 dots, over the budget of 5"):
        DOT.validate_ballot({"dots": {"0": 3, "3": 3}}, make_rules(dots=5))


def test_no_dots_is_no_support() -> None:
    assert DOT.tally([{"dots": {"1": 0}}], make_rules(dots=3)).outcome == "no_support"


def test_a_budget_is_required() -> None:
    with pytest.raises(InvalidRulesError, match="budget of at least one dot"):
        DOT.validate_ballot({"dots": {}}, make_rules())
    with pytest.raises(InvalidRulesError, match="budget of at least one dot"):
        DOT.tally([], make_rules(dots=0))


@pytest.mark.parametrize(
    ("ballot", "message"),
    [
        ({"dots": {"0": -1}}, "dots for option 0 is negative"),
        ({"dots": {"0": True}}, "must be an integer, not bool"),
        ({"dots": {"0": 1.0}}, "must be an integer, not float"),
        ({"dots": {0: 1}}, "key 0 is not an option index as a string"),
        ({"dots": {"7": 1}}, "7 is not an option"),
        ({"dots": {"+1": 1}}, "key '\\+1' is not an option index"),
        ({"dots": [1, 1]}, "must be a JSON object, not list"),
        ({"dots": {"0": 11}}, "over the budget of 10"),
        ({"dots": {"0": 1}, "note": "x"}, "unknown keys"),
        ({}, "missing 'dots'"),
    ],
)
def test_refusals(ballot: object, message: str) -> None:
    rules = make_rules(dots=10)
    with pytest.raises(InvalidBallotError, match=message):
        DOT.validate_ballot(ballot, rules)  # type: ignore[arg-type]
    with pytest.raises(InvalidBallotError, match=message):
        DOT.tally([ballot], rules)  # type: ignore[list-item]
