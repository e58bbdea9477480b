"""Single choice (plurality)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from governance.errors import InvalidBallotError, InvalidRulesError
from governance.tally import METHODS
from tests.governance.helpers import make_rules, repeat

SINGLE = METHODS["single"]
MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = range(4)


def test_tennessee_capital_plurality_elects_memphis() -> None:
    ballots = [
        *repeat({"choice": MEMPHIS}, 42),
        *repeat({"choice": NASHVILLE}, 26),
        *repeat({"choice": CHATTANOOGA}, 15),
        *repeat({"choice": KNOXVILLE}, 17),
    ]
    tally = SINGLE.tally(ballots, make_rules())
    assert tally.winner == MEMPHIS
    assert tally.outcome == "winner"
    assert tally.counts == (42, 26, 15, 17)
    assert tally.rounds[1] == {
        "step": "totals",
        "totals": [42, 26, 15, 17],
        "highest": 42,
        "leaders": [MEMPHIS],
    }
    assert tally.tie_broken is False
    assert tally.algorithm == "single/2"


def test_seeded_tie_goes_to_the_first_in_the_seeded_order() -> None:
    # The seeded order for the test seed is (0, 3, 2, 1).
    ballots = [{"choice": 1}, {"choice": 3}, {"choice": 2}]
    tally = SINGLE.tally(ballots, make_rules())
    assert tally.winner == 3
    assert tally.tie_broken is True
    assert tally.tie_break == "seeded"
    assert tally.tied == (1, 2, 3)
    assert tally.tie_order == (0, 3, 2, 1)
    assert tally.rounds[-1] == {
        "step": "tie",
        "for": "win",
        "tied": [1, 2, 3],
        "rule": "seeded",
        "chosen": 3,
    }


def test_tie_without_a_tie_rule_has_no_winner() -> None:
    tally = SINGLE.tally([{"choice": 1}, {"choice": 2}], make_rules(tie_rule="none"))
    assert tally.winner is None
    assert tally.outcome == "tie"
    assert tally.tied == (1, 2)
    assert tally.tie_broken is False
    assert tally.tie_order == ()


def test_no_ballots_no_winner() -> None:
    tally = SINGLE.tally([], make_rules())
    assert tally.outcome == "no_support"
    assert tally.winner is None


def test_quorum_not_met() -> None:
    rules = make_rules(electorate_size=10, quorum=Fraction(1, 3))
    tally = SINGLE.tally(repeat({"choice": 0}, 3), rules)
    assert tally.outcome == "quorum_not_met"
    assert tally.winner is None
    assert tally.counts == (3, 0, 0, 0)
    assert SINGLE.tally(repeat({"choice": 0}, 4), rules).winner == 0


@pytest.mark.parametrize(
    ("ballot", "message"),
    [
        ({"choice": 4}, "4 is not an option"),
        ({"choice": -1}, "-1 is not an option"),
        ({"choice": True}, "must be an integer, not bool"),
        ({"choice": 1.0}, "must be an integer, not float"),
        ({"choice": "1"}, "must be an integer, not str"),
        ({"choice": [1]}, "must be an integer, not list"),
        ({"choice": 1, "also": 2}, "unknown keys"),
        ({"choices": 1}, "missing 'choice'"),
        ("1", "must be a JSON object"),
        ({1: 1}, "missing 'choice'"),
    ],
)
def test_refusals(ballot: object, message: str) -> None:
    with pytest.raises(InvalidBallotError, match=message):
        SINGLE.validate_ballot(ballot, make_rules())  # type: ignore[arg-type]
    with pytest.raises(InvalidBallotError, match=message):
        SINGLE.tally([{"choice": 0}, ballot], make_rules())  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"n_options": 0}, "at least one option"), ({"seed": b""}, "non-empty seed")],
)
def test_rules_refusals(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRulesError, match=message):
        SINGLE.validate_ballot({"choice": 0}, make_rules(**overrides))
    with pytest.raises(InvalidRulesError, match=message):
        SINGLE.tally([], make_rules(**overrides))


def test_empty_seed_is_fine_without_a_tie_rule() -> None:
    assert SINGLE.tally([{"choice": 2}], make_rules(seed=b"", tie_rule="none")).winner == 2
