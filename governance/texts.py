"""Texts the log names by SHA-256: terms of reference, proposal bodies, outcome statements.

The log carries only the hash; the text lives in ``governance_texts``, an ordinary table that
can be erased and is not rebuilt. Store a text before submitting the statement that names it:
the handler refuses a statement whose text it cannot find, so members can always read what
they vote on.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from governance.bodies import text_digest
from governance.errors import TextMissingError
from governance.sql import texts
from ledger.encoding import format_time, utc_now
from ledger.errors import MalformedStatementError

MAX_TEXT_CHARS: Final = 100_000


async def store_text(conn: AsyncConnection, text: str) -> str:
    """Keep ``text`` (if it is not kept already) and return its hex SHA-256.

    Raises ``MalformedStatementError`` for an empty text or one over 100,000 characters.
    """
    if not text or len(text) > MAX_TEXT_CHARS:
        raise MalformedStatementError(f"a text is 1 to {MAX_TEXT_CHARS} characters")
    digest = text_digest(text)
    values = {"sha256": digest, "text": text, "stored_at": format_time(utc_now())}
    if conn.dialect.name == "postgresql":
        await conn.execute(postgresql.insert(texts).values(values).on_conflict_do_nothing())
    else:
        await conn.execute(sqlite.insert(texts).values(values).on_conflict_do_nothing())
    return digest


async def load_text(conn: AsyncConnection, sha256: str) -> str | None:
    """The text whose hex SHA-256 is ``sha256``, or ``None`` if it was never kept or erased."""
    query = select(texts.c.text).where(texts.c.sha256 == sha256)
    return (await conn.execute(query)).scalar_one_or_none()


async def require_text(conn: AsyncConnection, sha256: str, what: str) -> None:
    """Raise ``TextMissingError`` unless the text hashing to ``sha256`` is kept."""
    query = select(texts.c.sha256).where(texts.c.sha256 == sha256)
    if (await conn.execute(query)).scalar_one_or_none() is None:
        raise TextMissingError(f"the text of the {what} ({sha256}) has not been stored")


async def mismatched_texts(conn: AsyncConnection) -> list[str]:
    """The digests, in order, of the kept texts that do not hash to their digest: each was
    changed after it was stored (an erased text is gone, not changed)."""
    query = select(texts.c.sha256, texts.c.text).order_by(texts.c.sha256)
    return [
        digest for digest, text in (await conn.execute(query)).all() if text_digest(text) != digest
    ]


async def erase_text(conn: AsyncConnection, sha256: str) -> bool:
    """Erase a kept text (the log keeps its hash); return whether there was one."""
    result = await conn.execute(delete(texts).where(texts.c.sha256 == sha256))
    return bool(result.rowcount)
