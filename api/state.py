"""What the API shares between requests: the ledger, the engine, tokens, limits and feeds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from api.auth import Auditor, Tokens
from api.settings import ApiSettings
from governance.seal import SealKeyStore
from ledger.config import LedgerConfig
from ledger.log import LogView
from ledger.members import MEMBER_KINDS, KeyRecord, Registry
from ledger.service import Ledger
from ledger.signing import KeyID
from ledger.sql import Engine, SqlLogStore
from ledger.statement import Entry
from ledger.store import CheckpointRow

log = logging.getLogger(__name__)


class RegistryView:
    """Members and keys as the store holds them.

    Several processes append to one database, so the sequencer's own registry may lag
    behind entries another process wrote; reads and logins use this view instead. It
    catches up when this process has appended more than it has seen (``local_size``), and
    otherwise at most every ``refresh`` seconds or when asked for a ``fresh`` one.

    One catch-up runs at a time, and every request that needs it awaits that same task: they
    all go on together when it ends, rather than one per turn of the event loop behind a
    lock (which, under load, held the last of them up for tens of milliseconds).
    """

    def __init__(
        self, store: SqlLogStore, *, local_size: Callable[[], int], refresh: float = 1.0
    ) -> None:
        self._store = store
        self._local_size = local_size
        self._refresh_after = refresh
        self._registry = Registry()
        self._checked = float("-inf")
        """When the last finished catch-up began."""
        self._task: asyncio.Task[None] | None = None

    async def current(self, *, fresh: bool = False) -> Registry:
        """The registry; ``fresh`` catches up with the store now rather than on schedule."""
        if self._stale(fresh):
            asked = time.monotonic()
            while self._checked < asked and self._stale(fresh):
                await asyncio.shield(self._catching_up())
        return self._registry

    def _stale(self, fresh: bool) -> bool:
        return (
            fresh
            or time.monotonic() - self._checked > self._refresh_after
            or self._local_size() > self._registry.size
        )

    def _catching_up(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._catch_up(), name="coopledger-registry")
        return self._task

    async def _catch_up(self) -> None:
        began = time.monotonic()
        registry = self._registry
        size = await self._store.size()
        if size > registry.size:
            for row in await self._store.entries_of_kinds(MEMBER_KINDS, registry.size):
                if row.seq < size:
                    registry.apply(Entry.parse(row.data))
            registry.size = size
        self._checked = began


class CheckpointFeed:
    """The newest checkpoint, polled from the store while anyone subscribes to it."""

    def __init__(self, store: SqlLogStore, *, poll: float) -> None:
        self._store = store
        self._poll = poll
        self._latest: CheckpointRow | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._subscribers = 0

    async def updates(self) -> AsyncIterator[CheckpointRow]:
        """The latest checkpoint now, then each newer one as it appears."""
        self._subscribers += 1
        try:
            if self._task is None or self._task.done():
                self._latest = await self._store.checkpoint()
                self._task = asyncio.create_task(self._run(), name="coopledger-checkpoints")
            seen = -1
            while True:
                changed = self._changed
                latest = self._latest
                if latest is not None and latest.size != seen:
                    seen = latest.size
                    yield latest
                    continue
                await changed.wait()
        finally:
            self._subscribers -= 1

    async def _run(self) -> None:
        while self._subscribers > 0:
            await asyncio.sleep(self._poll)
            try:
                row = await self._store.checkpoint()
            except Exception:  # the database went away for a moment: try again
                log.exception("polling the latest checkpoint failed")
                continue
            if row is not None and (self._latest is None or row.size > self._latest.size):
                self._latest = row
                changed, self._changed = self._changed, asyncio.Event()
                changed.set()

    async def close(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class ApiState:
    """Everything a request handler needs, made once in the app's lifespan.

    ``store`` reads through the API's own engine (a fixed pool, apart from the sequencer's
    writer), so a burst of reads neither waits for nor starves the writer; off-log writes
    (personal data, texts) go through ``write_engine``, the ledger's.
    """

    ledger: Ledger
    store: SqlLogStore
    write_engine: Engine
    config: LedgerConfig
    settings: ApiSettings
    tokens: Tokens
    auditors: dict[KeyID, Auditor]
    registry: RegistryView
    feed: CheckpointFeed
    seal_keys: SealKeyStore
    started: float = field(default_factory=time.time)

    @property
    def engine(self) -> Engine:
        """The engine every resolver opens its own short connection from, for reading."""
        return self.store.engine

    @property
    def view(self) -> LogView:
        """Checkpoints, entries and proofs, read through the API's engine."""
        return LogView(self.store)

    @property
    def origin(self) -> str:
        """The log's origin."""
        return self.ledger.origin

    async def key(self, key_id: KeyID) -> KeyRecord | None:
        """A signer's key as the store holds it (the ledger's ``keys`` lookup): a key another
        process admitted just now is looked for again before it is called unknown."""
        registry = await self.registry.current()
        if key_id not in registry.keys:
            registry = await self.registry.current(fresh=True)
        return registry.keys.get(key_id)
