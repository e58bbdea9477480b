"""Approval voting."""

from __future__ import annotations

import pytest

from governance.errors import InvalidBallotError
from governance.tally import METHODS
from tests.governance.helpers import make_rules, repeat

APPROVAL = METHODS["approval"]


def test_most_approvals_wins() -> None:
    ballots = [
        *repeat({"approve": [0, 1]}, 3),
        *repeat({"approve": [1]}, 2),
        *repeat({"approve": [3, 2, 0]}, 2),
    ]
    tally = APPROVAL.tally(ballots, make_rules())
    assert tally.counts == (5, 5, 2, 2)
    assert tally.winner == 0  # tie between 0 and 1; seeded order (0, 3, 2, 1)
    assert tally.tie_broken is True
    ballots.append({"approve": [1, 2]})
    assert APPROVAL.tally(ballots, make_rules()).winner == 1


def test_empty_approvals_when_allowed() -> None:
    rules = make_rules(min_choices=0)
    APPROVAL.validate_ballot({"approve": []}, rules)
    tally = APPROVAL.tally([{"approve": []}, {"approve": []}], rules)
    assert tally.outcome == "no_support"
    assert tally.ballots == 2


def test_limits_are_inclusive() -> None:
    rules = make_rules(min_choices=2, max_choices=3)
    APPROVAL.validate_ballot({"approve": [0, 1]}, rules)
    APPROVAL.validate_ballot({"approve": (0, 1, 2)}, rules)


@pytest.mark.parametrize(
    ("ballot", "message"),
    [
        ({"approve": []}, "from 1 to 4 options, not 0"),
        ({"approve": [0, 0]}, "lists option 0 more than once"),
        ({"approve": [0, 4]}, "4 is not an option"),
        ({"approve": [False]}, "must be an integer, not bool"),
        ({"approve": [0.0]}, "must be an integer, not float"),
        ({"approve": "01"}, "must be a list, not str"),
        ({"approve": {0: True}}, "must be a list, not dict"),
        ({"approve": 1}, "must be a list, not int"),
        ({"approve": [1], "reject": [2]}, "unknown keys"),
        ({}, "missing 'approve'"),
    ],
)
def test_refusals(ballot: object, message: str) -> None:
    with pytest.raises(InvalidBallotError, match=message):
        APPROVAL.validate_ballot(ballot, make_rules())  # type: ignore[arg-type]
    with pytest.raises(InvalidBallotError, match=message):
        APPROVAL.tally([ballot], make_rules())  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("ballot", "message"),
    [({"approve": [0]}, "from 2 to 3 options, not 1"), ({"approve": [0, 1, 2, 3]}, "not 4")],
)
def test_min_and_max_choices(ballot: object, message: str) -> None:
    rules = make_rules(min_choices=2, max_choices=3)
    with pytest.raises(InvalidBallotError, match=message):
        APPROVAL.validate_ballot(ballot, rules)  # type: ignore[arg-type]
