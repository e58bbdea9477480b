"""The log's lookups by many keys are index point lookups on SQLite, never table scans."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ledger.migrate import upgrade
from ledger.sql import make_engine, sqlite_url
from ledger.sql_driver import SQLITE
from ledger.tree import inclusion_nodes, root_nodes


@pytest.fixture
async def database(tmp_path: Path) -> Path:
    path = tmp_path / "plans.db"
    engine = make_engine(sqlite_url(path))
    await upgrade(engine)
    await engine.dispose()
    return path


def _plan(path: Path, sql: str, args: tuple[object, ...]) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, args)]


def test_tree_nodes_are_read_by_primary_key(database: Path) -> None:
    ids = inclusion_nodes(123_456, 1_000_000) + root_nodes(1_000_000)
    plan = _plan(database, SQLITE.nodes, SQLITE.keys(ids))
    assert any(step.startswith("SEARCH t USING") and "level=? AND idx=?" in step for step in plan)
    assert not any(step.startswith("SCAN t") for step in plan), plan


def test_nonces_are_read_by_the_unique_index(database: Path) -> None:
    pairs = [("0123456789abcdef", f"nonce-{i:016d}") for i in range(64)]
    plan = _plan(database, SQLITE.size_and_nonces, SQLITE.keys(pairs))
    assert any("key_id=? AND nonce=?" in step for step in plan), plan
    assert not any(step.startswith(("SCAN e", "SCAN entries")) for step in plan), plan


def test_a_tile_is_one_range_of_the_primary_key(database: Path) -> None:
    plan = _plan(database, SQLITE.node_range, (8, 256, 512))
    assert any("level=? AND idx>? AND idx<?" in step for step in plan), plan
    assert not any(step.startswith("SCAN") for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort: index order


def test_a_bundle_is_one_range_of_the_entries_primary_key(database: Path) -> None:
    plan = _plan(database, SQLITE.entry_bodies, (256, 512))
    assert any(step.startswith("SEARCH entries") and "(seq>? AND seq<?)" in step for step in plan)
    assert not any("TEMP B-TREE" in step for step in plan), plan


@pytest.mark.parametrize("which", ["latest_checkpoint", "checkpoint_at", "checkpoints"])
def test_checkpoints_find_their_cosignatures_by_primary_key(database: Path, which: str) -> None:
    sql = getattr(SQLITE, which)
    plan = _plan(database, sql, (5, 10)[: sql.count("?")])
    assert any(step.startswith("SEARCH s USING") and "size=?" in step for step in plan), plan
    assert not any(step.startswith(("SCAN s", "SCAN cosignatures")) for step in plan), plan
