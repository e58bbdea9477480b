"""The command line: init, keygen, admit, checkpoint, prove, audit (offline and --url), demo."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from api.demo import member_id
from api.demo_script import phases
from ledger.checkpoint import verify_checkpoint
from ledger.credits.community import load_community
from ledger.merkle import verify_inclusion
from ledger.note import NoteSigner, NoteVerifier
from ledger.signing import Keypair
from ledger.statement import Entry
from tests.support import serving

ORIGIN = "cli.coopledger.example/log"
runner = CliRunner()
ORIGIN_OF_DEMO = str(load_community()["origin"])


def cli(*args: str | Path) -> Result:
    """Run ``coopledger`` with these arguments."""
    return runner.invoke(app, [str(a) for a in args])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """An initialised data directory with one admitted member (entries 0 and 1)."""
    root = tmp_path / "ledger"
    assert cli("init", "--data", root, "--origin", ORIGIN).exit_code == 0
    key = Keypair.generate()
    result = cli(
        "admit",
        "--data",
        root,
        "--member",
        "m-0001",
        "--public-key",
        key.public_key_b64,
        "--kind",
        "sme",
        "--borough",
        "Croydon",
        "--name",
        "Croydon Print",
        "--email",
        "a@b.example",
    )
    assert result.exit_code == 0, result.output
    assert "admitted m-0001 at entry 2" in result.stdout
    return root


def test_init_writes_private_keys_and_refuses_to_overwrite(data: Path) -> None:
    assert _mode(data / "log.key") == 0o600 and _mode(data / "steward.key") == 0o600
    document = json.loads((data / "coopledger.json").read_text())
    assert document == {"origin": ORIGIN, "database_url": None}
    assert (data / "ledger.db").is_file()
    again = cli("init", "--data", data)
    assert again.exit_code == 1
    assert again.stderr.count("\n") == 1 and "not overwriting" in again.stderr


def test_keygen_writes_mode_0600_and_prints_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "alice.key"
    result = cli("keygen", "--out", path, "--member", "m-alice")
    assert result.exit_code == 0
    assert _mode(path) == 0o600
    seed = json.loads(path.read_text())["seed"]
    assert seed not in result.output and "public key" in result.stdout
    assert cli("keygen", "--out", path).exit_code == 1


def test_admit_keeps_the_name_off_the_log(data: Path) -> None:
    with sqlite3.connect(data / "ledger.db") as db:
        rows = db.execute("SELECT member, name, email FROM directory").fetchall()
        bodies = b"".join(row[0] for row in db.execute("SELECT body FROM entries"))
    db.close()
    assert rows == [("m-0001", "Croydon Print", "a@b.example")]
    assert b"Croydon Print" not in bodies and b"a@b.example" not in bodies


def _usage_errors(result: Result) -> list[str]:
    """The error lines of a usage error (exit 2)."""
    assert result.exit_code == 2, result.output
    return [line for line in result.output.splitlines() if "rror" in line]


def test_admit_records_a_handle_that_reports_accept(data: Path) -> None:
    def admit(member: str, *extra: str) -> Result:
        return cli(
            "admit",
            "--data",
            data,
            "--member",
            member,
            "--public-key",
            Keypair.generate().public_key_b64,
            "--kind",
            "sme",
            "--borough",
            "Sutton",
            *extra,
        )

    admitted = admit("m-0002", "--handle", "sutton-books")
    assert admitted.exit_code == 0, admitted.output
    assert admitted.stdout == "admitted m-0002 at entry 3\nhandle sutton-books\n"
    with sqlite3.connect(data / "ledger.db") as db:
        rows = db.execute("SELECT member, handle, name FROM directory ORDER BY member").fetchall()
    db.close()
    assert rows == [("m-0001", None, "Croydon Print"), ("m-0002", "sutton-books", None)]
    by_handle = cli("report", "statement", "sutton-books", "--data", data, "--csv")
    assert by_handle.exit_code == 0 and by_handle.stdout.startswith("member,")
    assert _usage_errors(admit("m-0003", "--handle", "sutton-books")) == [
        "Error: Invalid value for '--handle': 'sutton-books' is the handle of m-0002; "
        "choose another"
    ]
    assert _usage_errors(admit("m-0003", "--handle", "m-0001")) == [
        "Error: Invalid value for '--handle': 'm-0001' is a member's id; choose another"
    ]
    assert _usage_errors(admit("m-0003", "--handle", "two words")) == [
        "Error: Invalid value for '--handle': 'two words' is not a handle: 1 to 80 "
        "characters, no spaces"
    ]
    assert cli("audit", "--data", data).stdout.startswith("audit ok: 4 entries")  # none added


def test_checkpoint_and_prove_print_verifiable_output(data: Path) -> None:
    verifier = NoteVerifier.from_vkey(json_vkey(data))
    note = cli("checkpoint", "--data", data).stdout
    checkpoint = verify_checkpoint(note, verifier, origin=ORIGIN)
    assert checkpoint.size == 3
    proof = json.loads(cli("prove", "--data", data, "--index", "2").stdout)
    assert (proof["index"], proof["size"], proof["root"]) == (2, 3, checkpoint.root.hex())
    verify_inclusion(
        leaf_hash=bytes.fromhex(proof["leaf_hash"]),
        index=2,
        size=3,
        path=[bytes.fromhex(h) for h in proof["path"]],
        root=checkpoint.root,
    )
    out_of_range = cli("prove", "--data", data, "--index", "3")
    assert out_of_range.exit_code == 1 and out_of_range.stderr.startswith("error: index 3")


def json_vkey(data: Path) -> str:
    """The log's verifier key, read from entry 0 as any auditor can."""
    with sqlite3.connect(data / "ledger.db") as db:
        (body,) = db.execute("SELECT body FROM entries WHERE seq = 0").fetchone()
    db.close()
    return str(Entry.parse(body).statement.body["log_key"])


def test_audit_ok_prints_one_summary_line(data: Path) -> None:
    result = cli("audit", "--data", data)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("audit ok: 3 entries, 3 checkpoints, root ")


def _tamper(db_path: Path, triggers: list[str], sql: str, params: tuple[object, ...]) -> None:
    """What an attacker with the file does: drop the append-only triggers, then rewrite."""
    db = sqlite3.connect(db_path)
    for trigger in triggers:
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute(sql, params)
    db.commit()
    db.close()


def test_audit_names_a_rewritten_entry(data: Path) -> None:
    with sqlite3.connect(data / "ledger.db") as db:
        (body,) = db.execute("SELECT body FROM entries WHERE seq = 2").fetchone()
    db.close()
    forged = body.replace(b"Croydon", b"Croydom")
    sql = "UPDATE entries SET body = ?, leaf_hash = ? WHERE seq = 2"
    _tamper(data / "ledger.db", ["entries_no_update"], sql, (forged, Entry.parse(forged).leaf_hash))
    result = cli("audit", "--data", data)
    assert result.exit_code == 1
    assert result.stderr == "error: entry 2: signature does not verify\n"


def test_audit_names_a_rewritten_checkpoint(data: Path) -> None:
    with sqlite3.connect(data / "ledger.db") as db:
        (note,) = db.execute("SELECT note FROM checkpoints WHERE size = 1").fetchone()
    db.close()
    text, _, signature = note.rpartition("— ")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    sql = "UPDATE checkpoints SET note = ? WHERE size = 1"
    _tamper(data / "ledger.db", ["checkpoints_no_update"], sql, (text + "— " + flipped,))
    result = cli("audit", "--data", data)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: checkpoint 1: ")
    assert result.stderr.count("\n") == 1


def test_expected_errors_are_one_line_without_traceback(tmp_path: Path, data: Path) -> None:
    missing = cli("audit", "--data", tmp_path / "nowhere")
    assert missing.exit_code == 1
    assert (
        missing.stderr
        == f"error: no data directory at {tmp_path / 'nowhere'}; run coopledger init --data DIR\n"
    )
    (data / "log.key").chmod(0o644)
    open_key = cli("serve", "--data", data)
    assert open_key.exit_code == 1 and "readable by others" in open_key.stderr
    assert "Traceback" not in open_key.output
    assert cli("audit").exit_code == 2
    assert cli("audit", "--data", data, "--url", "http://127.0.0.1:9").exit_code == 2


def test_keys_may_come_from_the_environment_instead_of_files(data: Path) -> None:
    log_key = (data / "log.key").read_text()
    steward = json.loads((data / "steward.key").read_text())["seed"]
    (data / "log.key").unlink()
    (data / "steward.key").unlink()
    env = {"COOPLEDGER_DATA": str(data), "COOPLEDGER_LOG_KEY": log_key}
    assert runner.invoke(app, ["audit"], env=env).exit_code == 0
    args = ["admit", "--member", "m-0002", "--public-key", Keypair.generate().public_key_b64]
    args += ["--kind", "sme", "--borough", "Sutton"]
    admitted = runner.invoke(app, args, env={**env, "COOPLEDGER_STEWARD_KEY": steward})
    assert admitted.exit_code == 0, admitted.output
    assert log_key not in admitted.output and steward not in admitted.output
    other = NoteSigner.generate(ORIGIN).skey()
    refused = runner.invoke(app, ["serve"], env={**env, "COOPLEDGER_LOG_KEY": other})
    assert refused.exit_code == 1
    assert refused.stderr == "error: the configured log key is not the one named in entry 0\n"


def test_demo_builds_audits_and_reuses_its_directory(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    first = cli("demo", "--data", root, "--no-serve")
    assert first.exit_code == 0, first.output
    assert "Croydon Print Co-operative" in first.stdout
    printer = member_id(ORIGIN_OF_DEMO, "croydon-print")
    assert f"handle croydon-print, id {printer}" in first.stdout
    row = f"│ croydon-print        │ {printer} │ sme"
    assert row in first.stdout
    assert "audit ok: 114 entries" in first.stdout
    assert "projections ok" in first.stdout
    assert first.stderr == ""  # no progress when stderr is not a terminal
    for shown in (
        "confirms its own claim: refused",
        "per_pair_month cap",
        "room for 2",
        "reverses a mistaken award",
        "statement: croydon-print",
        "Gini",
        "Next quarter's workshop series: open for 14 days",
    ):
        assert shown in first.stdout, shown
    with sqlite3.connect(root / "ledger.db") as db:
        names = db.execute("SELECT member, handle, name FROM directory").fetchall()
    db.close()
    assert len(names) == 8 and all(m.startswith("m-") and h not in m for m, h, _ in names)
    assert sorted(p.name for p in (root / "members").iterdir())[0] == "anchor-university.key"
    again = cli("demo", "--data", root, "--no-serve")
    assert again.exit_code == 0
    assert "reusing the demo ledger" in again.stdout and "audit ok: 114 entries" in again.stdout
    assert row in again.stdout and "members/croydon-print.key" in again.stdout


def test_demo_shows_its_phases_on_a_terminal(tmp_path: Path) -> None:
    shown = runner.invoke(
        app, ["demo", "--data", str(tmp_path / "demo"), "--no-serve"], env={"TTY_COMPATIBLE": "1"}
    )
    assert shown.exit_code == 0, shown.output
    names = [*phases(), "auditing"]
    assert names[:3] == [
        "creating the ledger",
        "admitting the members",
        "forming the working groups",
    ]
    assert "a month of credits" in names and "the sealed vote on priorities" in names
    at = [shown.stderr.find(f"[{i}/{len(names)}] {name}\n") for i, name in enumerate(names, 1)]
    assert -1 not in at and at == sorted(at), shown.stderr
    assert "audit ok: 114 entries" in shown.stdout


@pytest.fixture
def server(data: Path) -> Iterator[str]:
    """``coopledger serve`` in a process of its own on a free port; stopped afterwards."""
    with serving(data) as url:
        yield url


def test_audit_url_against_a_served_ledger(server: str, data: Path) -> None:
    result = cli("audit", "--url", server)
    assert result.exit_code == 0, result.output
    offline = cli("audit", "--data", data)
    assert result.stdout.split(",")[0] == "audit ok: 3 entries"
    assert result.stdout.split("root")[1] == offline.stdout.splitlines()[0].split("root")[1] + "\n"
    pinned = cli("audit", "--url", server, "--key", json_vkey(data))
    assert pinned.exit_code == 0
    stranger = NoteSigner.generate(ORIGIN).verifier.vkey()
    refused = cli("audit", "--url", server, "--key", stranger)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: checkpoint (latest served): note has no verified")


def test_reports_and_rebuild_on_the_demo(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert cli("demo", "--data", root, "--no-serve").exit_code == 0
    balances = cli("report", "balances", "--data", root, "--csv")
    assert balances.exit_code == 0, balances.output
    rows = {line.split(",")[1]: line.split(",")[2] for line in balances.stdout.splitlines()[1:]}
    assert rows["croydon-print"] == "12" and rows["richmond-studio"] == "0"
    statement = cli("report", "statement", "sutton-books", "--data", root, "--csv")
    assert statement.stdout.splitlines()[0].startswith("member,seq,kind,award")
    assert statement.stdout.count("\n") == 3
    totals = cli("report", "totals", "activity", "--data", root, "--csv").stdout
    assert "activity,mentoring.hour,6" in totals and "activity,bid.support.hour,8" in totals
    social = cli("report", "social-value", "2026Q4", "--data", root).stdout
    assert "computed at checkpoint size 114" in social
    assert cli("report", "gini", "--data", root).stdout.startswith("members 9, credits 42")
    assert _usage_errors(cli("report", "statement", "nobody", "--data", root)) == [
        "Error: Invalid value for 'MEMBER': no member with id or handle 'nobody'"
    ]
    assert "rebuilt the projections from 114 entries" in cli("rebuild", "--data", root).stdout
    assert "projections ok" in cli("audit", "--data", root).stdout
