"""The opening of a proposal: what is voted on, how, by whom and when, frozen on the log.

Body of ``governance.proposal.opened`` (every field required unless marked)::

    {"group": slug, "title": str, "body_sha256": hex,
     "method": "proposal" | "consent" | "single" | "approval" | "irv" | "schulze" | "score" | "dot",
     "options": [str, ...],            # [] for proposal and consent votes, else 2 to 50
     "rules": {"algorithm": "irv/2", "quorum": [n, d], "threshold": [n, d],
               "tie_rule": "seeded" | "none", "consent": bool, "min_choices": int,
               "max_choices": int | null, "dots": int, "max_score": int},
     "electorate": [member, ...],      # sorted, no repeats
     "electorate_sha256": hex,         # SHA-256 of the canonical JSON of that list
     "opens_at": time, "closes_at": time, "hidden": bool,
     "seal_key": base64,               # only when hidden: the proposal's X25519 public key
     "action": {"type": "none"} | {"type": "adopt_rule_table", "version", "digest"}
             | {"type": "adopt_terms", "group", "version", "sha256"}
             | {"type": "elect_convenor", "group", "member"}}

The seed of the ``seeded`` tie rule is the opening entry's leaf hash, known once it is logged.
Pure: raises ``MalformedStatementError`` or ``ProposalRulesError`` (one of its subclasses).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from functools import partial
from math import gcd
from typing import Any, Final

from governance.actions import ACTION, KIND, MOTION_METHODS, Action, check_action
from governance.bodies import SEAL_KEY_BYTES
from governance.errors import InvalidRulesError, ProposalRulesError, UnknownMethodError
from governance.tally import METHODS, Rules, TieRule, get_method
from governance.tally.base import TIE_RULES
from ledger.credits.records import copied
from ledger.encoding import JSONValue, canonical_json
from ledger.errors import MalformedStatementError
from ledger.fields import (
    HEX_SHA256,
    MEMBER_ID,
    SLUG,
    Declared,
    Spec,
    base64,
    boolean,
    integer,
    nested,
    one_of,
    parse,
    spec,
    text,
    texts,
    time,
)

OPTION_METHODS: Final = frozenset({"single", "approval", "irv", "schulze", "score", "dot"})
MAX_OPTIONS: Final = 50
MAX_ELECTORATE: Final = 5000
MAX_WINDOW: Final = timedelta(days=366)


class FractionSpec(Spec):
    """A ``[numerator, denominator]`` pair of integers in lowest terms, denominator >= 1."""

    def read(self, kind: str, name: str, value: Any) -> Fraction:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(type(n) is int for n in value)
            or value[1] < 1
            or value[0] < 0
            or gcd(value[0], value[1]) != 1
        ):
            raise MalformedStatementError(
                f"{KIND}: rules.{name} must be [numerator, denominator] in lowest terms"
            )
        return Fraction(value[0], value[1])

    def write(self, value: Any) -> JSONValue:
        return [value.numerator, value.denominator]

    def schema(self) -> dict[str, Any]:
        pair = {"type": "integer", "minimum": 0}
        return {"type": "array", "prefixItems": [pair, pair], "minItems": 2, "maxItems": 2}


@dataclass(frozen=True)
class RuleSpec(Declared):
    """The counting rules frozen in the opening entry (everything ``Rules`` needs but the seed)."""

    algorithm: str = text(max_length=40)
    quorum: Fraction = spec(FractionSpec())
    threshold: Fraction = spec(FractionSpec())
    tie_rule: TieRule = one_of(TIE_RULES)
    consent: bool = boolean()
    min_choices: int = integer(minimum=0, maximum=MAX_OPTIONS)
    max_choices: int | None = integer(minimum=0, maximum=MAX_OPTIONS, nullable=True)
    dots: int = integer(minimum=0, maximum=10_000)
    max_score: int = integer(minimum=0, maximum=100)


@dataclass(frozen=True)
class Opening(Declared):
    """A ``governance.proposal.opened`` body. ``parse`` refuses (``MalformedStatementError``)
    a missing, extra or mistyped field, an unsorted electorate or a wrong electorate hash, and
    (``ProposalRulesError``) an unknown algorithm version or rules the method cannot count
    under."""

    group: str = text(SLUG, max_length=64)
    title: str = text(max_length=200, line=True)
    body_sha256: str = text(HEX_SHA256, max_length=64)
    method: str = one_of(METHODS.keys())
    options: tuple[str, ...] = texts(max_items=MAX_OPTIONS)
    rules: RuleSpec = nested(RuleSpec)
    electorate: tuple[str, ...] = texts(MEMBER_ID, min_items=1, max_items=MAX_ELECTORATE)
    electorate_sha256: str = text(HEX_SHA256, max_length=64)
    opens_at: datetime = time()
    closes_at: datetime = time()
    hidden: bool = boolean()
    action: Action = spec(ACTION)
    seal_key: bytes | None = base64(length=SEAL_KEY_BYTES, optional=True)
    """Only when hidden: the proposal's X25519 public key."""

    def validate(self, kind: str) -> None:
        method = self.method
        if method in MOTION_METHODS and self.options:
            raise ProposalRulesError(f"a {method} vote has no options; give []")
        if method in OPTION_METHODS and len(self.options) < 2:
            raise ProposalRulesError(f"a {method} vote needs at least two options")
        for option in self.options:
            if not option or len(option) > 200 or not option.isprintable():
                raise ProposalRulesError("each option is one plain line of 1 to 200 characters")
        check_method_rules(method, self.rules, len(self.options))
        if list(self.electorate) != sorted(self.electorate):
            raise MalformedStatementError(f"{kind}: electorate must be sorted")
        if self.electorate_sha256 != electorate_digest(self.electorate):
            raise MalformedStatementError(f"{kind}: electorate_sha256 is not the electorate's hash")
        if not self.opens_at < self.closes_at <= self.opens_at + MAX_WINDOW:
            raise MalformedStatementError(
                f"{kind}: closes_at must be after opens_at, by at most {MAX_WINDOW.days} days"
            )
        if self.hidden != (self.seal_key is not None):
            raise MalformedStatementError(f"{kind}: seal_key is given exactly when hidden is true")
        check_action(self.group, method, self.action)

    def tally_rules(self, seed: bytes) -> Rules:
        """The ``Rules`` to count under, with ``seed`` (the opening entry's leaf hash)."""
        return copied(
            Rules,
            self.rules,  # each other rule as the opening froze it
            n_options=len(self.options),
            electorate_size=len(self.electorate),
            seed=seed,
        )


def electorate_digest(members: Iterable[str]) -> str:
    """Hex SHA-256 of the RFC 8785 canonical JSON of the sorted list of member ids."""
    return hashlib.sha256(canonical_json(sorted(members))).hexdigest()


def check_method_rules(method: str, spec: RuleSpec, n_options: int) -> None:
    """Raise ``ProposalRulesError`` unless ``spec`` suits ``method`` at its pinned algorithm.

    The rules are tried on an empty count, which runs every check the method makes.
    """
    try:
        implementation = get_method(method, spec.algorithm)
    except UnknownMethodError as e:
        raise ProposalRulesError(str(e)) from e
    if spec.consent != (method == "consent") and method != "proposal":
        raise ProposalRulesError(f"rules.consent must be {method == 'consent'} for {method}")
    try:
        rules = Rules(
            n_options=n_options,
            electorate_size=1,
            quorum=spec.quorum,
            threshold=spec.threshold,
            tie_rule=spec.tie_rule,
            seed=b"check",
            consent=spec.consent,
            min_choices=spec.min_choices,
            max_choices=spec.max_choices,
            dots=spec.dots,
            max_score=spec.max_score,
        )
        implementation.tally((), rules)
    except InvalidRulesError as e:
        raise ProposalRulesError(f"rules do not suit {method}: {e}") from e


parse_opening = partial(parse, Opening, KIND)
