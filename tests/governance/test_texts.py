"""Texts named on the log by hash: kept once, read back, erasable, never rebuilt."""

from __future__ import annotations

import hashlib

import pytest

from governance.store import erase_text, load_text, store_text
from ledger.errors import MalformedStatementError
from ledger.sql import make_engine
from tests.conftest import SQL_BACKENDS


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_store_load_erase(database_url: str) -> None:
    engine = make_engine(database_url)
    text = "Purpose: the working group's aim — with a dash"
    try:
        async with engine.begin() as conn:
            digest = await store_text(conn, text)
            assert digest == hashlib.sha256(text.encode()).hexdigest()
            assert await store_text(conn, text) == digest  # kept once
            assert await load_text(conn, digest) == text
            with pytest.raises(MalformedStatementError, match="1 to 100000"):
                await store_text(conn, "")
            assert await erase_text(conn, digest) is True
            assert await load_text(conn, digest) is None
            assert await erase_text(conn, digest) is False
    finally:
        await engine.dispose()
