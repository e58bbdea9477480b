"""Audit an export file (``coopledger-export v1``) with no database and no network.

The same audit as of a store (``ledger.audit.run_audit``): every entry re-hashed, parsed and
its signature checked against the key the log registered, the tree rebuilt, every checkpoint
note's signature, root and consistency with the one before (by the path the export carries),
and, where witness keys are listed, every cosignature by them. Each worker maps the file and
reads its own range of entries through the index. Then the header's keys are checked against
the log: its log key against entry 0, its steward keys against the board's keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor

from ledger.audit import AuditReport, ProgressFn, run_audit
from ledger.audit_chunk import Fault, NoteRow, Row, entry_fault
from ledger.audit_state import AuditState
from ledger.checkpoint import parse_checkpoint_body
from ledger.cosignature import CosignerVerifier, open_cosignatures
from ledger.errors import AuditError, LedgerError
from ledger.export_format import CheckpointRecord, ExportEntries, ExportFile, steward_keys
from ledger.note import NoteVerifier, decode_note, split_note
from ledger.statement import Entry


def _note_row(record: CheckpointRecord) -> NoteRow:
    """The record as the audit reads a stored checkpoint: size, root (from the note's body,
    which the worker checks is signed) and note."""
    try:
        body, _ = split_note(decode_note(record.note))
        root = parse_checkpoint_body(body).root
    except LedgerError as e:
        raise AuditError(f"checkpoint {record.size}: {e}") from e
    return NoteRow(record.size, root, record.note)


class ExportSource:
    """An export file as an audit ``Source``."""

    def __init__(self, export: ExportFile, witnesses: Sequence[CosignerVerifier]) -> None:
        self.export = export
        self.witnesses = list(witnesses)
        self._records: Iterator[CheckpointRecord] = export.checkpoints()
        self._pending: CheckpointRecord | None = None
        self._paths: dict[int, tuple[int, tuple[bytes, ...]]] = {}
        self._last = 0

    def shared_entries(self) -> ExportEntries:
        return self.export.entries

    async def head(self, verifier: NoteVerifier, origin: str) -> NoteRow:
        head = _note_row(self.export.last_checkpoint())
        if head.size != self.export.header.size:
            raise AuditError(
                f"export: its last checkpoint is {head.size}, its header says size "
                f"{self.export.header.size}"
            )
        return head

    async def entries(self, start: int, end: int) -> list[Row]:
        return self.export.entries.rows(start, end)

    async def checkpoints(self, first: int, last: int) -> list[NoteRow]:
        """Checkpoint lines with ``first <= size <= last``; asked for in increasing order."""
        found: list[NoteRow] = []
        while True:
            record = self._pending or next(self._records, None)
            self._pending = None
            if record is None:
                return found
            if record.size > last:
                self._pending = record
                return found
            self._paths[record.size] = (self._last, record.path)
            self._last = record.size
            if record.size >= first:
                self._check_cosignatures(record)
                found.append(_note_row(record))

    def _check_cosignatures(self, record: CheckpointRecord) -> None:
        if not self.witnesses:
            return
        try:
            open_cosignatures(record.note, self.witnesses)
        except LedgerError as e:
            raise AuditError(f"checkpoint {record.size}: {e}") from e

    async def consistency(self, pairs: Sequence[tuple[int, int]]) -> list[list[bytes] | None]:
        paths: list[list[bytes] | None] = []
        for first, second in pairs:
            previous, path = self._paths.pop(second, (0, ()))
            paths.append(list(path) if previous == first else None)
        return paths

    async def tail(self, state: AuditState) -> Fault | None:
        if next(self._records, None) is not None:
            return Fault((state.head.size, 2), "export: a checkpoint line follows the last one")
        if steward_keys(state.registry) != self.export.header.stewards:
            return entry_fault(
                state.head.size - 1,
                "the export's steward keys are not the board's active keys in the log",
            )
        return None


def open_export(path: str) -> ExportFile:
    """Open an export for reading; ``AuditError`` if its layout is wrong, ``OSError`` if it
    cannot be read."""
    return ExportFile.open(path)


async def audit_export(
    export: ExportFile,
    *,
    log_verifier: NoteVerifier | None = None,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
) -> AuditReport:
    """Audit the log in ``export``; ``AuditError`` naming the first fault.

    Without ``log_verifier`` the export's own log key is used; entry 0 must name it, so a
    file cannot swap in another log's key without forging entry 0's signature. With one, the
    export's key must be that key.
    """
    header = export.header
    try:
        named = NoteVerifier.from_vkey(header.log_key)
        witnesses = [CosignerVerifier.from_vkey(vkey) for vkey in header.witnesses]
    except LedgerError as e:
        raise AuditError(f"export: header: {e}") from e
    verifier = log_verifier or named
    if verifier != named:
        raise AuditError("export: its log key is not the key given to trust")
    if header.origin != verifier.name:
        raise AuditError(f"export: origin {header.origin!r} is not the log key's name")
    return await run_audit(
        ExportSource(export, witnesses),
        origin=header.origin,
        log_verifier=verifier,
        progress=progress,
        executor=executor,
    )


def marked_entries(export: ExportFile, marks: Sequence[bytes]) -> Iterator[Entry]:
    """Entry 0 and every entry whose bytes hold one of ``marks``, parsed, in order; for
    reading the few entries a recount needs without parsing the rest."""
    step = 20 * 1000
    for start in range(0, export.header.size, step):
        end = min(start + step, export.header.size)
        for row in export.entries.marked(start, end, marks):
            yield Entry.parse(row.data)
