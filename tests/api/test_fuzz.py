"""Generated requests against a real server on loopback: the published OpenAPI document and
the GraphQL schema (schemathesis). No answer is a 5xx, every answer is what the document
says, and the server stays up and audits clean afterwards.

The number of examples is bounded; the server is one ``coopledger serve`` process on SQLite.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from graphql.language import ast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.runtime import init_ledger
from ledger.config import Settings
from ledger.credits.rules import rule_table_from_community
from tests.api.graphql_world import ORIGIN, RULES
from tests.api.test_two_servers import COOPLEDGER, _free_port, _wait_healthy

EXAMPLES = 25
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _node(value: Any) -> ast.ValueNode:
    """A JSON value as a GraphQL literal."""
    if value is None:
        return ast.NullValueNode()
    if isinstance(value, bool):
        return ast.BooleanValueNode(value=value)
    if isinstance(value, int):
        return ast.IntValueNode(value=str(value))
    if isinstance(value, str):
        return ast.StringValueNode(value=value)
    if isinstance(value, list):
        return ast.ListValueNode(values=tuple(_node(v) for v in value))
    fields = tuple(
        ast.ObjectFieldNode(name=ast.NameNode(value=k), value=_node(v)) for k, v in value.items()
    )
    return ast.ObjectValueNode(fields=fields)


schemathesis.graphql.scalar("JSON", JSON_VALUES.map(_node))
schemathesis.graphql.scalar(
    "Date", st.dates().map(lambda d: ast.StringValueNode(value=d.isoformat()))
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server on loopback over an initialised SQLite ledger; its URL."""
    data = tmp_path_factory.mktemp("fuzz") / "data"
    rules = rule_table_from_community(RULES)
    asyncio.run(init_ledger(Settings(data=data), origin=ORIGIN, steward_id="steward", rules=rules))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COOPLEDGER_DATA": str(data)}
    command = [COOPLEDGER, "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        _wait_healthy(url, process, deadline=time.monotonic() + 60)
        yield url
        assert process.poll() is None, "the server died under generated requests"
        audit = subprocess.run(  # noqa: S603
            [COOPLEDGER, "audit", "--data", str(data)], env=env, capture_output=True, timeout=120
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def openapi_schema(served: str) -> Any:
    return schemathesis.openapi.from_url(f"{served}/openapi.json")


@pytest.fixture(scope="module")
def graphql_schema(served: str) -> Any:
    return schemathesis.graphql.from_url(f"{served}/graphql")


FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def _fuzz(schema: Any, check: Callable[[Any], None]) -> int:
    """Run ``check`` on generated cases of every operation of ``schema``; how many ran."""
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(operation.as_strategy())
        def each(case: Any) -> None:
            nonlocal ran
            ran += 1
            check(case)

        each()
    return ran


def _documented(case: Any) -> None:
    """Every check but "schema-valid data is accepted": the log's parameters have rules across
    fields (``start <= end``, ``index < size``, at most 1000 entries) that OpenAPI cannot say;
    they answer 400 with the reason, which the other checks hold to the document."""
    response = case.call(timeout=30)
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


def _no_server_error(case: Any) -> None:
    response = case.call(timeout=30)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        for error in response.json().get("errors") or ():
            assert error["message"] != "Unexpected error.", (case.body, error)


def test_http_endpoints_answer_as_documented(openapi_schema: Any) -> None:
    assert _fuzz(openapi_schema, _documented) > EXAMPLES


def test_graphql_answers_no_server_error(graphql_schema: Any) -> None:
    assert _fuzz(graphql_schema, _no_server_error) > EXAMPLES


def test_the_document_says_what_the_endpoints_need(served: str) -> None:
    document = httpx.get(f"{served}/openapi.json").json()
    for path, names in [
        ("/log/entries", {"start", "end"}),
        ("/log/proof/inclusion", {"index", "size"}),
        ("/log/proof/consistency", {"first", "second"}),
    ]:
        operation = document["paths"][path]["get"]
        required = {p["name"] for p in operation["parameters"] if p.get("required")}
        assert required == names, path
        assert "422" not in operation["responses"] and "400" in operation["responses"]
    submit = document["paths"]["/log/statements"]["post"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["statement", "signature"]
    missing = httpx.get(f"{served}/log/entries", params={"start": 0})
    assert missing.status_code == 400 and "end" in missing.json()["error"]["message"]
