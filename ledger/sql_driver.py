"""The log's own queries in each database's SQL, sent straight to the driver.

Through SQLAlchemy a statement is compiled, then run as several driver calls; on aiosqlite
each call is a hop to the connection's thread (~140 µs). Here each query is fixed text (the
driver keeps it prepared) and each call is one round trip. Lookups by many keys (tree nodes
by ``(level, idx)``, nonces by ``(key_id, nonce)``) pass the keys as one JSON array
(SQLite, ``json_each``) or as two arrays (PostgreSQL, ``unnest``) and join them to the
primary or unique index: one index point lookup per key, never a scan. SQLite's
``CROSS JOIN`` fixes the join order (keys outside, index inside).

Imports no SQLAlchemy: ``ledger.sql`` hands it the driver connection under an SQLAlchemy one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.errors import AppendOnlyError, StoreError


@dataclass(frozen=True)
class Dialect:
    """The SQL text of every query the log makes on one kind of database."""

    name: str
    size: str
    entries: str
    entry_bodies: str
    entries_of_kinds: str
    entry_with_nonce: str
    nodes: str
    node_range: str
    size_and_nonces: str
    latest_checkpoint: str
    checkpoint_at: str
    checkpoints: str
    insert_entries: str
    insert_nodes: str
    insert_checkpoints: str
    writer_lock: str | None

    @property
    def postgres(self) -> bool:
        """Whether this is PostgreSQL (else SQLite)."""
        return self.name == "postgresql"

    def keys(self, pairs: Iterable[tuple[Any, Any]]) -> tuple[Any, ...]:
        """The parameters that pass ``pairs`` to ``nodes`` or ``size_and_nonces``."""
        pairs = list(pairs)
        if self.postgres:
            return ([a for a, _ in pairs], [b for _, b in pairs])
        return (json.dumps(pairs, separators=(",", ":")),)

    def kinds(self, kinds: Iterable[str]) -> Any:
        """The parameter that passes a set of kinds to ``entries_of_kinds``."""
        kinds = sorted(kinds)
        return kinds if self.postgres else json.dumps(kinds)


def _with_cosignatures(which: str) -> str:
    """The checkpoints ``which`` picks, each row with one of its cosignature lines (``NULL``
    for none), in increasing size and then by witness: one primary-key lookup per checkpoint
    for its lines (``ledger.sql`` folds them into the note)."""
    inner = "SELECT size, root, note FROM checkpoints " + which  # noqa: S608 (constant clauses)
    return (
        f"SELECT c.size, c.root, c.note, s.line FROM ({inner}) AS c "  # noqa: S608
        "LEFT JOIN cosignatures AS s ON s.size = c.size ORDER BY c.size, s.witness"
    )


SQLITE = Dialect(
    name="sqlite",
    size="SELECT max(seq) FROM entries",
    entries=(
        "SELECT seq, leaf_hash, body, kind, key_id, nonce, logged_at FROM entries "
        "WHERE seq >= ? AND seq < ? ORDER BY seq"
    ),
    entry_bodies="SELECT body FROM entries WHERE seq >= ? AND seq < ? ORDER BY seq",
    entries_of_kinds=(
        "SELECT seq, leaf_hash, body, kind, key_id, nonce, logged_at FROM entries "
        "WHERE kind IN (SELECT value FROM json_each(?)) AND seq >= ? ORDER BY seq"
    ),
    entry_with_nonce=(
        "SELECT seq, leaf_hash, body, kind, key_id, nonce, logged_at FROM entries "
        "WHERE key_id = ? AND nonce = ?"
    ),
    nodes=(
        "SELECT t.level, t.idx, t.hash FROM json_each(?) AS p CROSS JOIN tree_nodes AS t "
        "ON t.level = json_extract(p.value, '$[0]') AND t.idx = json_extract(p.value, '$[1]')"
    ),
    node_range="SELECT hash FROM tree_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
    size_and_nonces=(
        "SELECT NULL, NULL, max(seq) FROM entries UNION ALL "
        "SELECT e.key_id, e.nonce, NULL FROM json_each(?) AS p CROSS JOIN entries AS e "
        "ON e.key_id = json_extract(p.value, '$[0]') AND e.nonce = json_extract(p.value, '$[1]')"
    ),
    latest_checkpoint=_with_cosignatures("ORDER BY size DESC LIMIT 1"),
    checkpoint_at=_with_cosignatures("WHERE size = ?"),
    checkpoints=_with_cosignatures("WHERE size >= ? ORDER BY size LIMIT ?"),
    insert_entries=(
        "INSERT INTO entries (seq, leaf_hash, body, kind, key_id, nonce, logged_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    ),
    insert_nodes="INSERT INTO tree_nodes (level, idx, hash) VALUES (?, ?, ?)",
    insert_checkpoints="INSERT INTO checkpoints (size, root, note) VALUES (?, ?, ?)",
    writer_lock=None,
)

POSTGRES = Dialect(
    name="postgresql",
    size="SELECT max(seq) FROM entries",
    entries=(
        "SELECT seq, leaf_hash, body, kind, key_id, nonce, logged_at FROM entries "
        "WHERE seq >= $1 AND seq < $2 ORDER BY seq"
    ),
    entry_bodies="SELECT body FROM entries WHERE seq >= $1 AND seq < $2 ORDER BY seq",
    entries_of_kinds=(
        "SELECT seq, leaf_hash, body, kind, key_id, nonce, logged_at FROM entries "
        "WHERE kind = ANY($1::text[]) AND seq >= $2 ORDER BY seq"
    ),
    entry_with_nonce=(
        "SELECT seq, leaf_hash, body, kind, key_id, nonce, logged_at FROM entries "
        "WHERE key_id = $1 AND nonce = $2"
    ),
    nodes=(
        "SELECT t.level, t.idx, t.hash FROM unnest($1::smallint[], $2::bigint[]) AS p(level, idx) "
        "JOIN tree_nodes AS t ON t.level = p.level AND t.idx = p.idx"
    ),
    node_range=(
        "SELECT hash FROM tree_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx"
    ),
    size_and_nonces=(
        "SELECT NULL::text, NULL::text, max(seq) FROM entries UNION ALL "
        "SELECT e.key_id, e.nonce, NULL FROM unnest($1::text[], $2::text[]) AS p(key_id, nonce) "
        "JOIN entries AS e ON e.key_id = p.key_id AND e.nonce = p.nonce"
    ),
    latest_checkpoint=_with_cosignatures("ORDER BY size DESC LIMIT 1"),
    checkpoint_at=_with_cosignatures("WHERE size = $1"),
    checkpoints=_with_cosignatures("WHERE size >= $1 ORDER BY size LIMIT $2"),
    insert_entries=(
        "INSERT INTO entries (seq, leaf_hash, body, kind, key_id, nonce, logged_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ),
    insert_nodes="INSERT INTO tree_nodes (level, idx, hash) VALUES ($1, $2, $3)",
    insert_checkpoints="INSERT INTO checkpoints (size, root, note) VALUES ($1, $2, $3)",
    writer_lock="SELECT pg_advisory_xact_lock($1)",
)


class Driver:
    """One database connection's driver (aiosqlite or asyncpg), called directly."""

    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect

    async def fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        """Run one query and return all its rows, in one round trip."""
        try:
            if self.dialect.postgres:
                rows: Sequence[Sequence[Any]] = await self.raw.fetch(sql, *args)
                return rows
            return list(await self.raw.execute_fetchall(sql, args))
        except Exception as e:
            raise store_error(e) from e

    async def execute(self, sql: str) -> None:
        """Run one statement without parameters or results."""
        try:
            if self.dialect.postgres:
                await self.raw.execute(sql)
            else:
                await self.raw.execute_fetchall(sql)
        except Exception as e:
            raise store_error(e) from e

    async def insert(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert ``rows`` with one ``executemany``."""
        if not rows:
            return
        try:
            await self.raw.executemany(sql, rows)
        except Exception as e:
            raise store_error(e) from e


def store_error(error: Exception) -> Exception:
    """The ledger error for a driver error (``error`` itself if it is not one we name).

    A refusal by the append-only triggers becomes ``AppendOnlyError``; a broken unique or
    primary key (a sequence number, tree node, checkpoint or nonce stored twice),
    ``StoreError``.
    """
    if "append-only" in str(error):
        return AppendOnlyError(str(error))
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(error, sqlite3.IntegrityError) or (
        isinstance(sqlstate, str) and sqlstate.startswith("23")
    ):
        return StoreError(f"the store refused the batch: {error}")
    return error
