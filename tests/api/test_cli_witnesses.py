"""``coopledger witnesses add|remove|quorum|list``: the witnesses in ``coopledger.json``, each
change whole or not at all, and bad input refused with one line and the file unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from ledger.config import DataDir, read_witness_policy, write_config_file
from ledger.cosignature import Cosigner
from ledger.note import NoteSigner

runner = CliRunner()
ORIGIN = "example.coopledger/log"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write_config_file(DataDir(tmp_path), origin=ORIGIN)
    return tmp_path


def _vkey(name: str = "witness.example/w1") -> str:
    return Cosigner.generate(name).verifier.vkey()


def _cli(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["witnesses", *args, "--data", str(data)])
    return result.exit_code, result.output


def test_add_list_quorum_and_remove(data: Path) -> None:
    one, two = _vkey("witness.example/w1"), _vkey("witness.example/w2")
    assert _cli(data, "add", "--url", "http://127.0.0.1:8101", "--key", one) == (
        0,
        f"quorum: 1 of 1 witness\n{one} http://127.0.0.1:8101\n",
    )
    code, out = _cli(data, "add", "--url", "https://w2.example/p", "--key", two, "--quorum", "2")
    assert code == 0 and out.startswith("quorum: 2 of 2 witnesses\n")
    document = json.loads((data / "coopledger.json").read_text())
    assert document["origin"] == ORIGIN and document["database_url"] is None
    assert document["witnesses"] == [
        {"url": "http://127.0.0.1:8101", "key": one},
        {"url": "https://w2.example/p", "key": two},
    ]
    assert document["witness_quorum"] == 2
    code, out = _cli(data, "add", "--url", "http://127.0.0.1:9999", "--key", one)  # moved
    assert code == 0 and f"{one} http://127.0.0.1:9999" in out
    assert _cli(data, "quorum", "1")[0] == 0
    code, out = _cli(data, "list")
    assert code == 0 and out.splitlines()[0] == "quorum: 1 of 2 witnesses"
    assert _cli(data, "remove", "--key", two) == (
        0,
        f"quorum: 1 of 1 witness\n{one} http://127.0.0.1:9999\n",
    )
    assert len(read_witness_policy(DataDir(data)).witnesses) == 1
    assert not list(data.glob(".coopledger.json.*"))  # no temporary file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--url", "ftp://w.example", "--key", "KEY"], "must be http(s)"),
        (["add", "--url", "http://w.example", "--key", "nonsense"], "witness key"),
        (["add", "--url", "http://w.example", "--key", "KEY", "--quorum", "3"], "1 to 2"),
        (["quorum", "5"], "quorum must be 1 to 1"),
        (["remove", "--key", "KEY"], "no witness has the key"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    data: Path, args: list[str], message: str
) -> None:
    assert _cli(data, "add", "--url", "http://127.0.0.1:8101", "--key", _vkey())[0] == 0
    before = (data / "coopledger.json").read_bytes()
    code, out = _cli(data, *[_vkey("witness.example/w9") if a == "KEY" else a for a in args])
    assert code == 1
    assert out.startswith("error: ") and out.count("\n") == 1 and message in out
    assert (data / "coopledger.json").read_bytes() == before


def test_a_log_key_is_not_a_witness_key(data: Path) -> None:
    log_key = NoteSigner.generate(ORIGIN).verifier.vkey()
    code, out = _cli(data, "add", "--url", "http://w.example", "--key", log_key)
    assert code == 1 and "witness key" in out


def test_a_directory_without_a_ledger_is_refused(tmp_path: Path) -> None:
    code, out = _cli(tmp_path / "none", "list")
    assert code == 1 and out.startswith("error: no data directory")


def test_a_malformed_witness_entry_in_the_file_is_named(data: Path) -> None:
    path = data / "coopledger.json"
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "witnesses": [{"url": "http://w.example"}]}))
    code, out = _cli(data, "list")
    assert code == 1 and "coopledger.json" in out and '{"url": ..., "key": ...}' in out
