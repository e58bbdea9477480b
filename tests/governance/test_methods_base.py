"""Rules validation and Tally serialisation."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from governance.errors import InvalidRulesError
from governance.tally import Rules, Tally
from tests.governance.helpers import is_plain_json, make_rules


def test_defaults() -> None:
    rules = Rules(n_options=3, electorate_size=10)
    assert rules.quorum == 0
    assert rules.threshold == Fraction(1, 2)
    assert rules.tie_rule == "seeded"
    assert rules.choice_limit == 3
    assert make_rules(max_choices=2).choice_limit == 2


def test_rules_are_frozen() -> None:
    rules = make_rules()
    with pytest.raises(AttributeError):
        rules.quorum = Fraction(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"n_options": -1}, "n_options"),
        ({"n_options": True}, "n_options"),
        ({"n_options": 2.0}, "n_options"),
        ({"electorate_size": -3}, "electorate_size"),
        ({"min_choices": -1}, "min_choices"),
        ({"min_choices": 5}, "min_choices must not exceed n_options"),
        ({"min_choices": 3, "max_choices": 2}, "max_choices"),
        ({"max_choices": -1}, "max_choices"),
        ({"dots": -1}, "dots"),
        ({"max_score": "5"}, "max_score"),
        ({"quorum": 0.5}, "quorum"),
        ({"quorum": 1}, "quorum"),
        ({"quorum": Fraction(3, 2)}, "quorum"),
        ({"quorum": Fraction(-1, 2)}, "quorum"),
        ({"threshold": Fraction(1)}, "threshold"),
        ({"threshold": Fraction(-1, 3)}, "threshold"),
        ({"threshold": 0.5}, "threshold"),
        ({"tie_rule": "random"}, "tie_rule"),
        ({"seed": "abc"}, "seed"),
        ({"consent": 1}, "consent"),
    ],
)
def test_rules_refusals(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRulesError, match=message):
        make_rules(**overrides)


def test_boundary_rules_are_accepted() -> None:
    make_rules(quorum=Fraction(1), threshold=Fraction(0), min_choices=4, max_choices=4)
    make_rules(n_options=0, min_choices=1)  # proposal votes have no options


def _tally(rounds: tuple[Any, ...]) -> Tally:
    return Tally(
        method="single",
        algorithm="single/1",
        outcome="winner",
        winner=1,
        passed=None,
        ballots=3,
        electorate_size=5,
        quorum_met=True,
        counts=(1, 2),
        rounds=rounds,
        tie_order=(1, 0),
    )


def test_to_json_is_plain() -> None:
    tally = _tally(({"step": "x", "nested": ({"a": (1, 2)}, None, True)},))
    out = tally.to_json()
    assert is_plain_json(out)
    assert out["rounds"] == [{"step": "x", "nested": [{"a": [1, 2]}, None, True]}]
    assert out["counts"] == [1, 2]
    assert out["tie_order"] == [1, 0]


@pytest.mark.parametrize("bad", [0.5, {1, 2}, b"x", Fraction(1, 2), {1: 2}])
def test_to_json_refuses_what_is_not_plain_json(bad: object) -> None:
    with pytest.raises(TypeError):
        _tally(({"step": "x", "value": bad},)).to_json()
