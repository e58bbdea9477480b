"""Two real ``coopledger serve`` processes on one PostgreSQL database, written to at once.

Checks: every sequence number from 0 to the size exactly once, every acknowledged statement
present with its leaf hash, one chain of checkpoints each consistent with the one before, a
login on one server honoured by the other, the tally counting every member's latest ballot,
and ``coopledger audit`` passing on the result.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from api.client import CoopClient
from api.runtime import init_ledger
from ledger.checkpoint import verify_checkpoint
from ledger.config import LedgerConfig, Settings
from ledger.credits.rules import rule_table_from_community
from ledger.encoding import utc_now
from ledger.log import LogView
from ledger.signing import Keypair
from ledger.sql import SqlLogStore, make_engine
from ledger.statement import Entry
from tests.api.graphql_world import ORIGIN, RULES, TODAY
from tests.support import assert_consistent

pytestmark = pytest.mark.postgres

MEMBERS = [f"member-{i}" for i in range(8)]
CLAIMS_EACH = 8
BALLOTS_EACH = 3
COOPLEDGER = str(Path(sys.executable).parent / "coopledger")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on {url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the server on {url} did not start")


@pytest.fixture
def servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[list[str], LedgerConfig]]:
    """An initialised ledger on ``postgres_url`` served by two processes on loopback."""
    data = tmp_path / "data"
    settings = Settings(data=data, database_url=postgres_url)
    config = asyncio.run(
        init_ledger(
            settings, origin=ORIGIN, steward_id="steward", rules=rule_table_from_community(RULES)
        )
    )
    env = {
        **os.environ,
        "COOPLEDGER_DATA": str(data),
        "COOPLEDGER_DATABASE_URL": postgres_url,
        "COOPLEDGER_MUTATION_RATE": "1000",
        "COOPLEDGER_MUTATION_BURST": "1000",
    }
    urls, processes = [], []
    try:
        for _ in range(2):
            port = _free_port()
            command = [COOPLEDGER, "serve", "--host", "127.0.0.1", "--port", str(port)]
            with (tmp_path / f"serve-{port}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
                )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for url, process in zip(urls, processes, strict=True):
            _wait_healthy(url, process, deadline)
        yield urls, config
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


async def _setup(urls: list[str], config: LedgerConfig, keys: dict[str, Keypair]) -> int:
    """Admit the members and open a proposal in the assembly through the first server."""
    async with CoopClient(urls[0], keypair=config.steward(), member="steward") as steward:
        for member in MEMBERS:
            await steward.admit(
                member=member, public_key=keys[member].public_key_b64, kind="sme", borough="Sutton"
            )
        return await steward.propose(
            group="assembly",
            title="Adopt the charter",
            text="Shall we adopt the community data charter?",
            method="proposal",
            closes_at=utc_now() + timedelta(days=1),
        )


async def _member_work(
    member: str, keys: dict[str, Keypair], urls: list[str], proposal: int
) -> list[tuple[int, str]]:
    """Claims and ballots by ``member``, alternating servers; the acknowledged (seq, key id)."""
    acknowledged: list[tuple[int, str]] = []
    counterparty = MEMBERS[(MEMBERS.index(member) + 1) % len(MEMBERS)]
    async with (
        CoopClient(urls[0], keypair=keys[member], member=member) as first,
        CoopClient(urls[1], keypair=keys[member], member=member) as second,
    ):
        clients = (first, second)
        for i in range(CLAIMS_EACH):
            client = clients[i % 2]
            seq = await client.claim(
                activity="mentoring.hour",
                quantity=1,
                done_on=TODAY,
                evidence=f"{member} {i}".encode(),
                counterparty=counterparty,
            )
            acknowledged.append((seq, keys[member].key_id))
            if i < BALLOTS_EACH:
                choice = "agree" if i == BALLOTS_EACH - 1 else "disagree"
                seq = await clients[(i + 1) % 2].vote(proposal, {"choice": choice})
                acknowledged.append((seq, keys[member].key_id))
    return acknowledged


async def _scenario(urls: list[str], config: LedgerConfig) -> list[tuple[int, str]]:
    keys = {member: Keypair.generate() for member in MEMBERS}
    proposal = await _setup(urls, config, keys)
    async with CoopClient(urls[0], keypair=keys["member-0"]) as on_first:
        token = await on_first.login()
    async with CoopClient(urls[1], token=token) as on_second:
        me = await on_second.graphql("{ me { member { id } } }")
        assert me["me"]["member"]["id"] == "member-0"
    work = [_member_work(member, keys, urls, proposal) for member in MEMBERS]
    done = await asyncio.wait_for(asyncio.gather(*work), 60)
    async with CoopClient(urls[1]) as reader:
        data = await reader.graphql(
            "query($p: Int!) { proposal(seq: $p) { tally { ... on Tally { counts ballots } } } }",
            {"p": proposal},
        )
    assert data["proposal"]["tally"] == {"counts": [len(MEMBERS), 0, 0, 0], "ballots": len(MEMBERS)}
    return [item for items in done for item in items]


async def _check_store(url: str, config: LedgerConfig, acknowledged: list[tuple[int, str]]) -> None:
    store = SqlLogStore(make_engine(url))
    try:
        size = await store.size()
        rows = await store.entries(0, size)
        assert [row.seq for row in rows] == list(range(size))
        by_seq = {row.seq: row for row in rows}
        assert len({seq for seq, _ in acknowledged}) == len(acknowledged)
        for seq, key_id in acknowledged:
            entry = Entry.parse(by_seq[seq].data)
            assert entry.statement.key_id == key_id
            assert entry.statement.kind in ("credit.claimed", "governance.vote.cast")
        checkpoints = await store.checkpoints(1, 100_000)
        assert checkpoints[-1].size == size
        for row in checkpoints:
            opened = verify_checkpoint(row.note, config.log_verifier, origin=config.origin)
            assert opened.size == row.size and opened.root == row.root
        sizes = [row.size for row in checkpoints]
        assert sizes == sorted(set(sizes))
        await assert_consistent(LogView(store), checkpoints)
    finally:
        await store.close()


def test_two_servers_on_one_database(
    servers: tuple[list[str], LedgerConfig], postgres_url: str
) -> None:
    urls, config = servers
    started = time.monotonic()
    acknowledged = asyncio.run(_scenario(urls, config))
    assert len(acknowledged) == len(MEMBERS) * (CLAIMS_EACH + BALLOTS_EACH)
    asyncio.run(_check_store(postgres_url, config, acknowledged))
    env = {**os.environ, "COOPLEDGER_DATABASE_URL": postgres_url}
    audit = subprocess.run(  # noqa: S603
        [COOPLEDGER, "audit", "--data", str(config.data.root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert audit.returncode == 0, audit.stderr
    assert "audit ok" in audit.stdout
    assert time.monotonic() - started < 90
