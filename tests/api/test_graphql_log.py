"""The log through GraphQL: checkpoints, entries by seq and by range, proofs, subscriptions."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ledger.checkpoint import verify_checkpoint
from ledger.merkle import hash_leaf, verify_consistency, verify_inclusion
from tests.api.graphql_world import GraphQLWorld, graphql_world
from tests.conftest import SQL_BACKENDS

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[GraphQLWorld]:
    async with graphql_world(database_url, tmp_path) as served:
        yield served


async def test_checkpoint_entries_and_proofs_verify(world: GraphQLWorld) -> None:
    data = await world.data("{ logInfo { origin verifierKey } checkpoint { size root note } }")
    size = data["checkpoint"]["size"]
    opened = verify_checkpoint(data["checkpoint"]["note"], world.config.log_verifier)
    assert opened.size == size and opened.root.hex() == data["checkpoint"]["root"]
    assert data["logInfo"]["verifierKey"] == world.config.log_verifier.vkey()
    proofs = await world.data(
        "query($n: Int!) { entry(seq: 3) { data leafHash kind } "
        "inclusionProof(index: 3, size: $n) { leafHash path root } "
        "consistencyProof(first: 2, second: $n) { path firstRoot secondRoot } }",
        {"n": size},
    )
    entry, proof = proofs["entry"], proofs["inclusionProof"]
    leaf = hash_leaf(base64.b64decode(entry["data"]))
    assert leaf.hex() == entry["leafHash"] == proof["leafHash"]
    verify_inclusion(
        leaf_hash=leaf,
        index=3,
        size=size,
        path=[bytes.fromhex(p) for p in proof["path"]],
        root=opened.root,
    )
    consistency = proofs["consistencyProof"]
    verify_consistency(
        size1=2,
        size2=size,
        path=[bytes.fromhex(p) for p in consistency["path"]],
        root1=bytes.fromhex(consistency["firstRoot"]),
        root2=opened.root,
    )


async def test_entries_by_range_page_forwards_and_backwards(world: GraphQLWorld) -> None:
    query = (
        "query($s: Int!, $e: Int, $f: Int, $a: String, $l: Int, $b: String) { "
        "entries(start: $s, end: $e, first: $f, after: $a, last: $l, before: $b) { "
        "nodes { seq } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"
    )

    async def seqs(**args: Any) -> tuple[list[int], dict[str, Any]]:
        page = (await world.data(query, {"s": 1, "e": 6, **args}))["entries"]
        return [n["seq"] for n in page["nodes"]], page["pageInfo"]

    first, info = await seqs(f=2)
    assert first == [1, 2] and info["hasNextPage"] and not info["hasPreviousPage"]
    second, info = await seqs(f=2, a=info["endCursor"])
    assert second == [3, 4] and info["hasNextPage"] and info["hasPreviousPage"]
    third, info = await seqs(f=2, a=info["endCursor"])
    assert third == [5] and not info["hasNextPage"]
    last, info = await seqs(l=2, b=info["startCursor"])
    assert last == [3, 4] and info["hasPreviousPage"] and info["hasNextPage"]
    result = await world.execute(query, {"s": 0, "f": 500})
    assert result.errors and result.errors[0].extensions == {"code": "bad_request"}
    result = await world.execute(query, {"s": 0, "a": "bm90LWEtY3Vyc29y"})
    assert result.errors and result.errors[0].extensions == {"code": "bad_request"}


async def test_proofs_beyond_the_log_are_clear_errors(world: GraphQLWorld) -> None:
    result = await world.execute("{ inclusionProof(index: 999) { root } }")
    assert result.errors and result.errors[0].extensions == {"code": "out_of_range"}
    assert (await world.data("{ entry(seq: 999) { seq } }"))["entry"] is None


async def test_checkpoint_subscription_sends_each_new_checkpoint(world: GraphQLWorld) -> None:
    stream = await world.schema.subscribe(
        "subscription { checkpoints { size root } }", context_value=world.context()
    )
    assert not hasattr(stream, "errors") or not getattr(stream, "errors", None)
    iterator = aiter(stream)  # type: ignore[call-overload]
    first = await asyncio.wait_for(anext(iterator), 5)
    size = first.data["checkpoints"]["size"]
    await world.claim("student-1", counterparty="croydon-print")
    second = await asyncio.wait_for(anext(iterator), 5)
    assert second.data["checkpoints"]["size"] == size + 1
    await iterator.aclose()
