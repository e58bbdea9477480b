"""The migrations create exactly the tables and indexes ``governance.store`` describes, and a
voter's current ballot is found without reading the ballots it superseded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from governance import store
from ledger.migrate import upgrade
from ledger.sql import make_engine, sqlite_url
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import migrated_and_declared


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_migration_matches_the_tables(database_url: str) -> None:
    migrated, declared = await migrated_and_declared(database_url, (*store.TABLES, store.texts))
    assert migrated == declared


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
