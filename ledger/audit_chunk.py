"""The audit's CPU work on one chunk of entries and checkpoints, run in a worker.

Everything here is picklable, so a chunk can be checked in a thread or a process: parse
each entry's exact bytes, check its seq, origin, stored columns and signing key's period of
validity, verify its Ed25519 signature, hash it as a leaf, note its ``(key_id, nonce)``,
and verify checkpoint notes. Faults carry their position in the log so the first one can
be named.

A job carries its entries, or, for a store in an SQLite file, just their range
(``SqliteEntries``): the worker reads them itself, so a million entries' bytes never pass
through the main process and a pipe.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from ledger.checkpoint import verify_checkpoint
from ledger.errors import LedgerError
from ledger.merkle import hash_leaf
from ledger.note import NoteVerifier
from ledger.signing import STATEMENT_DOMAIN
from ledger.statement import Entry


@dataclass(frozen=True, order=True)
class Fault:
    """A fault at entry ``(seq, 0)`` or checkpoint ``(size - 1, 1)``: sorts in log order."""

    position: tuple[int, int]
    message: str = field(compare=False)


def entry_fault(seq: int, message: str) -> Fault:
    """A fault of entry ``seq``."""
    return Fault((seq, 0), f"entry {seq}: {message}")


def consecutive(rows: list[Row], start: int, end: int) -> tuple[list[Row], Fault | None]:
    """``rows`` (read for ``start <= seq < end``) up to the first missing entry, and that
    entry's fault."""
    for offset, row in enumerate(rows):
        if row.seq != start + offset:
            return rows[:offset], entry_fault(start + offset, "is missing")
    if len(rows) < end - start:
        return rows, entry_fault(start + len(rows), "is missing")
    return rows, None


def checkpoint_fault(size: int, message: str) -> Fault:
    """A fault of the checkpoint at tree size ``size`` (it follows entry ``size - 1``)."""
    return Fault((size - 1, 1), f"checkpoint {size}: {message}")


Columns = tuple[bytes, str, str, str, str]
"""Stored columns beside an entry's bytes: leaf hash, kind, key ID, nonce, logged_at."""


class Row(NamedTuple):
    """An entry as read: its position, exact bytes and any stored columns beside them."""

    seq: int
    data: bytes
    columns: Columns | None = None


class NoteRow(NamedTuple):
    """A stored checkpoint: tree size, root column and signed note."""

    size: int
    root: bytes
    note: str


_ENTRIES = (
    "SELECT seq, body, leaf_hash, kind, key_id, nonce, logged_at FROM entries "
    "WHERE seq >= ? AND seq < ? {} ORDER BY seq"
)
_MARKED = "AND (seq = 0 OR instr(body, ?) > 0 OR instr(body, ?) > 0)"
_local = threading.local()


@dataclass(frozen=True)
class SqliteEntries:
    """The entries table of an SQLite store, read with the standard library's driver.

    Whoever holds it reads on a connection of its own thread's (a worker keeps it for the
    audit's length). Stored entries below a checkpoint never change (the table is
    append-only), so every reader sees the same bytes.
    """

    path: str

    def rows(self, start: int, end: int) -> list[Row]:
        """Entries ``start <= seq < end`` with their stored columns, in order."""
        return self._read(_ENTRIES.format(""), (start, end))

    def marked(self, start: int, end: int, marks: Sequence[bytes]) -> list[Row]:
        """Of ``start <= seq < end``: entry 0 and the entries whose bytes hold a mark."""
        first, second = marks
        return self._read(_ENTRIES.format(_MARKED), (start, end, first, second))

    def _read(self, sql: str, args: tuple[object, ...]) -> list[Row]:
        connections: dict[str, sqlite3.Connection] = _local.__dict__.setdefault("open", {})
        conn = connections.get(self.path)
        if conn is None:
            conn = connections[self.path] = sqlite3.connect(self.path)
        return [
            Row(seq, body, (leaf_hash, kind, key_id, nonce, logged_at))
            for seq, body, leaf_hash, kind, key_id, nonce, logged_at in conn.execute(sql, args)
        ]

    def close(self) -> None:
        """Close this thread's connection, if it has one."""
        connections: dict[str, sqlite3.Connection] = _local.__dict__.get("open", {})
        conn = connections.pop(self.path, None)
        if conn is not None:
            conn.close()


class SharedEntries(Protocol):
    """Entries that a worker reads itself (``SqliteEntries``, or an export file's)."""

    def rows(self, start: int, end: int) -> list[Row]:
        """Entries ``start <= seq < end``, in order."""

    def marked(self, start: int, end: int, marks: Sequence[bytes]) -> list[Row]:
        """Of ``start <= seq < end``: entry 0 and the entries whose bytes hold a mark."""

    def close(self) -> None:
        """Release what this thread opened to read them."""


KeyTimeline = dict[str, tuple[bytes, int, int | None]]
"""key_id -> (public key, first seq it may sign, last seq it may sign or ``None``)."""


@dataclass(frozen=True)
class Job:
    """One worker's share of a chunk: consecutive entries from ``first``, as plain lists
    (cheap to send to a worker process), or only their range ``first <= seq < end`` and
    where to read them; and some checkpoints."""

    origin: str
    vkey: str
    keys: KeyTimeline
    first: int
    bodies: Sequence[bytes]
    columns: Sequence[Columns | None]
    notes: Sequence[NoteRow] = ()
    end: int = 0
    entries: SharedEntries | None = None

    @classmethod
    def reading(
        cls,
        origin: str,
        vkey: str,
        keys: KeyTimeline,
        entries: SharedEntries,
        bounds: tuple[int, int],
        notes: Sequence[NoteRow],
    ) -> Job:
        """A job that reads entries ``bounds[0] <= seq < bounds[1]`` from ``entries``."""
        first, end = bounds
        return cls(origin, vkey, keys, first, (), (), notes, end, entries)

    def rows(self) -> tuple[list[Row], Fault | None]:
        """The job's entries, up to the first missing one (which is a fault)."""
        if self.entries is None:
            seqs = range(self.first, self.first + len(self.bodies))
            rows = [Row(*row) for row in zip(seqs, self.bodies, self.columns, strict=True)]
            return rows, None
        return consecutive(self.entries.rows(self.first, self.end), self.first, self.end)

    @classmethod
    def of(
        cls,
        origin: str,
        vkey: str,
        keys: KeyTimeline,
        rows: Sequence[Row],
        notes: Sequence[NoteRow],
    ) -> Job:
        """A job for ``rows``, which must be consecutive."""
        first = rows[0].seq if rows else 0
        bodies = [row.data for row in rows]
        return cls(origin, vkey, keys, first, bodies, [row.columns for row in rows], notes)


@dataclass(frozen=True)
class JobResult:
    """Per row its leaf hash and ``key_id nonce`` ("" if unparsable); the first entry
    fault; every checkpoint fault."""

    leaves: list[bytes]
    nonces: list[str]
    fault: Fault | None
    note_faults: list[Fault]


# --- One job ------------------------------------------------------------------------------------


def check_job(job: Job) -> JobResult:
    """Hash and parse every entry, check them until the first fault, check every note."""
    verify_keys: dict[str, VerifyKey] = {}
    leaves: list[bytes] = []
    nonces: list[str] = []
    rows, missing = job.rows()
    fault: Fault | None = None
    for seq, data, columns in rows:
        leaf = hash_leaf(data)
        leaves.append(leaf)
        try:
            entry = Entry.parse(data)
        except LedgerError as e:
            nonces.append("")
            fault = fault or entry_fault(seq, f"not a well-formed entry: {e}")
            continue
        nonces.append(f"{entry.statement.key_id} {entry.statement.nonce}")
        if fault is None:
            fault = _check_entry(job, seq, columns, entry, leaf, verify_keys)
    verifier = NoteVerifier.from_vkey(job.vkey)
    note_faults = [f for f in (_check_note(job, n, verifier) for n in job.notes) if f]
    return JobResult(leaves, nonces, min(filter(None, (fault, missing)), default=None), note_faults)


def _check_entry(
    job: Job,
    seq: int,
    columns: Columns | None,
    entry: Entry,
    leaf: bytes,
    verify_keys: dict[str, VerifyKey],
) -> Fault | None:
    statement = entry.statement
    if entry.seq != seq:
        return entry_fault(seq, f"holds seq {entry.seq}")
    if statement.origin != job.origin:
        return entry_fault(seq, f"names origin {statement.origin!r}")
    if columns is not None:
        stored = (leaf, statement.kind, statement.key_id, statement.nonce, entry.logged_at)
        if columns != stored:
            return entry_fault(seq, "stored columns do not match the entry bytes")
    timeline = job.keys.get(statement.key_id)
    if timeline is None:
        return entry_fault(seq, f"signed by unregistered key {statement.key_id}")
    public_key, first, last = timeline
    if seq < first or (last is not None and seq > last):
        return entry_fault(seq, f"signed by key {statement.key_id}, not active at this entry")
    verify_key = verify_keys.get(statement.key_id)
    if verify_key is None:
        verify_key = verify_keys[statement.key_id] = VerifyKey(public_key)
    try:
        verify_key.verify(STATEMENT_DOMAIN + entry.signed.canonical, entry.signed.signature)
    except BadSignatureError:
        return entry_fault(seq, "signature does not verify")
    return None


def _check_note(job: Job, row: NoteRow, verifier: NoteVerifier) -> Fault | None:
    try:
        checkpoint = verify_checkpoint(row.note, verifier, origin=job.origin)
    except LedgerError as e:
        return checkpoint_fault(row.size, str(e))
    if checkpoint.size != row.size or checkpoint.root != row.root:
        return checkpoint_fault(row.size, "its note does not match its stored size and root")
    return None
