"""Pure reads of governance bodies: the opening with its frozen rules, and the others."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from governance import client
from governance.actions import AdoptRuleTable, ElectConvenor, NoAction
from governance.bodies import parse_close, parse_decision, parse_group, parse_role, parse_vote
from governance.errors import ProposalRulesError
from governance.opening import electorate_digest, parse_opening
from governance.tally import METHODS
from ledger.errors import MalformedStatementError

T0 = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
OPTIONS = {"single": 3, "approval": 3, "irv": 3, "schulze": 3, "score": 3, "dot": 3}


def opening(method: str = "proposal", **fields: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "group": "markets-data-trust",
        "title": "Priorities",
        "body_text": "Which priority first?",
        "method": method,
        "electorate": ["cat", "ana", "ben"],
        "opens_at": T0,
        "closes_at": T0 + timedelta(days=7),
        "options": [f"option {i}" for i in range(OPTIONS.get(method, 0))],
        "dots": 3 if method == "dot" else 0,
    }
    defaults.update(fields)
    return client.open_proposal(**defaults)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_round_trips(method: str) -> None:
    body = opening(method)
    parsed = parse_opening(body)
    assert parsed.to_json() == body
    assert parsed.electorate == ("ana", "ben", "cat")
    assert body["rules"]["algorithm"] == METHODS[method].algorithm
    assert parsed.tally_rules(b"seed").electorate_size == 3


def test_electorate_digest_is_sha256_of_canonical_json() -> None:
    assert electorate_digest(["ben", "ana"]) == hashlib.sha256(b'["ana","ben"]').hexdigest()


def _with(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(body)
    for name, value in changes.items():
        if name.startswith("rules_"):
            out["rules"] = {**out["rules"], name[6:]: value}
        else:
            out[name] = value
    return out


BASE = opening()
IRV = opening("irv")


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (_with(BASE, electorate=["b1", "a1"]), MalformedStatementError, "must be sorted"),
        (_with(BASE, electorate_sha256="0" * 64), MalformedStatementError, "electorate's hash"),
        (_with(BASE, electorate=[]), MalformedStatementError, "1 to"),
        (_with(BASE, rules_quorum=[2, 4]), MalformedStatementError, "lowest terms"),
        (_with(BASE, rules_quorum=[1, 0]), MalformedStatementError, "lowest terms"),
        (_with(BASE, rules_quorum=[0.5, 1]), MalformedStatementError, "lowest terms"),
        (_with(BASE, rules_threshold=[1, 1]), ProposalRulesError, "threshold must be"),
        (_with(BASE, rules_quorum=[3, 2]), ProposalRulesError, "quorum must be"),
        (_with(BASE, method="borda"), MalformedStatementError, "method must be one of"),
        (_with(IRV, rules_algorithm="irv/3"), ProposalRulesError, "implemented at irv/2"),
        (_with(BASE, options=["a", "b"]), ProposalRulesError, "has no options"),
        (_with(IRV, options=["only"]), ProposalRulesError, "at least two options"),
        (_with(IRV, options=["a\nb", "c"]), ProposalRulesError, "one plain line"),
        (_with(IRV, options=["a", "a"]), MalformedStatementError, "duplicate"),
        (_with(opening("dot"), rules_dots=0), ProposalRulesError, "at least one dot"),
        (_with(opening("single"), rules_consent=True), ProposalRulesError, "consent must be"),
        (_with(opening("approval"), rules_min_choices=4), ProposalRulesError, "min_choices"),
        (_with(BASE, hidden=True), MalformedStatementError, "seal_key is given exactly"),
        (_with(BASE, seal_key="A" * 43 + "="), MalformedStatementError, "seal_key is given"),
        (_with(BASE, closes_at=BASE["opens_at"]), MalformedStatementError, "after opens_at"),
        (_with(BASE, closes_at="2026-03-28T12:00:00Z"), MalformedStatementError, "366 days"),
        (_with(BASE, title="two\nlines"), MalformedStatementError, "one plain line"),
        (_with(BASE, extra=1), MalformedStatementError, "unexpected"),
        (
            _with(
                IRV,
                action={"type": "elect_convenor", "group": "markets-data-trust", "member": "ana"},
            ),
            ProposalRulesError,
            "proposal or consent",
        ),
        (
            _with(BASE, action={"type": "adopt_rule_table", "version": 2, "digest": "a" * 64}),
            ProposalRulesError,
            "only the assembly",
        ),
        (
            _with(
                BASE,
                action={"type": "adopt_terms", "group": "other", "version": 1, "sha256": "a" * 64},
            ),
            ProposalRulesError,
            "decides only for",
        ),
        (
            _with(
                BASE,
                group="assembly",
                action={"type": "elect_convenor", "group": "assembly", "member": "ana"},
            ),
            ProposalRulesError,
            "board",
        ),
        (
            _with(BASE, action={"type": "adopt_rule_table", "version": 1, "digest": "a" * 64}),
            MalformedStatementError,
            "at least 2",
        ),
        (_with(BASE, action={"type": "coup"}), MalformedStatementError, "type must be"),
    ],
)
def test_opening_refusals(body: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        parse_opening(body)


def test_actions() -> None:
    assert parse_opening(BASE).action == NoAction()
    table = {"type": "adopt_rule_table", "version": 2, "digest": "a" * 64}
    parsed = parse_opening(_with(BASE, group="assembly", action=table))
    assert parsed.action == AdoptRuleTable(2, "a" * 64)
    elect = ElectConvenor(group="markets-data-trust", member="ben")
    assert parse_opening(opening(action=elect)).action == ElectConvenor("markets-data-trust", "ben")
    body = opening("proposal", quorum=Fraction(1, 2), threshold=Fraction(2, 3), consent=True)
    assert body["rules"]["quorum"] == [1, 2] and body["rules"]["threshold"] == [2, 3]


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        (parse_vote, {"proposal": 3}, "exactly one of ballot, sealed"),
        (parse_vote, {"proposal": 3, "ballot": {}, "sealed": "AA=="}, "exactly one"),
        (parse_vote, {"proposal": 3, "sealed": "AAAA"}, "50 to 8192 bytes"),
        (parse_vote, {"proposal": 3, "sealed": "not base64!"}, "base64"),
        (parse_vote, {"proposal": -1, "ballot": {}}, "at least 0"),
        (parse_vote, {"proposal": 3, "ballot": []}, "must be an object"),
        (parse_close, {"proposal": 3, "reason": "bored"}, "reason must be one of"),
        (parse_close, {"proposal": 3, "reason": "early", "seal_private_key": "AAAA"}, "32 bytes"),
        (parse_group, {"group": "g", "name": "a\nb"}, "one plain line"),
        (parse_group, {"group": "Bad Slug", "name": "x"}, "wrong form"),
        (parse_role, {"group": "g", "member": "ana", "role": "king"}, "role must be one of"),
    ],
)
def test_body_refusals(parse: Any, value: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedStatementError, match=message):
        parse(value)


RESULT = {
    "outcome": "winner",
    "winner": 1,
    "passed": None,
    "counts": [1, 2],
    "ballots": 3,
    "spoiled": 0,
}
DECISION = {
    "proposal": 3,
    "result": RESULT,
    "transcript_sha256": "a" * 64,
    "statement_sha256": "b" * 64,
    "review_on": "2025-09-01",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"result": {**RESULT, "winner": True}}, "winner must be an integer"),
        ({"result": {**RESULT, "passed": 1}}, "passed must be true or false"),
        ({"result": {**RESULT, "counts": [-1]}}, "counts must be a list"),
        ({"result": {**RESULT, "outcome": "won"}}, "outcome must be one of"),
        ({"review_on": "2025-02-30"}, "not a calendar date"),
        ({"transcript_sha256": "A" * 64}, "wrong form"),
    ],
)
def test_decision_refusals(change: dict[str, Any], message: str) -> None:
    assert parse_decision(DECISION).result.to_json() == RESULT
    with pytest.raises(MalformedStatementError, match=message):
        parse_decision({**DECISION, **change})
