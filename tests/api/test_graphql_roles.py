"""Every role against every mutation: the domain handlers decide, the API only reports.

Roles: anonymous (a key the ledger does not know), auditor (a registered auditor's key: it
may log in and read, never sign), member, observer and convenor (of one working group), and
board. Each case makes a fresh target where the act needs one, has the role sign the act,
and checks the answer: ``ok`` or the refusal's code.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from governance import bodies as gov
from ledger.bootstrap import admission
from ledger.credits import bodies
from ledger.credits import client as credits
from ledger.encoding import JSONValue
from ledger.signing import Keypair
from tests.api.graphql_world import (
    PREPARE_DECISION,
    TODAY,
    GraphQLWorld,
    graphql_world,
)

G, H, J = "business-services", "health-social-care", "arts-creative"
ROLES = {
    "anonymous": "nobody",
    "auditor": "auditor",
    "member": "sutton-books",
    "observer": "student-1",
    "convenor": "croydon-print",
    "board": "board-b",
}
Body = dict[str, JSONValue]
Build = Callable[[GraphQLWorld, str], Awaitable[Body]]


@dataclass(frozen=True)
class Case:
    field: str
    success: str
    kind: str
    build: Build
    expected: dict[str, str]


def expect(default: str, **overrides: str) -> dict[str, str]:
    """``unknown_key`` for the two keys the ledger does not know, ``default`` for the rest."""
    outcome = dict.fromkeys(ROLES, default)
    outcome.update(anonymous="unknown_key", auditor="unknown_key", **overrides)
    return outcome


async def target(world: GraphQLWorld) -> str:
    """A fresh member to act on."""
    name = f"target-{len(world.keys)}"
    await world.admit(name, "sme", "Sutton")
    return name


async def awarded(world: GraphQLWorld, member: str) -> int:
    """An award of 2 credits to ``member``, confirmed by merton-care."""
    claim = await world.claim(member, counterparty="merton-care", note=str(len(world.keys)))
    return await world.confirm("merton-care", claim, member)


async def facilitation_claim(world: GraphQLWorld, actor: str) -> Body:
    member = await target(world)
    body = bodies.ClaimBody(
        activity="workshop.facilitated",
        quantity=1,
        evidence_sha256=credits.evidence_digest(member.encode()),
        done_on=TODAY,
        group=G,
    ).to_json()
    seq = await world.submit(member, "credit.claimed", body)
    return {"claim": seq, "member": member}


async def award_body(world: GraphQLWorld, actor: str) -> Body:
    found = await facilitation_claim(world, actor)
    return {
        "member": found["member"],
        "credits": 6,
        "activity": "workshop.facilitated",
        "rule_version": 1,
        "quantity": 1,
        "basis": {"claim": found["claim"]},
    }


async def decline_body(world: GraphQLWorld, actor: str) -> Body:
    found = await facilitation_claim(world, actor)
    return bodies.DeclineBody(claim=int(str(found["claim"])), reason="not_recognised").to_json()


async def rules_body(world: GraphQLWorld, actor: str) -> Body:
    data = await world.data("{ ruleTable { body } }")
    body: Body = dict(data["ruleTable"]["body"])
    body["version"] = 2
    return body


async def session_body(world: GraphQLWorld, actor: str) -> Body:
    return bodies.SessionBody(
        activity="workshop.attended",
        held_on=TODAY,
        attendees=[await target(world)],
        title="Supply Chain Readiness",
        group=G,
    ).to_json()


async def claim_body(world: GraphQLWorld, actor: str) -> Body:
    return world.claim_body(actor, counterparty="merton-care", note="roles")


async def reverse_body(world: GraphQLWorld, actor: str) -> Body:
    award = await awarded(world, await target(world))
    return bodies.ReversalBody(award=award, credits=2, reason="error").to_json()


async def adjust_body(world: GraphQLWorld, actor: str) -> Body:
    award = await awarded(world, await target(world))
    return bodies.AdjustmentBody(award=award, credits=-1, reason="wrong_quantity").to_json()


async def dispute_body(world: GraphQLWorld, actor: str) -> Body:
    award = await awarded(world, await target(world))
    return bodies.DisputeBody(award=award, reason="not_delivered").to_json()


async def resolve_body(world: GraphQLWorld, actor: str) -> Body:
    member = await target(world)
    award = await awarded(world, member)
    dispute = await world.submit(
        member,
        "credit.disputed",
        bodies.DisputeBody(award=award, reason="wrong_quantity").to_json(),
    )
    return bodies.ResolutionBody(dispute=dispute, outcome="dismissed", note="as agreed").to_json()


async def admit_body(world: GraphQLWorld, actor: str) -> Body:
    fresh = Keypair.generate()
    return admission(
        f"new-{fresh.key_id}", fresh.public_key_b64, member_kind="sme", borough="Merton"
    )


async def rotate_body(world: GraphQLWorld, actor: str) -> Body:
    return {"member": actor, "public_key": Keypair.generate().public_key_b64}


async def revoke_body(world: GraphQLWorld, actor: str) -> Body:
    member = await target(world)
    return {"member": member, "key_id": world.keys[member].key_id}


async def group_body(world: GraphQLWorld, actor: str) -> Body:
    return gov.GroupBody(group=f"group-{len(world.keys)}-{actor[:4]}", name="New").to_json()


async def join_body(world: GraphQLWorld, actor: str) -> Body:
    return gov.JoinRequestBody(group=J, role="member").to_json()


async def request(world: GraphQLWorld) -> int:
    member = await target(world)
    return await world.submit(
        member,
        "governance.group.join_requested",
        gov.JoinRequestBody(group=H, role="member").to_json(),
    )


async def approve_body(world: GraphQLWorld, actor: str) -> Body:
    return gov.RequestBody(request=await request(world)).to_json()


async def decline_join_body(world: GraphQLWorld, actor: str) -> Body:
    return gov.RequestBody(request=await request(world)).to_json()


async def role_body(world: GraphQLWorld, actor: str) -> Body:
    member = await target(world)
    await world.submit(
        "steward",
        "governance.group.role_set",
        gov.RoleBody(group=H, member=member, role="observer").to_json(),
    )
    return gov.RoleBody(group=H, member=member, role="member").to_json()


async def leave_body(world: GraphQLWorld, actor: str) -> Body:
    return gov.LeaveBody(group=H).to_json()


async def opening(world: GraphQLWorld) -> Body:
    closes = (TODAY + timedelta(days=7)).isoformat() + "T00:00:00Z"
    return await world.opening("croydon-print", G, title="Next workshop", closesAt=closes)


async def open_body(world: GraphQLWorld, actor: str) -> Body:
    return await opening(world)


async def opened(world: GraphQLWorld) -> int:
    return await world.submit("croydon-print", "governance.proposal.opened", await opening(world))


async def vote_body(world: GraphQLWorld, actor: str) -> Body:
    if "vote" not in world.tokens:
        world.tokens["vote"] = str(await opened(world))
    return gov.VoteBody(proposal=int(world.tokens["vote"]), ballot={"choice": "agree"}).to_json()


async def close_body(world: GraphQLWorld, actor: str) -> Body:
    return gov.CloseBody(proposal=await opened(world), reason="early").to_json()


async def decision_body(world: GraphQLWorld, actor: str) -> Body:
    seq = await opened(world)
    await world.submit(
        "croydon-print",
        "governance.proposal.closed",
        gov.CloseBody(proposal=seq, reason="early").to_json(),
    )
    variables = {"p": seq, "t": "Noted.", "r": (TODAY + timedelta(days=90)).isoformat()}
    prepared = await world.draft("croydon-print", PREPARE_DECISION, variables)
    body: Body = prepared["body"]
    return body


CASES: dict[str, Case] = {
    "adoptRuleTable": Case(
        "adoptRuleTable",
        "RuleTableAccepted",
        "credit.rules_adopted",
        rules_body,
        expect("not_authorised", board="decision_required"),
    ),
    "recordSession": Case(
        "recordSession",
        "SessionAccepted",
        "credit.session_recorded",
        session_body,
        expect("not_authorised", convenor="ok", board="ok"),
    ),
    "claimCredit": Case(
        "claimCredit",
        "ClaimAccepted",
        "credit.claimed",
        claim_body,
        expect("ok"),
    ),
    "declineClaim": Case(
        "declineClaim",
        "ClaimAccepted",
        "credit.declined",
        decline_body,
        expect("not_authorised", convenor="ok", board="ok"),
    ),
    "awardCredit": Case(
        "awardCredit",
        "AwardAccepted",
        "credit.awarded",
        award_body,
        expect("not_authorised", convenor="ok", board="ok"),
    ),
    "reverseAward": Case(
        "reverseAward",
        "AwardAccepted",
        "credit.reversed",
        reverse_body,
        expect("not_authorised", board="ok"),
    ),
    "adjustAward": Case(
        "adjustAward",
        "AwardAccepted",
        "credit.adjusted",
        adjust_body,
        expect("not_authorised", board="ok"),
    ),
    "disputeAward": Case(
        "disputeAward",
        "DisputeAccepted",
        "credit.disputed",
        dispute_body,
        expect("not_authorised"),
    ),
    "resolveDispute": Case(
        "resolveDispute",
        "DisputeAccepted",
        "credit.dispute_resolved",
        resolve_body,
        expect("not_authorised", board="ok"),
    ),
    "admitMember": Case(
        "admitMember",
        "MemberAccepted",
        "member.admitted",
        admit_body,
        expect("not_authorised", board="ok"),
    ),
    "revokeKey": Case(
        "revokeKey",
        "MemberAccepted",
        "member.key_revoked",
        revoke_body,
        expect("not_authorised", board="ok"),
    ),
    "createGroup": Case(
        "createGroup",
        "GroupAccepted",
        "governance.group.created",
        group_body,
        expect("not_authorised", board="ok"),
    ),
    "requestToJoin": Case(
        "requestToJoin",
        "GroupAccepted",
        "governance.group.join_requested",
        join_body,
        expect("ok"),
    ),
    "approveJoin": Case(
        "approveJoin",
        "JoinRequestAccepted",
        "governance.group.join_approved",
        approve_body,
        expect("not_convenor", convenor="ok", board="ok"),
    ),
    "declineJoin": Case(
        "declineJoin",
        "JoinRequestAccepted",
        "governance.group.join_declined",
        decline_join_body,
        expect("not_convenor", convenor="ok", board="ok"),
    ),
    "setRole": Case(
        "setRole",
        "GroupAccepted",
        "governance.group.role_set",
        role_body,
        expect("not_authorised", convenor="ok", board="ok"),
    ),
    "openProposal": Case(
        "openProposal",
        "ProposalAccepted",
        "governance.proposal.opened",
        open_body,
        expect("not_convenor", convenor="ok", board="ok"),
    ),
    "castVote": Case(
        "castVote",
        "ProposalAccepted",
        "governance.vote.cast",
        vote_body,
        expect("ok", observer="observer", board="not_eligible"),
    ),
    "closeProposal": Case(
        "closeProposal",
        "ProposalAccepted",
        "governance.proposal.closed",
        close_body,
        expect("not_convenor", convenor="ok", board="ok"),
    ),
    "recordDecision": Case(
        "recordDecision",
        "ProposalAccepted",
        "governance.decision.recorded",
        decision_body,
        expect("not_convenor", convenor="ok", board="ok"),
    ),
    "leaveGroup": Case(
        "leaveGroup",
        "GroupAccepted",
        "governance.group.left",
        leave_body,
        expect("ok", board="not_found"),
    ),
    "rotateKey": Case(
        "rotateKey",
        "MemberAccepted",
        "member.key_rotated",
        rotate_body,
        expect("ok"),
    ),
}


async def test_every_role_against_every_mutation(sqlite_url_migrated: str, tmp_path: Path) -> None:
    auditor = Keypair.generate()
    (tmp_path / "data").mkdir()
    document = {"auditors": [{"name": "Anchor Audit", "public_key": auditor.public_key_b64}]}
    (tmp_path / "data" / "auditors.json").write_text(json.dumps(document))
    async with graphql_world(sqlite_url_migrated, tmp_path) as world:
        world.keys.update(nobody=Keypair.generate(), auditor=auditor)
        for group in (G, H):
            await world.group(
                group, convenor="croydon-print", members=["sutton-books"], observers=["student-1"]
            )
        await world.submit(
            "steward", "governance.group.created", gov.GroupBody(group=J, name="Arts").to_json()
        )
        await world.login("auditor")
        outcomes: dict[str, dict[str, str]] = {}
        for name, case in CASES.items():
            outcomes[name] = {}
            for role, actor in ROLES.items():
                body = await case.build(world, actor)
                answer = await world.act(actor, case.field, case.success, case.kind, body)
                outcomes[name][role] = (
                    "ok" if answer["__typename"] == case.success else answer["code"]
                )
        assert outcomes == {name: case.expected for name, case in CASES.items()}
