"""Governance through GraphQL: groups, proposals with frozen rules, ballots, tallies, decisions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.graphql_world import GraphQLWorld, graphql_world
from tests.conftest import SQL_BACKENDS
from tests.support import statements_run

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
GROUP = "markets-data-trust"

PROPOSAL = """
query($p: Int!) {
  proposal(seq: $p) {
    seq group title body method status hidden electorate voterCount closeReason
    rules { algorithm quorum threshold tieRule consent }
    tally { __typename ... on Tally { final outcome passed counts ballots transcriptSha256 }
            ... on ResultsHidden { message } }
    ballots { nodes { member ballot sealed supersededBy } }
    decision { seq outcome passed transcriptSha256 statement reviewOn }
  }
}
"""


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[GraphQLWorld]:
    async with graphql_world(database_url, tmp_path) as served:
        await served.group(
            GROUP,
            convenor="croydon-print",
            members=["merton-care", "sutton-books"],
            observers=["student-1"],
        )
        yield served


async def test_groups_show_roles_and_join_requests(world: GraphQLWorld) -> None:
    body = {"group": GROUP, "role": "member"}
    request = await world.submit("board-b", "governance.group.join_requested", body)
    pending = await world.data(
        "query($g: String!) { group(slug: $g) { openRequests { nodes { seq member role } } } }",
        {"g": GROUP},
    )
    assert pending["group"]["openRequests"]["nodes"] == [
        {"seq": request, "member": "board-b", "role": "member"}
    ]
    await world.submit("croydon-print", "governance.group.join_approved", {"request": request})
    data = await world.data(
        "{ groups { nodes { slug convenor members { nodes { member role } } } } "
        'member(id: "board-b") { groups { group role } } }'
    )
    group = data["groups"]["nodes"][0]
    assert group["convenor"] == "croydon-print"
    roles = {m["member"]: m["role"] for m in group["members"]["nodes"]}
    assert roles["student-1"] == "observer"
    assert data["member"]["groups"] == [{"group": GROUP, "role": "member"}]
    everyone = sorted(roles)
    query = "query($g: String!, $a: String) { group(slug: $g) { members(first: 2, after: $a) { "
    query += "nodes { member } pageInfo { hasNextPage endCursor } } } }"
    paged, after = [], None
    while True:  # two at a time, by member id, each page after the last one's cursor
        page = (await world.data(query, {"g": GROUP, "a": after}))["group"]["members"]
        paged += [n["member"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == everyone and len(everyone) > 2


async def test_a_proposal_from_open_to_decision(world: GraphQLWorld) -> None:
    seq = await world.propose("croydon-print", GROUP, quorum="1/2")
    for member, choice in (("merton-care", "agree"), ("sutton-books", "disagree")):
        assert (await world.vote(member, seq, {"choice": choice}))[
            "__typename"
        ] == "ProposalAccepted"
    changed = await world.vote("sutton-books", seq, {"choice": "agree"})
    assert changed["__typename"] == "ProposalAccepted"
    observer = await world.vote("student-1", seq, {"choice": "agree"})
    assert observer["code"] in ("observer", "not_eligible")
    bad = await world.vote("merton-care", seq, {"choice": "maybe"})
    assert bad["code"] == "ballot_refused"
    data = (await world.data(PROPOSAL, {"p": seq}))["proposal"]
    assert data["rules"]["quorum"] == "1/2" and data["rules"]["algorithm"] == "proposal/2"
    assert data["electorate"] == ["croydon-print", "merton-care", "sutton-books"]
    assert data["body"] == "What should we work on next?"
    assert data["voterCount"] == 2
    assert data["tally"]["__typename"] == "Tally" and data["tally"]["final"] is False
    assert data["tally"]["counts"] == [2, 0, 0, 0]
    assert [b["supersededBy"] is not None for b in data["ballots"]["nodes"]] == [False, True, False]
    await world.close("croydon-print", seq)
    await world.decide("croydon-print", seq, "We agree to focus on data trusts.")
    done = (await world.data(PROPOSAL, {"p": seq}))["proposal"]
    assert done["status"] == "decided" and done["tally"]["final"] is True
    decision = done["decision"]
    assert decision["passed"] is True and decision["statement"].startswith("We agree")
    assert decision["transcriptSha256"] == done["tally"]["transcriptSha256"]
    listed = await world.data(
        'query($g: String!) { proposals(group: $g, status: "decided") { nodes { seq } } }',
        {"g": GROUP},
    )
    assert listed["proposals"]["nodes"] == [{"seq": seq}]


async def test_hidden_ballots_stay_hidden_until_close(world: GraphQLWorld) -> None:
    seq = await world.propose("croydon-print", GROUP, hidden=True)
    for member in ("merton-care", "sutton-books"):
        assert (await world.vote(member, seq, {"choice": "agree"}))[
            "__typename"
        ] == "ProposalAccepted"
    data = (await world.data(PROPOSAL, {"p": seq}))["proposal"]
    assert data["tally"]["__typename"] == "ResultsHidden"
    assert all(b["ballot"] is None and b["sealed"] for b in data["ballots"]["nodes"])
    stream = await world.schema.subscribe(
        "subscription($p: Int!) { tally(proposal: $p) { outcome } }",
        variable_values={"p": seq},
        context_value=world.context(),
    )
    refused = await anext(aiter(stream))  # type: ignore[call-overload]
    assert refused.errors[0].extensions == {"code": "results_hidden"}
    denied = await world.draft(
        "merton-care",
        'mutation($p: Int!) { prepareClose(proposal: $p, reason: "early") '
        "{ __typename ... on Refusal { code } } }",
        {"p": seq},
    )
    assert denied == {"__typename": "Denied", "code": "forbidden"}
    await world.close("croydon-print", seq)
    closed = (await world.data(PROPOSAL, {"p": seq}))["proposal"]
    assert closed["tally"]["__typename"] == "Tally" and closed["tally"]["counts"] == [2, 0, 0, 0]
    assert all(b["ballot"] == {"choice": "agree"} for b in closed["ballots"]["nodes"])


async def test_reminders_for_members_and_live_tallies(world: GraphQLWorld) -> None:
    seq = await world.propose("croydon-print", GROUP)
    result = await world.execute(
        "query($p: Int!) { proposal(seq: $p) { reminder { notVoted } } }", {"p": seq}
    )
    assert result.errors and result.errors[0].extensions == {"code": "unauthenticated"}
    stream = await world.schema.subscribe(
        "subscription($p: Int!) { tally(proposal: $p) { final counts } }",
        variable_values={"p": seq},
        context_value=world.context(),
    )
    tallies = aiter(stream)  # type: ignore[call-overload]
    first = await asyncio.wait_for(anext(tallies), 5)
    assert first.data["tally"] == {"final": False, "counts": [0, 0, 0, 0]}
    await world.vote("merton-care", seq, {"choice": "agree"})
    second = await asyncio.wait_for(anext(tallies), 5)
    assert second.data["tally"]["counts"] == [1, 0, 0, 0]
    await tallies.aclose()
    reminder = await world.data(
        "query($p: Int!) { proposal(seq: $p) { reminder { voted notVoted agreeNeeded } } }",
        {"p": seq},
        who="croydon-print",
    )
    assert reminder["proposal"]["reminder"]["notVoted"] == ["croydon-print", "sutton-books"]


async def test_a_list_of_proposals_costs_a_fixed_number_of_queries(world: GraphQLWorld) -> None:
    for title in ("One", "Two", "Three"):
        seq = await world.propose("croydon-print", GROUP, title=title, bodyText=f"About {title}")
        await world.vote("merton-care", seq, {"choice": "agree"})
    with statements_run(world.state.engine) as statements:
        data = await world.data(
            "{ proposals { nodes { title body voterCount tally { ... on Tally { counts } } } } }"
        )
    nodes = data["proposals"]["nodes"]
    assert [n["body"] for n in nodes] == ["About One", "About Two", "About Three"]
    assert all(n["voterCount"] == 1 and n["tally"]["counts"] == [1, 0, 0, 0] for n in nodes)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 4, reads  # the page; texts, voter counts, ballots: one batch each
