"""Limits and failures end to end over HTTP: each refusal is a clear error, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from graphql import parse, specified_rules

from api.client import act_document, graphql_input
from api.graphql.limits import _Documents
from api.graphql.schema import build_schema
from api.limits import RateLimiter
from api.settings import ApiSettings
from ledger.credits import client as credits
from ledger.credits.bodies import ClaimBody
from tests.api.graphql_world import TODAY, GraphQLWorld, graphql_world, http_client

LIMITS = ApiSettings(max_depth=6, max_aliases=3, max_tokens=200, max_body_bytes=4096)


@pytest.fixture
async def world(sqlite_url_migrated: str, tmp_path: Path) -> AsyncIterator[GraphQLWorld]:
    async with graphql_world(sqlite_url_migrated, tmp_path, settings=LIMITS) as served:
        yield served


@pytest.fixture
async def http(world: GraphQLWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(world) as client:
        yield client


async def _post(http: httpx.AsyncClient, query: str) -> tuple[int, list[str]]:
    answer = await http.post("/graphql", json={"query": query})
    errors = answer.json().get("errors") or []
    return answer.status_code, [e["message"] for e in errors]


async def test_depth_alias_and_token_limits(http: httpx.AsyncClient) -> None:
    deep = "{ awards { edges { node { entry { statement } disputes { award } } } } }"
    assert (await _post(http, deep))[0] == 200
    deeper = "{ members { edges { node { claims { edges { node { award { seq } } } } } } } }"
    status, errors = await _post(http, deeper)
    assert status == 200 and "exceeds maximum operation depth" in errors[0]
    status, errors = await _post(
        http,
        "{ a: logInfo { origin } b: logInfo { origin } "
        "c: logInfo { origin } d: logInfo { origin } }",
    )
    assert status == 200 and errors == ["4 aliases found. Allowed: 3"]
    wide = "{ logInfo { " + " ".join(["origin"] * 300) + " } }"
    status, errors = await _post(http, wide)
    assert status == 200 and "more than 200 tokens" in errors[0]


async def test_bodies_over_the_limit_answer_413(http: httpx.AsyncClient) -> None:
    big = {"query": "{ logInfo { origin } }", "variables": {"pad": "x" * 5000}}
    answer = await http.post("/graphql", json=big)
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["extensions"]["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    answer = await http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413


async def test_mutations_are_rate_limited_per_key(world: GraphQLWorld) -> None:
    world.state.ledger.gates[:] = [RateLimiter(rate=0.01, burst=2)]
    outcomes = []
    for i in range(3):
        body = ClaimBody(
            activity="mentoring.hour",
            quantity=1,
            evidence_sha256=credits.evidence_digest(str(i).encode()),
            done_on=TODAY,
            counterparty="croydon-print",
        ).to_json()
        signed = world.factory.sign(world.keys["student-1"], "credit.claimed", body)
        data = await world.data(
            act_document("claimCredit", "ClaimAccepted").replace(
                "code message", "code message ... on RateLimited { retryAfterSeconds }"
            ),
            {"s": graphql_input(signed)},
        )
        outcomes.append(data["claimCredit"])
    assert [o["__typename"] for o in outcomes] == ["ClaimAccepted", "ClaimAccepted", "RateLimited"]
    assert outcomes[2]["code"] == "rate_limited" and outcomes[2]["retryAfterSeconds"] > 1
    other = await world.claim("sutton-books", counterparty="croydon-print")
    assert other > 0


async def test_unexpected_errors_are_masked(
    world: GraphQLWorld, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(size: int | None = None) -> None:
        raise RuntimeError("the database password is hunter2")

    monkeypatch.setattr(world.state.store, "checkpoint", broken)
    answer = await http.post("/graphql", json={"query": "{ checkpoint { size } }"})
    assert answer.status_code == 200
    error = answer.json()["errors"][0]
    assert error["message"] == "Unexpected error." and "hunter2" not in answer.text


async def test_graphiql_only_in_development(world: GraphQLWorld, http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 404


def test_parsing_and_validation_are_cached() -> None:
    """One parse per query text; one validation per parsed document and set of rules, the
    oldest entry going first."""
    schema = build_schema()._schema
    rules = tuple(specified_rules)
    validations = _Documents(2, max_tokens=1000, max_cost=1000, rules=())
    assert validations.parse("{ logInfo { origin } }") is validations.parse(
        "{ logInfo { origin } }"
    )
    good, bad = parse("{ logInfo { origin } }"), parse("{ logInfo { nothing } }")
    first = validations.errors(schema, good, rules)
    assert first == [] and validations.errors(schema, good, rules) is first
    assert validations.errors(schema, parse("{ logInfo { origin } }"), rules) is not first
    refused = validations.errors(schema, bad, rules)
    assert "nothing" in refused[0].message
    assert validations.errors(schema, bad, rules) is refused
    assert validations.errors(schema, bad, rules[:1]) is not refused  # other rules
    assert validations.errors(schema, good, rules) is not first  # evicted
