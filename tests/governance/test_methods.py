"""The registry, and properties every method shares: ballot order never matters, plain JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.errors import UnknownMethodError
from governance.tally import ALGORITHM_VERSIONS, METHODS, Rules, get_method
from tests.governance.helpers import (
    Ballot,
    approval_ballots,
    dot_ballots,
    fractions_01,
    is_plain_json,
    option_rules,
    score_ballots,
    single_ballots,
    truncated_rankings,
    voters,
)

NAMES = ["proposal", "consent", "single", "approval", "irv", "schulze", "score", "dot"]


def test_registry_names_and_versions() -> None:
    assert sorted(METHODS) == sorted(NAMES)
    assert dict(ALGORITHM_VERSIONS) == {name: f"{name}/2" for name in NAMES}
    for name, method in METHODS.items():
        assert method.name == name
        assert method.algorithm == ALGORITHM_VERSIONS[name]


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        METHODS["x"] = METHODS["irv"]  # type: ignore[index]


def test_get_method() -> None:
    assert get_method("irv") is METHODS["irv"]
    assert get_method("schulze", "schulze/2") is METHODS["schulze"]
    with pytest.raises(UnknownMethodError, match="unknown voting method 'borda'"):
        get_method("borda")
    with pytest.raises(UnknownMethodError, match="implemented at irv/2, not 'irv/3'"):
        get_method("irv", "irv/3")
    with pytest.raises(UnknownMethodError, match="implemented at irv/2, not 'irv/0'"):
        get_method("irv", "irv/0")
    with pytest.raises(UnknownMethodError, match="implemented at irv/2, not 'single/1'"):
        get_method("irv", "single/1")


def test_version_one_counts_the_same_and_says_so() -> None:
    """Version 1 differs only in how a transcript names a spoiled ballot's reason."""
    rules = Rules(n_options=3, electorate_size=3, seed=bytes(32))
    ballots = [{"ranking": [0, 1]}, {"ranking": [1]}, {"ranking": [2, 1]}]
    old = get_method("irv", "irv/1")
    assert old.name == "irv" and old.algorithm == "irv/1"
    now, then = METHODS["irv"].tally(ballots, rules), old.tally(ballots, rules)
    assert then.algorithm == "irv/1" and now.algorithm == "irv/2"
    assert {**then.to_json(), "algorithm": "irv/2"} == now.to_json()


PROPOSAL_BALLOT = st.one_of(
    st.sampled_from([{"choice": "agree"}, {"choice": "abstain"}, {"choice": "disagree"}]),
    st.builds(lambda r: {"choice": "block", "reason": r}, st.sampled_from(["unsafe", "no"])),
)
BALLOTS: dict[str, Callable[[Rules], st.SearchStrategy[Ballot]]] = {
    "single": single_ballots,
    "approval": approval_ballots,
    "irv": truncated_rankings,
    "schulze": truncated_rankings,
    "score": score_ballots,
    "dot": dot_ballots,
}


@st.composite
def elections(draw: st.DrawFn, name: str) -> tuple[Rules, list[Ballot]]:
    """Valid rules and ballots for method ``name``, with a random quorum and threshold."""
    quorum = draw(fractions_01())
    threshold = draw(fractions_01()) * Fraction(9, 10)
    if name in ("proposal", "consent"):
        consent = draw(st.booleans())
        rules = Rules(
            n_options=0, electorate_size=60, quorum=quorum, threshold=threshold, consent=consent
        )
        return rules, draw(voters(PROPOSAL_BALLOT))
    rules = draw(
        option_rules(
            quorum=quorum,
            threshold=threshold,
            min_choices=st.integers(0, 1),
            dots=st.integers(1, 6),
        )
    )
    return rules, draw(voters(BALLOTS[name](rules)))


def _reordered(ballot: Ballot) -> Ballot:
    """The same ballot with every inner mapping's keys in reverse order."""
    return {
        key: dict(list(value.items())[::-1]) if isinstance(value, Mapping) else value
        for key, value in list(ballot.items())[::-1]
    }


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_ballot_order_never_matters(name: str, data: st.DataObject) -> None:
    rules, ballots = data.draw(elections(name))
    method = METHODS[name]
    for ballot in ballots:
        method.validate_ballot(ballot, rules)
    shuffled = [_reordered(b) for b in data.draw(st.permutations(ballots))]
    out = method.tally(ballots, rules).to_json()
    assert method.tally(shuffled, rules).to_json() == out
    assert is_plain_json(out)
    assert json.loads(json.dumps(out)) == out
    winner = out["winner"]
    assert winner is None or (type(winner) is int and 0 <= winner < rules.n_options)
    assert (out["winner"] is not None) == (out["outcome"] == "winner")


@pytest.mark.parametrize("name", list(BALLOTS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_tie_rule_only_matters_when_there_is_a_tie(name: str, data: st.DataObject) -> None:
    rules, ballots = data.draw(elections(name))
    method = METHODS[name]
    unbroken = method.tally(ballots, replace(rules, tie_rule="none"))
    seeded = method.tally(ballots, replace(rules, tie_rule="seeded", seed=rules.seed or b"s"))
    assert unbroken.tie_broken is False
    if unbroken.outcome == "tie":
        assert seeded.tie_broken is True
        assert seeded.outcome == "winner"
    else:
        assert seeded.tie_broken is False
        assert seeded.outcome == unbroken.outcome
        assert seeded.winner == unbroken.winner
        assert seeded.rounds == unbroken.rounds
