"""Migration 0002 creates exactly the tables and indexes ``ledger.credits.store`` describes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import UniqueConstraint, inspect

from ledger.credits import store
from ledger.sql import make_engine
from tests.conftest import SQL_BACKENDS


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
            sorted(str(u["name"]) for u in inspector.get_unique_constraints(table.name)),
        )
        for table in store.TABLES
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
            sorted(str(u.name) for u in table.constraints if isinstance(u, UniqueConstraint)),
        )
        for table in store.TABLES
    }
    assert migrated == expected
