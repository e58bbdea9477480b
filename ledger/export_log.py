"""Write a whole log to one ``coopledger-export v1`` file (``ledger.export_format``).

Streaming: entries and checkpoints are read a page at a time and written as they come, so
memory stays flat however long the log is (the index keeps one offset per 1,000 entries).
The file is written beside its target and renamed into place once it is complete and on
disk (``ledger.atomic.atomic_writer``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ledger.atomic import atomic_writer
from ledger.audit import StoreSource
from ledger.errors import OutOfRangeError, StoreError
from ledger.export_format import (
    INDEX_EVERY,
    ExportHeader,
    checkpoint_line,
    end_line,
    index_line,
    steward_keys,
)
from ledger.log import MAX_ENTRIES_PER_READ
from ledger.members import MEMBER_KINDS, Registry
from ledger.statement import Entry
from ledger.store import CheckpointRow, LogReader

PAGE = MAX_ENTRIES_PER_READ
_PROOF_BATCH = 200


@dataclass(frozen=True)
class ExportSummary:
    """What an export holds."""

    path: Path
    size: int
    checkpoints: int
    bytes: int


async def write_export(
    reader: LogReader,
    path: Path,
    *,
    origin: str,
    log_key: str,
    witnesses: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    index_every: int = INDEX_EVERY,
) -> ExportSummary:
    """Export the log in ``reader`` up to its latest checkpoint to ``path``, atomically.

    ``witnesses`` are the witness vkeys the log is configured with (none yet by default);
    the index holds the offset of every ``index_every``-th entry.
    Raises ``OutOfRangeError`` for a log with no checkpoint, ``StoreError`` if the store
    lacks an entry or tree node below it, ``OSError`` if the file cannot be written; then
    ``path`` is left as it was.
    """
    head = await reader.checkpoint()
    if head is None:
        raise OutOfRangeError("the log has no checkpoint yet; run init")
    header = ExportHeader(
        origin, log_key, await _stewards(reader, head.size), tuple(witnesses), head.size
    )
    with atomic_writer(path) as file:
        file.write(header.to_bytes())
        offsets = await _write_entries(reader, file, head.size, index_every, progress)
        checkpoints_at = file.tell()
        count = await _write_checkpoints(reader, file, head.size)
        index_at = file.tell()
        file.write(index_line(index_every, offsets))
        file.write(end_line(checkpoints_at, index_at))
        written = file.tell()
    return ExportSummary(path, head.size, count, written)


async def _stewards(reader: LogReader, size: int) -> tuple[tuple[str, str], ...]:
    registry = Registry()
    for row in await reader.entries_of_kinds(MEMBER_KINDS | {"log.initialised"}, 0):
        if row.seq < size:
            registry.apply(Entry.parse(row.data))
    return steward_keys(registry)


async def _write_entries(
    reader: LogReader,
    file: BinaryIO,
    size: int,
    every: int,
    progress: Callable[[int, int], None] | None,
) -> list[int]:
    offsets: list[int] = []
    for start in range(0, size, PAGE):
        rows = await reader.entries(start, min(start + PAGE, size))
        for expected, row in enumerate(rows, start=start):
            if row.seq != expected:
                raise StoreError(f"the store lacks entry {expected}")
            if b"\n" in row.data:
                raise StoreError(f"entry {row.seq} holds a line break: it is not canonical JSON")
            if expected % every == 0:
                offsets.append(file.tell())
            file.write(row.data + b"\n")
        if start + len(rows) < min(start + PAGE, size):
            raise StoreError(f"the store lacks entry {start + len(rows)}")
        if progress is not None:
            progress(start + len(rows), size)
    return offsets


async def _write_checkpoints(reader: LogReader, file: BinaryIO, size: int) -> int:
    """Each checkpoint up to ``size`` with the consistency path from the one before."""
    source, count, previous, first = StoreSource(reader), 0, None, 1
    while True:
        page = [c for c in await reader.checkpoints(first, PAGE) if c.size <= size]
        for i in range(0, len(page), _PROOF_BATCH):
            batch = page[i : i + _PROOF_BATCH]
            previous = await _write_batch(source, file, previous, batch)
            count += len(batch)
        if len(page) < PAGE:
            return count
        first = page[-1].size + 1


async def _write_batch(
    source: StoreSource, file: BinaryIO, previous: CheckpointRow | None, batch: list[CheckpointRow]
) -> CheckpointRow | None:
    sizes = [previous.size if previous else 0] + [c.size for c in batch]
    pairs = [(a, b) for a, b in itertools.pairwise(sizes) if a]
    paths = iter(await source.consistency(pairs))
    for checkpoint in batch:
        path: list[bytes] | None = [] if previous is None else next(paths)
        if path is None:
            raise StoreError(f"the store lacks tree nodes for checkpoint {checkpoint.size}")
        file.write(checkpoint_line(checkpoint.size, checkpoint.note, path))
        previous = checkpoint
    return previous
