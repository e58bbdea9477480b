"""The audit's CPU work on one chunk of entries and checkpoints, run in a worker.

Everything here is pure and picklable, so a chunk can be checked in a thread or a process:
parse each entry's exact bytes, check its seq, origin, stored columns and signing key's
period of validity, verify its Ed25519 signature, hash it as a leaf, note its
``(key_id, nonce)``, and verify checkpoint notes. Faults carry their position in the log
so the first one can be named.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, NoReturn

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from ledger.checkpoint import verify_checkpoint
from ledger.encoding import MAX_SAFE_INTEGER, b64decode, parse_time
from ledger.errors import LedgerError
from ledger.merkle import hash_leaf
from ledger.note import NoteVerifier
from ledger.signing import SIGNATURE_SIZE, STATEMENT_DOMAIN
from ledger.statement import MAX_STATEMENT_BYTES, Entry, SignedStatement, Statement


@dataclass(frozen=True, order=True)
class Fault:
    """A fault at entry ``(seq, 0)`` or checkpoint ``(size - 1, 1)``: sorts in log order."""

    position: tuple[int, int]
    message: str = field(compare=False)


def entry_fault(seq: int, message: str) -> Fault:
    """A fault of entry ``seq``."""
    return Fault((seq, 0), f"entry {seq}: {message}")


def checkpoint_fault(size: int, message: str) -> Fault:
    """A fault of the checkpoint at tree size ``size`` (it follows entry ``size - 1``)."""
    return Fault((size - 1, 1), f"checkpoint {size}: {message}")


class Row(NamedTuple):
    """An entry as read: its position, exact bytes and any stored columns beside them."""

    seq: int
    data: bytes
    columns: tuple[bytes, str, str, str, str] | None = None


class NoteRow(NamedTuple):
    """A stored checkpoint: tree size, root column and signed note."""

    size: int
    root: bytes
    note: str


KeyTimeline = dict[str, tuple[bytes, int, int | None]]
"""key_id -> (public key, first seq it may sign, last seq it may sign or ``None``)."""


@dataclass(frozen=True)
class Job:
    """One worker's share of a chunk."""

    origin: str
    vkey: str
    keys: KeyTimeline
    rows: Sequence[Row]
    notes: Sequence[NoteRow] = ()


@dataclass(frozen=True)
class JobResult:
    """Per row its leaf hash and ``key_id nonce`` ("" if unparsable); the first entry
    fault; every checkpoint fault."""

    leaves: list[bytes]
    nonces: list[str]
    fault: Fault | None
    note_faults: list[Fault]


# --- Parsing entries fast, with the core parser as the authority ------------------------------


class _NotFast(Exception):
    """The fast path cannot decide; ``Entry.parse`` will."""


def _refuse(_text: str) -> NoReturn:
    raise _NotFast


def _safe_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise _NotFast
    return value


_ENCODE = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
).encode
_DECODE = json.JSONDecoder(parse_float=_refuse, parse_constant=_refuse, parse_int=_safe_int).decode
_ENTRY_FIELDS = frozenset({"seq", "logged_at", "statement", "signature"})


def fast_parse(data: bytes) -> Entry | None:
    """Parse an ASCII entry whose bytes equal their canonical form; ``None`` if unsure.

    For ASCII text, sorted keys and the C encoder's escapes are exactly RFC 8785's, so
    equality with the re-encoding proves canonical form; a float, NaN or an integer beyond
    +/-(2**53 - 1) defers to ``Entry.parse``. The statement's canonical bytes are the tail
    of the entry's (RFC 8785 encodes a nested object as it encodes it alone).
    """
    if not data.isascii():
        return None
    text = data.decode("ascii")
    try:
        value = _DECODE(text)
    except (ValueError, _NotFast):
        return None
    if type(value) is not dict or value.keys() != _ENTRY_FIELDS or _ENCODE(value) != text:
        return None
    seq, stamp, signature = value["seq"], value["logged_at"], value["signature"]
    if type(seq) is not int or seq < 0 or type(stamp) is not str or type(signature) is not str:
        return None
    prefix = f'{{"logged_at":"{stamp}","seq":{seq},"signature":"{signature}","statement":'
    canonical = data[len(prefix) : -1]
    if not text.startswith(prefix) or len(canonical) > MAX_STATEMENT_BYTES:
        return None
    try:
        parse_time(stamp, what="logged_at")
        signed = SignedStatement(
            statement=Statement.from_json(value["statement"]),
            signature=b64decode(signature, length=SIGNATURE_SIZE, what="signature"),
            canonical=canonical,
        )
    except LedgerError:
        return None
    return Entry(seq=seq, logged_at=stamp, signed=signed, data=data)


def parse_entry(data: bytes) -> Entry:
    """Parse exact entry bytes as ``Entry.parse`` does (same result, same refusals), faster."""
    return fast_parse(data) or Entry.parse(data)


# --- One job ------------------------------------------------------------------------------------


def check_job(job: Job) -> JobResult:
    """Hash and parse every entry, check them until the first fault, check every note."""
    verify_keys: dict[str, VerifyKey] = {}
    leaves: list[bytes] = []
    nonces: list[str] = []
    fault: Fault | None = None
    for row in job.rows:
        leaf = hash_leaf(row.data)
        leaves.append(leaf)
        try:
            entry = parse_entry(row.data)
        except LedgerError as e:
            nonces.append("")
            fault = fault or entry_fault(row.seq, f"not a well-formed entry: {e}")
            continue
        nonces.append(f"{entry.statement.key_id} {entry.statement.nonce}")
        if fault is None:
            fault = _check_entry(job, row, entry, leaf, verify_keys)
    verifier = NoteVerifier.from_vkey(job.vkey)
    note_faults = [f for f in (_check_note(job, n, verifier) for n in job.notes) if f]
    return JobResult(leaves, nonces, fault, note_faults)


def _check_entry(
    job: Job, row: Row, entry: Entry, leaf: bytes, verify_keys: dict[str, VerifyKey]
) -> Fault | None:
    seq, statement = row.seq, entry.statement
    if entry.seq != seq:
        return entry_fault(seq, f"holds seq {entry.seq}")
    if statement.origin != job.origin:
        return entry_fault(seq, f"names origin {statement.origin!r}")
    if row.columns is not None:
        stored = (leaf, statement.kind, statement.key_id, statement.nonce, entry.logged_at)
        if row.columns != stored:
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
