"""Sequencing with group commit: many submissions, one transaction, one fsync, one checkpoint.

Submitters hand a parsed ``SignedStatement`` to ``Sequencer.submit`` and wait. One task takes
whatever is waiting as a batch and, for each batch:

1. opens one write transaction (which holds the log's single-writer lock) and, in one read,
   gets the log's size and which of the batch's nonces were used before;
2. hands the Ed25519 signatures by keys already known to two worker threads in chunks
   (PyNaCl releases the GIL), and catches up with entries other processes appended;
3. as each chunk's signatures come back, refuses replays and rule breaches one statement at
   a time and builds the others' entries and tree nodes, while the workers check the next
   chunks; then appends the entries with one signed checkpoint, and commits.

A submitter's future is resolved only after the commit returns, so an acknowledged entry is
durable. A statement refused inside a batch leaves the others untouched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.encoding import format_time
from ledger.errors import (
    InvalidSignatureError,
    ReplayedNonceError,
    RuleError,
    StatementError,
    StoreFullError,
    StoreUnavailableError,
    UnknownKindError,
)
from ledger.members import MEMBER_KINDS, KeyRecord, Registry
from ledger.note import NoteSigner
from ledger.signing import decode_public_key
from ledger.statement import Entry, SignedStatement
from ledger.store import CheckpointRow, EntryRow, LogStore, LogTransaction
from ledger.tree import Frontier

log = logging.getLogger(__name__)

MAX_BATCH = 1000
"""The most statements committed in one transaction."""

VERIFY_THREADS = 2
_FIRST_CHUNK = 4
_VERIFY_CHUNK = 8
"""Signatures per job: small enough that sequencing starts soon after the batch is taken."""


@dataclass(frozen=True)
class Receipt:
    """What a submitter gets back: the entry and the checkpoint that first includes it."""

    entry: Entry
    checkpoint: CheckpointRow


class Context:
    """What a handler sees while a batch is being sequenced.

    A handler may defer projection writes (``defer``) to write many rows at once; the
    sequencer runs them (``flush``) before the batch commits, and a handler that reads what
    it deferred flushes first.
    """

    def __init__(self, tx: LogTransaction, registry: Registry, now: datetime) -> None:
        self.tx = tx
        self.registry = registry
        self.now = now
        self.stamp = format_time(now)
        """``now`` as entries carry it."""
        self.scratch: dict[str, Any] = {}
        self._deferred: dict[str, Callable[[], Awaitable[None]]] = {}

    def defer(self, name: str, write: Callable[[], Awaitable[None]]) -> None:
        """Run ``write`` at the next ``flush`` (once per ``name``, however often deferred)."""
        self._deferred.setdefault(name, write)

    async def flush(self) -> None:
        """Run every deferred write, in the order first deferred."""
        while self._deferred:
            name = next(iter(self._deferred))
            await self._deferred.pop(name)()


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


@dataclass
class _Accepted:
    item: _Item
    entry: Entry


class _Verification:
    """A batch's signatures by keys already known, checked in worker threads chunk by chunk.

    The first chunk is small, so that sequencing can start soon; results come back in order.
    """

    def __init__(self, sequencer: Sequencer, items: list[_Item]) -> None:
        self._sequencer = sequencer
        self._items = items
        self._checks: list[tuple[int, asyncio.Future[list[Exception | None]]]] = []

    def start(self) -> None:
        """Hand the chunks to the worker threads."""
        pool = self._sequencer.verifier()
        loop = asyncio.get_running_loop()
        items, start = self._items, 0
        while start < len(items):
            end = min(len(items), start + (_FIRST_CHUNK if start == 0 else _VERIFY_CHUNK))
            chunk = items[start:end]
            keys = [self._sequencer.known_key(item) for item in chunk]
            job = asyncio.wrap_future(pool.submit(_verify_all, chunk, keys), loop=loop)
            self._checks.append((end, job))
            start = end

    async def chunks(self) -> AsyncIterator[list[_Item]]:
        """Each chunk once checked, in order; a bad signature fails that item's future."""
        done = 0
        for end, check in self._checks:
            chunk = self._items[done:end]
            for item, error in zip(chunk, await check, strict=True):
                if error is not None and not item.future.done():
                    item.future.set_exception(error)
            yield chunk
            done = end

    def cancel(self) -> None:
        """Drop chunks not yet checked."""
        for _, check in self._checks:
            check.cancel()


@dataclass
class _Batch:
    accepted: list[_Accepted] = field(default_factory=list)
    rows: list[EntryRow] = field(default_factory=list)
    nodes: list[tuple[tuple[int, int], bytes]] = field(default_factory=list)
    by_pair: dict[tuple[str, str], _Accepted] = field(default_factory=dict)
    resent: list[tuple[_Item, _Accepted]] = field(default_factory=list)
    """Items whose very bytes another item of this batch carries: they share its receipt."""


def _same_bytes(a: SignedStatement, b: SignedStatement) -> bool:
    return a.canonical == b.canonical and a.signature == b.signature


def _verify_all(items: Sequence[_Item], keys: Sequence[bytes | None]) -> list[Exception | None]:
    results: list[Exception | None] = []
    for item, key in zip(items, keys, strict=True):
        if key is None:
            results.append(None)
            continue
        try:
            item.signed.verify_with(key)  # remembered: the loop does not check it again
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
        self._verifier: ThreadPoolExecutor | None = None
        self.listeners: list[Callable[[CheckpointRow], None]] = []
        """Called with each checkpoint this process commits, after the commit (witness
        pushes): each must return at once and never raise."""

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
        if self._verifier is not None:
            self._verifier.shutdown(wait=False, cancel_futures=True)
            self._verifier = None

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
            await self._commit(items, _Verification(self, items))

    def verifier(self) -> ThreadPoolExecutor:
        """The worker threads that check signatures."""
        if self._verifier is None:
            self._verifier = ThreadPoolExecutor(VERIFY_THREADS, "coopledger-verify")
        return self._verifier

    def known_key(self, item: _Item) -> bytes | None:
        """The public key to check the statement's signature against in a worker thread:
        its key ID's, if the registry knows it yet and the signature was not found good for
        that key already (``SignedStatement.verify_with``)."""
        record = self._registry.keys.get(item.signed.statement.key_id)
        if record is None or item.signed.verified_key == record.public_key:
            return None
        return record.public_key

    async def _commit(self, items: list[_Item], verification: _Verification) -> None:
        try:
            batch, frontier, checkpoint = await self._sequence(items, verification)
        except Exception as e:  # the transaction rolled back: nothing was appended
            verification.cancel()
            if isinstance(e, StoreUnavailableError | StoreFullError):  # an outage: one line
                log.warning("batch of %d rolled back: %s", len(items), e)
            else:
                log.exception("batch of %d rolled back", len(items))
            self._registry, self._frontier = Registry(), Frontier.empty()
            for item in items:
                if not item.future.done():
                    item.future.set_exception(e)
            return
        self._frontier = frontier
        if batch.accepted:
            for listener in self.listeners:
                listener(checkpoint)
        resent = [(item, twin.entry) for item, twin in batch.resent]
        for item, entry in [(a.item, a.entry) for a in batch.accepted] + resent:
            if not item.future.done():
                item.future.set_result(Receipt(entry, checkpoint))

    async def _sequence(
        self, items: list[_Item], verification: _Verification
    ) -> tuple[_Batch, Frontier, CheckpointRow]:
        async with self.store.transaction() as tx:
            seen = await tx.seen_nonces(
                [(i.signed.statement.key_id, i.signed.statement.nonce) for i in items]
            )
            # Only now: worker threads running alongside would hold up the two reads above
            # (the driver's thread needs the GIL too), and the reads are quick.
            verification.start()
            await self._catch_up(tx)
            registry, frontier = self._registry, self._frontier.copy()
            ctx = Context(tx, registry, self.clock())
            batch = _Batch()
            async for chunk in verification.chunks():
                for item in chunk:
                    if not item.future.done():
                        await self._sequence_one(ctx, frontier, item, seen, batch)
            await ctx.flush()
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
        handler = self._handlers.get(statement.kind)
        if handler is None:
            item.future.set_exception(
                UnknownKindError(f"this log takes no {statement.kind} statements")
            )
            return
        twin = batch.by_pair.get(pair)
        if twin is not None and _same_bytes(twin.item.signed, item.signed):
            batch.resent.append((item, twin))
            return
        try:
            if pair in seen:
                raise ReplayedNonceError(f"nonce {statement.nonce} was used by this key before")
            key = self._admissible_key(ctx.registry, item)
            await handler.check(ctx, item.signed, key)
        except (StatementError, RuleError, InvalidSignatureError) as e:
            item.future.set_exception(e)
            return
        except Exception as e:  # a fault in a check (which writes nothing) fails only its own
            log.exception("checking entry for %s failed", statement.kind)
            item.future.set_exception(e)
            return
        seen.add(pair)
        entry = Entry.build(seq=frontier.size, logged_at=ctx.stamp, signed=item.signed)
        leaf_hash = entry.leaf_hash
        batch.nodes.extend(frontier.append(leaf_hash))
        batch.rows.append(_row(entry, leaf_hash))
        await handler.apply(ctx, entry, key)
        accepted = _Accepted(item, entry)
        batch.accepted.append(accepted)
        batch.by_pair[pair] = accepted

    def _admissible_key(self, registry: Registry, item: _Item) -> KeyRecord:
        statement = item.signed.statement
        if statement.kind == "log.initialised" and not registry.members:
            return _bootstrap_key(item.signed)
        key = registry.key(statement.key_id)
        item.signed.verify_with(key.public_key)  # at once if a worker or the API checked it
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


def _row(entry: Entry, leaf_hash: bytes) -> EntryRow:
    statement = entry.signed.statement
    return EntryRow(
        entry.seq,
        leaf_hash,
        entry.data,
        statement.kind,
        statement.key_id,
        statement.nonce,
        entry.logged_at,
    )
