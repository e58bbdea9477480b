"""Passed decisions that act: terms of reference adopted, a convenor elected, and a credit
rule table version accepted by the real ``CreditsHandler`` through governance's gate."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from governance import client, reports, store
from governance.actions import ElectConvenor
from governance.bodies import LeaveBody
from governance.errors import ProposalRulesError, TextMissingError
from ledger.credits import store as credit_store
from ledger.credits.errors import DecisionRequiredError
from ledger.credits.rules import RuleTable, rule_table_from_community
from ledger.errors import ConflictError, NotFoundError
from tests.conftest import SQL_BACKENDS
from tests.governance.world import GROUP, governance_world
from tests.ledger.credits.helpers import RULES_V1

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

OPEN = "governance.proposal.opened"
AGREE = client.motion_ballot("agree")
DISAGREE = client.motion_ballot("disagree")
TERMS = "Purpose: the working group's aim\nMembership: open to co-op members\n"
V1 = rule_table_from_community(RULES_V1)


def _v2() -> RuleTable:
    rules = dict(V1.rules)
    rules["mentoring.hour"] = replace(rules["mentoring.hour"], credits=3)
    return RuleTable(2, 40, rules, None)


async def test_terms_of_reference_by_consent(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        v2 = client.adopt_terms(group=GROUP, version=2, text=TERMS)
        body = await g.open_body(method="consent", action=v2, terms_text=TERMS)
        await g.refused("ana", OPEN, body, ConflictError, "next terms of reference version is 1")
        unstored = client.adopt_terms(group=GROUP, version=1, text="never stored")
        body = await g.open_body(method="consent")
        body["action"] = {
            "type": "adopt_terms",
            "group": GROUP,
            "version": 1,
            "sha256": unstored.sha256,
        }
        await g.refused("ana", OPEN, body, TextMissingError, "terms of reference")
        v1 = client.adopt_terms(group=GROUP, version=1, text=TERMS)
        seq = await g.open(method="consent", action=v1, terms_text=TERMS)
        again = await g.open_body(method="consent", action=v1, terms_text=TERMS)
        await g.refused("ana", OPEN, again, ConflictError, f"proposal {seq} already proposes")
        for member in ("ana", "ben", "cat"):
            await g.vote(member, seq, AGREE)
        await g.finish(seq)
        async with g.read() as conn:
            adopted = await reports.terms(conn, GROUP)
        assert adopted is not None
        assert (adopted[0].version, adopted[0].sha256, adopted[1]) == (1, v1.sha256, TERMS)

        # a blocked adoption changes nothing, and the version can be proposed again
        new = TERMS + "Review: yearly\n"
        again_v2 = client.adopt_terms(group=GROUP, version=2, text=new)
        seq = await g.open(method="consent", action=again_v2, terms_text=new)
        await g.vote("ben", seq, client.motion_ballot("block", "too soon"))
        assert (await g.finish(seq)).result.outcome == "blocked"
        async with g.read() as conn:
            adopted = await reports.terms(conn, GROUP)
        assert adopted is not None and adopted[0].version == 1
        seq = await g.open(method="consent", action=again_v2, terms_text=new)
        for member in ("ana", "ben", "cat"):
            await g.vote(member, seq, AGREE)
        await g.finish(seq)
        async with g.read() as conn:
            history = await store.terms_history(conn, GROUP)
        assert [(t.version, t.sha256) for t in history] == [(1, v1.sha256), (2, again_v2.sha256)]
        assert history[1].decision > history[0].decision


async def test_convenor_elected_by_a_group_vote(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"], observers=["eve"])
        observer = await g.open_body(
            method="proposal", action=ElectConvenor(group=GROUP, member="eve")
        )
        await g.refused("ana", OPEN, observer, NotFoundError, "eve is not a voting member")
        ranked = await g.open_body(method="proposal")
        ranked.update(method="irv", options=["ben", "cat"])
        ranked["rules"]["algorithm"] = "irv/2"
        ranked["action"] = {"type": "elect_convenor", "group": GROUP, "member": "ben"}
        await g.refused("ana", OPEN, ranked, ProposalRulesError, "needs a proposal or consent")
        seq = await g.open(method="proposal", action=ElectConvenor(group=GROUP, member="ben"))
        for member in ("ana", "ben", "cat"):
            await g.vote(member, seq, AGREE)
        await g.finish(seq)
        assert (await g.role(GROUP, "ben"), await g.role(GROUP, "ana")) == ("convenor", "member")
        await g.open(opener="ben", method="proposal")

        # an elected member who has left by the time of the decision cannot take it up
        elect_cat = ElectConvenor(group=GROUP, member="cat")
        gone = await g.open(opener="ben", method="proposal", action=elect_cat)
        for member in ("ben", "cat"):
            await g.vote(member, gone, AGREE)
        await g.close(gone, by="ben")
        await g.submit("cat", "governance.group.left", LeaveBody(group=GROUP).to_json())
        decision = await g.decision_body(gone)
        await g.refused(
            "ben",
            "governance.decision.recorded",
            decision,
            ConflictError,
            "cat is no longer a voting member",
        )
        assert await g.role(GROUP, "ben") == "convenor"


async def test_rule_table_adopted_only_by_a_passed_assembly_decision(
    database_url: str, tmp_path: Path
) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        await g.submit("steward", "credit.rules_adopted", V1.to_json())
        v2 = _v2()
        action = client.adopt_rule_table(v2)
        in_group = await g.open_body(method="proposal")
        in_group["action"] = {"type": "adopt_rule_table", "version": 2, "digest": action.digest}
        await g.refused("ana", OPEN, in_group, ProposalRulesError, "only the assembly")

        failed = await g.open("board-b", "assembly", method="proposal", action=action)
        for member in ("ana", "ben", "cat"):
            await g.vote(member, failed, DISAGREE)
        await g.close(failed, by="board-b")
        failed_decision = await g.decide(failed, by="board-b")
        adopt = replace(v2, decision=failed_decision).to_json()
        await g.refused(
            "steward",
            "credit.rules_adopted",
            adopt,
            DecisionRequiredError,
            f"entry {failed_decision} is not a passed decision",
        )

        passed = await g.open("board-b", "assembly", method="proposal", action=action)
        assert len((await g.proposal(passed)).opening.electorate) == 8  # every member
        for member in ("ana", "ben", "cat", "dan", "eve"):
            await g.vote(member, passed, AGREE)
        await g.close(passed, by="steward")
        decision = await g.decide(passed, by="steward")
        other = replace(v2, monthly_cap_per_member=41, decision=decision)
        await g.refused(
            "steward",
            "credit.rules_adopted",
            other.to_json(),
            DecisionRequiredError,
            "not a passed decision",
        )
        opening = replace(v2, decision=passed).to_json()
        await g.refused("steward", "credit.rules_adopted", opening, DecisionRequiredError, "entry")
        await g.submit(
            "steward",
            "credit.rules_adopted",
            replace(v2, decision=decision).to_json(),
        )
        async with g.read() as conn:
            current = await credit_store.rule_table(conn)
        assert current is not None and current.version == 2 and current.decision == decision
