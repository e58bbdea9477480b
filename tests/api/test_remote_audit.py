"""``coopledger audit --url URL --state DIR`` against real servers on 127.0.0.1, SQLite and
PostgreSQL: the first run checks everything, later runs only the new entries; the log key
is pinned; a rolled-back or forked server gets a misbehaviour proof that
``coopledger verify-misbehaviour`` accepts (and an edited one it refuses); an API whose
balances differ from the log is caught."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from api.client import CoopClient
from api.runtime import init_ledger, projectors
from ledger.audit_resume import STATE_FILE, audit_remembered, log_folder
from ledger.config import LedgerConfig, Settings
from ledger.credits.rules import rule_table_from_community
from ledger.encoding import utc_now
from ledger.note import NoteSigner
from ledger.signing import Keypair
from tests.api.graphql_world import ORIGIN, RULES, TODAY
from tests.conftest import POSTGRES_ENV, SQL_BACKENDS

runner = CliRunner()
COOPLEDGER = [sys.executable, "-m", "api.cli"]


def cli(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """A ledger (data directory and database) that a test serves, stops, copies and edits."""

    def __init__(self, data: Path, database_url: str, config: LedgerConfig) -> None:
        self.data, self.database_url, self.config = data, database_url, config
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "COOPLEDGER_DATA": str(self.data),
            "COOPLEDGER_DATABASE_URL": self.database_url,
            "COOPLEDGER_MUTATION_RATE": "1000",
            "COOPLEDGER_MUTATION_BURST": "1000",
        }
        command = [*COOPLEDGER, "serve", "--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not answer /healthz in time"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def as_steward(self, act: Callable[[CoopClient], Awaitable[object]]) -> None:
        """Run ``act`` with a client signing as the steward."""

        async def go() -> None:
            steward = self.config.steward()
            async with CoopClient(self.url, keypair=steward, member="steward") as client:
                await act(client)

        asyncio.run(go())

    def admit(self, *members: str) -> None:
        async def act(client: CoopClient) -> None:
            for member in members:
                key = Keypair.generate().public_key_b64
                await client.admit(member=member, public_key=key, kind="sme", borough="Sutton")

        self.as_steward(act)

    def award(self, *members: str) -> None:
        self.as_steward(
            lambda client: client.record_register(
                activity="workshop.attended",
                held_on=TODAY,
                attendees=list(members),
                title="Fit to Bid",
                group=None,
            )
        )

    def decide(self) -> None:
        """The steward opens a motion in the assembly, votes, closes it early and records
        the decision."""

        async def act(client: CoopClient) -> None:
            proposal = await client.propose(
                group="assembly",
                title="Adopt the charter",
                text="Shall we adopt the community data charter?",
                method="proposal",
                closes_at=utc_now() + timedelta(days=1),
            )
            await client.vote(proposal, {"choice": "agree"})
            await client.close(proposal, "early")
            await client.decide(proposal, "The charter is adopted.", TODAY + timedelta(days=90))

        self.as_steward(act)

    def execute(self, sql: str) -> None:
        """Run ``sql`` on the server's database behind its back (a tampered projection)."""
        if self.database_url.startswith("sqlite"):
            with sqlite3.connect(self.database_url.partition(":///")[2]) as conn:
                conn.execute(sql)
            return
        asyncio.run(_pg(self.database_url, sql))


async def _pg(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def copies(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """PostgreSQL databases copied by a test, dropped afterwards."""
    made: list[str] = []
    yield made
    admin = os.environ.get(POSTGRES_ENV, "")
    for name in made:
        asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def copy_of(served: Served, tmp_path: Path, name: str, copies: list[str]) -> Served:
    """A stopped copy of ``served``'s data directory and database: the same log key, the
    same history so far, ready to diverge."""
    assert served.process is None, "stop the server before copying its database"
    data = tmp_path / name
    shutil.copytree(served.data, data)
    url = served.database_url
    if url.startswith("sqlite"):
        source = Path(url.partition(":///")[2])
        target = tmp_path / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source}{suffix}").exists():
                shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
        copied = f"sqlite+aiosqlite:///{target}"
    else:
        base, _, database = url.rpartition("/")
        copy = f"{database}_{name}"[:60]
        admin = os.environ[POSTGRES_ENV]
        asyncio.run(_pg(admin, f'CREATE DATABASE "{copy}" TEMPLATE "{database}"'))
        copies.append(copy)
        copied = f"{base}/{copy}"
    return Served(data, copied, served.config)


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    """An initialised ledger on the test's backend, served on 127.0.0.1."""
    data = tmp_path / "data"
    settings = Settings(data=data, database_url=database_url)
    config = asyncio.run(
        init_ledger(
            settings, origin=ORIGIN, steward_id="steward", rules=rule_table_from_community(RULES)
        )
    )
    log = Served(data, database_url, config)
    log.start()
    try:
        yield log
    finally:
        log.stop()


backends = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


def _audit(url: str, state: Path, *more: object) -> Result:
    return cli("audit", "--url", url, "--state", state, *more)


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


async def _audit_counting(url: str, state: Path) -> tuple[list[tuple[int, int]], str]:
    """The remembered audit, with the ranges of entries it asked the server for."""
    asked: list[tuple[int, int]] = []

    async def note(request: httpx.Request) -> None:
        if request.url.path == "/log/entries":
            asked.append((int(request.url.params["start"]), int(request.url.params["end"])))

    async with httpx.AsyncClient(timeout=30, event_hooks={"request": [note]}) as client:
        done = await audit_remembered(client, url, state, projectors=projectors())
    return asked, done.summary()


@backends
def test_a_second_run_downloads_only_the_new_entries(served: Served, tmp_path: Path) -> None:
    state = tmp_path / "state"
    served.admit("member-0", "member-1")
    first = _ok(_audit(served.url, state))
    assert first.startswith("audit ok: 4 entries") and "4 new entries since 0" in first
    assert "api ok: 3 balances and decisions" in first
    remembered = json.loads((log_folder(state, ORIGIN) / STATE_FILE).read_text())
    assert remembered["size"] == 4 and remembered["log_key"] == served.config.log_verifier.vkey()

    served.admit("member-2", "member-3", "member-4")
    asked, summary = asyncio.run(_audit_counting(served.url, state))
    assert asked == [(4, 7)], asked
    assert summary.startswith("audit ok: 7 entries") and "3 new entries since 4" in summary

    again = _ok(_audit(served.url, state))
    assert "0 new entries since 7" in again and "api ok: 6 balances" in again

    # A run that committed its entries to replay.db but stopped before replacing state.json:
    # the next one goes on from replay.db's checkpoint.
    kept = log_folder(state, ORIGIN) / STATE_FILE
    before = kept.read_bytes()
    served.admit("member-5")
    _ok(_audit(served.url, state))
    kept.write_bytes(before)
    assert "0 new entries since 8" in _ok(_audit(served.url, state))
    assert json.loads(kept.read_text())["size"] == 8


@backends
def test_the_log_key_is_pinned(served: Served, tmp_path: Path) -> None:
    state = tmp_path / "state"
    _ok(_audit(served.url, state, "--key", served.config.log_verifier.vkey()))
    stranger = NoteSigner.generate(ORIGIN).verifier.vkey()
    refused = _audit(served.url, state, "--key", stranger)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error: the log key {stranger} is not the key remembered")
    assert "0 new entries" in _ok(_audit(served.url, state))  # trusting the pinned key


@backends
def test_a_rolled_back_server_is_refused(served: Served, tmp_path: Path, copies: list[str]) -> None:
    state = tmp_path / "state"
    served.admit("member-0")
    served.stop()
    old = copy_of(served, tmp_path, "old", copies)
    served.start()
    served.admit("member-1", "member-2")
    _ok(_audit(served.url, state))
    served.stop()

    old.start()
    try:
        rolled = _audit(old.url, state)
        assert rolled.exit_code == 1
        message = rolled.stderr
        assert message.startswith("error: rollback: the server's checkpoint 3 is behind the")
        assert "no proof of a fork" in message
        evidence = Path(message.rsplit("evidence written to ", 1)[1].strip())
        refused = cli("verify-misbehaviour", evidence)
        assert refused.exit_code == 1 and "not proven: the two checkpoints are consistent" in (
            refused.stderr
        )

        old.admit("member-9")  # the old copy goes on with another history
        forked = _audit(old.url, state)
        assert forked.exit_code == 1 and forked.stderr.startswith("error: rollback and fork")
        proof = Path(forked.stderr.rsplit("proof written to ", 1)[1].strip())
        proven = cli("verify-misbehaviour", proof)
        assert proven.exit_code == 0, proven.output
        assert proven.stdout.startswith("misbehaviour proven: log graphql.coopledger.example/log")
    finally:
        old.stop()


@backends
def test_a_forked_server_gets_a_proof_that_verifies(
    served: Served, tmp_path: Path, copies: list[str]
) -> None:
    state = tmp_path / "state"
    served.admit("member-0")
    served.stop()
    other = copy_of(served, tmp_path, "fork", copies)
    served.start()
    served.admit("alice")
    _ok(_audit(served.url, state))  # remembers size 4
    served.stop()

    other.start()
    try:
        other.admit("bob", "carol", "dave")
        forked = _audit(other.url, state)
        assert forked.exit_code == 1
        assert forked.stderr.startswith(
            "error: fork: the server's checkpoint 6 is not consistent with the remembered "
            "checkpoint 4"
        )
        proof = Path(forked.stderr.rsplit("proof written to ", 1)[1].strip())
        vkey = served.config.log_verifier.vkey()
        proven = _ok(cli("verify-misbehaviour", proof, "--key", vkey))
        assert "signed checkpoint 4" in proven and "checkpoint 6" in proven
        stranger = NoteSigner.generate(ORIGIN).verifier.vkey()
        assert cli("verify-misbehaviour", proof, "--key", stranger).exit_code == 1

        text = proof.read_text()
        hash_line = text.splitlines()[3]
        edited = tmp_path / "edited.txt"
        edited.write_text(text.replace(hash_line, "A" * 43 + "=", 1))
        forged = cli("verify-misbehaviour", edited)
        assert forged.exit_code == 1 and forged.stderr.startswith("error: not proven:")
        # The remembered state is unchanged: the honest server still audits clean.
        assert json.loads((log_folder(state, ORIGIN) / STATE_FILE).read_text())["size"] == 4
    finally:
        other.stop()
    served.start()
    assert "0 new entries since 4" in _ok(_audit(served.url, state))


@backends
def test_equal_sizes_with_two_roots_are_a_fork(
    served: Served, tmp_path: Path, copies: list[str]
) -> None:
    state = tmp_path / "state"
    served.stop()
    other = copy_of(served, tmp_path, "twin", copies)
    served.start()
    served.admit("alice")
    _ok(_audit(served.url, state))
    served.stop()
    other.start()
    try:
        other.admit("bob")
        forked = _audit(other.url, state)
        assert forked.exit_code == 1
        assert "signed checkpoint 3 with another root" in forked.stderr
        proof = Path(forked.stderr.rsplit("proof written to ", 1)[1].strip())
        _ok(cli("verify-misbehaviour", proof))
    finally:
        other.stop()


@backends
def test_an_api_reporting_a_wrong_balance_is_caught(served: Served, tmp_path: Path) -> None:
    state = tmp_path / "state"
    served.admit("member-0", "member-1")
    served.award("member-0", "member-1")
    _ok(_audit(served.url, state))
    served.execute("UPDATE credit_awards SET net = net + 5 WHERE member = 'member-0'")
    caught = _audit(served.url, state)
    assert caught.exit_code == 1
    assert caught.stderr.startswith(
        "error: the API reports balance 7 for member-0; the log gives 2"
    ), caught.stderr


@backends
def test_an_api_reporting_a_wrong_decision_is_caught(served: Served, tmp_path: Path) -> None:
    state = tmp_path / "state"
    served.admit("member-0")
    _ok(_audit(served.url, state))
    served.decide()
    assert "api ok: 3 balances and decisions" in _ok(_audit(served.url, state))
    served.execute(
        "UPDATE governance_proposals SET result = replace(result, '\"ballots\":1', '\"ballots\":2')"
    )
    caught = _audit(served.url, state)
    assert caught.exit_code == 1
    assert caught.stderr.startswith("error: the API reports ballots 2 for the decision on"), (
        caught.stderr
    )


def test_state_is_for_url_only(tmp_path: Path) -> None:
    assert cli("audit", "--data", tmp_path, "--state", tmp_path).exit_code == 2
