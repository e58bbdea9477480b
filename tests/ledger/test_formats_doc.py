"""docs/formats.md's worked example is exactly what the code produces."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from ledger.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from ledger.cosignature import Cosigner
from ledger.encoding import b64encode, parse_time
from ledger.errors import StaleStatementError
from ledger.keys import read_log_key, read_member_key, write_log_key, write_member_key
from ledger.merkle import root
from ledger.note import NoteSigner
from ledger.proof_file import ProofFile, parse_proof_file, verify_proof_file
from ledger.signing import Keypair
from ledger.statement import KINDS, Entry, sign_statement

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"
ORIGIN = "example.coopledger/log"


def _example() -> list[str]:
    steward = Keypair(bytes(range(32)))
    log = NoteSigner(ORIGIN, SigningKey(bytes(range(32, 64))))
    signed = sign_statement(
        steward,
        origin=ORIGIN,
        kind="log.initialised",
        body={
            "member": "steward",
            "public_key": steward.public_key_b64,
            "member_kind": "steward",
            "borough": "-",
            "roles": ["board"],
            "log_key": log.verifier.vkey(),
        },
        nonce="AAAAAAAAAAAAAAAAAAAAAA",
        issued_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
    )
    entry = Entry.build(seq=0, logged_at=datetime(2026, 1, 1, 9, 0, 1, tzinfo=UTC), signed=signed)
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, root([entry.leaf_hash])), log)
    assert verify_checkpoint(note, log.verifier, origin=ORIGIN).size == 1
    assert Entry.parse(entry.data) == entry
    return [
        steward.public_key_b64,
        steward.key_id,
        log.verifier.vkey(),
        signed.canonical.decode(),
        b64encode(signed.signature),
        entry.data.decode(),
        entry.leaf_hash.hex(),
        note,
    ]


def test_worked_example_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    for value in _example():
        assert value in text, f"docs/formats.md lacks {value[:60]!r}"


def test_every_kind_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", text, flags=re.MULTILINE))
    assert KINDS <= documented, f"undocumented kinds: {sorted(KINDS - documented)}"


def test_key_file_examples_are_what_the_code_writes(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    steward = Keypair(bytes(range(32)))
    write_member_key(tmp_path / "steward.key", steward, member="steward")
    member_file = (tmp_path / "steward.key").read_text(encoding="utf-8")
    assert f"```json\n{member_file}```\n" in text
    assert read_member_key(tmp_path / "steward.key") == (steward, "steward")
    log = NoteSigner(ORIGIN, SigningKey(bytes(range(32, 64))))
    write_log_key(tmp_path / "log.key", log)
    log_file = (tmp_path / "log.key").read_text(encoding="utf-8")
    assert f"```\n{log_file}```\n" in text
    assert read_log_key(tmp_path / "log.key").verifier == log.verifier
    witness = Cosigner("example.witness", SigningKey(bytes(range(64, 96))))
    assert f"```\n{witness.verifier.vkey()}\n{witness.skey()}\n```\n" in text
    assert Cosigner.from_skey(witness.skey()).verifier == witness.verifier
    assert (
        witness.verifier.key_id.to_bytes(4, "big")
        == hashlib.sha256(b"example.witness\n\x04" + witness.verifier.public_key).digest()[:4]
    )


def test_the_issued_at_window_example() -> None:
    text = DOC.read_text(encoding="utf-8")
    times = re.search(
        r"issued at `([^`]+)` is accepted when it arrives at `([^`]+)` and\s+refused at `([^`]+)`",
        text,
    )
    assert times is not None
    issued, accepted, refused = (parse_time(t) for t in times.groups())
    signed = sign_statement(
        Keypair(bytes(range(32))),
        origin=ORIGIN,
        kind="log.initialised",
        body={},
        nonce="AAAAAAAAAAAAAAAAAAAAAA",
        issued_at=issued,
    )
    window = timedelta(seconds=600)
    signed.check_envelope(origin=ORIGIN, now=accepted, window=window)
    signed.check_envelope(origin=ORIGIN, now=issued - (accepted - issued), window=window)
    with pytest.raises(StaleStatementError):
        signed.check_envelope(origin=ORIGIN, now=refused, window=window)


def test_worked_proof_file_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    *_, entry, _, note = _example()
    proof = ProofFile(0, (), note)
    assert f"```\n{proof.to_bytes().decode()}```" in text
    log = NoteSigner(ORIGIN, SigningKey(bytes(range(32, 64))))
    parsed = parse_proof_file(proof.to_bytes())
    assert verify_proof_file(parsed, entry.encode(), log_verifier=log.verifier).entry.seq == 0
