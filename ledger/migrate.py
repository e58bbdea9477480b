"""Bring a database to the newest schema with Alembic (run on ``init`` and ``serve``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", "ledger:migrations")
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(_config(connection), revision)


_PG_MIGRATION_LOCK = 0x636F6F706D6967  # "coopmig": one migrating process at a time


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply every migration not yet applied (up to ``revision``, by default all); safe to
    run again, and from several processes at once on PostgreSQL (they take turns on an
    advisory lock)."""
    async with engine.connect() as conn:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            await conn.commit()
        try:
            await conn.run_sync(_upgrade, revision)
            await conn.commit()
        finally:
            if postgres:
                await conn.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
                await conn.commit()


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Undo the migrations after ``revision`` (their tables and what they hold are dropped)."""
    async with engine.connect() as conn:
        await conn.run_sync(_downgrade, revision)
        await conn.commit()
