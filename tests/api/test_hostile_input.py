"""Hostile requests: each gets a coded JSON refusal (never a 500 or a dropped connection),
appends nothing, and none holds the server.

The documents and bodies are those an outside tester sent to a running server; they are
kept here as they were found.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.client import graphql_input
from api.settings import ApiSettings
from ledger.encoding import format_time, utc_now
from ledger.signing import Keypair
from ledger.statement import SignedStatement, Statement
from tests.api.graphql_world import ORIGIN, GraphQLWorld, graphql_world, http_client

HANG_GUARD_SECONDS = 60
"""Not a speed goal: a refusal that regressed into hours of work fails instead of hanging."""


@pytest.fixture
async def world(sqlite_url_migrated: str, tmp_path: Path) -> AsyncIterator[GraphQLWorld]:
    async with graphql_world(sqlite_url_migrated, tmp_path) as served:
        yield served


@pytest.fixture
async def http(world: GraphQLWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(world) as client:
        yield client


def fragment_bomb(n: int) -> str:
    """``n`` fragments that each spread the next one twice: 2**n fields in 40 bytes a line."""
    lines = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return "{ ...F0 } " + " ".join(lines) + f" fragment F{n} on Query {{ __typename }}"


async def _size(world: GraphQLWorld) -> int:
    return int(world.app.state.ledger.registry.size)


def _refusal(answer: httpx.Response) -> tuple[int, str]:
    assert answer.headers["content-type"].startswith("application/json"), answer.text
    error = answer.json()["error"]
    assert error["message"], error
    return answer.status_code, str(error["code"])


JSON = {"content-type": "application/json"}
DEEP_VARIABLES = (
    b'{"query":"query($x: JSON){__typename}","variables":{"x":' + b"[" * 3000 + b"]" * 3000 + b"}}"
)
GRAPHQL_BODIES = [
    pytest.param(b"null", id="null"),
    pytest.param(b'"s"', id="string"),
    pytest.param(b"123", id="number"),
    pytest.param(b"[]", id="batch"),
    pytest.param(DEEP_VARIABLES, id="variables-3000-deep"),
    pytest.param(b'{"query":"{__typename}","variables":{"a":' + b"9" * 5000 + b"}}", id="bigint"),
    pytest.param(b'{"query":"{__typename \xff}"}', id="invalid-utf8"),
    pytest.param(b'{"query":"{__typename}","query":"{logInfo{origin}}"}', id="duplicate-key"),
    pytest.param(b'{"query":"{__typename}","variables":{"a":NaN}}', id="nan"),
    pytest.param(b'{"query":"{__typename}"', id="truncated"),
]


@pytest.mark.parametrize("body", GRAPHQL_BODIES)
async def test_graphql_bodies_that_are_not_a_request_answer_400(
    http: httpx.AsyncClient, body: bytes
) -> None:
    assert _refusal(await http.post("/graphql", content=body, headers=JSON)) == (
        400,
        "bad_request",
    )


async def test_deep_variables_in_a_query_string_answer_400(http: httpx.AsyncClient) -> None:
    variables = "[" * 3000 + "]" * 3000
    answer = await http.get("/graphql", params={"query": "{__typename}", "variables": variables})
    assert _refusal(answer) == (400, "bad_request")


STATEMENT_BODIES = [
    pytest.param(b'{"a":' + b"[" * 1500 + b"]" * 1500 + b"}", id="1500-deep"),
    pytest.param(b'{"a":' + b"9" * 5000 + b"}", id="bigint"),
    pytest.param(b'{"a":"\xff\xfe"}', id="invalid-utf8"),
    pytest.param(b"null", id="null"),
]


@pytest.mark.parametrize("body", STATEMENT_BODIES)
async def test_statement_bodies_that_are_not_a_submission_answer_400(
    world: GraphQLWorld, http: httpx.AsyncClient, body: bytes
) -> None:
    before = await _size(world)
    answer = await http.post("/log/statements", content=body, headers=JSON)
    assert _refusal(answer) == (400, "malformed")
    assert await _size(world) == before


@pytest.mark.parametrize("path", ["/log/checkpoint", "/graphql?query=%7B__typename%7D"])
async def test_a_non_ascii_authorization_header_answers_400(
    http: httpx.AsyncClient, path: str
) -> None:
    answer = await http.get(path, headers={"authorization": "Bearer \u00e9".encode()})
    assert _refusal(answer) == (400, "bad_request")
    assert "Authorization" in answer.json()["error"]["message"]


async def test_a_non_ascii_token_in_a_websocket_init_is_a_refused_login(
    world: GraphQLWorld,
) -> None:
    context = world.context()
    context.connection_params = {"Authorization": "Bearer cl1.\u00e9.\u00e9"}
    viewer = await context.viewer()
    assert viewer.problem == "the token or challenge is malformed"


async def test_a_subscription_over_http_answers_400(http: httpx.AsyncClient) -> None:
    answer = await http.post("/graphql", json={"query": "subscription{checkpoints{size}}"})
    assert _refusal(answer) == (400, "bad_request")
    assert "WebSocket" in answer.json()["error"]["message"]


@pytest.mark.parametrize(("year", "quarter"), [(2147483647, 1), (0, 1), (-5, 4), (9999, 4)])
async def test_a_quarter_out_of_range_is_a_coded_error(
    http: httpx.AsyncClient, year: int, quarter: int
) -> None:
    query = f"{{ socialValue(year: {year}, quarter: {quarter}) {{ year }} }}"
    error = (await http.post("/graphql", json={"query": query})).json()["errors"][0]
    assert error["extensions"]["code"] == "bad_request" and "year must be" in error["message"]


async def _timed_post(http: httpx.AsyncClient, query: str) -> httpx.Response:
    return await asyncio.wait_for(
        http.post("/graphql", json={"query": query}), timeout=HANG_GUARD_SECONDS
    )


@pytest.mark.parametrize("fragments", [20, 30, 64])
async def test_a_fragment_bomb_is_refused_before_it_is_validated(
    http: httpx.AsyncClient, fragments: int
) -> None:
    answer = await _timed_post(http, fragment_bomb(fragments))
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "query_too_costly", error


async def test_a_fragment_bomb_that_fits_the_bound_still_runs(http: httpx.AsyncClient) -> None:
    answer = await _timed_post(http, fragment_bomb(8))
    assert answer.json() == {"data": {"__typename": "Query"}}


async def test_nested_pages_are_costed_by_what_they_would_resolve(
    http: httpx.AsyncClient,
) -> None:
    nested = (
        "{ members(first: 100) { nodes { id claims(first: 100) { nodes { seq award "
        "{ seq } } } awards(first: 100) { nodes { seq } } } } }"
    )
    answer = await _timed_post(http, nested)
    assert answer.json()["errors"][0]["extensions"]["code"] == "query_too_costly"
    small = "{ members(first: 5) { nodes { id claims(first: 5) { nodes { seq } } } } }"
    assert "errors" not in (await _timed_post(http, small)).json()


async def test_a_fragment_cycle_is_refused(http: httpx.AsyncClient) -> None:
    cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    answer = await _timed_post(http, cycle)
    assert answer.json()["errors"], answer.text


async def test_health_answers_while_a_fragment_bomb_is_refused(http: httpx.AsyncClient) -> None:
    bombs = [_timed_post(http, fragment_bomb(40)) for _ in range(4)]
    health = http.get("/healthz")
    *answers, ok = await asyncio.gather(*bombs, health)
    assert ok.status_code == 200
    assert all(a.json()["errors"][0]["extensions"]["code"] == "query_too_costly" for a in answers)


async def test_an_unexpected_error_outside_graphql_is_a_coded_500(
    world: GraphQLWorld, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> None:
        raise RuntimeError("the database password is hunter2")

    monkeypatch.setattr(world.app.state.ledger.view, "latest_checkpoint", broken)
    answer = await http.get("/log/checkpoint")
    assert _refusal(answer) == (500, "internal") and "hunter2" not in answer.text


# --- Statements that parse and verify, yet must be refused ---------------------------------


def _signed(keypair: Keypair, kind: str, body: dict[str, Any], **fields: str) -> SignedStatement:
    """A correctly signed statement of exactly these fields, built without the checks a
    client would run (what a hostile client sends)."""
    values = {
        "origin": ORIGIN,
        "kind": kind,
        "body": body,
        "nonce": "abcdefghijklmnopqrstuvwx",
        "issued_at": format_time(utc_now()),
        "key_id": keypair.key_id,
        **fields,
    }
    statement = Statement(**values)  # type: ignore[arg-type]
    return SignedStatement.create(statement, keypair.sign(statement.signing_message()))


def _admission(**body: str) -> dict[str, Any]:
    admitted = Keypair.generate().public_key_b64
    return {
        "member": "mallory",
        "public_key": admitted,
        "member_kind": "sme",
        "borough": "Sutton",
        "roles": [],
        **body,
    }


ZERO_KEY = base64.b64encode(bytes(32)).decode()
IDENTITY_KEY = base64.b64encode(b"\x01" + bytes(31)).decode()
REFUSED = [
    pytest.param({"nonce": "abcdefghijklmnopqrstuvwx\n"}, {}, id="nonce-newline"),
    pytest.param({"key_id": "newline"}, {}, id="key-id-newline"),
    pytest.param({}, {"member": "mallory\n"}, id="member-newline"),
    pytest.param({}, {"public_key": ZERO_KEY}, id="zero-key"),
    pytest.param({}, {"public_key": IDENTITY_KEY}, id="identity-key"),
]
ADMIT = "mutation($s: SignedStatementInput!) { admitMember(statement: $s) { __typename } }"


@pytest.mark.parametrize(("fields", "body"), REFUSED)
async def test_signed_statements_of_the_wrong_form_are_refused(
    world: GraphQLWorld, http: httpx.AsyncClient, fields: dict[str, str], body: dict[str, str]
) -> None:
    steward = world.keys["steward"]
    if "key_id" in fields:
        fields = {"key_id": steward.key_id + "\n"}
    signed = _signed(steward, "member.admitted", _admission(**body), **fields)
    before = await _size(world)
    answer = await http.post("/log/statements", content=json.dumps(signed.to_json()))
    assert _refusal(answer) == (400, "malformed")
    result = await world.data(ADMIT, {"s": graphql_input(signed)}, who="steward")
    assert result["admitMember"]["__typename"] == "Malformed"
    assert await _size(world) == before


async def test_a_request_past_its_time_budget_answers_503(
    sqlite_url_migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ApiSettings(request_seconds=0.2)
    async with graphql_world(sqlite_url_migrated, tmp_path, settings=settings) as slow:

        async def stuck() -> None:
            await asyncio.sleep(HANG_GUARD_SECONDS)

        monkeypatch.setattr(slow.app.state.ledger.view, "latest_checkpoint", stuck)
        async with http_client(slow) as client:
            answer = await client.get("/log/checkpoint")
            assert _refusal(answer) == (503, "timeout")
            assert answer.headers["retry-after"] == "1"
            assert (await client.get("/healthz")).status_code == 200


async def test_huge_pages_and_lists_are_refused_or_bounded(http: httpx.AsyncClient) -> None:
    """A page past the limit is a coded refusal; a huge list in the variables is read within
    the body limit and answered, and one past it is a 413."""
    page = await http.post(
        "/graphql", json={"query": "{ members(first: 100000) { nodes { id } } }"}
    )
    error = page.json()["errors"][0]
    assert error["extensions"]["code"] == "bad_request" and "between 0 and 100" in error["message"]
    listed = {"query": "{ __typename }", "variables": {"x": [0] * 20_000}}
    assert (await http.post("/graphql", json=listed)).json() == {"data": {"__typename": "Query"}}
    listed["variables"] = {"x": [0] * 40_000}
    assert _refusal(await http.post("/graphql", json=listed)) == (413, "payload_too_large")
