"""Migration 0003 creates exactly the tables and indexes ``governance.sql`` describes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from governance import sql
from ledger.sql import make_engine
from tests.conftest import SQL_BACKENDS

TABLES = (*sql.TABLES, sql.texts)


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
