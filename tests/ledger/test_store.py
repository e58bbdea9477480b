"""One conformance suite for the log store on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from ledger.errors import AppendOnlyError, StoreError
from ledger.merkle import hash_leaf
from ledger.sql import SqlLogStore
from ledger.store import CheckpointRow, EntryRow, LogStore
from ledger.tree import Frontier
from tests.conftest import SQL_BACKENDS
from tests.support import make_store

BACKENDS = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[LogStore]:
    """A store on the backend named by the test's ``database_url`` parameter."""
    store = make_store(database_url)
    yield store
    await store.close()


def _rows(start: int, count: int, frontier: Frontier) -> tuple[list[EntryRow], list]:
    rows, nodes = [], []
    for seq in range(start, start + count):
        data = f'{{"seq":{seq}}}'.encode()
        leaf = hash_leaf(data)
        nodes.extend(frontier.append(leaf))
        rows.append(
            EntryRow(seq, leaf, data, "member.admitted", "k" * 16, f"nonce-{seq:012d}", "t")
        )
    return rows, nodes


async def _append(store: LogStore, frontier: Frontier, count: int) -> CheckpointRow:
    async with store.transaction() as tx:
        rows, nodes = _rows(await tx.size(), count, frontier)
        checkpoint = CheckpointRow(frontier.size, frontier.root(), f"note {frontier.size}\n")
        tx.append(rows, nodes)
        tx.add_checkpoint(checkpoint)
    return checkpoint


async def _append_refused(
    store: LogStore, error: type[Exception], rows: list[EntryRow], nodes: list, *, abandon: bool
) -> None:
    """A transaction appending ``rows`` (then raising, if ``abandon``) ends in ``error``."""
    with pytest.raises(error):
        async with store.transaction() as tx:
            tx.append(rows, nodes)
            if abandon:
                raise RuntimeError("abandon")


@BACKENDS
async def test_append_read_back(store: LogStore) -> None:
    frontier = Frontier.empty()
    assert await store.size() == 0
    assert await store.checkpoint() is None
    first = await _append(store, frontier, 5)
    second = await _append(store, frontier, 3)
    assert await store.size() == 8
    rows = await store.entries(0, 100)
    assert [r.seq for r in rows] == list(range(8))
    assert rows[6].data == b'{"seq":6}'
    assert [r.seq for r in await store.entries(2, 4)] == [2, 3]
    assert await store.checkpoint() == second
    assert await store.checkpoint(5) == first
    assert await store.checkpoint(6) is None
    assert await store.checkpoints(0, 10) == [first, second]
    assert await store.checkpoints(6, 10) == [second]


@BACKENDS
async def test_nodes_are_point_reads(store: LogStore) -> None:
    frontier = Frontier.empty()
    await _append(store, frontier, 13)
    nodes = await store.nodes([(0, 0), (3, 0), (2, 2), (0, 12), (3, 1), (9, 9)])
    assert set(nodes) == {(0, 0), (3, 0), (2, 2), (0, 12)}
    assert nodes[(0, 12)] == hash_leaf(b'{"seq":12}')
    assert await store.nodes([]) == {}


@BACKENDS
async def test_kinds_and_nonces(store: LogStore) -> None:
    frontier = Frontier.empty()
    await _append(store, frontier, 4)
    assert [r.seq for r in await store.entries_of_kinds({"member.admitted"}, 2)] == [2, 3]
    assert await store.entries_of_kinds({"credit.claimed"}, 0) == []
    async with store.transaction() as tx:
        seen = await tx.seen_nonces([("k" * 16, "nonce-000000000001"), ("k" * 16, "fresh")])
    assert seen == {("k" * 16, "nonce-000000000001")}


@BACKENDS
async def test_failed_transaction_writes_nothing(store: LogStore) -> None:
    frontier = Frontier.empty()
    await _append(store, frontier, 2)
    await _append_refused(store, RuntimeError, *_rows(2, 3, frontier.copy()), abandon=True)
    assert await store.size() == 2


@BACKENDS
async def test_duplicate_nonce_or_seq_refused(store: LogStore) -> None:
    frontier = Frontier.empty()
    await _append(store, frontier, 2)
    await _append_refused(store, StoreError, *_rows(1, 1, Frontier.empty()), abandon=False)
    assert await store.size() == 2


@BACKENDS
async def test_transactions_are_serialised(store: LogStore) -> None:
    order: list[str] = []

    async def writer(name: str) -> None:
        async with store.transaction():
            order.append(f"{name}-in")
            await asyncio.sleep(0.05)
            order.append(f"{name}-out")

    await asyncio.gather(writer("a"), writer("b"))
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


@BACKENDS
@pytest.mark.parametrize("table", ["entries", "tree_nodes", "checkpoints"])
@pytest.mark.parametrize("action", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}"])
async def test_log_tables_refuse_update_and_delete(
    store: LogStore, table: str, action: str
) -> None:
    assert isinstance(store, SqlLogStore)
    await _append(store, Frontier.empty(), 3)
    column = {"entries": "seq", "tree_nodes": "idx", "checkpoints": "size"}[table]
    with pytest.raises(AppendOnlyError, match="append-only"):
        async with store.transaction() as tx:
            await tx.connection.execute(text(action.format(t=table, c=column)))
    assert await store.size() == 3
    assert len(await store.nodes([(0, 0), (1, 0), (0, 2)])) == 3


def test_leaf_hash_is_sha256_with_prefix() -> None:
    assert hash_leaf(b"x") == hashlib.sha256(b"\x00x").digest()
