"""Proposal and consent votes: quorum, strict threshold, blocks."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import pytest

from governance.errors import InvalidBallotError, TallyError
from governance.tally import METHODS, PROPOSAL_CHOICES, Tally
from governance.tally.proposal import read_choice
from tests.governance.helpers import make_rules, repeat

AGREE = {"choice": "agree"}
ABSTAIN = {"choice": "abstain"}
DISAGREE = {"choice": "disagree"}
BLOCK = {"choice": "block", "reason": "breaks our safeguarding policy"}


def ballots(
    agree: int = 0, abstain: int = 0, disagree: int = 0, block: int = 0
) -> list[Mapping[str, object]]:
    return [
        *repeat(AGREE, agree),
        *repeat(ABSTAIN, abstain),
        *repeat(DISAGREE, disagree),
        *repeat(BLOCK, block),
    ]


def proposal(electorate: int = 10, **counts: int) -> Tally:
    return METHODS["proposal"].tally(ballots(**counts), make_rules(electorate_size=electorate))


def test_passes_with_a_majority_of_agree_over_disagree() -> None:
    tally = proposal(agree=4, abstain=3, disagree=2)
    assert tally.passed is True
    assert tally.outcome == "passed"
    assert tally.winner is None
    assert tally.counts == (4, 3, 2, 0)
    assert PROPOSAL_CHOICES == ("agree", "abstain", "disagree", "block")
    assert tally.to_json()["rounds"] == [
        {"step": "quorum", "ballots": 9, "electorate_size": 10, "quorum": [0, 1], "met": True},
        {
            "step": "decision",
            "counts": {"agree": 4, "abstain": 3, "disagree": 2, "block": 0},
            "consent": False,
            "support": [4, 6],
            "threshold": [1, 2],
            "above": True,
        },
    ]


def test_threshold_is_strict() -> None:
    assert proposal(agree=3, disagree=3).outcome == "failed"
    assert proposal(agree=4, disagree=3).outcome == "passed"
    two_thirds = make_rules(electorate_size=10, threshold=Fraction(2, 3))
    assert METHODS["proposal"].tally(ballots(agree=6, disagree=3), two_thirds).outcome == "failed"
    assert METHODS["proposal"].tally(ballots(agree=7, disagree=3), two_thirds).outcome == "passed"


def test_zero_threshold_needs_one_agree() -> None:
    rules = make_rules(electorate_size=10, threshold=Fraction(0))
    assert METHODS["proposal"].tally(ballots(agree=1, disagree=5), rules).passed is True
    assert METHODS["proposal"].tally(ballots(disagree=5), rules).passed is False


def test_only_abstentions_fail() -> None:
    tally = proposal(abstain=8)
    assert tally.outcome == "failed"
    assert tally.rounds[-1]["support"] == [0, 0]


def test_quorum_counts_every_choice_and_is_inclusive() -> None:
    rules = make_rules(electorate_size=10, quorum=Fraction(1, 2))
    met = METHODS["proposal"].tally(ballots(agree=3, abstain=1, disagree=1, block=1), rules)
    assert met.quorum_met is True
    assert met.passed is True
    assert met.rounds[-1]["support"] == [3, 5]  # outside consent mode a block is a disagree
    unmet = METHODS["proposal"].tally(ballots(agree=4), rules)
    assert unmet.quorum_met is False
    assert unmet.outcome == "quorum_not_met"
    assert unmet.passed is False
    assert len(unmet.rounds) == 1


def test_a_block_outside_consent_mode_counts_as_a_disagree() -> None:
    assert proposal(agree=3, disagree=2).outcome == "passed"
    tally = proposal(agree=3, disagree=2, block=1)
    assert tally.outcome == "failed"
    assert tally.rounds[-1]["support"] == [3, 6]
    assert proposal(agree=4, disagree=2, block=1).outcome == "passed"


def test_consent_mode_in_rules_fails_on_one_block() -> None:
    rules = make_rules(electorate_size=10, consent=True)
    assert METHODS["proposal"].tally(ballots(agree=8, block=1), rules).outcome == "blocked"
    assert METHODS["proposal"].tally(ballots(agree=8), rules).outcome == "passed"
    assert METHODS["proposal"].tally(ballots(agree=1, disagree=1), rules).outcome == "failed"


def test_consent_method_passes_unless_blocked() -> None:
    consent = METHODS["consent"]
    rules = make_rules(electorate_size=10, quorum=Fraction(1, 2))
    assert consent.tally(ballots(disagree=4, abstain=1), rules).outcome == "passed"
    blocked = consent.tally(ballots(agree=9, block=1), rules)
    assert blocked.outcome == "blocked"
    assert blocked.passed is False
    assert blocked.rounds[-1] == {
        "step": "decision",
        "counts": {"agree": 9, "abstain": 0, "disagree": 0, "block": 1},
        "consent": True,
    }
    assert consent.tally(ballots(agree=4), rules).outcome == "quorum_not_met"
    assert consent.algorithm == "consent/2"


def test_reasons_are_allowed_on_any_choice() -> None:
    read_choice({"choice": "disagree", "reason": ""})
    assert read_choice({"choice": "agree", "reason": "good idea"}) == "agree"


@pytest.mark.parametrize(
    ("ballot", "message"),
    [
        ({"choice": "block"}, "block needs a reason"),
        ({"choice": "block", "reason": ""}, "block needs a reason"),
        ({"choice": "block", "reason": " \n\t"}, "block needs a reason"),
        ({"choice": "yes"}, "choice must be one of"),
        ({"choice": "AGREE"}, "choice must be one of"),
        ({"choice": 1}, "choice must be one of"),
        ({"choice": None}, "choice must be one of"),
        ({"choice": "agree", "reason": 5}, "reason must be a string"),
        ({"choice": "agree", "reason": None}, "reason must be a string"),
        ({"choice": "agree", "weight": 2}, "unknown keys"),
        ({}, "missing 'choice'"),
        (["agree"], "must be a JSON object"),
    ],
)
@pytest.mark.parametrize("name", ["proposal", "consent"])
def test_refusals(name: str, ballot: object, message: str) -> None:
    rules = make_rules()
    with pytest.raises(InvalidBallotError, match=message):
        METHODS[name].validate_ballot(ballot, rules)  # type: ignore[arg-type]
    with pytest.raises(InvalidBallotError, match=message):
        METHODS[name].tally([AGREE, ballot], rules)  # type: ignore[list-item]


def test_more_ballots_than_electors() -> None:
    with pytest.raises(TallyError, match="electorate of 3"):
        proposal(electorate=3, agree=4)
