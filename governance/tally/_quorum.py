"""Steps every count shares: the electorate check, the quorum, and choosing among leaders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TypeAlias

from governance.errors import TallyError
from governance.tally._ties import first_in_order, tie_order, tie_record
from governance.tally.base import Json, Outcome, Rules, Tally


def fraction_json(value: Fraction) -> list[int]:
    """Return ``value`` as ``[numerator, denominator]`` in lowest terms."""
    return [value.numerator, value.denominator]


def check_ballot_count(n_ballots: int, rules: Rules) -> None:
    """Raise ``TallyError`` if there are more ballots than electors."""
    if n_ballots > rules.electorate_size:
        raise TallyError(
            f"{n_ballots} ballots but an electorate of {rules.electorate_size}: "
            "supersede earlier ballots before tallying"
        )


def quorum_met(n_ballots: int, rules: Rules) -> bool:
    """Return whether ``n_ballots / electorate_size >= quorum``, compared exactly."""
    return n_ballots * rules.quorum.denominator >= rules.quorum.numerator * rules.electorate_size


def quorum_record(n_ballots: int, rules: Rules) -> dict[str, Json]:
    """Return the transcript record of the quorum check."""
    return {
        "step": "quorum",
        "ballots": n_ballots,
        "electorate_size": rules.electorate_size,
        "quorum": fraction_json(rules.quorum),
        "met": quorum_met(n_ballots, rules),
    }


@dataclass(frozen=True)
class Decision:
    """Who won among the leaders, and the tie fields of the ``Tally``."""

    outcome: Outcome
    winner: int | None
    tied: tuple[int, ...] = ()
    tie_broken: bool = False
    record: dict[str, Json] | None = None


def choose_winner(leaders: Sequence[int], rules: Rules) -> Decision:
    """Return the sole leader, or apply the tie rule when several options share the lead.

    Under ``"seeded"`` the leader first in the seeded order wins; under ``"none"`` there is no
    winner and the outcome is ``"tie"``.
    """
    if len(leaders) == 1:
        return Decision("winner", leaders[0])
    tied = tuple(sorted(leaders))
    if rules.tie_rule == "none":
        record = tie_record(tied=tied, chosen=None, rules=rules, purpose="win")
        return Decision("tie", None, tied, record=record)
    winner = first_in_order(tied, tie_order(rules))
    record = tie_record(tied=tied, chosen=winner, rules=rules, purpose="win")
    return Decision("winner", winner, tied, tie_broken=True, record=record)


CountRounds: TypeAlias = Callable[[], tuple[Sequence[dict[str, Json]], Decision]]
"""The rounds of an option method's count and who won, once its quorum is met."""


def quorum_gated_tally(
    *,
    method: str,
    algorithm: str,
    counts: Sequence[int],
    n_ballots: int,
    rules: Rules,
    count: CountRounds,
) -> Tally:
    """The ``Tally`` of an option method, with headline ``counts``.

    If the quorum is not met there is no count and no winner; otherwise ``count()`` gives the
    rounds (after the quorum check's) and the decision.
    """
    unmet = Tally(
        method=method,
        algorithm=algorithm,
        outcome="quorum_not_met",
        winner=None,
        passed=None,
        ballots=n_ballots,
        electorate_size=rules.electorate_size,
        quorum_met=False,
        counts=tuple(counts),
        rounds=(quorum_record(n_ballots, rules),),
    )
    if not quorum_met(n_ballots, rules):
        return unmet
    rounds, decision = count()
    extra = (decision.record,) if decision.record is not None else ()
    return replace(
        unmet,
        outcome=decision.outcome,
        winner=decision.winner,
        quorum_met=True,
        rounds=(*unmet.rounds, *rounds, *extra),
        tied=decision.tied,
        tie_broken=decision.tie_broken,
        tie_break="seeded" if decision.tie_broken else None,
        tie_order=tie_order(rules),
    )


def highest_total_tally(
    *, method: str, algorithm: str, totals: Sequence[int], n_ballots: int, rules: Rules
) -> Tally:
    """Count a method whose winner is the option with the highest total.

    1. If the quorum is not met, there is no winner.
    2. If the highest total is 0 (no ballots, or no support for any option), there is no winner.
    3. The option with the highest total wins; several leaders are a tie (``choose_winner``).
    """

    def count() -> tuple[list[dict[str, Json]], Decision]:
        highest = max(totals)
        leaders = [option for option, total in enumerate(totals) if total == highest]
        record: dict[str, Json] = {
            "step": "totals",
            "totals": list(totals),
            "highest": highest,
            "leaders": leaders,
        }
        decision = Decision("no_support", None) if highest == 0 else choose_winner(leaders, rules)
        return [record], decision

    return quorum_gated_tally(
        method=method,
        algorithm=algorithm,
        counts=totals,
        n_ballots=n_ballots,
        rules=rules,
        count=count,
    )
