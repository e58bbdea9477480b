"""Tallies, all pure: the voting methods (deterministic, with a pinned algorithm version and a
transcript), counting one proposal from its ballots (``proposal_count``) and recounting every
decision from the log (``recount_log``).

``METHODS`` maps each method's name to its implementation; ``ALGORITHM_VERSIONS`` maps it to the
version a tally records, and ``get_method`` refuses a recount under a version this code does not
implement.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from governance.errors import UnknownMethodError
from governance.tally._ties import seeded_order
from governance.tally.approval import Approval
from governance.tally.base import TIE_RULES, Json, Method, Outcome, Rules, Tally, TieRule
from governance.tally.dot import Dot
from governance.tally.irv import InstantRunoff
from governance.tally.proposal import PROPOSAL_CHOICES, ProposalMethod
from governance.tally.schulze import Schulze
from governance.tally.score import Score
from governance.tally.single import SingleChoice

_ALL: tuple[Method, ...] = (
    ProposalMethod(consent=False),
    ProposalMethod(consent=True),
    SingleChoice(),
    Approval(),
    InstantRunoff(),
    Schulze(),
    Score(),
    Dot(),
)

METHODS: Final[Mapping[str, Method]] = MappingProxyType({m.name: m for m in _ALL})
"""Every voting method by name: proposal, consent, single, approval, irv, schulze, score, dot."""

ALGORITHM_VERSIONS: Final[Mapping[str, str]] = MappingProxyType({m.name: m.algorithm for m in _ALL})
"""The algorithm version each method's tallies record, e.g. ``"irv": "irv/1"``."""


def get_method(name: str, algorithm: str | None = None) -> Method:
    """Return the method called ``name``; if ``algorithm`` is given, it must be the one we run.

    Raises ``UnknownMethodError`` for an unknown name, or when a recount asks for an algorithm
    version other than the one implemented here.
    """
    method = METHODS.get(name)
    if method is None:
        raise UnknownMethodError(f"unknown voting method {name!r}")
    if algorithm is not None and algorithm != method.algorithm:
        raise UnknownMethodError(
            f"{name} is implemented at {method.algorithm}, not {algorithm!r}: cannot recount"
        )
    return method


__all__ = [
    "ALGORITHM_VERSIONS",
    "METHODS",
    "PROPOSAL_CHOICES",
    "TIE_RULES",
    "Json",
    "Method",
    "Outcome",
    "Rules",
    "Tally",
    "TieRule",
    "get_method",
    "seeded_order",
]
