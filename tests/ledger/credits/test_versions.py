"""Rule table versions: v1 at init, later versions only through a passed decision, and a
rule change never alters a past award or a claim made under the old version."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger.credits import errors, reports, store
from ledger.credits.rules import RuleTable, rule_table_from_community
from ledger.errors import ConflictError, NotAuthorisedError
from ledger.sequencer import Context
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import RULES_V1, credits_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

ADOPT = "credit.rules_adopted"
V1 = rule_table_from_community(RULES_V1)


def _v2(decision: int | None) -> RuleTable:
    """v2: mentoring pays 3 an hour; resource.shared is dropped."""
    rules = {a: r for a, r in V1.rules.items() if a != "resource.shared"}
    rules["mentoring.hour"] = replace(rules["mentoring.hour"], credits=3)
    return RuleTable(2, 40, rules, decision)


class PassedDecisions:
    """A test double for governance: entry ``seq`` passed, adopting the table ``digest``."""

    def __init__(self) -> None:
        self.passed: tuple[int, int, str] | None = None
        self.asked: list[tuple[int, int, str]] = []

    async def passed_rule_table_decision(
        self, ctx: Context, seq: int, version: int, digest: str
    ) -> bool:
        self.asked.append((seq, version, digest))
        return self.passed == (seq, version, digest)


async def test_version_one_at_init(database_url: str) -> None:
    async with credits_world(database_url, adopt=False) as c:
        await c.refused(
            "croydon-print",
            "credit.claimed",
            c.claim_body("resource.shared"),
            errors.NoRuleTableError,
            "no credit rule table",
        )
        body = V1.to_json()
        await c.refused("croydon-print", ADOPT, body, NotAuthorisedError, "only a board member")
        await c.refused(
            "steward", ADOPT, {**body, "decision": 3}, ConflictError, "without a decision"
        )
        await c.refused(
            "steward", ADOPT, {**body, "version": 2}, ConflictError, "next rule table version is 1"
        )
        await c.submit("steward", ADOPT, body)
        await c.refused("steward", ADOPT, body, ConflictError, "next rule table version is 2")
        async with c.read() as conn:
            assert await store.rule_table(conn) == V1


async def test_default_gate_refuses_every_new_version(database_url: str) -> None:
    async with credits_world(database_url) as c:
        await c.refused(
            "steward",
            ADOPT,
            _v2(None).to_json(),
            errors.DecisionRequiredError,
            "needs a passed governance decision",
        )
        err = await c.refused(
            "steward",
            ADOPT,
            _v2(5).to_json(),
            errors.DecisionRequiredError,
            f"entry 5 is not a passed decision adopting rule table version 2 "
            f"\\(digest {_v2(5).digest()}\\)",
        )
        assert err.code == "decision_required"


async def test_a_new_version_never_alters_past_awards(database_url: str) -> None:
    decisions = PassedDecisions()
    async with credits_world(database_url, decisions=decisions) as c:
        past = await c.earn(
            "croydon-print", "merton-care", "mentoring.hour", 2, counterparty="merton-care"
        )
        open_mentoring = await c.claim(
            "croydon-print", "mentoring.hour", 1, counterparty="sutton-books"
        )
        open_share = await c.claim("croydon-print", "resource.shared", 1)
        v2 = _v2(past)
        decisions.passed = (past, 2, v2.digest())
        other = replace(v2, monthly_cap_per_member=41)  # not the table the decision adopted
        await c.refused(
            "steward", ADOPT, other.to_json(), errors.DecisionRequiredError, "not a passed"
        )
        await c.submit("steward", ADOPT, v2.to_json())
        assert decisions.asked[-1] == (past, 2, v2.digest())
        # claims made under v1 are awarded under v1, even for an activity v2 dropped
        await c.confirm("sutton-books", open_mentoring)
        await c.confirm("board-b", open_share)
        new = await c.claim("croydon-print", "mentoring.hour", 1, counterparty="anchor-uni")
        stale = {**await c.award_body(new), "rule_version": 1, "credits": 2}
        await c.refused(
            "anchor-uni", "credit.awarded", stale, errors.WrongAmountError, "rule_version must be 2"
        )
        await c.confirm("anchor-uni", new)
        await c.refused(
            "croydon-print",
            "credit.claimed",
            c.claim_body("resource.shared"),
            errors.UnknownActivityError,
            "not in rule table version 2",
        )
        async with c.read() as conn:
            lines = await reports.statement(conn, "croydon-print")
        assert [(x.activity, x.rule_version, x.quantity, x.credits) for x in lines] == [
            ("mentoring.hour", 1, 2, 4),
            ("mentoring.hour", 1, 1, 2),
            ("resource.shared", 1, 1, 1),
            ("mentoring.hour", 2, 1, 3),
        ]
