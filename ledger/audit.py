"""Audit a whole log, offline from a store or online over HTTP, and name the first fault.

The audit re-hashes every entry (exact canonical bytes), checks that entry ``i`` holds
``seq == i``, rebuilds the RFC 9162 tree, replays the member registry and checks every
statement's Ed25519 signature against the key registered and active at that entry, checks
every checkpoint's note signature, origin and root, and checks that each checkpoint is
consistent with the one before.

Entries are read in chunks. The member registry is advanced in order in this process (its
entries are few); the CPU work of each chunk (``ledger.audit_chunk``) then runs in two
workers, each on one half of the chunk, while the next chunk is read: threads for short
logs, processes for long ones. From an SQLite store this process reads only the entries the
registry needs (entry 0 and those whose bytes name a member kind) and each worker reads its
own half.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from ledger.audit_chunk import (
    Fault,
    Job,
    JobResult,
    KeyTimeline,
    NoteRow,
    Row,
    SqliteEntries,
    check_job,
    checkpoint_fault,
    consecutive,
    entry_fault,
)
from ledger.audit_http import HttpSource
from ledger.audit_state import AuditState, Source
from ledger.cosignature import CosignerVerifier
from ledger.errors import AuditError, InvalidProofError, LedgerError
from ledger.members import MEMBER_KINDS, Registry
from ledger.merkle import verify_consistency
from ledger.note import NoteVerifier
from ledger.sql import SqlLogStore
from ledger.statement import Entry
from ledger.store import LogReader
from ledger.tree import consistency_nodes, consistency_proof

ProgressFn = Callable[[int, int], None]
"""Called as ``progress(entries_done, entries_total)`` after each chunk."""

CHUNK = 4000
WORKERS = 2
PROCESSES_FROM = 10_000
"""Logs at least this long are checked in worker processes; shorter ones in threads."""

_NODE_BATCH = 200
_MEMBER_MARK, _INIT_MARK = b'"kind":"member.', b'"kind":"log.initialised"'
_MARKS = (_MEMBER_MARK, _INIT_MARK)


@dataclass(frozen=True)
class AuditReport:
    """What a clean audit covered."""

    origin: str
    size: int
    checkpoints: int
    root: bytes
    members: int
    log_key: str

    def summary(self) -> str:
        """One line: ``audit ok: N entries, M checkpoints, root <hex>``."""
        entries = f"{self.size} {'entry' if self.size == 1 else 'entries'}"
        checkpoints = f"{self.checkpoints} checkpoint{'' if self.checkpoints == 1 else 's'}"
        return f"audit ok: {entries}, {checkpoints}, root {self.root.hex()}"


class StoreSource:
    """Reads a ``LogReader``: every stored checkpoint, proofs from stored subtree hashes."""

    def __init__(self, reader: LogReader, entries: SqliteEntries | None = None) -> None:
        self.reader = reader
        self._shared = entries

    def shared_entries(self) -> SqliteEntries | None:
        return self._shared

    async def head(self, verifier: NoteVerifier, origin: str) -> NoteRow:
        latest = await self.reader.checkpoint()
        if latest is None:
            raise AuditError("the log has no checkpoint; it was never initialised")
        return NoteRow(latest.size, latest.root, latest.note)

    async def entries(self, start: int, end: int) -> list[Row]:
        return [
            Row(r.seq, r.data, (r.leaf_hash, r.kind, r.key_id, r.nonce, r.logged_at))
            for r in await self.reader.entries(start, end)
        ]

    async def checkpoints(self, first: int, last: int) -> list[NoteRow]:
        found: list[NoteRow] = []
        while True:
            page = await self.reader.checkpoints(first, 1000)
            found.extend(NoteRow(c.size, c.root, c.note) for c in page if c.size <= last)
            if len(page) < 1000 or page[-1].size >= last:
                return found
            first = page[-1].size + 1

    async def consistency(self, pairs: Sequence[tuple[int, int]]) -> list[list[bytes] | None]:
        proofs: list[list[bytes] | None] = []
        for i in range(0, len(pairs), _NODE_BATCH):
            batch = pairs[i : i + _NODE_BATCH]
            nodes = await self.reader.nodes({n for a, b in batch for n in consistency_nodes(a, b)})
            for a, b in batch:
                try:
                    proofs.append(consistency_proof(a, b, nodes))
                except KeyError:
                    proofs.append(None)
        return proofs

    async def tail(self, state: AuditState) -> Fault | None:
        size = await self.reader.size()
        latest = await self.reader.checkpoint()
        covered = 0 if latest is None else latest.size
        if size > covered:
            return entry_fault(covered, "is not covered by any signed checkpoint")
        return None


# --- The audit, chunk by chunk -----------------------------------------------------------------


@dataclass
class _Chunk:
    start: int
    end: int
    rows: list[Row]
    notes: list[NoteRow]
    faults: list[Fault]
    results: list[asyncio.Future[JobResult]] = field(default_factory=list)


async def run_audit(
    source: Source,
    *,
    origin: str,
    log_verifier: NoteVerifier,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
    resume: AuditState | None = None,
) -> AuditReport:
    """Audit everything ``source`` serves up to its head; raise ``AuditError`` at a fault.

    With ``resume`` (what an earlier audit knew, its ``head`` the checkpoint to reach now),
    only the entries from ``resume.frontier.size`` on are read and checked.
    """
    if resume is None:
        head = await source.head(log_verifier, origin)
        state = AuditState(origin=origin, verifier=log_verifier, head=head)
    else:
        state, head = resume, resume.head
    pool = executor or _default_executor(head.size - state.frontier.size)
    try:
        await _run_chunks(source, state, pool, progress)
    finally:
        if executor is None:
            pool.shutdown(wait=True, cancel_futures=True)
        shared = source.shared_entries()
        if shared is not None:
            shared.close()  # this thread's; the workers' close as they end
    fault = await source.tail(state)
    if fault is not None:
        raise AuditError(fault.message)
    return AuditReport(
        origin=origin,
        size=head.size,
        checkpoints=state.checkpoints,
        root=state.frontier.root(),
        members=len(state.registry.members),
        log_key=log_verifier.vkey(),
    )


def _default_executor(size: int) -> Executor:
    """Threads for short logs; for long ones processes, which do not share the GIL."""
    if size < PROCESSES_FROM:
        return ThreadPoolExecutor(WORKERS, thread_name_prefix="coopledger-audit")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ledger.audit_chunk"])
    return ProcessPoolExecutor(WORKERS, mp_context=context)


async def _run_chunks(
    source: Source, state: AuditState, pool: Executor, progress: ProgressFn | None
) -> None:
    """Read chunk i + 1 and start its workers while chunk i is being finished."""
    size = state.head.size
    bounds = [(s, min(s + CHUNK, size)) for s in range(state.frontier.size, size, CHUNK)]
    if not bounds:
        return
    pending: _Chunk | None = None
    fetch = asyncio.ensure_future(_read_chunk(source, *bounds[0]))
    try:
        for i in range(len(bounds)):
            chunk = await fetch
            if i + 1 < len(bounds):
                fetch = asyncio.ensure_future(_read_chunk(source, *bounds[i + 1]))
            _start_chunk(source, state, chunk, pool)
            if pending is not None:
                await _finish_chunk(source, state, pending, progress)
            pending = chunk
        if pending is not None:
            await _finish_chunk(source, state, pending, progress)
    finally:
        if not fetch.done():
            fetch.cancel()


async def _read_chunk(source: Source, start: int, end: int) -> _Chunk:
    notes = await source.checkpoints(start + 1, end)
    shared = source.shared_entries()
    if shared is not None:  # the workers read the rest, and name a missing entry
        return _Chunk(start, end, shared.marked(start, end, _MARKS), notes, [])
    rows, missing = consecutive(await source.entries(start, end), start, end)
    return _Chunk(start, end, rows, notes, [] if missing is None else [missing])


def _start_chunk(source: Source, state: AuditState, chunk: _Chunk, pool: Executor) -> None:
    """Replay the chunk's member entries in order, then hand its CPU work to the workers."""
    if state.replay_fault is None:
        state.replay_fault = _replay(state, chunk.rows)
        if state.replay_fault is not None:
            chunk.faults.append(state.replay_fault)
    keys = _timeline(state.registry)
    vkey = state.verifier.vkey()
    loop = asyncio.get_running_loop()
    shared, rows = source.shared_entries(), chunk.rows
    start, size = chunk.start, chunk.end - chunk.start
    for w in range(WORKERS):
        notes = chunk.notes[w::WORKERS]
        if shared is not None:
            bounds = (start + w * size // WORKERS, start + (w + 1) * size // WORKERS)
            job = Job.reading(state.origin, vkey, keys, shared, bounds, notes)
        else:
            share = rows[w * len(rows) // WORKERS : (w + 1) * len(rows) // WORKERS]
            job = Job.of(state.origin, vkey, keys, share, notes)
        chunk.results.append(asyncio.wrap_future(pool.submit(check_job, job), loop=loop))


def _replay(state: AuditState, rows: Sequence[Row]) -> Fault | None:
    """Fold ``log.initialised`` and ``member.*`` entries into the registry, in order.

    In canonical bytes these statements always hold ``"kind":"member.`` or
    ``"kind":"log.initialised"``, so other entries need no parsing here; an entry that is
    not canonical is a fault of its own, found by the workers.
    """
    for row in rows:
        data = row.data
        if row.seq != 0 and _MEMBER_MARK not in data and _INIT_MARK not in data:
            continue
        try:
            entry = Entry.parse(row.data)
        except LedgerError as e:
            return entry_fault(row.seq, f"not a well-formed entry: {e}")
        kind = entry.statement.kind
        if row.seq == 0 and kind != "log.initialised":
            return entry_fault(0, f"is {kind}, not log.initialised")
        if kind in MEMBER_KINDS:
            try:
                _replay_one(state, entry)
            except LedgerError as e:
                return entry_fault(row.seq, str(e))
    return None


def _replay_one(state: AuditState, entry: Entry) -> None:
    registry, signed = state.registry, entry.signed
    if signed.statement.kind == "log.initialised":
        registry.check(signed, None)
        if signed.statement.body.get("log_key") != state.verifier.vkey():
            raise AuditError("names a log key other than the one the audit was given")
    else:
        key = registry.key(signed.statement.key_id)
        signed.verify_with(key.public_key)
        registry.check(signed, key)
    registry.apply(entry)


def _timeline(registry: Registry) -> KeyTimeline:
    """Each key's period: from the entry after it was added (entry 0's key signs entry 0)."""
    return {
        key_id: (r.public_key, r.added_seq + 1 if r.added_seq else 0, r.retired_seq)
        for key_id, r in registry.keys.items()
    }


async def _finish_chunk(
    source: Source, state: AuditState, chunk: _Chunk, progress: ProgressFn | None
) -> None:
    """Rebuild the tree over the chunk, check its checkpoints, and raise the first fault."""
    results = await asyncio.gather(*chunk.results)
    faults = list(chunk.faults)
    for result in results:
        faults.extend(result.note_faults)
        if result.fault is not None:
            faults.append(result.fault)
    leaves = [leaf for r in results for leaf in r.leaves]
    faults.extend(_replays(state, chunk.start, [pair for r in results for pair in r.nonces]))
    if leaves:
        state.first_leaf = state.first_leaf or leaves[0]
        state.last_leaf = leaves[-1]
    bad_notes = {f.position[0] + 1 for r in results for f in r.note_faults}
    faults.extend(await _check_checkpoints(source, state, chunk.notes, bad_notes, leaves))
    if faults:
        raise AuditError(min(faults).message)
    if progress is not None:
        progress(chunk.end, state.head.size)


def _replays(state: AuditState, start: int, nonces: list[str]) -> list[Fault]:
    """The first entry that repeats a ``(key_id, nonce)`` pair accepted before, if any."""
    seen = state.nonces
    for offset, pair in enumerate(nonces):
        if not pair:
            continue
        if pair in seen:
            key_id, nonce = pair.split(" ")
            return [entry_fault(start + offset, f"repeats nonce {nonce} of key {key_id}")]
        seen.add(pair)
    return []


async def _check_checkpoints(
    source: Source,
    state: AuditState,
    notes: list[NoteRow],
    bad: set[int],
    leaves: list[bytes],
) -> list[Fault]:
    """Compare each signed root with the rebuilt one; check consistency with the previous."""
    faults: list[Fault] = []
    frontier, pending = state.frontier, iter(leaves)
    pairs: list[tuple[NoteRow, NoteRow]] = []
    for note in notes:
        while frontier.size < note.size and (leaf := next(pending, None)) is not None:
            frontier.append(leaf)
        if note.size in bad or frontier.size < note.size:
            continue
        if note.root != frontier.root():
            faults.append(checkpoint_fault(note.size, "its root is not the root of the entries"))
            continue
        if state.previous is not None:
            pairs.append((state.previous, note))
        state.previous = note
        state.checkpoints += 1
    for leaf in pending:
        frontier.append(leaf)
    proofs = await source.consistency([(a.size, b.size) for a, b in pairs])
    for (a, b), path in zip(pairs, proofs, strict=True):
        try:
            if path is None:
                raise InvalidProofError("stored subtree hashes are missing")
            verify_consistency(size1=a.size, size2=b.size, root1=a.root, root2=b.root, path=path)
        except InvalidProofError as e:
            faults.append(checkpoint_fault(b.size, f"not consistent with checkpoint {a.size}: {e}"))
    return faults


async def audit_store(
    reader: LogReader,
    *,
    origin: str,
    log_verifier: NoteVerifier,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
) -> AuditReport:
    """Audit the log in ``reader`` against its configured ``origin`` and log key.

    Checks every entry and every stored checkpoint (see the module docstring), and that no
    entry lies beyond the latest checkpoint. Returns an ``AuditReport``; raises
    ``AuditError`` naming the first bad entry or checkpoint.
    """
    return await run_audit(
        StoreSource(reader, _shared_entries(reader)),
        origin=origin,
        log_verifier=log_verifier,
        progress=progress,
        executor=executor,
    )


def _shared_entries(reader: LogReader) -> SqliteEntries | None:
    """The SQLite file ``reader`` keeps its entries in, for workers to read themselves."""
    path = reader.sqlite_path if isinstance(reader, SqlLogStore) else None
    return None if path is None else SqliteEntries(str(path.resolve()))


async def audit_url(
    client: httpx.AsyncClient,
    base_url: str,
    *,
    log_verifier: NoteVerifier | None = None,
    origin: str | None = None,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
    witnesses: Sequence[CosignerVerifier] = (),
    quorum: int = 0,
) -> AuditReport:
    """Audit the log served at ``base_url`` through its transparency endpoints.

    Without ``log_verifier`` the key served at ``/log/key`` is used (it must still be the
    one in entry 0); ``origin`` defaults to the key's name. Audits up to the checkpoint
    served first, spot-checks served inclusion proofs, and checks that the checkpoint
    served last is consistent with it. With a ``quorum``, audits up to the latest witnessed
    checkpoint served, refusing it unless ``quorum`` of ``witnesses`` cosigned it. Raises
    ``AuditError`` naming the first fault; ``httpx.HTTPError`` when the server cannot be
    reached.
    """
    source = HttpSource(client, base_url, witnesses=witnesses, quorum=quorum)
    verifier = log_verifier or await source.key()
    return await run_audit(
        source,
        origin=origin or verifier.name,
        log_verifier=verifier,
        progress=progress,
        executor=executor,
    )
