"""The shared vocabulary of voting methods: ``Rules`` in, ``Tally`` out, the ``Method`` protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Protocol, TypeAlias, cast

from governance.errors import InvalidRulesError

Json: TypeAlias = "bool | int | str | Sequence[Json] | Mapping[str, Json] | None"
"""A plain JSON value with no floats: what a tally's transcript is made of."""

TieRule = Literal["seeded", "none"]
TIE_RULES: tuple[TieRule, ...] = ("seeded", "none")

Outcome = Literal["winner", "tie", "no_support", "quorum_not_met", "passed", "failed", "blocked"]
"""How a count ended.

``winner``: an option won (possibly by the tie rule, see ``Tally.tie_broken``). ``tie``: the tie
rule is ``"none"`` and a tie decided the result, so there is no winner. ``no_support``: no option
received any support (e.g. no ballots). ``quorum_not_met``: too few ballots; nothing was decided.
``passed`` / ``failed`` / ``blocked``: the outcome of a proposal or consent vote.
"""


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The rules a proposal is counted under, frozen when it opens.

    ``n_options`` counts the options (identified by index ``0 .. n_options - 1``); proposal and
    consent votes have no options and ignore it. ``quorum``: the least fraction of the electorate
    that must cast a ballot, ``0 <= quorum <= 1``. ``threshold``: a proposal passes only when
    agree / (agree + disagree) is strictly greater, ``0 <= threshold < 1``. ``tie_rule`` and
    ``seed``: see ``governance.tally._ties``. ``consent``: a proposal also fails on any block.
    ``min_choices`` / ``max_choices``: how many options an approval ballot approves
    (``max_choices=None`` means all). ``dots``: each member's dot-vote budget. ``max_score``: the
    highest score a score ballot may give an option.
    """

    n_options: int
    electorate_size: int
    quorum: Fraction = Fraction(0)
    threshold: Fraction = Fraction(1, 2)
    tie_rule: TieRule = "seeded"
    seed: bytes = b""
    consent: bool = False
    min_choices: int = 1
    max_choices: int | None = None
    dots: int = 0
    max_score: int = 5

    def __post_init__(self) -> None:
        _check_counts(self)
        _check_fractions(self)
        if self.tie_rule not in TIE_RULES:
            raise InvalidRulesError(f"tie_rule must be one of {TIE_RULES}, not {self.tie_rule!r}")
        if type(self.seed) is not bytes:
            raise InvalidRulesError("seed must be bytes")
        if type(self.consent) is not bool:
            raise InvalidRulesError("consent must be a bool")

    @property
    def choice_limit(self) -> int:
        """The most options an approval ballot may approve."""
        return self.n_options if self.max_choices is None else self.max_choices


def _check_nonnegative_int(value: object, name: str) -> None:
    if type(value) is not int or value < 0:
        raise InvalidRulesError(f"{name} must be a non-negative int, not {value!r}")


def _check_counts(rules: Rules) -> None:
    for name in ("n_options", "electorate_size", "min_choices", "dots", "max_score"):
        _check_nonnegative_int(getattr(rules, name), name)
    if rules.max_choices is not None:
        _check_nonnegative_int(rules.max_choices, "max_choices")
        if rules.max_choices < rules.min_choices:
            raise InvalidRulesError("max_choices must not be less than min_choices")
    if rules.min_choices > rules.n_options and rules.n_options > 0:
        raise InvalidRulesError("min_choices must not exceed n_options")


def _check_fractions(rules: Rules) -> None:
    if type(rules.quorum) is not Fraction or not 0 <= rules.quorum <= 1:
        raise InvalidRulesError(f"quorum must be a Fraction in [0, 1], not {rules.quorum!r}")
    if type(rules.threshold) is not Fraction or not 0 <= rules.threshold < 1:
        raise InvalidRulesError(f"threshold must be a Fraction in [0, 1), not {rules.threshold!r}")


@dataclass(frozen=True, kw_only=True)
class Tally:
    """The result of counting, with the round-by-round transcript that justifies it.

    ``counts`` are the headline totals: per option for option methods (first preferences for
    ranked methods), and ``(agree, abstain, disagree, block)`` for proposal and consent votes.
    ``winner`` is an option index or ``None``; ``passed`` is set only by proposal and consent
    votes. ``tied`` lists the options of the last tie the count met (broken or not);
    ``tie_broken`` says whether the tie rule chose between them, ``tie_break`` how
    (``"seeded"``), and ``tie_order`` is the seeded order of all options (seeded rule only).
    """

    method: str
    algorithm: str
    outcome: Outcome
    winner: int | None
    passed: bool | None
    ballots: int
    electorate_size: int
    quorum_met: bool
    counts: tuple[int, ...]
    rounds: tuple[Mapping[str, Json], ...]
    tied: tuple[int, ...] = ()
    tie_broken: bool = False
    tie_break: str | None = None
    tie_order: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Json]:
        """Return the tally as plain JSON (dicts, lists, ints, strs, bools, ``None``) for hashing.

        Raises ``TypeError`` if the transcript holds anything else (a float, a set, bytes).
        """
        return {
            "method": self.method,
            "algorithm": self.algorithm,
            "outcome": self.outcome,
            "winner": self.winner,
            "passed": self.passed,
            "ballots": self.ballots,
            "electorate_size": self.electorate_size,
            "quorum_met": self.quorum_met,
            "counts": list(self.counts),
            "tied": list(self.tied),
            "tie_broken": self.tie_broken,
            "tie_break": self.tie_break,
            "tie_order": list(self.tie_order),
            "rounds": [_plain(r) for r in self.rounds],
        }


def _plain(value: object) -> Json:
    """Deep-copy ``value`` into plain JSON, refusing floats and anything not JSON."""
    if value is None or type(value) in (bool, int, str):
        return cast(Json, value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        out: dict[str, Json] = {}
        for key, v in value.items():
            if type(key) is not str:
                raise TypeError(f"transcript key {key!r} is not a str")
            out[key] = _plain(v)
        return out
    raise TypeError(f"transcript value {value!r} is not plain JSON")


class Method(Protocol):
    """A voting method: pure, deterministic, and independent of ballot order."""

    @property
    def name(self) -> str:
        """The registry name, e.g. ``"irv"``."""
        ...

    @property
    def algorithm(self) -> str:
        """The pinned algorithm version, e.g. ``"irv/2"``; a recount must use the same one."""
        ...

    def validate_ballot(self, ballot: Mapping[str, object], rules: Rules) -> None:
        """Return ``None`` if ``ballot`` is valid under ``rules``.

        Raises ``InvalidBallotError`` (bad ballot) or ``InvalidRulesError`` (rules unusable).
        """
        ...

    def tally(self, ballots: Sequence[Mapping[str, object]], rules: Rules) -> Tally:
        """Validate every ballot and count them.

        Raises ``InvalidBallotError``, ``InvalidRulesError``, or ``TallyError`` when there are
        more ballots than electors.
        """
        ...
