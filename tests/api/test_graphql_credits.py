"""Credits through GraphQL: claim, confirm, balances and statements, refusals as union members."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.client import act_document, graphql_input
from tests.api.graphql_world import TODAY, GraphQLWorld, graphql_world, http_client
from tests.conftest import SQL_BACKENDS
from tests.support import statements_run

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[GraphQLWorld]:
    async with graphql_world(database_url, tmp_path) as served:
        yield served


STATEMENT = """
query($m: String!, $n: Int!) {
  member(id: $m) {
    id balance standing
    statement(last: $n) {
      edges { cursor node { seq kind credits balance activity approver } }
      pageInfo { hasPreviousPage hasNextPage startCursor }
    }
  }
}
"""


async def test_claim_confirm_then_balance_and_statement(world: GraphQLWorld) -> None:
    claims = [
        await world.claim("student-1", counterparty="croydon-print", note=str(i)) for i in range(3)
    ]
    awards = [await world.confirm("croydon-print", claim, "student-1") for claim in claims]
    data = await world.data(STATEMENT, {"m": "student-1", "n": 2})
    member = data["member"]
    assert member["balance"] == 6 and member["standing"] == 6
    lines = [edge["node"] for edge in member["statement"]["edges"]]
    assert [line["seq"] for line in lines] == awards[1:]
    assert [line["balance"] for line in lines] == [4, 6]
    assert all(line["approver"] == "croydon-print" for line in lines)
    assert member["statement"]["pageInfo"]["hasPreviousPage"] is True
    before = member["statement"]["pageInfo"]["startCursor"]
    earlier = await world.data(
        "query($m: String!, $b: String!) { member(id: $m) { statement(last: 5, before: $b) "
        "{ nodes { seq } pageInfo { hasPreviousPage hasNextPage } } } }",
        {"m": "student-1", "b": before},
    )
    page = earlier["member"]["statement"]
    assert [line["seq"] for line in page["nodes"]] == awards[:1]
    assert page["pageInfo"] == {"hasPreviousPage": False, "hasNextPage": True}


async def test_claim_is_read_back_with_its_award_and_entry(world: GraphQLWorld) -> None:
    claim = await world.claim("student-1", counterparty="croydon-print")
    award = await world.confirm("croydon-print", claim, "student-1")
    data = await world.data(
        "query($s: Int!) { claim(seq: $s) { status closedBy award { seq net approver } "
        "entry { seq kind keyId statement } } }",
        {"s": claim},
    )
    found = data["claim"]
    assert found["status"] == "awarded" and found["closedBy"] == award
    assert found["award"] == {"seq": award, "net": 2, "approver": "croydon-print"}
    assert found["entry"]["kind"] == "credit.claimed"
    assert found["entry"]["statement"]["body"]["counterparty"] == "croydon-print"


async def test_refusals_are_union_members_with_codes(world: GraphQLWorld) -> None:
    claim = await world.claim("student-1", counterparty="croydon-print")
    body = {
        "member": "student-1",
        "credits": 2,
        "activity": "mentoring.hour",
        "rule_version": 1,
        "quantity": 1,
        "basis": {"claim": claim},
    }
    refused = await world.act("student-1", "awardCredit", "AwardAccepted", "credit.awarded", body)
    assert refused["__typename"] == "SelfApproval" and refused["code"] == "self_approval"
    refused = await world.act(
        "sutton-books", "awardCredit", "AwardAccepted", "credit.awarded", body
    )
    assert (refused["__typename"], refused["code"]) == ("NotAuthorised", "not_authorised")
    again = world.claim_body("student-1", counterparty="croydon-print")
    refused = await world.act("student-1", "claimCredit", "ClaimAccepted", "credit.claimed", again)
    assert refused["__typename"] == "DuplicateEvidence"


async def test_over_cap_says_which_cap_and_the_room_left(world: GraphQLWorld) -> None:
    for i in range(4):
        claim = await world.claim("student-1", counterparty="merton-care", note=str(i))
        await world.confirm("merton-care", claim, "student-1")
    body = world.claim_body("student-1", counterparty="merton-care", note="one more")
    signed = world.factory.sign(world.keys["student-1"], "credit.claimed", body)
    data = await world.data(
        "mutation($s: SignedStatementInput!) { claimCredit(statement: $s) { __typename "
        "... on OverCap { code cap limit used room } } }",
        {"s": graphql_input(signed)},
    )
    assert data["claimCredit"] == {
        "__typename": "OverCap",
        "code": "over_cap",
        "cap": "per_pair_month",
        "limit": 8,
        "used": 8,
        "room": 0,
    }


async def test_replays_forgeries_and_wrong_kinds_are_refused(world: GraphQLWorld) -> None:
    body = world.claim_body("student-1", counterparty="croydon-print", note="replay")
    signed = world.factory.sign(world.keys["student-1"], "credit.claimed", body)
    document = act_document("claimCredit", "ClaimAccepted")
    first = await world.data(document, {"s": graphql_input(signed)})
    assert first["claimCredit"]["__typename"] == "ClaimAccepted"
    again = await world.data(document, {"s": graphql_input(signed)})  # its answer was lost
    assert again["claimCredit"] == first["claimCredit"]
    reused = world.factory.sign(
        world.keys["student-1"],
        "credit.claimed",
        {**body, "quantity": 2},
        nonce=signed.statement.nonce,
    )
    refused_again = await world.data(document, {"s": graphql_input(reused)})
    assert refused_again["claimCredit"]["code"] == "replayed_nonce"
    forged = graphql_input(world.factory.sign(world.keys["student-1"], "credit.claimed", body))
    forged["statement"]["body"]["quantity"] = 4
    refused = await world.data(document, {"s": forged})
    assert refused["claimCredit"]["__typename"] == "BadSignature"
    wrong = graphql_input(world.factory.sign(world.keys["student-1"], "credit.claimed", body))
    refused = await world.data(act_document("disputeAward", "DisputeAccepted"), {"s": wrong})
    assert refused["disputeAward"]["code"] == "malformed"
    assert "credit.disputed" in refused["disputeAward"]["message"]


async def test_lists_page_by_cursor_and_loaders_batch_queries(world: GraphQLWorld) -> None:
    for i, member in enumerate(["student-1", "sutton-books", "merton-care", "croydon-print"]):
        other = "board-b"
        claim = await world.claim(member, counterparty=other, note=str(i))
        await world.confirm(other, claim, member)
    query = (
        "query($a: String) { awards(first: 3, after: $a) { edges { cursor node { seq member "
        "disputes { seq } entry { leafHash } } } pageInfo { hasNextPage endCursor } } }"
    )
    with statements_run(world.state.engine) as statements:
        first = await world.data(query)
    page = first["awards"]
    assert len(page["edges"]) == 3 and page["pageInfo"]["hasNextPage"] is True
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 3, reads  # the page, one batch of disputes, one batch of entries
    rest = await world.data(query, {"a": page["pageInfo"]["endCursor"]})
    assert len(rest["awards"]["edges"]) == 1
    assert rest["awards"]["pageInfo"]["hasNextPage"] is False
    seqs = [e["node"]["seq"] for e in page["edges"] + rest["awards"]["edges"]]
    assert seqs == sorted(seqs)


async def test_members_show_public_fields_and_balances_in_one_batch(world: GraphQLWorld) -> None:
    data = await world.data(
        '{ members(first: 10, kind: "sme") { nodes { id kind borough handle balance '
        "keys { keyId active } groups { group role } } } }"
    )
    nodes = data["members"]["nodes"]
    assert [n["id"] for n in nodes] == ["croydon-print", "sutton-books"]
    assert nodes[0]["keys"][0]["keyId"] == world.keys["croydon-print"].key_id
    assert all(n["balance"] == 0 and n["groups"] == [] for n in nodes)


async def test_rule_tables_and_reports(world: GraphQLWorld) -> None:
    claim = await world.claim("student-1", counterparty="croydon-print")
    await world.confirm("croydon-print", claim, "student-1")
    data = await world.data(
        "{ ruleTables { nodes { version digest rules { activity credits approver "
        "caps { perPairMonth } } } } totals(dimension: BOROUGH) { nodes { key credits } } "
        "distribution { members total gini giniExact } }"
    )
    table = data["ruleTables"]["nodes"][0]
    assert table["version"] == 1
    mentoring = next(r for r in table["rules"] if r["activity"] == "mentoring.hour")
    assert mentoring == {
        "activity": "mentoring.hour",
        "credits": 2,
        "approver": "counterparty",
        "caps": {"perPairMonth": 8},
    }
    assert data["totals"]["nodes"] == [  # every borough of the members, in order, 0 for none
        {"key": k, "credits": 2 if k == "Southwark" else 0}
        for k in ("-", "Croydon", "Merton", "Southwark", "Sutton")
    ]
    assert data["distribution"]["members"] == 6 and data["distribution"]["total"] == 2
    year, quarter = TODAY.year, (TODAY.month - 1) // 3 + 1
    report = await world.data(
        "query($y: Int!, $q: Int!) { socialValue(year: $y, quarter: $q) { checkpointSize "
        "totals { measure hours } } }",
        {"y": year, "q": quarter},
    )
    hours = {t["measure"]: t["hours"] for t in report["socialValue"]["totals"]}
    assert hours["mentoring"] == "1.00"


async def test_the_plain_endpoint_answers_what_graphql_does(world: GraphQLWorld) -> None:
    claim = await world.claim("student-1", counterparty="croydon-print")
    await world.confirm("croydon-print", claim, "student-1")
    data = await world.data(STATEMENT, {"m": "student-1", "n": 20})
    async with http_client(world) as http:
        plain = (await http.get("/api/members/student-1/statement", params={"last": 20})).json()
        missing = await http.get("/api/members/nobody/statement")
    assert plain["balance"] == data["member"]["balance"] == 2
    nodes = [edge["node"] for edge in data["member"]["statement"]["edges"]]
    assert [line["seq"] for line in plain["lines"]] == [line["seq"] for line in nodes]
    assert missing.status_code == 404


async def test_a_request_leaves_no_cyclic_garbage(world: GraphQLWorld) -> None:
    """A finished request is freed by reference counting: nothing waits for the collector.

    graphql-core's executor refers to itself through its async helpers; ``api.graphql.
    execution.Execution`` binds them weakly. Without that, every request left its context,
    DataLoaders and results in a cycle (and the collector's pauses in every latency).
    """
    claim = await world.claim("student-1", counterparty="croydon-print")
    await world.confirm("croydon-print", claim, "student-1")
    for _ in range(3):  # caches filled
        assert (await world.data(STATEMENT, {"m": "student-1", "n": 20}))["member"]["balance"]
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            await world.data(STATEMENT, {"m": "student-1", "n": 20})
        assert gc.collect() == 0
    finally:
        gc.enable()
