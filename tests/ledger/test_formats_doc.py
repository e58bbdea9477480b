"""docs/formats.md's worked example is exactly what the code produces."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from nacl.signing import SigningKey

from ledger.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from ledger.encoding import b64encode
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


def test_worked_proof_file_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    *_, entry, _, note = _example()
    proof = ProofFile(0, (), note)
    assert f"```\n{proof.to_bytes().decode()}```" in text
    log = NoteSigner(ORIGIN, SigningKey(bytes(range(32, 64))))
    parsed = parse_proof_file(proof.to_bytes())
    assert verify_proof_file(parsed, entry.encode(), log_verifier=log.verifier).entry.seq == 0
