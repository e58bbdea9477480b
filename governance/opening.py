"""The opening of a proposal: what is voted on, how, by whom and when, frozen on the log.

Body of ``governance.proposal.opened`` (every field required unless marked)::

    {"group": slug, "title": str, "body_sha256": hex,
     "method": "proposal" | "consent" | "single" | "approval" | "irv" | "schulze" | "score" | "dot",
     "options": [str, ...],            # [] for proposal and consent votes, else 2 to 50
     "rules": {"algorithm": "irv/1", "quorum": [n, d], "threshold": [n, d],
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from math import gcd
from typing import Any, Final, cast

from governance.actions import (
    MOTION_METHODS,
    Action,
    action_json,
    check_action,
    parse_action,
)
from governance.bodies import SEAL_KEY_BYTES
from governance.errors import InvalidRulesError, ProposalRulesError, UnknownMethodError
from governance.tally import METHODS, Rules, TieRule, get_method
from governance.tally.base import TIE_RULES
from ledger.encoding import JSONValue, b64decode, b64encode, canonical_json, format_time, parse_time
from ledger.errors import MalformedStatementError
from ledger.fields import HEX_SHA256, MEMBER_ID, SLUG, Body

KIND: Final = "governance.proposal.opened"
OPTION_METHODS: Final = frozenset({"single", "approval", "irv", "schulze", "score", "dot"})
MAX_OPTIONS: Final = 50
MAX_ELECTORATE: Final = 5000
MAX_WINDOW: Final = timedelta(days=366)
_RULE_FIELDS = (
    "algorithm",
    "quorum",
    "threshold",
    "tie_rule",
    "consent",
    "min_choices",
    "max_choices",
    "dots",
    "max_score",
)


@dataclass(frozen=True)
class RuleSpec:
    """The counting rules frozen in the opening entry (everything ``Rules`` needs but the seed)."""

    algorithm: str
    quorum: Fraction
    threshold: Fraction
    tie_rule: TieRule
    consent: bool
    min_choices: int
    max_choices: int | None
    dots: int
    max_score: int

    def to_json(self) -> dict[str, JSONValue]:
        """The ``rules`` object of an opening body."""
        return {
            "algorithm": self.algorithm,
            "quorum": fraction_json(self.quorum),
            "threshold": fraction_json(self.threshold),
            "tie_rule": self.tie_rule,
            "consent": self.consent,
            "min_choices": self.min_choices,
            "max_choices": self.max_choices,
            "dots": self.dots,
            "max_score": self.max_score,
        }


@dataclass(frozen=True)
class Opening:
    """A parsed ``governance.proposal.opened`` body."""

    group: str
    title: str
    body_sha256: str
    method: str
    options: tuple[str, ...]
    rules: RuleSpec
    electorate: tuple[str, ...]
    electorate_sha256: str
    opens_at: datetime
    closes_at: datetime
    hidden: bool
    seal_key: bytes | None
    action: Action

    def tally_rules(self, seed: bytes) -> Rules:
        """The ``Rules`` to count under, with ``seed`` (the opening entry's leaf hash)."""
        spec = self.rules
        return Rules(
            n_options=len(self.options),
            electorate_size=len(self.electorate),
            quorum=spec.quorum,
            threshold=spec.threshold,
            tie_rule=spec.tie_rule,
            seed=seed,
            consent=spec.consent,
            min_choices=spec.min_choices,
            max_choices=spec.max_choices,
            dots=spec.dots,
            max_score=spec.max_score,
        )

    def to_json(self) -> dict[str, JSONValue]:
        """The opening body, ready to sign."""
        value: dict[str, JSONValue] = {
            "group": self.group,
            "title": self.title,
            "body_sha256": self.body_sha256,
            "method": self.method,
            "options": list(self.options),
            "rules": self.rules.to_json(),
            "electorate": list(self.electorate),
            "electorate_sha256": self.electorate_sha256,
            "opens_at": format_time(self.opens_at),
            "closes_at": format_time(self.closes_at),
            "hidden": self.hidden,
            "action": action_json(self.action),
        }
        if self.seal_key is not None:
            value["seal_key"] = b64encode(self.seal_key)
        return value


def electorate_digest(members: Iterable[str]) -> str:
    """Hex SHA-256 of the RFC 8785 canonical JSON of the sorted list of member ids."""
    return hashlib.sha256(canonical_json(sorted(members))).hexdigest()


def fraction_json(value: Fraction) -> list[int]:
    """``value`` as ``[numerator, denominator]`` in lowest terms."""
    return [value.numerator, value.denominator]


def parse_fraction(body: Body, name: str) -> Fraction:
    """A ``[numerator, denominator]`` pair of integers in lowest terms, denominator >= 1."""
    pair = body.value.get(name)
    if (
        not isinstance(pair, list)
        or len(pair) != 2
        or not all(type(n) is int for n in pair)
        or pair[1] < 1
        or pair[0] < 0
        or gcd(pair[0], pair[1]) != 1
    ):
        raise MalformedStatementError(
            f"{KIND}: rules.{name} must be [numerator, denominator] in lowest terms"
        )
    return Fraction(pair[0], pair[1])


def parse_rule_spec(value: Mapping[str, Any]) -> RuleSpec:
    """Read the ``rules`` object (its fit with the method is checked by ``parse_opening``)."""
    body = Body(f"{KIND} rules", value).only(_RULE_FIELDS)
    max_choices = value.get("max_choices")
    return RuleSpec(
        algorithm=body.str("algorithm", max_length=40),
        quorum=parse_fraction(body, "quorum"),
        threshold=parse_fraction(body, "threshold"),
        tie_rule=cast(TieRule, body.one_of("tie_rule", TIE_RULES)),
        consent=body.bool("consent"),
        min_choices=body.int("min_choices", minimum=0, maximum=MAX_OPTIONS),
        max_choices=None
        if max_choices is None
        else body.int("max_choices", minimum=0, maximum=MAX_OPTIONS),
        dots=body.int("dots", minimum=0, maximum=10_000),
        max_score=body.int("max_score", minimum=0, maximum=100),
    )


def _options(body: Body, method: str) -> tuple[str, ...]:
    options = body.str_list("options", max_items=MAX_OPTIONS)
    if method in MOTION_METHODS and options:
        raise ProposalRulesError(f"a {method} vote has no options; give []")
    if method in OPTION_METHODS and len(options) < 2:
        raise ProposalRulesError(f"a {method} vote needs at least two options")
    for option in options:
        if not option or len(option) > 200 or not option.isprintable():
            raise ProposalRulesError("each option is one plain line of 1 to 200 characters")
    return tuple(options)


def _electorate(body: Body) -> tuple[tuple[str, ...], str]:
    members = body.str_list("electorate", pattern=MEMBER_ID, min_items=1, max_items=MAX_ELECTORATE)
    if members != sorted(members):
        raise MalformedStatementError(f"{KIND}: electorate must be sorted")
    digest = body.str("electorate_sha256", pattern=HEX_SHA256, max_length=64)
    if digest != electorate_digest(members):
        raise MalformedStatementError(f"{KIND}: electorate_sha256 is not the electorate's hash")
    return tuple(members), digest


def _window(body: Body) -> tuple[datetime, datetime]:
    opens_at = parse_time(body.str("opens_at", max_length=40), what="opens_at")
    closes_at = parse_time(body.str("closes_at", max_length=40), what="closes_at")
    if not opens_at < closes_at <= opens_at + MAX_WINDOW:
        raise MalformedStatementError(
            f"{KIND}: closes_at must be after opens_at, by at most {MAX_WINDOW.days} days"
        )
    return opens_at, closes_at


def _seal_key(body: Body, hidden: bool) -> bytes | None:
    if hidden != body.has("seal_key"):
        raise MalformedStatementError(f"{KIND}: seal_key is given exactly when hidden is true")
    if not hidden:
        return None
    return b64decode(body.str("seal_key"), length=SEAL_KEY_BYTES, what="seal_key")


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


def parse_opening(value: Mapping[str, Any]) -> Opening:
    """Read an opening body and check that its rules suit its method.

    Raises ``MalformedStatementError`` for a missing, extra or mistyped field, an unsorted
    electorate or a wrong electorate hash; ``ProposalRulesError`` for an unknown method, an
    algorithm version other than the one implemented, or rules the method cannot count under.
    """
    body = Body(KIND, value).only(
        {
            "group",
            "title",
            "body_sha256",
            "method",
            "options",
            "rules",
            "electorate",
            "electorate_sha256",
            "opens_at",
            "closes_at",
            "hidden",
            "action",
        },
        {"seal_key"},
    )
    method = body.one_of("method", METHODS.keys())
    options = _options(body, method)
    spec = parse_rule_spec(body.object("rules"))
    check_method_rules(method, spec, len(options))
    electorate, digest = _electorate(body)
    opens_at, closes_at = _window(body)
    hidden = body.bool("hidden")
    title = body.str("title", max_length=200)
    if not title.isprintable():
        raise MalformedStatementError(f"{KIND}: title must be one plain line")
    group = body.str("group", pattern=SLUG, max_length=64)
    action = parse_action(body.object("action"))
    check_action(group, method, action)
    return Opening(
        group=group,
        title=title,
        body_sha256=body.str("body_sha256", pattern=HEX_SHA256, max_length=64),
        method=method,
        options=options,
        rules=spec,
        electorate=electorate,
        electorate_sha256=digest,
        opens_at=opens_at,
        closes_at=closes_at,
        hidden=hidden,
        seal_key=_seal_key(body, hidden),
        action=action,
    )
