"""Cross-checks against pref_voting on random profiles.

Which pref_voting function each method is compared with:

- single: ``scoring_methods.plurality`` on a ``Profile``;
- approval: ``grade_methods.approval`` on a 0/1 ``GradeProfile``;
- score: ``grade_methods.score_voting`` (sum) on a 0-5 ``GradeProfile``;
- dot: ``grade_methods.cumulative_voting`` on ballots that spend the whole budget;
- irv, on linear orders (``Profile``) and on truncated ones (``ProfileWithTies``, whose
  instant runoff drops exhausted ballots):
  seeded rule: ``iterative_methods.instant_runoff_tb`` with the reversed seeded order as its
  tie-breaker (it eliminates ``tie_breaker[0]`` first) must find exactly our winner;
  ``"none"`` rule: when we find a winner, ``instant_runoff`` (simultaneous elimination) and
  ``instant_runoff_put`` (parallel-universe tie-breaking) must both find exactly that winner.
  When we stop at a tie, pref_voting may still find a unique winner: our ``"none"`` rule is
  deliberately conservative;
- schulze: ``margin_based_methods.beat_path`` on a ``Profile`` (margins, which rank the links
  of linear orders exactly as winning votes do) and, for truncated ballots, on a
  ``ProfileWithTies`` using extended strict preference with ``strength_function=support``
  (winning votes).

For the set-valued methods: a unique pref_voting winner must be ours; with several, the seeded
rule must pick the first of them in the seeded order, and the ``"none"`` rule must report
exactly that set as a tie.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.tally import METHODS, Rules, Tally, seeded_order
from governance.tally._ties import first_in_order
from tests.governance.helpers import (
    Ballot,
    approval_ballots,
    full_rankings,
    option_rules,
    score_ballots,
    truncated_rankings,
)

pytest.importorskip("pref_voting")

from pref_voting.grade_methods import approval, cumulative_voting, score_voting
from pref_voting.grade_profiles import GradeProfile
from pref_voting.iterative_methods import (
    instant_runoff,
    instant_runoff_put,
    instant_runoff_tb,
)
from pref_voting.margin_based_methods import beat_path
from pref_voting.profiles import Profile
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.scoring_methods import plurality

ORACLE = settings(max_examples=300, deadline=None)


@st.composite
def profiles(draw: st.DrawFn, /, ballot: object, **rules: object) -> tuple[Rules, list[Ballot]]:
    """Rules (see ``option_rules``) and 1-40 ballots drawn with ``ballot(rules)``."""
    drawn_rules = draw(option_rules(**rules))
    ballots = draw(st.lists(ballot(drawn_rules), min_size=1, max_size=40))  # type: ignore[operator]
    return drawn_rules, ballots


def assert_matches(tally: Tally, oracle: Sequence[int], rules: Rules) -> None:
    """Check our tally against pref_voting's (sorted) set of winners."""
    winners = sorted(int(c) for c in oracle)
    event(f"{'unique winner' if len(winners) == 1 else 'tie'} ({rules.tie_rule})")
    if len(winners) == 1:
        assert tally.winner == winners[0]
        assert tally.outcome == "winner"
    elif rules.tie_rule == "seeded":
        assert tally.winner == first_in_order(winners, seeded_order(rules.seed, rules.n_options))
        assert tally.tie_broken is True
        assert tally.tied == tuple(winners)
    else:
        assert tally.outcome == "tie"
        assert tally.winner is None
        assert tally.tied == tuple(winners)


def ranking(ballot: Ballot) -> list[int]:
    value = ballot["ranking"]
    assert isinstance(value, list)
    return value


def linear_profile(ballots: Sequence[Ballot]) -> Profile:
    return Profile([b["ranking"] for b in ballots])


def truncated_profile(ballots: Sequence[Ballot], rules: Rules) -> ProfileWithTies:
    ranks = [{c: i + 1 for i, c in enumerate(ranking(b))} for b in ballots]
    profile = ProfileWithTies(ranks, candidates=list(range(rules.n_options)))
    profile.use_extended_strict_preference()
    return profile


def grade_profile(
    ballots: Sequence[dict[int, int]], rules: Rules, grades: list[int]
) -> GradeProfile:
    options = range(rules.n_options)
    return GradeProfile(
        [{c: b.get(c, 0) for c in options} for b in ballots], grades, candidates=list(options)
    )


@ORACLE
@given(profiles(full_rankings))
def test_single_matches_plurality(profile: tuple[Rules, list[Ballot]]) -> None:
    rules, ballots = profile
    tally = METHODS["single"].tally([{"choice": b["ranking"][0]} for b in ballots], rules)  # type: ignore[index]
    assert_matches(tally, plurality(linear_profile(ballots)), rules)


@ORACLE
@given(profiles(approval_ballots, min_choices=st.integers(0, 1)))
def test_approval_matches_approval(profile: tuple[Rules, list[Ballot]]) -> None:
    rules, ballots = profile
    tally = METHODS["approval"].tally(ballots, rules)
    if not any(tally.counts):
        assert tally.outcome == "no_support"
        return
    approved = [dict.fromkeys(b["approve"], 1) for b in ballots]  # type: ignore[call-overload]
    assert_matches(tally, approval(grade_profile(approved, rules, [0, 1])), rules)


@ORACLE
@given(profiles(score_ballots))
def test_score_matches_score_voting(profile: tuple[Rules, list[Ballot]]) -> None:
    rules, ballots = profile
    tally = METHODS["score"].tally(ballots, rules)
    if not any(tally.counts):
        assert tally.outcome == "no_support"
        return
    scores = [{int(k): v for k, v in b["scores"].items()} for b in ballots]  # type: ignore[attr-defined]
    assert_matches(tally, score_voting(grade_profile(scores, rules, list(range(6)))), rules)


@st.composite
def full_dot_ballots(draw: st.DrawFn, rules: Rules) -> Ballot:
    spent = draw(
        st.lists(st.integers(0, rules.n_options - 1), min_size=rules.dots, max_size=rules.dots)
    )
    return {"dots": {str(c): spent.count(c) for c in set(spent)}}


@settings(max_examples=200, deadline=None)
@given(profiles(full_dot_ballots, dots=st.integers(1, 5)))
def test_dot_matches_cumulative_voting(profile: tuple[Rules, list[Ballot]]) -> None:
    rules, ballots = profile
    tally = METHODS["dot"].tally(ballots, rules)
    dots = [{int(k): v for k, v in b["dots"].items()} for b in ballots]  # type: ignore[attr-defined]
    gprofile = grade_profile(dots, rules, list(range(rules.dots + 1)))
    assert_matches(tally, cumulative_voting(gprofile, max_total_grades=rules.dots), rules)


def _irv_tie_breaker(rules: Rules) -> list[int]:
    return list(reversed(seeded_order(rules.seed, rules.n_options)))


def check_irv(tally: Tally, profile: Profile | ProfileWithTies, rules: Rules) -> None:
    event(f"{tally.outcome}, tie broken: {tally.tie_broken} ({rules.tie_rule})")
    if rules.tie_rule == "seeded":
        assert [tally.winner] == instant_runoff_tb(profile, tie_breaker=_irv_tie_breaker(rules))
    elif tally.winner is not None:
        assert instant_runoff(profile) == [tally.winner]
        assert instant_runoff_put(profile) == [tally.winner]
    else:
        assert tally.outcome == "tie"
        assert len(tally.tied) >= 2


@settings(max_examples=500, deadline=None)
@given(profiles(full_rankings))
def test_irv_matches_instant_runoff_on_linear_orders(profile: tuple[Rules, list[Ballot]]) -> None:
    rules, ballots = profile
    check_irv(METHODS["irv"].tally(ballots, rules), linear_profile(ballots), rules)


@ORACLE
@given(profiles(truncated_rankings, n_options=st.integers(2, 6)))
def test_irv_matches_instant_runoff_on_truncated_orders(
    profile: tuple[Rules, list[Ballot]],
) -> None:
    rules, ballots = profile
    check_irv(METHODS["irv"].tally(ballots, rules), truncated_profile(ballots, rules), rules)


@settings(max_examples=400, deadline=None)
@given(profiles(full_rankings))
def test_schulze_matches_beat_path_on_linear_orders(profile: tuple[Rules, list[Ballot]]) -> None:
    rules, ballots = profile
    tally = METHODS["schulze"].tally(ballots, rules)
    assert_matches(tally, beat_path(linear_profile(ballots)), rules)


@settings(max_examples=400, deadline=None)
@given(profiles(truncated_rankings, n_options=st.integers(2, 6)))
def test_schulze_matches_beat_path_on_truncated_orders(profile: tuple[Rules, list[Ballot]]) -> None:
    rules, ballots = profile
    tally = METHODS["schulze"].tally(ballots, rules)
    prof = truncated_profile(ballots, rules)
    assert_matches(tally, beat_path(prof, strength_function=prof.support), rules)
