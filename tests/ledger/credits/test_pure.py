"""The pure core without a database: rule tables, bodies, caps, Gini, client bodies."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.credits import bodies, client
from ledger.credits.distribution import decimal_string, gini, per_mille
from ledger.credits.errors import OverCapError, UnknownActivityError
from ledger.credits.records import ClaimRecord
from ledger.credits.rules import (
    Cap,
    Usage,
    caps_for,
    check_caps,
    month_of,
    pair_of,
    parse_rule_table,
    rule_table_from_community,
)
from ledger.errors import MalformedStatementError
from tests.ledger.credits.helpers import RULES_V1

V1 = rule_table_from_community(RULES_V1)


def test_rule_table_v1_from_the_community_file() -> None:
    assert V1.version == 1 and V1.monthly_cap_per_member == 40 and V1.decision is None
    assert len(V1.rules) == 10
    mentoring = V1.rule("mentoring.hour")
    assert (mentoring.credits, mentoring.approver, mentoring.caps.per_pair_month) == (
        2,
        "counterparty",
        8,
    )
    assert V1.rule("bid.support.hour").caps.per_bid == 10
    assert parse_rule_table(V1.to_json()) == V1
    with pytest.raises(UnknownActivityError, match="juggling"):
        V1.rule("juggling")


def test_digest_names_the_table_not_the_decision() -> None:
    with_decision = parse_rule_table({**V1.to_json(), "version": 1, "decision": 7})
    assert with_decision.digest() == V1.digest()
    assert len(V1.digest()) == 64
    changed = parse_rule_table({**V1.to_json(), "monthly_cap_per_member": 41})
    assert changed.digest() != V1.digest()


def _rules(**change: Any) -> dict[str, Any]:
    rule = {**RULES_V1["rule_table"][0], **change}
    return {**V1.to_json(), "rules": [rule]}


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ({**V1.to_json(), "rules": V1.to_json()["rules"] * 2}, "appears twice"),
        ({**V1.to_json(), "rules": []}, "1 to 100 rules"),
        ({**V1.to_json(), "version": 0}, "version must be at least 1"),
        ({**V1.to_json(), "extra": 1}, "unexpected"),
        (_rules(approver="anyone"), "approver must be one of"),
        (_rules(credits=0), "credits must be at least 1"),
        (_rules(cap={"per_week": 3}), "unexpected"),
        (_rules(cap={"per_bid": 0}), "per_bid must be at least 1"),
        (_rules(activity="Not A Slug"), "activity has the wrong form"),
    ],
)
def test_malformed_rule_tables(value: dict[str, Any], match: str) -> None:
    with pytest.raises(MalformedStatementError, match=match):
        parse_rule_table(value)


def test_caps_name_their_scope_and_room() -> None:
    rule = V1.rule("mentoring.hour")
    caps = caps_for(
        rule=rule,
        monthly_cap=40,
        usage=Usage(30, 6, 6, None),
        member="b",
        month="2025-03",
        counterparty="a",
        bid=None,
    )
    assert [(c.name, c.limit, c.used, c.room) for c in caps] == [
        ("per_pair_month", 8, 6, 2),
        ("monthly", 40, 30, 10),
    ]
    check_caps(caps, 2)
    with pytest.raises(OverCapError, match=r"\(a and b, 2025-03\) allows 8 credits") as caught:
        check_caps(caps, 4)
    assert (caught.value.cap, caught.value.room) == ("per_pair_month", 2)
    assert Cap("monthly", 40, 45, "x").room == 0
    assert month_of(date(2025, 1, 31)) == "2025-01"
    assert pair_of("b", "a") == pair_of("a", "b") == ("a", "b")


def test_gini_known_values() -> None:
    assert gini([]) == 0 and gini([0, 0]) == 0 and gini([5, 5, 5]) == 0
    assert gini([0, 0, 0, 10]) == Fraction(3, 4)
    assert gini([1, 2, 3, 4, 5]) == Fraction(4, 15)
    with pytest.raises(ValueError, match="non-negative"):
        gini([1, -1])


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=30))
def test_gini_equals_the_mean_absolute_difference_form(values: list[int]) -> None:
    n, total = len(values), sum(values)
    pairs = sum(abs(x - y) for x, y in itertools.product(values, repeat=2))
    expected = Fraction(0) if total == 0 else Fraction(pairs, 2 * n * total)
    assert gini(values) == expected
    assert gini(reversed(values)) == expected


def test_decimal_renderings() -> None:
    assert decimal_string(Fraction(30, 49)) == "0.612"
    assert decimal_string(Fraction(75, 2), 1) == "37.5"
    assert decimal_string(Fraction(-1, 3), 2) == "-0.33"
    assert decimal_string(Fraction(5, 2), 0) == "2"  # half to even
    assert per_mille(Fraction(1, 2000)) == 0 and per_mille(Fraction(3, 2000)) == 2


def test_client_bodies_parse() -> None:
    claim = bodies.ClaimBody(
        activity="bid.support.hour",
        quantity=3,
        evidence_sha256=client.evidence_digest(b"x"),
        done_on=date(2025, 3, 1),
        counterparty="merton-care",
        bid="lot-3",
    ).to_json()
    assert bodies.parse_claim(claim).bid == "lot-3" and "group" not in claim
    award = client.award_for_claim(claim_seq=9, claimant="a1", claim_body=claim, table=V1)
    assert award == {
        "member": "a1",
        "credits": 6,
        "activity": "bid.support.hour",
        "rule_version": 1,
        "quantity": 3,
        "basis": {"claim": 9},
    }
    parsed = bodies.parse_claim(claim)
    record = ClaimRecord(
        9,
        "a1",
        parsed.activity,
        1,
        3,
        parsed.evidence_sha256,
        parsed.done_on,
        parsed.counterparty,
        parsed.bid,
        None,
        "open",
        None,
    )
    assert client.award_for_record(record, V1) == award
    session = bodies.SessionBody(
        activity="workshop.attended",
        held_on=date(2025, 3, 2),
        attendees=["a1", "b2"],
        title="Growth Planning",
        group="business-services",
    ).to_json()
    assert bodies.parse_session(session).attendees == ("a1", "b2")
    awards = client.awards_for_session(session_seq=4, session_body=session, table=V1)
    assert [(a["member"], a["credits"], a["basis"]) for a in awards] == [
        ("a1", 2, {"session": 4}),
        ("b2", 2, {"session": 4}),
    ]
    for value, parse in [
        (bodies.DeclineBody(claim=1, reason="withdrawn").to_json(), bodies.parse_decline),
        (bodies.ReversalBody(award=1, credits=2, reason="error").to_json(), bodies.parse_reversal),
        (
            bodies.AdjustmentBody(award=1, credits=-2, reason="error").to_json(),
            bodies.parse_adjustment,
        ),
        (bodies.DisputeBody(award=1, reason="other").to_json(), bodies.parse_dispute),
        (
            bodies.ResolutionBody(dispute=1, outcome="upheld", note="n").to_json(),
            bodies.parse_resolution,
        ),
    ]:
        parse(value)
    with pytest.raises(MalformedStatementError, match="duplicate items"):
        bodies.parse_session({**session, "attendees": ["a1", "a1"]})


def test_pure_modules_import_no_sqlalchemy() -> None:
    pure = ["rules", "bodies", "records", "distribution", "client", "errors"]
    code = "; ".join(
        [
            *(f"import ledger.credits.{m}" for m in pure),
            "import sys",
            "print('sqlalchemy' in sys.modules)",
        ]
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    assert result.stdout.strip() == "False"
