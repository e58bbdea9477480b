"""Factories and hypothesis strategies shared by the voting-method tests."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from governance.tally import Rules

Ballot = Mapping[str, object]

SEED = b"opening-entry-hash"


def make_rules(**overrides: Any) -> Rules:
    """Return ``Rules`` for a four-option vote of 100 electors, with ``overrides`` applied."""
    fields: dict[str, Any] = {"n_options": 4, "electorate_size": 100, "seed": SEED}
    fields.update(overrides)
    return Rules(**fields)


def repeat(ballot: Ballot, times: int) -> list[Ballot]:
    """Return ``times`` copies of ``ballot``."""
    return [ballot] * times


def rankings(*groups: tuple[int, list[int]]) -> list[Ballot]:
    """Return ranked ballots from ``(count, ranking)`` pairs."""
    return [{"ranking": ranking} for count, ranking in groups for _ in range(count)]


def is_plain_json(value: object) -> bool:
    """Return whether ``value`` holds only str-keyed dicts, lists, ints, strs, bools and None."""
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is list:
        return all(is_plain_json(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and is_plain_json(v) for k, v in value.items())
    return False


# --- hypothesis strategies: (rules, ballots) pairs -------------------------------------------

n_options = st.integers(min_value=1, max_value=6)
tie_rules = st.sampled_from(["seeded", "none"])
seeds = st.binary(min_size=1, max_size=8)


@st.composite
def option_rules(draw: st.DrawFn, /, **overrides: Any) -> Rules:
    """Rules for an option method: 1-6 options, either tie rule, a random seed, no quorum.

    ``overrides`` are values or strategies to draw them from.
    """
    fields: dict[str, Any] = {
        "n_options": draw(n_options),
        "electorate_size": 60,
        "tie_rule": draw(tie_rules),
        "seed": draw(seeds),
    }
    for name, value in overrides.items():
        fields[name] = draw(value) if isinstance(value, st.SearchStrategy) else value
    return Rules(**fields)


def voters(
    ballot: st.SearchStrategy[Ballot], max_size: int = 40
) -> st.SearchStrategy[list[Ballot]]:
    """Lists of up to ``max_size`` ballots drawn from ``ballot``."""
    return st.lists(ballot, min_size=0, max_size=max_size)


def single_ballots(rules: Rules) -> st.SearchStrategy[Ballot]:
    return st.builds(lambda c: {"choice": c}, st.integers(0, rules.n_options - 1))


def approval_ballots(rules: Rules) -> st.SearchStrategy[Ballot]:
    options = st.lists(
        st.integers(0, rules.n_options - 1),
        unique=True,
        min_size=rules.min_choices,
        max_size=rules.choice_limit,
    )
    return st.builds(lambda a: {"approve": a}, options)


def full_rankings(rules: Rules) -> st.SearchStrategy[Ballot]:
    return st.builds(lambda r: {"ranking": r}, st.permutations(range(rules.n_options)))


def truncated_rankings(rules: Rules) -> st.SearchStrategy[Ballot]:
    @st.composite
    def ranking(draw: st.DrawFn) -> Ballot:
        order = draw(st.permutations(range(rules.n_options)))
        length = draw(st.integers(1, rules.n_options))
        return {"ranking": order[:length]}

    return ranking()


def score_ballots(rules: Rules) -> st.SearchStrategy[Ballot]:
    scores = st.dictionaries(
        st.integers(0, rules.n_options - 1).map(str), st.integers(0, rules.max_score)
    )
    return st.builds(lambda s: {"scores": s}, scores)


def dot_ballots(rules: Rules) -> st.SearchStrategy[Ballot]:
    @st.composite
    def ballot(draw: st.DrawFn) -> Ballot:
        budget = draw(st.integers(0, rules.dots))
        options = st.integers(0, rules.n_options - 1)
        spent = draw(st.lists(options, max_size=budget))
        dots: dict[str, int] = {}
        for option in spent:
            dots[str(option)] = dots.get(str(option), 0) + 1
        return {"dots": dots}

    return ballot()


def fractions_01() -> st.SearchStrategy[Fraction]:
    """Fractions in [0, 1] with small denominators."""
    return st.builds(
        lambda den, num: Fraction(min(num, den), den), st.integers(1, 12), st.integers(0, 12)
    )
