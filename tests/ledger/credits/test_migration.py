"""Migration 0002 creates exactly the tables and indexes ``ledger.credits.store`` describes."""

from __future__ import annotations

import pytest

from ledger.credits import store
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import migrated_and_declared


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_migration_matches_the_tables(database_url: str) -> None:
    migrated, declared = await migrated_and_declared(database_url, store.TABLES)
    assert migrated == declared
