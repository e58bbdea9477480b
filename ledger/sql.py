"""SQL storage for the log (SQLite and PostgreSQL through SQLAlchemy 2.0 async Core).

One of the stores, the only modules that import SQLAlchemy (with ``ledger.migrate`` and
``ledger.migrations``, ``ledger.credits.store`` and ``governance.store``; an import-linter
contract holds it). Other modules hold a ``Connection`` or an ``Engine`` without building SQL
on it. The tables are declared here; the log's own reads and writes are
fixed queries sent to the driver under SQLAlchemy's connection (``ledger.sql_driver``), one
round trip each; one ``executemany`` per table per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias

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
    event,
    func,
    select,
)
from sqlalchemy import Select as _Select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ledger.cosignature import with_cosignatures
from ledger.encoding import format_time, utc_now
from ledger.errors import AppendOnlyError, StoreError, StoreFullError, StoreUnavailableError
from ledger.sql_driver import POSTGRES, SQLITE, Dialect, Driver
from ledger.sqlite_inline import inline_creator
from ledger.store import CheckpointRow, EntryRow, Window
from ledger.tree import NodeID

Connection: TypeAlias = AsyncConnection
"""A connection to the ledger's database; outside the stores, only passed along."""
Engine: TypeAlias = AsyncEngine
"""The ledger's database engine; outside the stores, only passed along."""
Select: TypeAlias = _Select[Any]

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

cosignatures = Table(
    "cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", Text, primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("line", Text, nullable=False),
    Column("stored_at", String(40), nullable=False),
)
"""Verified witness cosignature lines, one per checkpoint size and witness (its vkey)."""

witness_state = Table(
    "witness_state",
    metadata,
    Column("witness", Text, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("updated_at", String(40), nullable=False),
)
"""Per witness (its vkey), the tree size it last said it cosigned."""

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

invitations = Table(
    "invitations",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("member", String(64), nullable=False, unique=True),
    Column("handle", String(80), nullable=True),
    Column("name", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("member_kind", String(64), nullable=False),
    Column("borough", String(80), nullable=False),
    Column("roles", Text, nullable=False),
    Column("invited_by", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("public_key", Text, nullable=True),
    Column("accepted_at", String(40), nullable=True),
)
"""Invitations to join, off the log: who the board means to admit (personal data, erased with
the directory's), and the public key the invitee's browser made on accepting. Only the SHA-256
of the invitation's secret token is kept."""

APPEND_ONLY_TABLES = ("entries", "tree_nodes", "checkpoints")
_PG_WRITER_LOCK = 0x636F6F706C6564  # "coopled": the advisory lock that serialises writers
_WRITER = "coopledger_writer"


async def keyset(
    conn: AsyncConnection, query: Select, column: Any, window: Window
) -> tuple[list[Any], bool]:
    """The rows of ``query`` in ``window`` by the integer ``column``, ascending, and whether
    more lie beyond the page in its direction: one query of at most ``size + 1`` rows."""
    if window.after is not None:
        query = query.where(column > window.after)
    if window.before is not None:
        query = query.where(column < window.before)
    order = column.asc() if window.forward else column.desc()
    rows = list((await conn.execute(query.order_by(order).limit(window.size + 1))).all())
    more = len(rows) > window.size
    rows = rows[: window.size]
    if not window.forward:
        rows.reverse()
    return rows, more


async def entries_at(conn: AsyncConnection, seqs: Collection[int]) -> dict[int, EntryRow]:
    """The entries at ``seqs`` (those that exist), read in one query."""
    query = entries.select().where(entries.c.seq.in_(list(seqs)))
    return {row.seq: _entry_row(row) for row in (await conn.execute(query)).all()}


def matching(table: Table, **equal: Any) -> Select:
    """The rows of ``table`` whose column equals each value given that is not ``None``."""
    query = table.select()
    for name, value in equal.items():
        if value is not None:
            query = query.where(table.c[name] == value)
    return query


async def reset_tables(conn: AsyncConnection, tables: Sequence[Table]) -> None:
    """Delete every row of a domain's projection ``tables`` (in reverse order, for their
    foreign keys), before a rebuild from the log."""
    for table in reversed(tables):
        await conn.execute(table.delete())


async def dump_tables(
    conn: AsyncConnection, tables: Sequence[Table]
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables``, table by table in primary-key order (to compare rebuilds)."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        query = table.select().order_by(*table.primary_key.columns)
        result[table.name] = [tuple(row) for row in (await conn.execute(query)).all()]
    return result


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database."""
    return url.startswith("postgresql")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def make_engine(url: str, *, inline: bool = False, **kwargs: Any) -> AsyncEngine:
    """Create the engine; on SQLite set WAL, ``synchronous=FULL`` and explicit BEGINs.

    ``inline`` (SQLite only): run each call in the event loop's thread rather than on a
    driver thread per connection (``ledger.sqlite_inline``), for engines that only read.
    """
    if is_postgres(url):
        kwargs.setdefault("pool_size", 10)
        return create_async_engine(url, **kwargs)
    if inline:
        path = make_url(url).database
        if not path or path == ":memory:":
            raise ValueError("inline SQLite connections need a database file")
        kwargs["async_creator"] = inline_creator(path)
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
        if not conn.get_execution_options().get(_WRITER, False):
            conn.exec_driver_sql("BEGIN")
        # The log's writer connection has sent BEGIN IMMEDIATE itself (SqlLogStore.transaction).


_FULL = ("database or disk is full", "no space left on device")
_UNAVAILABLE = (
    "readonly database",
    "read-only",
    "database is locked",
    "disk i/o error",
    "unable to open database file",
)


def store_fault(exc: BaseException) -> StoreError | None:
    """What a driver's error means when it is an outage rather than a bug, else ``None``.

    A full disk (SQLite ``SQLITE_FULL``, PostgreSQL class 53100, ``ENOSPC``) is a
    ``StoreFullError``; a database that cannot be reached, has gone away, is starting or
    shutting down, is read-only or stays locked is a ``StoreUnavailableError``. Looks
    through SQLAlchemy's wrappers and an exception's causes.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreUnavailableError | StoreFullError):
            return current
        fault = _fault_of(current)
        if fault is not None:
            return fault
        current = getattr(current, "orig", None) or current.__cause__
    return None


def _fault_of(exc: BaseException) -> StoreError | None:
    text = str(exc).lower() if isinstance(exc, sqlite3.Error | OSError) else ""
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or any(s in text for s in _FULL):
        return StoreFullError("the database's disk is full; nothing was written")
    if isinstance(exc, SqlTimeoutError | ConnectionError | TimeoutError | socket.gaierror):
        return StoreUnavailableError("the database cannot be reached just now")
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return StoreUnavailableError("the connection to the database was lost")
    if isinstance(exc, sqlite3.OperationalError) and any(s in text for s in _UNAVAILABLE):
        return StoreUnavailableError(f"the database cannot be written just now ({exc})")
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is not None:
        if isinstance(exc, asyncpg.exceptions.DiskFullError):
            return StoreFullError("the database's disk is full; nothing was written")
        outage = (
            asyncpg.exceptions.PostgresConnectionError,
            asyncpg.exceptions.OperatorInterventionError,
            asyncpg.exceptions.InsufficientResourcesError,
            asyncpg.exceptions.ReadOnlySQLTransactionError,
            asyncpg.exceptions.InterfaceError,
        )
        if isinstance(exc, outage):
            return StoreUnavailableError(f"the database is unavailable just now ({exc})")
    return None


def _entry_row(row: Sequence[Any]) -> EntryRow:
    seq, leaf_hash, body, kind, key_id, nonce, logged_at = row
    return EntryRow(seq, bytes(leaf_hash), bytes(body), kind, key_id, nonce, logged_at)


def _checkpoint_rows(rows: Sequence[Sequence[Any]]) -> list[CheckpointRow]:
    """Checkpoints from rows of ``(size, root, note, cosignature line or NULL)`` in size
    order: each note with its checkpoint's cosignature lines after the log's signature."""
    lines: dict[int, list[str]] = {}
    found: dict[int, tuple[bytes, str]] = {}
    for size, root, note, line in rows:
        found.setdefault(size, (bytes(root), note))
        if line is not None:
            lines.setdefault(size, []).append(line)
    return [
        CheckpointRow(
            size=size,
            root=root,
            note=with_cosignatures(note, lines[size]) if size in lines else note,
        )
        for size, (root, note) in found.items()
    ]


class _SqlReads:
    """Reads shared by the store (a pooled connection per call) and a transaction (its own).

    Each read is one fixed query sent to the driver (``ledger.sql_driver``).
    """

    dialect: Dialect

    async def _fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        raise NotImplementedError

    async def size(self) -> int:
        last = (await self._fetch(self.dialect.size))[0][0]
        return 0 if last is None else int(last) + 1

    async def entries(self, start: int, end: int) -> list[EntryRow]:
        return [_entry_row(row) for row in await self._fetch(self.dialect.entries, start, end)]

    async def entry_bodies(self, start: int, end: int) -> list[bytes]:
        return [bytes(row[0]) for row in await self._fetch(self.dialect.entry_bodies, start, end)]

    async def entries_of_kinds(self, kinds: Collection[str], start: int) -> list[EntryRow]:
        rows = await self._fetch(self.dialect.entries_of_kinds, self.dialect.kinds(kinds), start)
        return [_entry_row(row) for row in rows]

    async def entry_with_nonce(self, key_id: str, nonce: str) -> EntryRow | None:
        rows = await self._fetch(self.dialect.entry_with_nonce, key_id, nonce)
        return _entry_row(rows[0]) if rows else None

    async def nodes(self, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self._fetch(self.dialect.nodes, *self.dialect.keys(wanted))
        return {(row[0], row[1]): bytes(row[2]) for row in rows}

    async def node_range(self, level: int, start: int, end: int) -> list[bytes]:
        rows = await self._fetch(self.dialect.node_range, level, start, end)
        return [bytes(row[0]) for row in rows]

    async def checkpoint(self, size: int | None = None) -> CheckpointRow | None:
        if size is None:
            rows = await self._fetch(self.dialect.latest_checkpoint)
        else:
            rows = await self._fetch(self.dialect.checkpoint_at, size)
        found = _checkpoint_rows(rows)
        return found[0] if found else None

    async def checkpoints(self, start_size: int, limit: int) -> list[CheckpointRow]:
        return _checkpoint_rows(await self._fetch(self.dialect.checkpoints, start_size, limit))


async def _driver(conn: AsyncConnection, dialect: Dialect) -> Driver:
    raw = await conn.get_raw_connection()
    return Driver(raw.driver_connection, dialect)


class SqlTransaction(_SqlReads):
    """A write transaction on the store's writer connection, holding the writer lock.

    No other writer can append while it lasts and its own appends are queued until commit,
    so the log's size is read once: ``seen_nonces`` reads it in the same round trip, and
    ``size`` answers from that.
    """

    def __init__(self, conn: AsyncConnection, driver: Driver) -> None:
        self._conn = conn
        self._driver = driver
        self.dialect = driver.dialect
        self._size: int | None = None
        self._entries: list[EntryRow] = []
        self._nodes: list[tuple[NodeID, bytes]] = []
        self._checkpoints: list[CheckpointRow] = []

    async def _fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        return await self._driver.fetch(sql, *args)

    @property
    def connection(self) -> AsyncConnection:
        return self._conn

    async def size(self) -> int:
        if self._size is None:
            self._size = await super().size()
        return self._size

    async def seen_nonces(self, pairs: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which pairs were accepted before; reads the log's size in the same round trip."""
        rows = await self._fetch(self.dialect.size_and_nonces, *self.dialect.keys(set(pairs)))
        seen: set[tuple[str, str]] = set()
        for key_id, nonce, last in rows:
            if key_id is None:
                self._size = 0 if last is None else int(last) + 1
            else:
                seen.add((key_id, nonce))
        return seen

    def append(self, entries: Sequence[EntryRow], nodes: Sequence[tuple[NodeID, bytes]]) -> None:
        self._entries.extend(entries)
        self._nodes.extend(nodes)

    def add_checkpoint(self, checkpoint: CheckpointRow) -> None:
        self._checkpoints.append(checkpoint)

    async def flush(self) -> None:
        """Write what was queued: one driver-level ``executemany`` per table."""
        dialect, insert = self.dialect, self._driver.insert
        await insert(
            dialect.insert_entries,
            [
                (e.seq, e.leaf_hash, e.data, e.kind, e.key_id, e.nonce, e.logged_at)
                for e in self._entries
            ],
        )
        await insert(dialect.insert_nodes, [(n[0], n[1], h) for n, h in self._nodes])
        await insert(
            dialect.insert_checkpoints, [(c.size, c.root, c.note) for c in self._checkpoints]
        )


class SqlLogStore(_SqlReads):
    """The log in SQLite (one file, WAL) or PostgreSQL (several processes may share it).

    Reads take a pooled connection per call. Writes go through one writer connection that
    the store keeps open (no pool checkout, no reconnect per batch); an ``asyncio.Lock``
    queues this process's writers for it, and the database's own lock queues other
    processes'.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.dialect = POSTGRES if self.postgres else SQLITE
        self._writer: tuple[AsyncConnection, Driver] | None = None
        self._writer_lock = asyncio.Lock()

    async def _fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        async with self.engine.connect() as conn:
            try:
                return await (await _driver(conn, self.dialect)).fetch(sql, *args)
            except Exception as e:
                # The driver's own call: SQLAlchemy does not see that the connection died,
                # so it is dropped here instead of going back to the pool.
                if isinstance(store_fault(e), StoreUnavailableError):
                    await conn.invalidate()
                raise

    async def _writer_connection(self) -> tuple[AsyncConnection, Driver]:
        if self._writer is None:
            conn = await self.engine.connect()
            try:
                conn = await conn.execution_options(**{_WRITER: True})
                if self.postgres:
                    await conn.exec_driver_sql("SET lock_timeout = '30s'")
                    await conn.commit()
                self._writer = (conn, await _driver(conn, self.dialect))
            except BaseException:
                await conn.close()
                raise
        return self._writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        """Begin a write transaction holding the single-writer lock.

        SQLite: ``BEGIN IMMEDIATE``. PostgreSQL: a transaction-scoped advisory lock (after
        a ``lock_timeout`` of 30 s), so that writers in every process queue while readers
        go on. Any failure rolls back; the writer connection is then dropped and the next
        transaction opens a fresh one.
        """
        async with self._writer_lock:
            try:
                conn, driver = await self._writer_connection()
            except Exception as e:
                raise (store_fault(e) or e) from e
            try:
                if not self.postgres:
                    await driver.execute("BEGIN IMMEDIATE")
                await conn.begin()
                if self.dialect.writer_lock is not None:  # also starts the driver's transaction
                    await conn.exec_driver_sql(self.dialect.writer_lock, (_PG_WRITER_LOCK,))
                tx = SqlTransaction(conn, driver)
                yield tx
                await tx.flush()
                await conn.commit()
            except BaseException as e:
                await self._drop_writer()
                if isinstance(e, DBAPIError):
                    if "append-only" in str(e.orig):
                        raise AppendOnlyError(str(e.orig)) from e
                    if isinstance(e, IntegrityError):
                        raise StoreError(f"the store refused the batch: {e.orig}") from e
                fault = store_fault(e)
                if fault is not None and fault is not e:
                    raise fault from e
                raise

    async def _drop_writer(self) -> None:
        """Close the writer connection without committing; the database rolls back."""
        if self._writer is None:
            return
        conn, _ = self._writer
        self._writer = None
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file (``None`` on PostgreSQL or for an in-memory database)."""
        path = None if self.postgres else self.engine.url.database
        return Path(path) if path and path != ":memory:" else None

    async def close(self) -> None:
        await self._drop_writer()
        await self.engine.dispose()


class CosignatureStore:
    """Witnessing's rows: verified cosignature lines per checkpoint, and per witness (named
    by its vkey) the size it last cosigned. Not on the hot path: SQLAlchemy Core, one short
    transaction per call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        postgres = engine.dialect.name == "postgresql"
        self._insert = postgres_insert if postgres else sqlite_insert

    async def sizes(self) -> dict[str, int]:
        """Each witness's last cosigned size, as stored."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(witness_state.select())).all()
        return {row.witness: int(row.size) for row in rows}

    async def set_size(self, witness: str, size: int) -> None:
        """Record that ``witness`` last cosigned ``size`` (what it answered a push with)."""
        async with self.engine.begin() as conn:
            await self._set_size(conn, witness, size)

    async def add(self, witness: str, size: int, lines: Sequence[tuple[int, str]]) -> None:
        """Store ``witness``'s verified cosignature ``lines`` (timestamp, line) of the
        checkpoint at ``size`` and make ``size`` its last cosigned one, in one transaction.
        A witness's second cosignature of one size is not stored (the first stays)."""
        stamp = format_time(utc_now())
        async with self.engine.begin() as conn:
            for timestamp, line in lines[:1]:
                row = {
                    "size": size,
                    "witness": witness,
                    "timestamp": timestamp,
                    "line": line,
                    "stored_at": stamp,
                }
                await conn.execute(self._insert(cosignatures).values(row).on_conflict_do_nothing())
            await self._set_size(conn, witness, size)

    async def _set_size(self, conn: AsyncConnection, witness: str, size: int) -> None:
        row = {"witness": witness, "size": size, "updated_at": format_time(utc_now())}
        insert = self._insert(witness_state).values(row)
        await conn.execute(
            insert.on_conflict_do_update(
                index_elements=[witness_state.c.witness],
                set_={"size": insert.excluded.size, "updated_at": insert.excluded.updated_at},
            )
        )

    async def witnessed_size(self, witnesses: Collection[str], quorum: int) -> int | None:
        """The largest checkpoint size cosigned by at least ``quorum`` of ``witnesses``."""
        if not witnesses or quorum < 1:
            return None
        query = (
            select(cosignatures.c.size)
            .where(cosignatures.c.witness.in_(list(witnesses)))
            .group_by(cosignatures.c.size)
            .having(func.count() >= quorum)
            .order_by(cosignatures.c.size.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            size = (await conn.execute(query)).scalar()
        return None if size is None else int(size)
