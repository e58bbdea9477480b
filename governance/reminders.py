"""Reminders for a convenor: who has not voted yet, and how many agree votes a motion needs.

Pure: works on the counted ballots of an open proposal whose results are not hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from governance.actions import MOTION_METHODS
from governance.errors import InvalidRulesError
from governance.tally import Rules, get_method

_AGREE: Mapping[str, object] = {"choice": "agree"}


@dataclass(frozen=True)
class Reminder:
    """Who in the electorate has not voted, and (for a motion) the agree votes it needs.

    ``agree_needed`` is ``0`` when the motion passes on the ballots cast so far, ``None``
    when it is not a motion, its results are hidden, or no number of new agree votes would
    pass it (a block in consent mode, or too many disagree votes).
    """

    proposal: int
    electorate: int
    voted: int
    not_voted: tuple[str, ...]
    agree_needed: int | None


def not_voted(electorate: Iterable[str], voters: Iterable[str]) -> tuple[str, ...]:
    """The members of ``electorate`` not among ``voters``, sorted."""
    done = set(voters)
    return tuple(sorted(m for m in electorate if m not in done))


def agree_votes_needed(
    method: str, rules: Rules, ballots: Sequence[Mapping[str, object]], not_voted: int
) -> int | None:
    """The fewest agree votes, from members who have not voted, that would pass the motion.

    Assumes every ballot cast so far stands. Adding an agree vote never hurts a motion (it
    raises turnout and the agree share, and blocks nothing), so the answer is found by
    bisection over ``0 .. not_voted``. Returns ``None`` if even ``not_voted`` agree votes would
    not pass it. Raises ``InvalidRulesError`` for a method that is not a motion.
    """
    if method not in MOTION_METHODS:
        raise InvalidRulesError(f"{method} has no agree votes; only motions do")
    implementation = get_method(method)

    def passes(extra: int) -> bool:
        return bool(implementation.tally([*ballots, *[_AGREE] * extra], rules).passed)

    if not passes(not_voted):
        return None
    low, high = 0, not_voted
    while low < high:
        middle = (low + high) // 2
        if passes(middle):
            high = middle
        else:
            low = middle + 1
    return low
