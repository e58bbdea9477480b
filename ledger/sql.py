"""SQL storage for the log (SQLite and PostgreSQL through SQLAlchemy 2.0 async Core).

The only ledger module, with ``ledger.migrations`` and the projection ``*sql.py`` modules,
that imports SQLAlchemy. Writes use Core with one ``executemany`` per table per batch; the
ORM is not used on the write path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    event,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ledger.errors import AppendOnlyError, StoreError
from ledger.store import CheckpointRow, EntryRow
from ledger.tree import NodeID

metadata = MetaData()

entries = Table(
    "entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("logged_at", String(40), nullable=False),
    UniqueConstraint("key_id", "nonce", name="uq_entries_key_nonce"),
    Index("ix_entries_kind_seq", "kind", "seq"),
)

tree_nodes = Table(
    "tree_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
)

directory = Table(
    "directory",
    metadata,
    Column("member", String(64), primary_key=True),
    Column("handle", String(80), nullable=True, unique=True),
    Column("name", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("erased_at", String(40), nullable=True),
)
"""Personal data of members, off the log, erasable. Never read by the verifier."""

APPEND_ONLY_TABLES = ("entries", "tree_nodes", "checkpoints")
_PG_WRITER_LOCK = 0x636F6F706C6564  # "coopled": the advisory lock that serialises writers
_WRITE = "coopledger_write"


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database."""
    return url.startswith("postgresql")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; on SQLite set WAL, ``synchronous=FULL`` and explicit BEGINs."""
    if is_postgres(url):
        kwargs.setdefault("pool_size", 10)
        return create_async_engine(url, **kwargs)
    engine = create_async_engine(url, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=30000",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: SyncConnection) -> None:
        writing = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _entry_row(row: Any) -> EntryRow:
    return EntryRow(
        seq=row.seq,
        leaf_hash=bytes(row.leaf_hash),
        data=bytes(row.body),
        kind=row.kind,
        key_id=row.key_id,
        nonce=row.nonce,
        logged_at=row.logged_at,
    )


def _checkpoint_row(row: Any) -> CheckpointRow:
    return CheckpointRow(size=row.size, root=bytes(row.root), note=row.note)


def _pairs_in(first: Any, second: Any, pairs: Iterable[tuple[Any, Any]]) -> Any:
    """``(first, second) IN pairs`` as an OR of ``first = a AND second IN (...)`` terms.

    SQLite scans the whole table for a row-value ``IN``; this form is a point lookup on the
    composite index for each pair, on SQLite and PostgreSQL alike.
    """
    groups: dict[Any, list[Any]] = {}
    for a, b in pairs:
        groups.setdefault(a, []).append(b)
    return or_(*(and_(first == a, second.in_(bs)) for a, bs in groups.items()))


class _SqlReads:
    """Reads shared by the store (fresh connection per call) and a transaction (its own)."""

    async def _run(self, statement: Any) -> Any:
        raise NotImplementedError

    async def size(self) -> int:
        result = await self._run(select(func.max(entries.c.seq)))
        last = result.scalar_one()
        return 0 if last is None else int(last) + 1

    async def entries(self, start: int, end: int) -> list[EntryRow]:
        query = (
            select(entries)
            .where(entries.c.seq >= start, entries.c.seq < end)
            .order_by(entries.c.seq)
        )
        return [_entry_row(row) for row in (await self._run(query)).all()]

    async def entries_of_kinds(self, kinds: Collection[str], start: int) -> list[EntryRow]:
        query = (
            select(entries)
            .where(entries.c.kind.in_(list(kinds)), entries.c.seq >= start)
            .order_by(entries.c.seq)
        )
        return [_entry_row(row) for row in (await self._run(query)).all()]

    async def nodes(self, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        query = select(tree_nodes.c.level, tree_nodes.c.idx, tree_nodes.c.hash).where(
            _pairs_in(tree_nodes.c.level, tree_nodes.c.idx, wanted)
        )
        rows = (await self._run(query)).all()
        return {(row.level, row.idx): bytes(row.hash) for row in rows}

    async def checkpoint(self, size: int | None = None) -> CheckpointRow | None:
        query = select(checkpoints)
        if size is None:
            query = query.order_by(checkpoints.c.size.desc()).limit(1)
        else:
            query = query.where(checkpoints.c.size == size)
        row = (await self._run(query)).first()
        return None if row is None else _checkpoint_row(row)

    async def checkpoints(self, start_size: int, limit: int) -> list[CheckpointRow]:
        query = (
            select(checkpoints)
            .where(checkpoints.c.size >= start_size)
            .order_by(checkpoints.c.size)
            .limit(limit)
        )
        return [_checkpoint_row(row) for row in (await self._run(query)).all()]


class SqlTransaction(_SqlReads):
    """A write transaction on one connection, holding the writer lock."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._entries: list[EntryRow] = []
        self._nodes: list[tuple[NodeID, bytes]] = []
        self._checkpoints: list[CheckpointRow] = []

    async def _run(self, statement: Any) -> Any:
        return await self._conn.execute(statement)

    @property
    def connection(self) -> AsyncConnection:
        return self._conn

    async def seen_nonces(self, pairs: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        wanted = list(set(pairs))
        if not wanted:
            return set()
        query = select(entries.c.key_id, entries.c.nonce).where(
            _pairs_in(entries.c.key_id, entries.c.nonce, wanted)
        )
        return {(row.key_id, row.nonce) for row in (await self._run(query)).all()}

    def append(self, entries: Sequence[EntryRow], nodes: Sequence[tuple[NodeID, bytes]]) -> None:
        self._entries.extend(entries)
        self._nodes.extend(nodes)

    def add_checkpoint(self, checkpoint: CheckpointRow) -> None:
        self._checkpoints.append(checkpoint)

    async def flush(self) -> None:
        """Write what was queued: one driver-level ``executemany`` per table.

        The write path skips SQLAlchemy's per-value processing; the rows are plain tuples.
        """
        await self._insert_many(
            "entries",
            ("seq", "leaf_hash", "body", "kind", "key_id", "nonce", "logged_at"),
            [
                (e.seq, e.leaf_hash, e.data, e.kind, e.key_id, e.nonce, e.logged_at)
                for e in self._entries
            ],
        )
        await self._insert_many(
            "tree_nodes", ("level", "idx", "hash"), [(n[0], n[1], h) for n, h in self._nodes]
        )
        await self._insert_many(
            "checkpoints",
            ("size", "root", "note"),
            [(c.size, c.root, c.note) for c in self._checkpoints],
        )

    async def _insert_many(
        self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if self._conn.dialect.paramstyle == "numeric_dollar":
            marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        else:
            marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        await self._conn.exec_driver_sql(sql, rows)


class SqlLogStore(_SqlReads):
    """The log in SQLite (one file, WAL) or PostgreSQL (several processes may share it)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    async def _run(self, statement: Any) -> Any:
        async with self.engine.connect() as conn:
            result = await conn.execute(statement)
            return _Buffered(list(result.all()))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        """Begin a write transaction holding the single-writer lock.

        SQLite: ``BEGIN IMMEDIATE``. PostgreSQL: a transaction-scoped advisory lock, so that
        writers in every process queue while readers go on.
        """
        async with self.engine.connect() as raw:
            conn = await raw.execution_options(**{_WRITE: True})
            try:
                async with conn.begin():
                    if self.postgres:
                        await conn.execute(text("SET LOCAL lock_timeout = '30s'"))
                        await conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITER_LOCK}
                        )
                    tx = SqlTransaction(conn)
                    yield tx
                    await tx.flush()
            except DBAPIError as e:
                if "append-only" in str(e.orig):
                    raise AppendOnlyError(str(e.orig)) from e
                if isinstance(e, IntegrityError):
                    raise StoreError(f"the store refused the batch: {e.orig}") from e
                raise

    async def close(self) -> None:
        await self.engine.dispose()


class _Buffered:
    """A fully fetched result, so the connection can go back to the pool at once."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def all(self) -> list[Any]:
        return self._rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar_one(self) -> Any:
        return self._rows[0][0]
