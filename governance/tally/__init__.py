"""Tallies, all pure: the voting methods (deterministic, with a pinned algorithm version and a
transcript), counting one proposal from its ballots (``proposal_count``) and recounting every
decision from the log (``recount_log``).

``METHODS`` maps each method's name to its implementation; ``ALGORITHM_VERSIONS`` maps it to the
version a tally records, and ``get_method`` refuses a recount under a version this code does not
implement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
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
"""The algorithm version each method's tallies record, e.g. ``"irv": "irv/2"``."""


CODED_REASONS_FROM: Final = 2
"""The algorithm version from which a transcript names a spoiled ballot's reason by its code.

Version 1 wrote the check's English message instead; it is otherwise the same count, so a
proposal opened at version 1 is still recounted, at version 1."""


def algorithm_version(algorithm: str) -> int:
    """The number after the slash of ``"<method>/<n>"``."""
    return int(algorithm.rpartition("/")[2])


def get_method(name: str, algorithm: str | None = None) -> Method:
    """Return the method called ``name``, at ``algorithm`` if given.

    Raises ``UnknownMethodError`` for an unknown name, or an algorithm version this code does
    not run: the current one (``ALGORITHM_VERSIONS``) and, for proposals opened before it,
    version 1.
    """
    method = METHODS.get(name)
    if method is None:
        raise UnknownMethodError(f"unknown voting method {name!r}")
    if algorithm is None or algorithm == method.algorithm:
        return method
    if algorithm == f"{name}/1":
        return _AtVersion(method, algorithm)
    raise UnknownMethodError(
        f"{name} is implemented at {method.algorithm}, not {algorithm!r}: cannot recount"
    )


class _AtVersion:
    """A method run at an earlier algorithm version that counts the same: its tallies say so."""

    def __init__(self, method: Method, algorithm: str) -> None:
        self._method = method
        self.name = method.name
        self.algorithm = algorithm

    def validate_ballot(self, ballot: Mapping[str, object], rules: Rules) -> None:
        self._method.validate_ballot(ballot, rules)

    def tally(self, ballots: Sequence[Mapping[str, object]], rules: Rules) -> Tally:
        return replace(self._method.tally(ballots, rules), algorithm=self.algorithm)


__all__ = [
    "ALGORITHM_VERSIONS",
    "CODED_REASONS_FROM",
    "METHODS",
    "PROPOSAL_CHOICES",
    "TIE_RULES",
    "Json",
    "Method",
    "Outcome",
    "Rules",
    "Tally",
    "TieRule",
    "algorithm_version",
    "get_method",
    "seeded_order",
]
