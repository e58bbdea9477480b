"""The tie rule, recorded in a proposal's rules: ``"seeded"`` or ``"none"``.

``"seeded"``: option ``i`` gets the key SHA-256(seed || ``str(i)``), where ``str(i)`` is the
index in ASCII decimal without leading zeros and ``seed`` is fixed when the proposal opens (the
hash of its opening entry). Options are ordered by key, smallest digest first, comparing the
32-byte digests bytewise. A tie for the win goes to the tied option that comes *first* in this
order; a tie for elimination (instant runoff) eliminates the tied option that comes *last*.
Anyone can recompute the order from the log; nothing is random at tally time.

``"none"``: a tie that decides the result is reported as a tie, and there is no winner.

Changing this rule changes every method's algorithm version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from typing import Literal

from governance.tally.base import Json, Rules


def seeded_order(seed: bytes, n_options: int) -> tuple[int, ...]:
    """Return the option indices ``0 .. n_options - 1`` in seeded order (see module docstring)."""

    def key(option: int) -> tuple[bytes, int]:
        return hashlib.sha256(seed + str(option).encode("ascii")).digest(), option

    return tuple(sorted(range(n_options), key=key))


def tie_order(rules: Rules) -> tuple[int, ...]:
    """Return the seeded order under the ``"seeded"`` rule, or ``()`` under ``"none"``."""
    if rules.tie_rule == "seeded":
        return seeded_order(rules.seed, rules.n_options)
    return ()


def first_in_order(tied: Collection[int], order: Sequence[int]) -> int:
    """Return the member of ``tied`` that comes first in ``order``."""
    return next(option for option in order if option in tied)


def last_in_order(tied: Collection[int], order: Sequence[int]) -> int:
    """Return the member of ``tied`` that comes last in ``order``."""
    return next(option for option in reversed(order) if option in tied)


def tie_record(
    *,
    tied: Collection[int],
    chosen: int | None,
    rules: Rules,
    purpose: Literal["win", "elimination"],
) -> dict[str, Json]:
    """Return the transcript record of a tie: who was tied, for what, and whom the rule chose."""
    return {
        "step": "tie",
        "for": purpose,
        "tied": sorted(tied),
        "rule": rules.tie_rule,
        "chosen": chosen,
    }
