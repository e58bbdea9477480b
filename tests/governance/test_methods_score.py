"""Score voting: 0-5 per option, omitted options score 0."""

from __future__ import annotations

import pytest

from governance.errors import InvalidBallotError
from governance.tally import METHODS
from tests.governance.helpers import Ballot, make_rules, repeat

SCORE = METHODS["score"]
MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = range(4)


def test_tennessee_scores() -> None:
    # Each group scores its own city 5 and the others by distance (0-5).
    ballots = [
        *repeat({"scores": {"0": 5, "1": 2}}, 42),
        *repeat({"scores": {"0": 0, "1": 5, "2": 3, "3": 2}}, 26),
        *repeat({"scores": {"1": 3, "2": 5, "3": 3}}, 15),
        *repeat({"scores": {"1": 2, "2": 3, "3": 5}}, 17),
    ]
    tally = SCORE.tally(ballots, make_rules())
    assert tally.counts == (210, 293, 204, 182)
    assert tally.winner == NASHVILLE


def test_omitted_options_score_zero() -> None:
    sparse: list[Ballot] = [{"scores": {"2": 4}}, {"scores": {}}]
    full: list[Ballot] = [
        {"scores": {"0": 0, "1": 0, "2": 4, "3": 0}},
        {"scores": dict.fromkeys("0123", 0)},
    ]
    assert SCORE.tally(sparse, make_rules()).to_json() == SCORE.tally(full, make_rules()).to_json()


def test_all_zero_is_no_support() -> None:
    assert SCORE.tally([{"scores": {}}], make_rules()).outcome == "no_support"


def test_max_score_rule() -> None:
    SCORE.validate_ballot({"scores": {"0": 10}}, make_rules(max_score=10))
    with pytest.raises(InvalidBallotError, match="scores run from 0 to 3"):
        SCORE.validate_ballot({"scores": {"0": 4}}, make_rules(max_score=3))


@pytest.mark.parametrize(
    ("ballot", "message"),
    [
        ({"scores": {"0": 6}}, "score for option 0 is 6; scores run from 0 to 5"),
        ({"scores": {"1": -1}}, "score for option 1 is negative"),
        ({"scores": {"1": True}}, "must be an integer, not bool"),
        ({"scores": {"1": 2.5}}, "must be an integer, not float"),
        ({"scores": {"1": "2"}}, "must be an integer, not str"),
        ({"scores": {1: 2}}, "key 1 is not an option index as a string"),
        ({"scores": {"01": 2}}, "key '01' is not an option index"),
        ({"scores": {"-1": 2}}, "key '-1' is not an option index"),
        ({"scores": {" 1": 2}}, "key ' 1' is not an option index"),
        ({"scores": {"": 2}}, "key '' is not an option index"),
        ({"scores": {"\u0661": 2}}, "is not an option index"),
        ({"scores": {"9" * 40: 2}}, "is not an option index"),
        ({"scores": {"4": 2}}, "4 is not an option"),
        ({"scores": [5, 0, 0, 0]}, "must be a JSON object, not list"),
        ({"scores": {"0": 1}, "extra": 1}, "unknown keys"),
        ({"score": {"0": 1}}, "missing 'scores'"),
    ],
)
def test_refusals(ballot: object, message: str) -> None:
    with pytest.raises(InvalidBallotError, match=message):
        SCORE.validate_ballot(ballot, make_rules())  # type: ignore[arg-type]
    with pytest.raises(InvalidBallotError, match=message):
        SCORE.tally([ballot], make_rules())  # type: ignore[list-item]
