"""The whole-log export file, ``coopledger-export v1``: its layout, reading and checking.

Layout (docs/formats.md §11), one record per line, every line ending in ``\\n``::

    coopledger-export v1
    origin <origin>
    log-key <the log's vkey>
    steward-key <member id> <base64 public key>      one per active key of a board member
    witness-key <witness vkey>                        zero or more
    size <N>
    <empty line>
    <entry 0's exact bytes>                           N lines: canonical JSON holds no newline
    ...
    checkpoint <size> <base64 note> <base64 hash>...  in increasing size; the hashes are the
                                                      consistency path from the line before
    index <K> <offset of entry 0> <offset of entry K> <offset of entry 2K> ...
    end <offset of the first checkpoint line> <offset of the index line>

Offsets are decimal byte positions from the start of the file. The index lets each worker of
the audit find its own range of entries without reading what comes before; a worker checks
every index offset it passes, so a wrong one is named. Nothing here is trusted: the audit
checks every entry, signature and checkpoint as it would in a database.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import mmap
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ledger.audit_chunk import Row
from ledger.encoding import b64encode
from ledger.errors import AuditError
from ledger.members import Registry

MAGIC = b"coopledger-export v1\n"
INDEX_EVERY = 1000
"""K, as written: the index holds the offset of every K-th entry (a reader takes K from the
index line)."""
MAX_HEADER_BYTES = 1 << 20
_DECIMAL = re.compile(rb"0|[1-9][0-9]{0,18}")
_local = threading.local()


@dataclass(frozen=True)
class ExportHeader:
    """What an export says of its log before the entries: all of it checked by the audit."""

    origin: str
    log_key: str
    stewards: tuple[tuple[str, str], ...]
    witnesses: tuple[str, ...]
    size: int

    def to_bytes(self) -> bytes:
        """The header lines, the empty line included."""
        lines = [MAGIC.decode(), f"origin {self.origin}\n", f"log-key {self.log_key}\n"]
        lines += [f"steward-key {member} {key}\n" for member, key in self.stewards]
        lines += [f"witness-key {vkey}\n" for vkey in self.witnesses]
        lines.append(f"size {self.size}\n\n")
        return "".join(lines).encode("utf-8")


def steward_keys(registry: Registry) -> tuple[tuple[str, str], ...]:
    """(member, base64 public key) of every active key of a board member, sorted."""
    return tuple(
        sorted(
            (record.member, b64encode(record.public_key))
            for record in registry.keys.values()
            if record.active and registry.members[record.member].is_board
        )
    )


def checkpoint_line(size: int, note: str, path: Sequence[bytes]) -> bytes:
    """One checkpoint record: its size, its note and the consistency path from the last."""
    fields = [b"checkpoint", str(size).encode(), base64.b64encode(note.encode("utf-8"))]
    fields += [base64.b64encode(node) for node in path]
    return b" ".join(fields) + b"\n"


def index_line(every: int, offsets: Sequence[int]) -> bytes:
    """The index record: K, then the offset of every K-th entry."""
    return b" ".join([b"index", str(every).encode(), *(str(o).encode() for o in offsets)]) + b"\n"


def end_line(checkpoints_at: int, index_at: int) -> bytes:
    """The last line: where the checkpoints and the index begin."""
    return b"end %d %d\n" % (checkpoints_at, index_at)


@dataclass(frozen=True)
class CheckpointRecord:
    """One checkpoint line, decoded (its note is not yet verified)."""

    size: int
    note: str
    path: tuple[bytes, ...]


def _fault(message: str) -> AuditError:
    return AuditError(f"export: {message}")


def _decimal(text: bytes, what: str) -> int:
    if _DECIMAL.fullmatch(text) is None:
        raise _fault(f"{what} {text[:30]!r} is not a decimal number")
    return int(text)


def _b64(text: bytes, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise _fault(f"{what} is not standard base64") from e
    if base64.b64encode(raw) != text:
        raise _fault(f"{what} is not canonical base64")
    return raw


def _map(path: str) -> mmap.mmap:
    """This thread's read-only map of the file at ``path``."""
    maps: dict[str, mmap.mmap] = _local.__dict__.setdefault("maps", {})
    mapped = maps.get(path)
    if mapped is None:
        with open(path, "rb") as file:
            mapped = maps[path] = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    return mapped


@dataclass(frozen=True)
class ExportEntries:
    """The entries of an export file, read by whoever holds it (picklable: a worker process
    maps the file itself). Raises ``AuditError`` where the file's layout is wrong."""

    path: str
    size: int
    end: int
    """Where the entries end: the offset of the first checkpoint line."""
    every: int
    offsets: tuple[int, ...]

    def rows(self, start: int, end: int) -> list[Row]:
        """Entries ``start <= seq < end``, checking each index offset passed on the way."""
        mm, limit, every = _map(self.path), self.end, self.every
        block = start // every
        pos, seq = self.offsets[block], block * every
        rows: list[Row] = []
        while seq < end:
            if seq % every == 0 and self.offsets[seq // every] != pos:
                raise _fault(f"index: entry {seq} begins at byte {pos}, not where the index says")
            stop = mm.find(b"\n", pos, limit)
            if stop < 0:
                raise _fault(f"the entries end before entry {seq}")
            if seq >= start:
                rows.append(Row(seq, mm[pos:stop]))
            pos, seq = stop + 1, seq + 1
        if end == self.size and pos != limit:
            raise _fault(f"bytes after entry {self.size - 1}, before the checkpoints")
        if end < self.size and end % every == 0 and self.offsets[end // every] != pos:
            raise _fault(f"index: entry {end} begins at byte {pos}, not where the index says")
        return rows

    def marked(self, start: int, end: int, marks: Sequence[bytes]) -> list[Row]:
        """Of ``start <= seq < end``: entry 0 and the entries whose bytes hold a mark.

        Where the range begins and ends on index steps, the marks are searched for in its
        bytes and only the lines that hold one are cut out; the workers, which read every
        line of the range, check the index itself.
        """
        every = self.every
        if start % every or (end % every and end != self.size):
            return [
                row
                for row in self.rows(start, end)
                if row.seq == 0 or any(mark in row.data for mark in marks)
            ]
        first = self.offsets[start // every]
        last = self.end if end == self.size else self.offsets[end // every]
        blob = _map(self.path)[first:last]
        hits = sorted({blob.rfind(b"\n", 0, h) + 1 for m in marks for h in _finds(blob, m)})
        if start == 0 and 0 not in hits:
            hits.insert(0, 0)
        rows, seq, counted = [], start, 0
        for begin in hits:
            seq += blob.count(b"\n", counted, begin)
            stop = blob.find(b"\n", begin)
            if stop < 0:
                raise _fault(f"the entries end before entry {seq}")
            rows.append(Row(seq, blob[begin:stop]))
            counted = begin
        return rows

    def close(self) -> None:
        """Unmap this thread's map of the file, if it has one."""
        maps: dict[str, mmap.mmap] = _local.__dict__.get("maps", {})
        mapped = maps.pop(self.path, None)
        if mapped is not None:
            mapped.close()


def _finds(blob: bytes, mark: bytes) -> Iterator[int]:
    """Every position of ``mark`` in ``blob``."""
    at = blob.find(mark)
    while at >= 0:
        yield at
        at = blob.find(mark, at + 1)


@dataclass(frozen=True)
class ExportFile:
    """An export file opened for the audit: its header, entries and checkpoint lines."""

    header: ExportHeader
    entries: ExportEntries
    checkpoints_at: int
    index_at: int

    @classmethod
    def open(cls, path: str) -> ExportFile:
        """Read the header, the index and the end line; ``AuditError`` if they are malformed.

        Raises ``OSError`` if the file cannot be read.
        """
        mm = _map(path)
        header, entries_at = _parse_header(mm)
        last = mm.rfind(b"\n", 0, max(len(mm) - 1, 0)) + 1
        if not mm[len(mm) - 1 :] == b"\n" or not mm[last:].startswith(b"end "):
            raise _fault("the file does not finish with its end line (cut short?)")
        fields = mm[last:-1].split(b" ")
        if len(fields) != 3:
            raise _fault("the end line is malformed")
        checkpoints_at = _decimal(fields[1], "checkpoint offset")
        index_at = _decimal(fields[2], "index offset")
        if not entries_at <= checkpoints_at <= index_at < last:
            raise _fault("the end line's offsets are out of order")
        every, offsets = _parse_index(mm[index_at:last], header.size, entries_at, checkpoints_at)
        entries = ExportEntries(path, header.size, checkpoints_at, every, offsets)
        return cls(header, entries, checkpoints_at, index_at)

    def checkpoints(self) -> Iterator[CheckpointRecord]:
        """Every checkpoint line in order, decoded; ``AuditError`` at a malformed one."""
        mm, pos, previous = _map(self.entries.path), self.checkpoints_at, 0
        while pos < self.index_at:
            stop = mm.find(b"\n", pos, self.index_at)
            if stop < 0:
                raise _fault(f"the checkpoint line at byte {pos} does not end")
            record = _parse_checkpoint(mm[pos:stop], pos)
            if record.size <= previous:
                raise _fault(f"checkpoint {record.size} comes after checkpoint {previous}")
            previous, pos = record.size, stop + 1
            yield record

    def last_checkpoint(self) -> CheckpointRecord:
        """The last checkpoint line: the head of the exported log."""
        mm = _map(self.entries.path)
        if self.index_at == self.checkpoints_at:
            raise _fault("it holds no checkpoint")
        start = mm.rfind(b"\n", self.checkpoints_at, self.index_at - 1) + 1
        return _parse_checkpoint(mm[max(start, self.checkpoints_at) : self.index_at - 1], start)

    def close(self) -> None:
        """Unmap this thread's map of the file."""
        self.entries.close()


def _parse_header(mm: mmap.mmap) -> tuple[ExportHeader, int]:
    """The header and the offset of entry 0."""
    if mm[: len(MAGIC)] != MAGIC:
        raise _fault(f"line 1 is not {MAGIC.decode().strip()!r}: not a coopledger export")
    end = mm.find(b"\n\n", 0, MAX_HEADER_BYTES)
    if end < 0:
        raise _fault("no empty line after the header")
    try:
        lines = mm[len(MAGIC) : end].decode("utf-8").split("\n")
    except UnicodeDecodeError as e:
        raise _fault("the header is not UTF-8") from e
    fields = [line.split(" ") for line in lines]
    names = [f[0] for f in fields]
    stewards = tuple((f[1], f[2]) for f in fields if f[0] == "steward-key" and len(f) == 3)
    witnesses = tuple(f[1] for f in fields if f[0] == "witness-key" and len(f) == 2)
    shape = ["origin", "log-key"] + ["steward-key"] * len(stewards)
    shape += ["witness-key"] * len(witnesses) + ["size"]
    if names != shape or any(len(f) != 2 for f in (fields[0], fields[1], fields[-1])):
        raise _fault(
            "the header is not origin, log-key, steward-key lines, witness-key lines, size"
        )
    size = _decimal(fields[-1][1].encode(), "size")
    if size == 0:
        raise _fault("size 0: a log always holds entry 0")
    return ExportHeader(fields[0][1], fields[1][1], stewards, witnesses, size), end + 2


def _parse_index(
    line: bytes, size: int, entries_at: int, entries_end: int
) -> tuple[int, tuple[int, ...]]:
    """K and the offsets of the index line, each checked to lie within the entries."""
    fields = line.rstrip(b"\n").split(b" ")
    if len(fields) < 3 or fields[0] != b"index":
        raise _fault("the index line is malformed")
    every = _decimal(fields[1], "index step")
    blocks = -(-size // every) if every else 0
    if every == 0 or len(fields) != 2 + blocks:
        raise _fault(f"the index does not hold one offset per {every} of {size} entries")
    offsets = tuple(_decimal(f, "index offset") for f in fields[2:])
    if offsets[0] != entries_at:
        raise _fault("index: entry 0 does not begin after the header")
    if any(b <= a for a, b in itertools.pairwise(offsets)) or offsets[-1] >= entries_end:
        raise _fault("index: offsets are not increasing within the entries")
    return every, offsets


def _parse_checkpoint(line: bytes, at: int) -> CheckpointRecord:
    fields = line.split(b" ")
    if len(fields) < 3 or fields[0] != b"checkpoint":
        raise _fault(f"the line at byte {at} is not a checkpoint line")
    size = _decimal(fields[1], "checkpoint size")
    try:
        note = _b64(fields[2], f"checkpoint {size}'s note").decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fault(f"checkpoint {size}'s note is not UTF-8") from e
    path = tuple(_b64(f, f"checkpoint {size}'s consistency path") for f in fields[3:])
    return CheckpointRecord(size, note, path)
