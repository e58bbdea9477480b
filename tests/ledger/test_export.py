"""Whole-log exports (coopledger-export v1): written from SQLite and PostgreSQL, audited offline
from the file alone, and refused, with the fault named, wherever a byte was changed."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from governance.tally.recount_log import recount
from ledger.audit import audit_store
from ledger.audit_export import audit_export, marked_entries, open_export
from ledger.errors import AuditError, InvalidCheckpointError, InvalidProofError
from ledger.export_format import MAGIC, ExportFile
from ledger.export_log import write_export
from ledger.log import LogView
from ledger.note import NoteSigner
from ledger.proof_file import ProofFile, parse_proof_file, verify_proof_file
from ledger.signing import Keypair
from ledger.sql import SqlLogStore
from ledger.statement import Entry
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import Credits, credits_world
from tests.support import ORIGIN

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
EVERY = 3
"""A short index step, so that small logs cross many index offsets and workers' ranges."""


@pytest.fixture
async def log(database_url: str) -> AsyncIterator[Credits]:
    """A credits log: admissions, a key rotation, rules, claims and awards in many batches."""
    async with credits_world(database_url) as world:
        rotated = Keypair.generate()
        body = {"member": "sutton-books", "public_key": rotated.public_key_b64}
        await world.submit("sutton-books", "member.key_rotated", body)
        world.keys["sutton-books"] = rotated
        for mentee in ("sutton-books", "merton-care") * 2:
            await world.earn("croydon-print", mentee, "mentoring.hour", counterparty=mentee)
        yield world


async def _export(world: Credits, path: Path, every: int = EVERY) -> None:
    signer = world.world.log_signer
    await write_export(
        world.store, path, origin=ORIGIN, log_key=signer.verifier.vkey(), index_every=every
    )


async def _audit(path: Path) -> str:
    export = open_export(str(path))
    try:
        report = await audit_export(export)
        recount(marked_entries(export, (b'"kind":"member.', b'"kind":"governance.'))).check()
        return report.summary()
    finally:
        export.close()


async def test_an_export_audits_as_its_database_does(log: Credits, tmp_path: Path) -> None:
    path = tmp_path / "log.export"
    await _export(log, path)
    from_store = await audit_store(
        log.store, origin=ORIGIN, log_verifier=log.world.log_signer.verifier
    )
    assert await _audit(path) == from_store.summary()
    export = ExportFile.open(str(path))
    size = await log.size()
    stored = await log.store.entries(0, size)
    assert [row.data for row in export.entries.rows(0, size)] == [row.data for row in stored]
    assert [row.seq for row in export.entries.rows(4, 8)] == [4, 5, 6, 7]  # not on a step
    marks = (b'"kind":"member.', b'"kind":"credit.awarded"')
    for start, end in ((0, size), (3, 9), (6, size), (4, 8)):
        wanted = [r for r in stored[start:end] if r.seq == 0 or any(m in r.data for m in marks)]
        found = export.entries.marked(start, end, marks)
        assert [(r.seq, r.data) for r in found] == [(r.seq, r.data) for r in wanted]
    notes = [c.note for c in await log.store.checkpoints(0, 1000)]
    assert [c.note for c in export.checkpoints()] == notes
    assert export.header.stewards == (
        ("board-b", log.keys["board-b"].public_key_b64),
        ("steward", log.world.steward.public_key_b64),
    )
    assert path.read_bytes().startswith(MAGIC)
    export.close()


async def test_the_default_index_step_audits_too(log: Credits, tmp_path: Path) -> None:
    path = tmp_path / "log.export"
    await _export(log, path, every=1000)
    assert (await _audit(path)).startswith(f"audit ok: {await log.size()} entries")


def _rewrite(path: Path, old: bytes, new: bytes, count: int = 1) -> None:
    data = path.read_bytes()
    assert data.count(old) >= count, old
    path.write_bytes(data.replace(old, new, count))


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


async def _refused(path: Path, match: str) -> None:
    with pytest.raises(AuditError, match=match):
        await _audit(path)


async def test_a_changed_entry_byte_is_named(log: Credits, tmp_path: Path) -> None:
    path = tmp_path / "log.export"
    await _export(log, path)
    _rewrite(path, b'"quantity":1', b'"quantity":9')
    await _refused(path, r"^entry \d+: signature does not verify$")


def _set_field(path: Path, prefix: bytes, field: int, value: bytes) -> None:
    """Replace field ``field`` of the first line that starts with ``prefix``."""
    line = next(line for line in _lines(path) if line.startswith(prefix))
    fields = line.split(b" ")
    fields[field] = value
    _rewrite(path, line, b" ".join(fields))


async def test_a_changed_checkpoint_is_named(log: Credits, tmp_path: Path) -> None:
    path = tmp_path / "log.export"
    await _export(log, path)
    line = next(line for line in _lines(path) if line.startswith(b"checkpoint 5 "))
    note = base64.b64decode(line.split(b" ")[2]).decode()
    flipped = note[:-10] + ("A" if note[-10] != "A" else "B") + note[-9:]
    _set_field(path, b"checkpoint 5 ", 2, base64.b64encode(flipped.encode()))
    await _refused(path, r"^checkpoint 5: signature by known key .* does not verify$")


async def test_a_wrong_consistency_path_is_named(log: Credits, tmp_path: Path) -> None:
    path = tmp_path / "log.export"
    await _export(log, path)
    _set_field(path, b"checkpoint 9 ", 3, base64.b64encode(bytes(32)))
    await _refused(path, r"^checkpoint 9: not consistent with checkpoint 8")


async def test_a_wrong_index_offset_is_named(log: Credits, tmp_path: Path) -> None:
    path = tmp_path / "log.export"
    await _export(log, path)
    index = next(line for line in _lines(path) if line.startswith(b"index "))
    entry_6 = int(index.split(b" ")[4])  # the offset of entry 2 * EVERY
    _set_field(path, b"index ", 4, str(entry_6 + 1).encode())
    await _refused(path, r"^export: index: entry 6 does not begin where the index says$")


async def test_a_changed_header_is_named(log: Credits, tmp_path: Path) -> None:
    path = tmp_path / "log.export"
    await _export(log, path)
    stranger = Keypair.generate().public_key_b64
    _rewrite(path, log.keys["board-b"].public_key_b64.encode() + b"\n", stranger.encode() + b"\n")
    await _refused(path, "the export's steward keys are not the board's active keys")
    other = NoteSigner.generate(ORIGIN).verifier.vkey()
    _rewrite(path, log.world.log_signer.verifier.vkey().encode() + b"\n", other.encode() + b"\n")
    await _refused(path, r"^entry 0: names a log key other than the one the audit was given")


async def test_a_cut_or_foreign_file_is_named(log: Credits, tmp_path: Path) -> None:
    path = tmp_path / "log.export"
    await _export(log, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    await _refused(path, "does not finish with its end line")
    path.write_bytes(b"SQLite format 3\x00" + data[16:])
    await _refused(path, "not a coopledger export")
    path.write_bytes(b"")
    await _refused(path, "^export: the file is empty$")


async def test_an_export_of_a_tampered_database_is_refused(log: Credits, tmp_path: Path) -> None:
    seq, body = next(
        (r.seq, r.data) for r in await log.store.entries(0, 100) if b'"Croydon"' in r.data
    )
    forged = body.replace(b'"Croydon"', b'"Croydom"')
    postgres = log.store.engine.dialect.name == "postgresql"
    async with log.store.engine.begin() as conn:
        if postgres:
            await conn.exec_driver_sql("ALTER TABLE entries DISABLE TRIGGER entries_append_only")
        else:
            await conn.exec_driver_sql("DROP TRIGGER entries_no_update")
        update = "UPDATE entries SET body = {} WHERE seq = {}"
        await conn.exec_driver_sql(update.format("$1" if postgres else "?", seq), (forged,))
    path = tmp_path / "log.export"
    await _export(log, path)
    await _refused(path, rf"^entry {seq}: signature does not verify$")


# --- Proof files (c2sp.org/tlog-proof@v1) ------------------------------------------------------


async def _proof(store: SqlLogStore, index: int) -> tuple[ProofFile, bytes]:
    view = LogView(store)
    head = await view.latest_checkpoint()
    proof = await view.inclusion(index, head.size)
    (row,) = await view.entries(index, index + 1)
    return ProofFile(index, tuple(proof.path), head.note), row.data


async def test_proofs_of_first_middle_and_last_entries_verify(log: Credits) -> None:
    size, verifier = await log.size(), log.world.log_signer.verifier
    for index in (0, size // 2, size - 1):
        proof, entry = await _proof(log.store, index)
        again = parse_proof_file(proof.to_bytes())
        assert again == proof
        proven = verify_proof_file(again, entry, log_verifier=verifier)
        assert (proven.entry.seq, proven.checkpoint.size) == (index, size)
    award = verify_proof_file(*await _proof(log.store, size - 1), log_verifier=verifier)
    assert "member     croydon-print" in award.describe()
    assert "credits    2" in award.describe()


async def test_a_tampered_proof_entry_or_note_is_refused(log: Credits) -> None:
    verifier = log.world.log_signer.verifier
    proof, entry = await _proof(log.store, 5)
    other = Entry.parse((await log.store.entries(6, 7))[0].data).data
    with pytest.raises(InvalidProofError, match=r"^inclusion: .*does not lead to the root"):
        verify_proof_file(proof, other, log_verifier=verifier)
    bent = ProofFile(5, (bytes(32), *proof.path[1:]), proof.note)
    with pytest.raises(InvalidProofError, match=r"^inclusion: "):
        verify_proof_file(bent, entry, log_verifier=verifier)
    with pytest.raises(InvalidCheckpointError, match="no verified signature"):
        verify_proof_file(proof, entry, log_verifier=NoteSigner.generate(ORIGIN).verifier)
    text = proof.to_bytes().replace(b"index 5", b"index 05")
    with pytest.raises(InvalidProofError, match=r"no 'index <decimal>' line"):
        parse_proof_file(text)
