"""``prove --out``, ``verify-proof``, ``export`` and ``audit --export`` on SQLite and PostgreSQL:
proofs and exports checked with no server and no database, and refused where changed."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from api.cli import RECOUNT_OK, app
from ledger.config import Settings, load_config
from ledger.cosignature import Cosigner, with_cosignatures
from ledger.note import NoteSigner, split_note
from ledger.signing import Keypair
from ledger.sql import sqlite_url
from tests.conftest import SQL_BACKENDS
from tests.support import serving

ORIGIN = "proofs.coopledger.example/log"
runner = CliRunner()
pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


@dataclass
class Ledger:
    """A data directory (entries 0 to 2) and the environment that points it at its database."""

    root: Path
    env: dict[str, str]

    def cli(self, *args: str | Path) -> Result:
        return runner.invoke(app, [str(a) for a in args], env=self.env)

    @property
    def vkey(self) -> str:
        """The log's verifier key, as the ledger's operator publishes it."""
        return load_config(Settings(data=self.root)).log_verifier.vkey()


@pytest.fixture
def ledger(tmp_path: Path, database_url: str) -> Ledger:
    root = tmp_path / "ledger"
    own_sqlite = database_url == sqlite_url(tmp_path / "ledger.db")
    env = {} if own_sqlite else {"COOPLEDGER_DATABASE_URL": database_url}
    made = Ledger(root, env)
    assert made.cli("init", "--data", root, "--origin", ORIGIN).exit_code == 0
    admitted = made.cli(
        "admit", "--data", root, "--member", "m-0001", "--public-key",
        Keypair.generate().public_key_b64, "--kind", "sme", "--borough", "Croydon",
    )  # fmt: skip
    assert admitted.exit_code == 0, admitted.output
    return made


def _prove(ledger: Ledger, seq: int, folder: Path) -> tuple[Path, Path]:
    proof, entry = folder / f"{seq}.tlog-proof", folder / f"{seq}.entry"
    args = ("prove", "--data", ledger.root, "--seq", seq, "--out", proof, "--entry-out", entry)
    result = ledger.cli(*map(str, args))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {proof}: entry {seq} in checkpoint 3\n")
    return proof, entry


def _verify(ledger: Ledger, proof: Path, entry: Path, *extra: str) -> Result:
    return ledger.cli("verify-proof", proof, "--entry", entry, "--key", ledger.vkey, *extra)


def test_proofs_of_first_middle_and_last_entries_verify_offline(
    ledger: Ledger, tmp_path: Path
) -> None:
    kinds = ("log.initialised", "credit.rules_adopted", "member.admitted")
    for seq, kind in enumerate(kinds):
        proof, entry = _prove(ledger, seq, tmp_path)
        assert proof.read_bytes().startswith(b"c2sp.org/tlog-proof@v1\nindex %d\n" % seq)
        result = _verify(ledger, proof, entry)
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[:3] == [
            "proof ok",
            f"kind       {kind}",
            f"seq        {seq}",
        ]


def _flip(text: bytes, old: bytes, new: bytes) -> bytes:
    assert old in text, old
    return text.replace(old, new, 1)


def test_a_changed_proof_entry_or_checkpoint_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    proof, entry = _prove(ledger, 2, tmp_path)
    good_proof, good_entry = proof.read_bytes(), entry.read_bytes()
    entry.write_bytes(_flip(good_entry, b"Croydon", b"Croydom"))
    refused = _verify(ledger, proof, entry)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: inclusion: ")
    entry.write_bytes(good_entry)
    path_hash = good_proof.split(b"\n")[2]
    proof.write_bytes(_flip(good_proof, path_hash, base64.b64encode(bytes(32))))
    assert _verify(ledger, proof, entry).stderr.startswith("error: inclusion: ")
    proof.write_bytes(_flip(good_proof, b"\n3\n", b"\n4\n"))
    refused = _verify(ledger, proof, entry)
    assert refused.exit_code == 1
    assert "signature by known key" in refused.stderr and "does not verify" in refused.stderr
    proof.write_bytes(good_proof)
    stranger = NoteSigner.generate(ORIGIN).verifier.vkey()
    refused = ledger.cli("verify-proof", proof, "--entry", entry, "--key", stranger)
    assert refused.stderr == "error: note has no verified signature from a known key\n"
    proof.write_bytes(b"c2sp.org/tlog-proof@v2\n" + good_proof.split(b"\n", 1)[1])
    refused = _verify(ledger, proof, entry)
    assert refused.stderr == "error: proof file: line 1 is not 'c2sp.org/tlog-proof@v1'\n"


def test_witness_cosignatures_are_counted(ledger: Ledger, tmp_path: Path) -> None:
    proof, entry = _prove(ledger, 1, tmp_path)
    head, _, note = proof.read_text().partition("\n\n")
    first, second = Cosigner.generate("w1.example"), Cosigner.generate("w2.example")
    body, _ = split_note(note)
    cosigned = with_cosignatures(note, [first.cosign(body, 1_700_000_000)])
    proof.write_text(head + "\n\n" + cosigned)
    keys = ("--witness-key", first.verifier.vkey(), "--witness-key", second.verifier.vkey())
    ok = _verify(ledger, proof, entry, "--witnesses", "1", *keys)
    assert ok.exit_code == 0, ok.output
    assert "witness    w1.example at 1700000000" in ok.stdout
    short = _verify(ledger, proof, entry, "--witnesses", "2", *keys)
    assert short.exit_code == 1
    assert short.stderr.startswith("error: checkpoint: 1 valid cosignature(s)")
    line = cosigned.splitlines()[-1]
    bent = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
    proof.write_text(head + "\n\n" + cosigned.replace(line, bent))
    bad = _verify(ledger, proof, entry, "--witnesses", "1", *keys)
    assert bad.stderr == "error: cosignature by w1.example does not verify\n"


def test_export_audits_offline_as_the_database_does(ledger: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "all.export"
    exported = ledger.cli("export", "--data", ledger.root, "--out", out)
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.startswith(f"exported 3 entries and 3 checkpoints to {out} (")
    audited = runner.invoke(app, ["audit", "--export", str(out)])  # no database given
    assert audited.exit_code == 0, audited.output
    offline = ledger.cli("audit", "--data", ledger.root).stdout.splitlines()[0]
    assert audited.stdout.splitlines() == [offline, RECOUNT_OK]
    pinned = runner.invoke(app, ["audit", "--export", str(out), "--key", ledger.vkey])
    assert pinned.exit_code == 0
    stranger = NoteSigner.generate(ORIGIN).verifier.vkey()
    refused = runner.invoke(app, ["audit", "--export", str(out), "--key", stranger])
    assert refused.stderr == "error: export: its log key is not the key given to trust\n"


def test_a_changed_export_byte_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "all.export"
    assert ledger.cli("export", "--data", ledger.root, "--out", out).exit_code == 0
    out.write_bytes(_flip(out.read_bytes(), b'"Croydon"', b'"Croydom"'))
    refused = runner.invoke(app, ["audit", "--export", str(out)])
    assert refused.exit_code == 1
    assert refused.stderr == "error: entry 2: signature does not verify\n"


def test_usage_errors_exit_2_and_write_nothing(ledger: Ledger, tmp_path: Path) -> None:
    before = sorted(tmp_path.iterdir())
    both = ledger.cli("audit", "--export", tmp_path / "x", "--data", ledger.root)
    assert both.exit_code == 2
    alone = ledger.cli("prove", "--data", ledger.root, "--seq", "1", "--entry-out", tmp_path / "e")
    assert alone.exit_code == 2
    missing = ledger.cli("export", "--data", ledger.root, "--out", tmp_path / "no" / "x.export")
    assert missing.exit_code == 2
    beyond = ledger.cli("prove", "--data", ledger.root, "--seq", "3", "--out", tmp_path / "p")
    assert beyond.exit_code == 1 and beyond.stderr.startswith("error: index 3")
    unreadable = runner.invoke(app, ["audit", "--export", str(tmp_path / "none.export")])
    assert unreadable.exit_code == 1 and unreadable.stderr.count("\n") == 1
    assert sorted(tmp_path.iterdir()) == before


def test_a_member_asks_the_server_then_verifies_with_it_gone(
    ledger: Ledger, tmp_path: Path
) -> None:
    proof, entry = tmp_path / "a.tlog-proof", tmp_path / "a.entry"
    with serving(ledger.root, ledger.env) as url:
        args = ("prove", "--url", url, "--seq", "2", "--out", proof, "--entry-out", entry)
        fetched = ledger.cli(*map(str, args))
        assert fetched.exit_code == 0, fetched.output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/healthz", timeout=1)
    result = _verify(ledger, proof, entry)
    assert result.exit_code == 0, result.output
    assert "member.admitted" in result.stdout
    local, local_entry = _prove(ledger, 2, tmp_path / "ledger")
    assert proof.read_bytes() == local.read_bytes()
    assert entry.read_bytes() == local_entry.read_bytes()
