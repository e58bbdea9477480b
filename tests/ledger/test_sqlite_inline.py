"""The API's inline SQLite read connections: no driver thread, snapshots, errors, closing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ledger.sql import make_engine, sqlite_url
from ledger.sqlite_inline import InlineConnection


async def _table(path: Path) -> None:
    writer = make_engine(sqlite_url(path))
    async with writer.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        await conn.execute(text("INSERT INTO t VALUES (1)"))
    await writer.dispose()


async def test_reads_run_in_the_callers_thread(tmp_path: Path) -> None:
    await _table(tmp_path / "db")
    before = threading.active_count()
    engine = make_engine(sqlite_url(tmp_path / "db"), inline=True)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT n FROM t"))).scalar_one() == 1
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, InlineConnection)
        assert not driver._thread.is_alive()
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one() == "wal"
    assert threading.active_count() == before
    await engine.dispose()


async def test_a_read_transaction_keeps_its_snapshot(tmp_path: Path) -> None:
    """The writer (aiosqlite's thread) commits while an inline read transaction is open."""
    await _table(tmp_path / "db")
    reader = make_engine(sqlite_url(tmp_path / "db"), inline=True)
    writer = make_engine(sqlite_url(tmp_path / "db"))
    async with reader.begin() as read:
        assert (await read.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
        async with writer.begin() as write:
            await write.execute(text("INSERT INTO t VALUES (2)"))
        assert (await read.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
    async with reader.connect() as read:
        assert (await read.execute(text("SELECT count(*) FROM t"))).scalar_one() == 2
    await reader.dispose()
    await writer.dispose()


async def test_an_error_is_raised_and_the_connection_goes_on(tmp_path: Path) -> None:
    await _table(tmp_path / "db")
    engine = make_engine(sqlite_url(tmp_path / "db"), inline=True, pool_size=1, max_overflow=0)
    async with engine.connect() as conn:
        with pytest.raises(OperationalError, match="no such table"):
            await conn.execute(text("SELECT * FROM missing"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT n FROM t"))).scalar_one() == 1
    await engine.dispose()


def test_inline_needs_a_file() -> None:
    with pytest.raises(ValueError, match="need a database file"):
        make_engine("sqlite+aiosqlite:///:memory:", inline=True)
