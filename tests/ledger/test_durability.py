"""An acknowledged append survives kill -9 of the process that made it (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.runtime import admit, init_ledger, open_store, running_ledger
from ledger.audit import audit_store
from ledger.config import Settings, load_config
from ledger.signing import Keypair
from tests.conftest import SQL_BACKENDS

ORIGIN = "durable.coopledger.example/log"
ACKS_BEFORE_KILL = 60
WRITERS = 8

# The appender: WRITERS concurrent submitters, printing each seq once it is acknowledged.
APPENDER = f"""
import asyncio, sys
from api.runtime import admit, running_ledger
from ledger.config import Settings, load_config
from ledger.signing import Keypair

async def writer(ledger, config, name):
    n = 0
    while True:
        n += 1
        receipt = await admit(
            ledger, config, member=f"{{name}}-{{n}}", public_key=Keypair.generate().public_key_b64,
            member_kind="sme", borough="Sutton",
        )
        print(receipt.entry.seq, flush=True)

async def main():
    config = load_config(Settings())
    async with running_ledger(config) as ledger:
        await asyncio.gather(*(writer(ledger, config, f"w{{i}}") for i in range({WRITERS})))

asyncio.run(main())
"""


def _acknowledged_then_killed(env: dict[str, str]) -> list[int]:
    """Run the appender, kill -9 it after some acknowledgements, return every acked seq."""
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", APPENDER],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    out = process.stdout.fileno()
    received = b""
    deadline = time.monotonic() + 30
    try:
        while received.count(b"\n") < ACKS_BEFORE_KILL:
            assert time.monotonic() < deadline, "the appender was too slow"
            assert process.poll() is None, "the appender exited"
            if select.select([out], [], [], 0.5)[0]:
                received += os.read(out, 65536)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        received += process.stdout.read()
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    # A line cut short by the kill was never a complete acknowledgement.
    return [int(line) for line in received.split(b"\n")[:-1]]


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_acknowledged_entries_survive_kill_9(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data=data, database_url=database_url)
    asyncio.run(init_ledger(settings, origin=ORIGIN, steward_id="steward"))
    env = {"COOPLEDGER_DATA": str(data), "COOPLEDGER_DATABASE_URL": database_url}
    acked = _acknowledged_then_killed(env)
    assert len(acked) >= ACKS_BEFORE_KILL and len(set(acked)) == len(acked)
    asyncio.run(_check_after_restart(settings, acked))


async def _check_after_restart(settings: Settings, acked: list[int]) -> None:
    config = load_config(settings)
    store = await open_store(config.database_url)
    try:
        size = await store.size()
        present = {row.seq for row in await store.entries(0, size)}
        assert set(acked) <= present and present == set(range(size))
        report = await audit_store(store, origin=config.origin, log_verifier=config.log_verifier)
        assert report.size == size
    finally:
        await store.close()
    async with running_ledger(config) as ledger:
        receipt = await admit(
            ledger,
            config,
            member="after-restart",
            public_key=Keypair.generate().public_key_b64,
            member_kind="sme",
            borough="Merton",
        )
        assert receipt.entry.seq == size
