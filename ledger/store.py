"""The log store interface: entries, complete-subtree hashes, checkpoints and nonces.

``ledger.sql.SqlLogStore`` implements it on SQLite and PostgreSQL, and one conformance suite
runs on both. A store knows nothing of statements' meaning; the sequencer above it decides
what to append.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.tree import NodeID


@dataclass(frozen=True)
class EntryRow:
    """One entry as stored: its exact bytes and the columns indexed beside them."""

    seq: int
    leaf_hash: bytes
    data: bytes
    kind: str
    key_id: str
    nonce: str
    logged_at: str


@dataclass(frozen=True)
class CheckpointRow:
    """A signed checkpoint: the tree size, its root and the C2SP signed note."""

    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class Window:
    """One page of a list read by keyset on an integer sort key (an entry seq, mostly).

    At most ``size`` rows with ``after < key < before`` (either bound may be absent), the
    lowest keys when ``forward``, the highest otherwise; a store returns them in ascending
    order with whether more rows lie beyond the page in its direction.
    """

    size: int
    forward: bool = True
    after: int | None = None
    before: int | None = None


class LogReader(Protocol):
    """Reads that any auditor-facing path needs; every call is a bounded number of queries."""

    async def size(self) -> int:
        """The number of entries in the log."""

    async def entries(self, start: int, end: int) -> list[EntryRow]:
        """Entries with ``start <= seq < end`` in order (the caller bounds the range)."""

    async def entry_bodies(self, start: int, end: int) -> list[bytes]:
        """The exact bytes of the entries with ``start <= seq < end``, in order, and nothing
        else of their rows (an entry bundle; the caller bounds the range)."""

    async def entries_of_kinds(self, kinds: Collection[str], start: int) -> list[EntryRow]:
        """Entries of the given kinds with ``seq >= start``, in order."""

    async def entry_with_nonce(self, key_id: str, nonce: str) -> EntryRow | None:
        """The entry whose statement was signed by ``key_id`` with ``nonce``, if any."""

    async def nodes(self, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
        """The stored hashes of the given complete subtrees, in one read."""

    async def node_range(self, level: int, start: int, end: int) -> list[bytes]:
        """The stored hashes of nodes ``(level, start)`` to ``(level, end - 1)`` that exist,
        in index order: one range read of the primary key (a tile's hashes)."""

    async def checkpoint(self, size: int | None = None) -> CheckpointRow | None:
        """The checkpoint at ``size``, or the latest one when ``size`` is ``None``."""

    async def checkpoints(self, start_size: int, limit: int) -> list[CheckpointRow]:
        """Checkpoints with ``size >= start_size`` in increasing size, at most ``limit``."""


class LogTransaction(LogReader, Protocol):
    """A write transaction holding the log's single-writer lock until it ends.

    Writes are buffered and reach the store together when the transaction commits; if the
    block raises, nothing is written.
    """

    async def seen_nonces(self, pairs: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the ``(key_id, nonce)`` pairs were accepted before."""

    def append(self, entries: Sequence[EntryRow], nodes: Sequence[tuple[NodeID, bytes]]) -> None:
        """Queue entries (consecutive from the current size) and their new tree nodes."""

    def add_checkpoint(self, checkpoint: CheckpointRow) -> None:
        """Queue a signed checkpoint for the tree size after the queued entries."""

    @property
    def connection(self) -> Any:
        """The SQL connection of this transaction, for the projections."""


class LogStore(LogReader, Protocol):
    """A log store: reads plus serialised write transactions."""

    def transaction(self) -> AbstractAsyncContextManager[LogTransaction]:
        """Begin a write transaction, waiting for the single-writer lock."""

    async def close(self) -> None:
        """Release connections and files."""
