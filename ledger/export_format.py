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
import os
import re
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
_TAIL = 1 << 16
"""The end line lies in the file's last bytes."""
_BLOCK = 1 << 20
_DECIMAL = re.compile(rb"0|[1-9][0-9]{0,18}")


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


def _read(path: str, start: int, end: int) -> bytes:
    """Bytes ``start <= offset < end`` of the file (opened for this read alone, so a reader
    holds nothing open between reads); a fault if the file is shorter."""
    with open(path, "rb", buffering=0) as file:
        data = os.pread(file.fileno(), end - start, start)
    if len(data) != end - start:
        raise _fault(f"the file ends at byte {start + len(data)}, before byte {end}")
    return data


@dataclass(frozen=True)
class ExportEntries:
    """The entries of an export file, read by whoever holds it (picklable: a worker process
    opens the file itself). Raises ``AuditError`` where the file's layout is wrong."""

    path: str
    size: int
    end: int
    """Where the entries end: the offset of the first checkpoint line."""
    every: int
    offsets: tuple[int, ...]

    def _block(self, start: int, end: int) -> tuple[int, bytes]:
        """The seq of the first line and the bytes of the whole index steps holding
        ``start <= seq < end``, checking that each index offset they reach begins the
        entry the index says (and the last ends where the checkpoints begin)."""
        every, offsets = self.every, self.offsets
        first, last = start // every, -(-end // every)
        at = offsets[first]
        stop = offsets[last] if last < len(offsets) else self.end
        data = _read(self.path, at, stop)
        for block in range(first + 1, last + 1):
            edge = (offsets[block] if block < len(offsets) else self.end) - at
            lines = min(block * every, self.size) - first * every
            if data.count(b"\n", 0, edge) != lines or data[edge - 1 : edge] != b"\n":
                where = f"entry {block * every}" if block < len(offsets) else "the checkpoints"
                raise _fault(f"index: {where} does not begin where the index says")
        return first * every, data

    def rows(self, start: int, end: int) -> list[Row]:
        """Entries ``start <= seq < end``, in order."""
        if start >= end:
            return []
        seq, data = self._block(start, end)
        lines = data.split(b"\n")[start - seq : end - seq]
        return [Row(n, line) for n, line in enumerate(lines, start)]

    def marked(self, start: int, end: int, marks: Sequence[bytes]) -> list[Row]:
        """Of ``start <= seq < end``: entry 0 and the entries whose bytes hold a mark.

        The marks are searched for in the range's bytes and only the lines that hold one
        are cut out, as the SQLite reader searches with ``instr``.
        """
        if start >= end:
            return []
        seq, blob = self._block(start, end)
        hits = sorted({blob.rfind(b"\n", 0, h) + 1 for m in marks for h in _finds(blob, m)})
        if seq == 0 and 0 not in hits:
            hits.insert(0, 0)
        rows, counted = [], 0
        for begin in hits:
            seq += blob.count(b"\n", counted, begin)
            counted = begin
            if start <= seq < end:
                rows.append(Row(seq, blob[begin : blob.find(b"\n", begin)]))
        return rows

    def close(self) -> None:
        """Nothing to release: each read opens and closes the file."""


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
        length = os.stat(path).st_size
        if length == 0:
            raise _fault("the file is empty")
        header, entries_at = _parse_header(_read(path, 0, min(length, MAX_HEADER_BYTES)))
        tail_at = max(0, length - _TAIL)
        tail = _read(path, tail_at, length)
        last = tail.rfind(b"\n", 0, len(tail) - 1) + 1
        if not tail.endswith(b"\n") or not tail[last:].startswith(b"end "):
            raise _fault("the file does not finish with its end line (cut short?)")
        fields = tail[last:-1].split(b" ")
        if len(fields) != 3:
            raise _fault("the end line is malformed")
        checkpoints_at = _decimal(fields[1], "checkpoint offset")
        index_at = _decimal(fields[2], "index offset")
        if not entries_at <= checkpoints_at <= index_at < tail_at + last:
            raise _fault("the end line's offsets are out of order")
        index = _read(path, index_at, tail_at + last)
        every, offsets = _parse_index(index, header.size, entries_at, checkpoints_at)
        entries = ExportEntries(path, header.size, checkpoints_at, every, offsets)
        return cls(header, entries, checkpoints_at, index_at)

    def checkpoints(self) -> Iterator[CheckpointRecord]:
        """Every checkpoint line in order, decoded; ``AuditError`` at a malformed one."""
        pos, previous, rest = self.checkpoints_at, 0, b""
        while pos < self.index_at or rest:
            stop = min(pos + _BLOCK, self.index_at)
            block, pos = rest + _read(self.entries.path, pos, stop), stop
            *lines, rest = block.split(b"\n")
            if pos == self.index_at and rest:
                raise _fault("the last checkpoint line does not end")
            for line in lines:
                record = _parse_checkpoint(line)
                if record.size <= previous:
                    raise _fault(f"checkpoint {record.size} comes after checkpoint {previous}")
                previous = record.size
                yield record

    def last_checkpoint(self) -> CheckpointRecord:
        """The last checkpoint line: the head of the exported log."""
        if self.index_at == self.checkpoints_at:
            raise _fault("it holds no checkpoint")
        start = max(self.checkpoints_at, self.index_at - _BLOCK)
        window = _read(self.entries.path, start, self.index_at)
        if not window.endswith(b"\n"):
            raise _fault("the last checkpoint line does not end")
        return _parse_checkpoint(window[window.rfind(b"\n", 0, len(window) - 1) + 1 : -1])

    def close(self) -> None:
        """Nothing to release (see ``ExportEntries.close``)."""


def _parse_header(mm: bytes) -> tuple[ExportHeader, int]:
    """The header (from the file's first bytes) and the offset of entry 0."""
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


def _parse_checkpoint(line: bytes) -> CheckpointRecord:
    fields = line.split(b" ")
    if len(fields) < 3 or fields[0] != b"checkpoint":
        raise _fault(f"not a checkpoint line where one should be: {line[:40]!r}")
    size = _decimal(fields[1], "checkpoint size")
    try:
        note = _b64(fields[2], f"checkpoint {size}'s note").decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fault(f"checkpoint {size}'s note is not UTF-8") from e
    path = tuple(_b64(f, f"checkpoint {size}'s consistency path") for f in fields[3:])
    return CheckpointRecord(size, note, path)
