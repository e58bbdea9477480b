"""Sequencing with group commit: many submissions, one transaction, one fsync, one checkpoint.

Submitters hand a parsed ``SignedStatement`` to ``Sequencer.submit`` and wait. One task takes
whatever is waiting as a batch and, for each batch:

1. starts checking the Ed25519 signatures by keys already known, in two worker threads
   (PyNaCl releases the GIL), while it
2. opens one write transaction (which holds the log's single-writer lock), catches up with
   entries other processes appended and looks up the batch's nonces; then
3. refuses replays and rule breaches one statement at a time, appends the rest with their
   tree nodes and one signed checkpoint, and commits.

A submitter's future is resolved only after the commit returns, so an acknowledged entry is
durable. A statement refused inside a batch leaves the others untouched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.errors import (
    InvalidSignatureError,
    ReplayedNonceError,
    RuleError,
    StatementError,
)
from ledger.members import MEMBER_KINDS, KeyRecord, Registry
from ledger.note import NoteSigner
from ledger.signing import STATEMENT_DOMAIN, decode_public_key, verify
from ledger.statement import Entry, SignedStatement
from ledger.store import CheckpointRow, EntryRow, LogStore, LogTransaction
from ledger.tree import Frontier

log = logging.getLogger(__name__)

MAX_BATCH = 1000
"""The most statements committed in one transaction."""

_PARALLEL_VERIFY_FROM = 32


@dataclass(frozen=True)
class Receipt:
    """What a submitter gets back: the entry and the checkpoint that first includes it."""

    entry: Entry
    checkpoint: CheckpointRow


class Context:
    """What a handler sees while a batch is being sequenced."""

    def __init__(self, tx: LogTransaction, registry: Registry, now: datetime) -> None:
        self.tx = tx
        self.registry = registry
        self.now = now
        self.scratch: dict[str, Any] = {}


class Handler(Protocol):
    """Checks and projects the statement kinds of one domain (members, credits, governance)."""

    kinds: frozenset[str]

    async def check(self, ctx: Context, signed: SignedStatement, key: KeyRecord) -> None:
        """Refuse ``signed`` with a ``StatementError`` or ``RuleError``, writing nothing."""

    async def apply(self, ctx: Context, entry: Entry, key: KeyRecord) -> None:
        """Project an accepted entry (in the same transaction as its append)."""


@dataclass
class _Item:
    signed: SignedStatement
    future: asyncio.Future[Receipt]
    verified_key: bytes | None = None


@dataclass
class _Accepted:
    item: _Item
    entry: Entry


@dataclass
class _Batch:
    accepted: list[_Accepted] = field(default_factory=list)
    rows: list[EntryRow] = field(default_factory=list)
    nodes: list[tuple[tuple[int, int], bytes]] = field(default_factory=list)


def _verify_all(items: Sequence[_Item], keys: Sequence[bytes | None]) -> list[Exception | None]:
    results: list[Exception | None] = []
    for item, key in zip(items, keys, strict=True):
        if key is None:
            results.append(None)
            continue
        try:
            verify(
                public_key=key,
                signature=item.signed.signature,
                message=STATEMENT_DOMAIN + item.signed.canonical,
            )
            item.verified_key = key
            results.append(None)
        except InvalidSignatureError as e:
            results.append(e)
    return results


class Sequencer:
    """The single writer of one process; see the module docstring."""

    def __init__(
        self,
        store: LogStore,
        *,
        origin: str,
        log_signer: NoteSigner,
        handlers: Sequence[Handler],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.origin = origin
        self.log_signer = log_signer
        self.clock = clock
        self._handlers = {kind: h for h in handlers for kind in h.kinds}
        self._registry = Registry()
        self._frontier = Frontier.empty()
        self._inbox: asyncio.Queue[_Item] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def registry(self) -> Registry:
        """The registry as of the last commit this process made or saw."""
        return self._registry

    async def start(self) -> None:
        """Load the tree's right edge and the registry, then start the pipeline."""
        async with self.store.transaction() as tx:
            await self._catch_up(tx)
        self._tasks = [asyncio.create_task(self._run(), name="coopledger-sequencer")]

    async def stop(self) -> None:
        """Stop the pipeline; waiting submitters get ``asyncio.CancelledError``."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def submit(self, signed: SignedStatement) -> Receipt:
        """Sequence ``signed`` and return once it is durably appended.

        Raises the ``StatementError`` or ``RuleError`` that refused it; nothing is appended.
        """
        if not self._tasks:
            raise RuntimeError("the sequencer is not running")
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(_Item(signed, future))
        return await future

    async def _run(self) -> None:
        while True:
            items = [await self._inbox.get()]
            while len(items) < MAX_BATCH and not self._inbox.empty():
                items.append(self._inbox.get_nowait())
            verification = asyncio.ensure_future(self._verify(items))
            await self._commit(items, verification)

    async def _verify(self, items: list[_Item]) -> None:
        """Check signatures by keys already known, in worker threads, failing bad ones."""
        keys = [self._known_key(item) for item in items]
        if len(items) < _PARALLEL_VERIFY_FROM:
            results = await asyncio.to_thread(_verify_all, items, keys)
        else:
            half = len(items) // 2
            first, second = await asyncio.gather(
                asyncio.to_thread(_verify_all, items[:half], keys[:half]),
                asyncio.to_thread(_verify_all, items[half:], keys[half:]),
            )
            results = first + second
        for item, error in zip(items, results, strict=True):
            if error is not None and not item.future.done():
                item.future.set_exception(error)

    def _known_key(self, item: _Item) -> bytes | None:
        record = self._registry.keys.get(item.signed.statement.key_id)
        return None if record is None else record.public_key

    async def _commit(self, items: list[_Item], verification: asyncio.Future[None]) -> None:
        try:
            batch, frontier, checkpoint = await self._sequence(items, verification)
        except Exception as e:  # the transaction rolled back: nothing was appended
            verification.cancel()
            log.exception("batch of %d rolled back", len(items))
            self._registry, self._frontier = Registry(), Frontier.empty()
            for item in items:
                if not item.future.done():
                    item.future.set_exception(e)
            return
        self._frontier = frontier
        for accepted in batch.accepted:
            if not accepted.item.future.done():
                accepted.item.future.set_result(Receipt(accepted.entry, checkpoint))

    async def _sequence(
        self, items: list[_Item], verification: asyncio.Future[None]
    ) -> tuple[_Batch, Frontier, CheckpointRow]:
        async with self.store.transaction() as tx:
            await self._catch_up(tx)
            registry, frontier = self._registry, self._frontier.copy()
            ctx = Context(tx, registry, self.clock())
            seen = await tx.seen_nonces(
                [(i.signed.statement.key_id, i.signed.statement.nonce) for i in items]
            )
            await verification
            batch = _Batch()
            for item in items:
                if not item.future.done():
                    await self._sequence_one(ctx, frontier, item, seen, batch)
            checkpoint = self._checkpoint(frontier)
            if batch.accepted:
                tx.append(batch.rows, batch.nodes)
                tx.add_checkpoint(checkpoint)
        registry.size = frontier.size
        return batch, frontier, checkpoint

    async def _sequence_one(
        self,
        ctx: Context,
        frontier: Frontier,
        item: _Item,
        seen: set[tuple[str, str]],
        batch: _Batch,
    ) -> None:
        statement = item.signed.statement
        pair = (statement.key_id, statement.nonce)
        try:
            if pair in seen:
                raise ReplayedNonceError(f"nonce {statement.nonce} was used by this key before")
            key = self._admissible_key(ctx.registry, item)
            await self._handlers[statement.kind].check(ctx, item.signed, key)
        except (StatementError, RuleError, InvalidSignatureError) as e:
            item.future.set_exception(e)
            return
        except LookupError as e:
            item.future.set_exception(StatementError(f"no handler for {statement.kind}: {e}"))
            return
        seen.add(pair)
        entry = Entry.build(seq=frontier.size, logged_at=ctx.now, signed=item.signed)
        batch.nodes.extend(frontier.append(entry.leaf_hash))
        batch.rows.append(_row(entry))
        await self._handlers[statement.kind].apply(ctx, entry, key)
        batch.accepted.append(_Accepted(item, entry))

    def _admissible_key(self, registry: Registry, item: _Item) -> KeyRecord:
        statement = item.signed.statement
        if statement.kind == "log.initialised" and not registry.members:
            return _bootstrap_key(item.signed)
        key = registry.key(statement.key_id)
        if item.verified_key != key.public_key:
            item.signed.verify_with(key.public_key)
        return key

    def _checkpoint(self, frontier: Frontier) -> CheckpointRow:
        body = Checkpoint(origin=self.origin, size=frontier.size, root=frontier.root())
        note = sign_checkpoint(body, self.log_signer)
        return CheckpointRow(size=body.size, root=body.root, note=note)

    async def _catch_up(self, tx: LogTransaction) -> None:
        """Bring the frontier and registry up to the store's size (other writers, restarts)."""
        size = await tx.size()
        if size == self._frontier.size and size == self._registry.size:
            return
        self._frontier = Frontier.load(size, await tx.nodes(Frontier.nodes_for(size)))
        registry = self._registry if self._registry.size <= size else Registry()
        self._registry = Registry()  # if the replay below fails, start afresh next time
        for row in await tx.entries_of_kinds(MEMBER_KINDS, registry.size):
            registry.apply(Entry.parse(row.data))
        registry.size = size
        self._registry = registry


def _bootstrap_key(signed: SignedStatement) -> KeyRecord:
    public_key = decode_public_key(str(signed.statement.body.get("public_key", "")))
    return KeyRecord(
        key_id=signed.statement.key_id,
        member=str(signed.statement.body.get("member", "")),
        public_key=public_key,
        added_seq=0,
    )


def _row(entry: Entry) -> EntryRow:
    return EntryRow(
        seq=entry.seq,
        leaf_hash=entry.leaf_hash,
        data=entry.data,
        kind=entry.statement.kind,
        key_id=entry.statement.key_id,
        nonce=entry.statement.nonce,
        logged_at=entry.logged_at,
    )
