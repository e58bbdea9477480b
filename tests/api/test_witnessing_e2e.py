"""End to end on 127.0.0.1: a real ``coopledger serve`` pushing to three real witness processes
(``coopledger witness serve``) configured with ``coopledger witnesses add``, on SQLite and
PostgreSQL; then ``GET /log/checkpoint/witnessed``, GraphQL, ``coopledger audit --witnesses``
and ``coopledger prove --witnesses`` against it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.client import CoopClient
from api.runtime import init_ledger
from ledger.checkpoint import verify_checkpoint
from ledger.config import LedgerConfig, Settings, load_config
from ledger.cosignature import Cosigner
from ledger.keys import write_witness_key
from ledger.signing import Keypair
from ledger.witnessing import require_cosignatures, witness_verifiers
from tests.api.test_two_servers import COOPLEDGER, _free_port, _wait_healthy
from tests.api.test_witness_server import WitnessProcess
from tests.conftest import SQL_BACKENDS
from tests.support import ORIGIN

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
runner = CliRunner()


@dataclass
class Served:
    url: str
    config: LedgerConfig
    keys: list[str]
    witnesses: list[WitnessProcess]


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    """A ledger served with three witnesses, a quorum of two."""
    data = tmp_path / "data"
    settings = Settings(data=data, database_url=database_url)
    config = asyncio.run(init_ledger(settings, origin=ORIGIN, steward_id="steward"))
    witnesses, keys = [], []
    server: subprocess.Popen[bytes] | None = None
    try:
        for i in range(3):
            folder = tmp_path / f"w{i}"
            folder.mkdir()
            cosigner = Cosigner.generate(f"witness.example/w{i}")
            write_witness_key(folder / "witness.key", cosigner)
            process = WitnessProcess(
                folder / "witness.key", folder / "state", [config.log_verifier.vkey()]
            )
            process.start()
            witnesses.append(process)
            keys.append(cosigner.verifier.vkey())
            prefix = f"http://127.0.0.1:{process.port}"
            added = runner.invoke(
                app, ["witnesses", "add", "--data", str(data), "--url", prefix, "--key", keys[-1]]
            )
            assert added.exit_code == 0, added.output
        quorum = runner.invoke(app, ["witnesses", "quorum", "2", "--data", str(data)])
        assert quorum.exit_code == 0, quorum.output
        assert quorum.output.startswith("quorum: 2 of 3 witnesses\n")
        port = _free_port()
        env = {
            **os.environ,
            "COOPLEDGER_DATA": str(data),
            "COOPLEDGER_DATABASE_URL": database_url,
            "COOPLEDGER_WITNESS_POLL_SECONDS": "0.2",
            "COOPLEDGER_WITNESS_TIMEOUT_SECONDS": "2",
            "COOPLEDGER_WITNESS_BACKOFF_MAX_SECONDS": "0.5",
        }
        command = [COOPLEDGER, "serve", "--host", "127.0.0.1", "--port", str(port)]
        with (tmp_path / "serve.log").open("wb") as log:
            server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server, time.monotonic() + 30)
        loaded = load_config(Settings(data=data, database_url=database_url))
        yield Served(url, loaded, keys, witnesses)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        for process in witnesses:
            process.stop()


async def _admit(served: Served, count: int) -> int:
    async with CoopClient(served.url, keypair=served.config.steward(), member="steward") as c:
        for _ in range(count):
            key = Keypair.generate()
            member = f"member-{key.key_id}"
            await c.admit(member=member, public_key=key.public_key_b64, kind="sme", borough="Bow")
        return int((await c.checkpoint())["size"])


def _witnessed(url: str, size: int, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = httpx.get(f"{url}/log/checkpoint/witnessed", timeout=5)
        if answer.status_code == 200 and answer.text.split("\n")[1] == str(size):
            return answer.text
        time.sleep(0.1)
    raise TimeoutError(f"checkpoint {size} was not witnessed in time")


def test_checkpoints_are_cosigned_served_and_required(served: Served) -> None:
    size = asyncio.run(_admit(served, 3))
    note = _witnessed(served.url, size)
    verify_checkpoint(note, served.config.log_verifier, origin=ORIGIN)
    assert note.split("\n\n", 1)[1].startswith(f"— {ORIGIN} ")  # the log's signature first
    verifiers = witness_verifiers(served.keys)
    require_cosignatures(note, verifiers, 2)
    latest = httpx.get(f"{served.url}/log/checkpoint", timeout=5).text
    require_cosignatures(latest, verifiers, 2)  # the latest checkpoint carries them too
    info = httpx.post(
        f"{served.url}/graphql",
        json={"query": "{ logInfo { witnessKeys witnessQuorum } witnessedCheckpoint { size } }"},
        timeout=5,
    ).json()["data"]
    assert info["logInfo"] == {"witnessKeys": served.keys, "witnessQuorum": 2}
    assert info["witnessedCheckpoint"] == {"size": size}

    keys = [arg for key in served.keys for arg in ("--witness-key", key)]
    audited = runner.invoke(app, ["audit", "--url", served.url, "--witnesses", "3", *keys])
    assert audited.exit_code == 0, audited.output
    assert f"witnesses ok: checkpoint {size} cosigned by at least 3 of the 3" in audited.output

    stranger = Cosigner.generate("witness.example/stranger").verifier.vkey()
    mixed = ["--witness-key", served.keys[0], "--witness-key", stranger]
    refused = runner.invoke(app, ["audit", "--url", served.url, "--witnesses", "2", *mixed])
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1
    assert "carries 1 valid cosignature by the given witnesses; 2 required" in refused.output

    # the remembered audit requires them the same way, and remembers nothing it refused
    with tempfile.TemporaryDirectory() as state:
        remembered = ["audit", "--url", served.url, "--state", state, "--witnesses"]
        refused = runner.invoke(app, [*remembered, "2", *mixed])
        assert refused.exit_code == 1 and "2 required" in refused.output
        assert not list(Path(state).glob("*/state.json"))
        audited = runner.invoke(app, [*remembered, "3", *keys])
        assert audited.exit_code == 0, audited.output
        assert f"witnesses ok: checkpoint {size} cosigned by at least 3 of the 3" in audited.output
        assert len(list(Path(state).glob("*/state.json"))) == 1

    too_many = runner.invoke(app, ["audit", "--url", served.url, "--witnesses", "4", *keys])
    assert too_many.exit_code == 2
    bad = runner.invoke(app, ["audit", "--url", served.url, "--witness-key", "nonsense"])
    assert bad.exit_code == 1 and bad.output.startswith("error: witness key")

    prove = ["prove", "--url", served.url, "--index", "1"]
    proved = runner.invoke(app, [*prove, "--witnesses", "2", *keys])
    assert proved.exit_code == 0, proved.output
    assert f'"size": {size}' in proved.output
    unproved = runner.invoke(app, [*prove, *mixed])
    assert unproved.exit_code == 1 and "required" in unproved.output


def test_appends_go_on_with_a_witness_down_and_k_of_the_rest_witness(served: Served) -> None:
    served.witnesses[2].stop()
    size = asyncio.run(_admit(served, 5))
    note = _witnessed(served.url, size)
    verifiers = witness_verifiers(served.keys)
    found = require_cosignatures(note, verifiers, 2)
    assert {c.witness for c in found} == set(verifiers[:2])
    served.witnesses[1].stop()
    size = asyncio.run(_admit(served, 2))  # one witness of three: not witnessed
    deadline = time.monotonic() + 30
    while True:  # until the one witness left has cosigned the latest checkpoint
        latest = httpx.get(f"{served.url}/log/checkpoint", timeout=5).text
        assert latest.split("\n")[1] == str(size)
        if len(require_cosignatures(latest, verifiers, 0)) == 1:
            break
        assert time.monotonic() < deadline, "the witness left did not cosign in time"
        time.sleep(0.1)
    require_cosignatures(latest, verifiers[:1], 1)
    witnessed = httpx.get(f"{served.url}/log/checkpoint/witnessed", timeout=5).text
    assert witnessed.split("\n")[1] != str(size)
