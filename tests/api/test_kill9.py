"""kill -9 of a real server while 32 clients submit signed statements, again and again.

After every kill the server is started again and each statement whose answer was lost is
sent again, byte for byte: it is answered with its receipt (the original one when it had
been logged before the kill). At the end every statement sent is in the log exactly once,
at the seq its receipt named, with no gap, the latest checkpoint covers the whole log, and
the audit (entries, tree, signatures, checkpoints, each consistent with the one before, and
projections against a replay) passes. With two servers on one PostgreSQL, one killed again
and again, the other answers every statement sent to it throughout.
Bounded: ``KILLS`` kills per backend, each after a random fraction of a second of load.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.runtime import init_ledger, open_store
from ledger.authoring import StatementFactory
from ledger.bootstrap import admission
from ledger.config import LedgerConfig, Settings
from ledger.signing import Keypair
from ledger.statement import Entry, SignedStatement
from tests.api.test_two_servers import COOPLEDGER, _free_port, _wait_healthy
from tests.conftest import SQL_BACKENDS

ORIGIN = "kill9.coopledger.example/log"
CLIENTS = 32
KILLS = 10
LOAD_SECONDS = (0.5, 2.0)
"""How long the clients load the server before each kill (a random time in this range),
counted from its first answer of the round."""
START_SECONDS = 60


@dataclass
class Ledgers:
    """What the clients sent, and what the server said of it."""

    config: LedgerConfig
    factory: StatementFactory
    steward: Keypair
    sent: dict[str, SignedStatement] = field(default_factory=dict)
    """Every statement sent, by nonce."""
    receipts: dict[str, tuple[int, str]] = field(default_factory=dict)
    """(seq, leaf hash) of each acknowledged statement, by nonce."""
    unanswered: dict[str, int] = field(default_factory=dict)
    """How many submissions each server (by URL) left without a receipt."""

    def admission(self, client: int, n: int) -> SignedStatement:
        key = Keypair.generate().public_key_b64
        body = admission(f"m{client}-{n}", key, member_kind="sme", borough="Lambeth")
        signed = self.factory.sign(self.steward, "member.admitted", body)
        self.sent[signed.statement.nonce] = signed
        return signed

    def acknowledge(self, signed: SignedStatement, answer: httpx.Response) -> None:
        body = answer.json()
        receipt = (int(body["seq"]), str(body["leaf_hash"]))
        earlier = self.receipts.setdefault(signed.statement.nonce, receipt)
        assert earlier == receipt, f"a statement got two receipts: {earlier} and {receipt}"


def _server_env(data: Path, database_url: str) -> dict[str, str]:
    """A server's environment: the ledger's folder and database, no rate limit in the way."""
    return {
        **os.environ,
        "COOPLEDGER_DATA": str(data),
        "COOPLEDGER_DATABASE_URL": database_url,
        "COOPLEDGER_MUTATION_RATE": "100000",
        "COOPLEDGER_MUTATION_BURST": "100000",
    }


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [COOPLEDGER, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        _wait_healthy(self.url, self.process, time.monotonic() + START_SECONDS)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


async def _submit(client: httpx.AsyncClient, ledgers: Ledgers, signed: SignedStatement) -> bool:
    """Whether ``signed`` was acknowledged (an answer lost to a kill is ``False``)."""
    url = str(client.base_url)
    try:
        answer = await client.post("/log/statements", json=signed.to_json(), timeout=10)
    except httpx.HTTPError:
        ledgers.unanswered[url] = ledgers.unanswered.get(url, 0) + 1
        return False
    if answer.status_code != 201:
        assert answer.status_code == 503, answer.text  # the database at a kill, never a 500
        ledgers.unanswered[url] = ledgers.unanswered.get(url, 0) + 1
        return False
    ledgers.acknowledge(signed, answer)
    return True


async def _load(urls: list[str], ledgers: Ledgers, stop: asyncio.Event, round_no: int) -> None:
    """``CLIENTS`` clients, spread over the servers at ``urls``, each submitting one statement
    after another until ``stop``."""

    async def one(client_no: int) -> None:
        async with httpx.AsyncClient(base_url=urls[client_no % len(urls)]) as client:
            n = 0
            while not stop.is_set():
                await _submit(client, ledgers, ledgers.admission(client_no, round_no * 10_000 + n))
                n += 1

    await asyncio.gather(*(one(i) for i in range(CLIENTS)))


async def _under_load(ledgers: Ledgers, seconds: float) -> None:
    """Wait until a server has answered a statement of this round (a slow machine may take a
    while), then ``seconds`` more: the kill then meets a server under load."""
    answered, deadline = len(ledgers.receipts), time.monotonic() + START_SECONDS
    while len(ledgers.receipts) == answered and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(seconds)


async def _resend_lost(url: str, ledgers: Ledgers) -> None:
    lost = [s for nonce, s in ledgers.sent.items() if nonce not in ledgers.receipts]
    async with httpx.AsyncClient(base_url=url) as client:
        for signed in lost:
            assert await _submit(client, ledgers, signed), "a resent statement was not answered"


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
@pytest.mark.slow
def test_kill_9_under_load_loses_nothing_acknowledged(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = asyncio.run(
        init_ledger(
            Settings(data=data, database_url=database_url), origin=ORIGIN, steward_id="steward"
        )
    )
    ledgers = Ledgers(config, StatementFactory(ORIGIN), config.steward())
    env = _server_env(data, database_url)
    server = Server(env, tmp_path / "serve.log")
    chance = random.Random(20261203)
    try:
        for round_no in range(KILLS):
            server.start()
            asyncio.run(_resend_lost(server.url, ledgers))

            async def load_then_kill(round_no: int = round_no) -> None:
                stop = asyncio.Event()
                work = asyncio.ensure_future(_load([server.url], ledgers, stop, round_no))
                await _under_load(ledgers, chance.uniform(*LOAD_SECONDS))
                stop.set()  # no new statements; those in flight meet the kill
                server.kill()
                await work

            asyncio.run(load_then_kill())
        server.start()
        asyncio.run(_resend_lost(server.url, ledgers))
    finally:
        server.stop()
    asyncio.run(_check(config, ledgers, data, database_url))


@pytest.mark.postgres
@pytest.mark.slow
def test_two_servers_one_killed_mid_batch(postgres_url: str, tmp_path: Path) -> None:
    """Two servers on one PostgreSQL; one is killed again and again while both take load:
    the other answers every statement sent to it, and the log never forks."""
    data = tmp_path / "data"
    settings = Settings(data=data, database_url=postgres_url)
    config = asyncio.run(init_ledger(settings, origin=ORIGIN, steward_id="steward"))
    ledgers = Ledgers(config, StatementFactory(ORIGIN), config.steward())
    env = _server_env(data, postgres_url)
    steady, killed = Server(env, tmp_path / "steady.log"), Server(env, tmp_path / "killed.log")
    chance = random.Random(20261204)
    try:
        steady.start()
        for round_no in range(KILLS // 2):
            killed.start()

            async def load_then_kill(round_no: int = round_no) -> None:
                stop = asyncio.Event()
                urls = [steady.url, killed.url]
                work = asyncio.ensure_future(_load(urls, ledgers, stop, round_no))
                await _under_load(ledgers, chance.uniform(*LOAD_SECONDS))
                killed.kill()  # mid-batch: the steady server's clients go on meanwhile
                await asyncio.sleep(0.3)
                stop.set()
                await work

            asyncio.run(load_then_kill())
        asyncio.run(_resend_lost(steady.url, ledgers))
    finally:
        steady.stop()
        killed.stop()
    assert ledgers.unanswered.get(steady.url, 0) == 0, ledgers.unanswered
    assert ledgers.unanswered.get(killed.url, 0) > 0  # the kills met requests in flight
    asyncio.run(_check(config, ledgers, data, postgres_url, at_least=CLIENTS))


async def _check(
    config: LedgerConfig, ledgers: Ledgers, data: Path, url: str, at_least: int = KILLS * CLIENTS
) -> None:
    assert len(ledgers.receipts) == len(ledgers.sent) > at_least
    store = await open_store(url)
    try:
        size = await store.size()
        rows = await store.entries(0, size)
        assert [row.seq for row in rows] == list(range(size))  # no gaps
        by_nonce: dict[str, list[Any]] = {}
        for row in rows:
            by_nonce.setdefault(Entry.parse(row.data).statement.nonce, []).append(row)
        for nonce, (seq, leaf_hash) in ledgers.receipts.items():
            (row,) = by_nonce[nonce]  # exactly once
            assert (row.seq, row.leaf_hash.hex()) == (seq, leaf_hash)
        latest = await store.checkpoint()
        assert latest is not None and latest.size == size
    finally:
        await store.close()
    env = {**os.environ, "COOPLEDGER_DATA": str(data), "COOPLEDGER_DATABASE_URL": url}
    audit = subprocess.run(  # noqa: S603 - entries, tree, signatures, projections vs a replay
        [COOPLEDGER, "audit", "--data", str(data)], env=env, capture_output=True, timeout=300
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert b"projections ok" in audit.stdout
