"""An in-memory log store: the reference implementation of ``ledger.store.LogStore``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from ledger.errors import StoreError
from ledger.store import CheckpointRow, EntryRow
from ledger.tree import NodeID


class _MemoryState:
    def __init__(self) -> None:
        self.entries: list[EntryRow] = []
        self.nodes: dict[NodeID, bytes] = {}
        self.checkpoints: dict[int, CheckpointRow] = {}
        self.nonces: set[tuple[str, str]] = set()


class _MemoryReader:
    def __init__(self, state: _MemoryState) -> None:
        self._state = state

    async def size(self) -> int:
        return len(self._state.entries)

    async def entries(self, start: int, end: int) -> list[EntryRow]:
        return self._state.entries[max(start, 0) : max(end, 0)]

    async def entries_of_kinds(self, kinds: Collection[str], start: int) -> list[EntryRow]:
        return [row for row in self._state.entries[max(start, 0) :] if row.kind in kinds]

    async def entry_with_nonce(self, key_id: str, nonce: str) -> EntryRow | None:
        rows = self._state.entries
        return next((r for r in rows if (r.key_id, r.nonce) == (key_id, nonce)), None)

    async def nodes(self, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
        found = self._state.nodes
        return {node: found[node] for node in ids if node in found}

    async def checkpoint(self, size: int | None = None) -> CheckpointRow | None:
        if size is None:
            sizes = self._state.checkpoints
            return sizes[max(sizes)] if sizes else None
        return self._state.checkpoints.get(size)

    async def checkpoints(self, start_size: int, limit: int) -> list[CheckpointRow]:
        chosen = sorted(s for s in self._state.checkpoints if s >= start_size)[:limit]
        return [self._state.checkpoints[s] for s in chosen]


class _MemoryTransaction(_MemoryReader):
    def __init__(self, state: _MemoryState) -> None:
        super().__init__(state)
        self._entries: list[EntryRow] = []
        self._nodes: list[tuple[NodeID, bytes]] = []
        self._checkpoints: list[CheckpointRow] = []

    async def seen_nonces(self, pairs: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        return {pair for pair in pairs if pair in self._state.nonces}

    def append(self, entries: Sequence[EntryRow], nodes: Sequence[tuple[NodeID, bytes]]) -> None:
        self._entries.extend(entries)
        self._nodes.extend(nodes)

    def add_checkpoint(self, checkpoint: CheckpointRow) -> None:
        self._checkpoints.append(checkpoint)

    @property
    def connection(self) -> Any:
        return None

    def commit(self) -> None:
        state = self._state
        first = len(state.entries)
        for offset, row in enumerate(self._entries):
            if row.seq != first + offset:
                raise StoreError(f"entry {row.seq} does not follow the log's end {first + offset}")
            if (row.key_id, row.nonce) in state.nonces:
                raise StoreError(f"nonce of entry {row.seq} was used before")
        for node, _ in self._nodes:
            if node in state.nodes:
                raise StoreError(f"tree node {node} exists already")
        for cp in self._checkpoints:
            if cp.size in state.checkpoints:
                raise StoreError(f"a checkpoint at size {cp.size} exists already")
        state.entries.extend(self._entries)
        state.nodes.update(self._nodes)
        state.nonces.update((row.key_id, row.nonce) for row in self._entries)
        state.checkpoints.update((cp.size, cp) for cp in self._checkpoints)


class MemoryLogStore(_MemoryReader):
    """A log held in process memory; transactions are serialised by an ``asyncio.Lock``."""

    def __init__(self) -> None:
        super().__init__(_MemoryState())
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_MemoryTransaction]:
        async with self._lock:
            tx = _MemoryTransaction(self._state)
            yield tx
            tx.commit()

    async def close(self) -> None:
        return None
