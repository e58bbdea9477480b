"""The log pushing its checkpoints to real witnesses (``coopledger witness serve`` processes
on 127.0.0.1), on SQLite and PostgreSQL: K of N, a witness that is down or hung, the 409
retry, a restart resuming from the stored sizes, and refusals that store nothing."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

import tests.api.test_witness_server as witness_server
from ledger.cosignature import Cosigner
from ledger.keys import write_witness_key
from ledger.note import NoteSigner
from ledger.sql import CosignatureStore, SqlLogStore
from ledger.witness import format_add_checkpoint
from ledger.witness_push import WitnessPusher, witnessed_checkpoint
from ledger.witnessing import Witness, WitnessPolicy, require_cosignatures
from tests.api.test_witness_server import WitnessProcess
from tests.conftest import SQL_BACKENDS
from tests.support import ORIGIN, World, running_ledger

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
FAST = {"timeout": 1.0, "backoff_max": 0.5, "poll": 0.2}
"""Push timings for tests: a witness that hangs is given up on after a second."""


class Witnesses:
    """Witness processes of this test, each with its own key and state directory."""

    def __init__(self, tmp_path: Path, log_key: str) -> None:
        self.tmp_path = tmp_path
        self.log_key = log_key
        self.processes: list[WitnessProcess] = []
        self.cosigners: list[Cosigner] = []

    def make(self, name: str) -> WitnessProcess:
        """A witness named ``name``, not started; its port is reserved now."""
        folder = self.tmp_path / name
        folder.mkdir()
        cosigner = Cosigner.generate(f"witness.example/{name}")
        write_witness_key(folder / "witness.key", cosigner)
        process = WitnessProcess(folder / "witness.key", folder / "state", [self.log_key])
        process.port = witness_server._free_port()
        self.processes.append(process)
        self.cosigners.append(cosigner)
        return process

    def start(self, process: WitnessProcess, monkeypatch: pytest.MonkeyPatch) -> None:
        """Start ``process`` on its reserved port (again, after a stop)."""
        port = process.port
        with monkeypatch.context() as patch:
            patch.setattr(witness_server, "_free_port", lambda: port)
            process.start()

    def witness(self, i: int) -> Witness:
        prefix = f"http://127.0.0.1:{self.processes[i].port}"
        return Witness(prefix, self.cosigners[i].verifier)

    def close(self) -> None:
        for process in self.processes:
            if process.process is not None and process.process.poll() is None:
                process.process.send_signal(signal.SIGCONT)
                process.stop()


@pytest.fixture
def log_signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture
def witnesses(tmp_path: Path, log_signer: NoteSigner) -> Iterator[Witnesses]:
    made = Witnesses(tmp_path, log_signer.verifier.vkey())
    try:
        yield made
    finally:
        made.close()


@asynccontextmanager
async def _pushing(world: World, policy: WitnessPolicy) -> AsyncIterator[WitnessPusher]:
    assert isinstance(world.store, SqlLogStore)
    async with WitnessPusher(world.store, policy, world.log_signer.verifier, **FAST) as pusher:
        world.ledger.sequencer.listeners.append(pusher.notify)
        try:
            yield pusher
        finally:
            world.ledger.sequencer.listeners.remove(pusher.notify)


def _one_witness(
    witnesses: Witnesses, monkeypatch: pytest.MonkeyPatch
) -> tuple[WitnessProcess, WitnessPolicy, Witness]:
    """One witness, started, and the policy that names it alone."""
    process = witnesses.make("w0")
    witnesses.start(process, monkeypatch)
    policy = WitnessPolicy((witnesses.witness(0),), 1)
    return process, policy, policy.witnesses[0]


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not come true in time")
        await asyncio.sleep(0.05)


def _sizes(world: World) -> CosignatureStore:
    assert isinstance(world.store, SqlLogStore)
    return CosignatureStore(world.store.engine)


async def _cosigned(world: World, witness: Witness) -> int:
    return (await _sizes(world).sizes()).get(witness.key, 0)


async def _latest(world: World) -> int:
    return (await world.ledger.view.latest_checkpoint()).size


async def test_witnessed_only_once_k_distinct_witnesses_cosigned(
    database_url: str,
    witnesses: Witnesses,
    log_signer: NoteSigner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("w0", "w1", "w2"):
        witnesses.make(name)
    witnesses.start(witnesses.processes[0], monkeypatch)
    policy = WitnessPolicy(tuple(witnesses.witness(i) for i in range(3)), 2)
    assert isinstance(log_signer, NoteSigner)
    async with running_ledger(database_url, log_signer=log_signer) as world:
        assert isinstance(world.store, SqlLogStore)
        async with _pushing(world, policy):
            await world.admit("alice")
            size = await _latest(world)
            w0 = policy.witnesses[0]
            await _until(lambda: _eq(_cosigned(world, w0), size))
            assert await witnessed_checkpoint(world.store, policy) is None  # 1 of 3
            latest = await world.store.checkpoint()
            assert latest is not None and not policy.witnessed(latest.note)
            witnesses.start(witnesses.processes[1], monkeypatch)
            await world.admit("bob")  # a new checkpoint wakes every witness's push
            size = await _latest(world)
            w1 = policy.witnesses[1]
            await _until(lambda: _eq(_cosigned(world, w1), size))
            await _until(lambda: _eq(_cosigned(world, w0), size))
            row = await witnessed_checkpoint(world.store, policy)
            assert row is not None and row.size == size
            found = require_cosignatures(row.note, policy.verifiers, 2)
            assert {c.witness for c in found} == {w0.verifier, w1.verifier}
            served = await world.ledger.view.latest_checkpoint()
            assert served.note == row.note  # GET /log/checkpoint carries them too
            assert await _cosigned(world, policy.witnesses[2]) == 0  # w2 never came up


async def test_appends_go_on_while_a_witness_hangs_and_it_catches_up(
    database_url: str,
    witnesses: Witnesses,
    log_signer: NoteSigner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    process, policy, witness = _one_witness(witnesses, monkeypatch)
    async with running_ledger(database_url, log_signer=log_signer) as world:
        async with _pushing(world, policy):
            await world.admit("first")
            first = await _latest(world)
            await _until(lambda: _eq(_cosigned(world, witness), first))
            assert process.process is not None
            process.process.send_signal(signal.SIGSTOP)  # accepts connections, never answers
            try:
                for i in range(20):
                    await asyncio.wait_for(world.admit(f"member-{i}"), timeout=10)
                assert await _cosigned(world, witness) == first
            finally:
                process.process.send_signal(signal.SIGCONT)
            size = await _latest(world)
            assert size == first + 20
            await _until(lambda: _eq(_cosigned(world, witness), size))
            row = await world.store.checkpoint()
            assert row is not None and policy.witnessed(row.note)


async def test_a_witness_that_was_down_is_caught_up_when_it_comes_back(
    database_url: str,
    witnesses: Witnesses,
    log_signer: NoteSigner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    process = witnesses.make("w0")  # not started: connections are refused
    policy = WitnessPolicy((witnesses.witness(0),), 1)
    witness = policy.witnesses[0]
    async with running_ledger(database_url, log_signer=log_signer) as world:
        assert isinstance(world.store, SqlLogStore)
        async with _pushing(world, policy):
            for i in range(5):
                await world.admit(f"member-{i}")
            await asyncio.sleep(0.5)  # a few refused tries
            assert await _cosigned(world, witness) == 0
            witnesses.start(process, monkeypatch)
            size = await _latest(world)
            await _until(lambda: _eq(_cosigned(world, witness), size))
            row = await witnessed_checkpoint(world.store, policy)
            assert row is not None and row.size == size


async def test_a_409_is_followed_from_the_size_the_witness_holds(
    database_url: str,
    witnesses: Witnesses,
    log_signer: NoteSigner,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, policy, witness = _one_witness(witnesses, monkeypatch)
    async with running_ledger(database_url, log_signer=log_signer) as world:
        for i in range(3):
            await world.admit(f"member-{i}")
        held = await world.ledger.view.latest_checkpoint()
        async with httpx.AsyncClient(timeout=10) as client:  # cosigned apart from the pusher
            answer = await client.post(
                witness.add_checkpoint_url, content=format_add_checkpoint(0, [], held.note)
            )
        assert answer.status_code == 200, answer.text
        for i in range(3):
            await world.admit(f"later-{i}")
        size = await _latest(world)
        caplog.set_level(logging.INFO, logger="ledger.witness_push")
        async with _pushing(world, policy):  # the store says 0: the witness answers 409
            await _until(lambda: _eq(_cosigned(world, witness), size))
        assert f"holds size {held.size}, not 0" in caplog.text
        row = await world.store.checkpoint()
        assert row is not None and policy.witnessed(row.note)
        caplog.clear()
        await world.admit("after-restart")
        size = await _latest(world)
        async with _pushing(world, policy):  # resumes from the stored size: no 409
            await _until(lambda: _eq(_cosigned(world, witness), size))
        assert "holds size" not in caplog.text


async def test_refusals_and_foreign_cosignatures_store_nothing(
    database_url: str,
    witnesses: Witnesses,
    log_signer: NoteSigner,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stranger = witnesses.make("w0")
    stranger.logs = [NoteSigner.generate(ORIGIN).verifier.vkey()]  # trusts another log key
    witnesses.start(stranger, monkeypatch)
    honest = witnesses.make("w1")
    witnesses.start(honest, monkeypatch)
    wrong_key = Cosigner.generate("witness.example/w1").verifier  # not the key w1 signs with
    policy = WitnessPolicy((witnesses.witness(0), Witness(witnesses.witness(1).url, wrong_key)), 1)
    caplog.set_level(logging.INFO, logger="ledger.witness_push")
    async with running_ledger(database_url, log_signer=log_signer) as world:
        assert isinstance(world.store, SqlLogStore)
        async with _pushing(world, policy):
            await world.admit("alice")
            await _until(lambda: _has(caplog, "refused checkpoint"))
            await _until(lambda: _has(caplog, "no valid cosignature"))
            size = await _latest(world)
            assert "403" in caplog.text
        assert policy.witnesses[0].key not in await _sizes(world).sizes()  # refused
        row = await world.store.checkpoint(size)
        assert row is not None and row.note.count("\n— ") == 1  # the log's signature only
        assert await witnessed_checkpoint(world.store, policy) is None


async def _eq(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def _has(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return text in caplog.text
