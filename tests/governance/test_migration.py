"""The migrations create exactly the tables and indexes ``governance.store`` describes, and a
voter's current ballot is found without reading the ballots it superseded."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.dialects import sqlite

from governance import store
from ledger.migrate import upgrade
from ledger.sql import make_engine, sqlite_url
from tests.conftest import SQL_BACKENDS

TABLES = (*store.TABLES, store.texts)


def _shape(sync_conn: Any) -> dict[str, Any]:
    inspector = inspect(sync_conn)
    return {
        table.name: (
            [(c["name"], c["nullable"]) for c in inspector.get_columns(table.name)],
            sorted(
                i["name"]
                for i in inspector.get_indexes(table.name)
                if i["name"] and not i.get("duplicates_constraint")
            ),
            sorted(inspector.get_pk_constraint(table.name)["constrained_columns"]),
        )
        for table in TABLES
    }


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_migration_matches_the_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            migrated = await conn.run_sync(_shape)
    finally:
        await engine.dispose()
    expected = {
        table.name: (
            [(c.name, c.nullable) for c in table.columns],
            sorted(str(i.name) for i in table.indexes),
            sorted(c.name for c in table.primary_key.columns),
        )
        for table in TABLES
    }
    assert migrated == expected


async def test_a_ballot_cast_again_finds_the_current_one_by_the_partial_index(
    tmp_path: Path,
) -> None:
    path = tmp_path / "plans.db"
    engine = make_engine(sqlite_url(path))
    await upgrade(engine)
    await engine.dispose()
    update = str(store.SUPERSEDE.compile(dialect=sqlite.dialect()))
    with sqlite3.connect(path) as conn:
        steps = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + update, (9, 3, "m-1"))]
        index_sql = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_governance_ballots_current'"
        ).fetchone()[0]
    assert steps == [
        "SEARCH governance_ballots USING INDEX ix_governance_ballots_current "
        "(proposal=? AND member=?)"
    ], steps
    assert index_sql.endswith("WHERE superseded_by IS NULL"), index_sql
