"""A real ``coopledger witness serve`` process on loopback, cosigning a real ledger's checkpoints
(SQLite and PostgreSQL) with the ledger's own consistency proofs: every answer of C2SP
tlog-witness v1.0.0, restarts (also after kill -9), a raced fork, and the witness commands."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import Cosigner, CosignerVerifier, open_cosignatures, with_cosignatures
from ledger.keys import read_witness_key, write_witness_key
from ledger.note import NoteSigner
from ledger.sql import sqlite_url
from ledger.store import CheckpointRow
from ledger.witness import format_add_checkpoint
from ledger.witness_state import LOGS_DIR, StateDirectory, log_file_name
from tests.conftest import SQL_BACKENDS, _migrate, _run
from tests.support import ORIGIN, World, running_ledger

COOPLEDGER = str(Path(sys.executable).parent / "coopledger")
runner = CliRunner()
backends = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class WitnessProcess:
    """``coopledger witness serve`` in a child process, started and stopped by the test."""

    key: Path
    state: Path
    logs: list[str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/add-checkpoint"

    def start(self) -> None:
        self.port = _free_port()
        command = [COOPLEDGER, "witness", "serve", "--key", str(self.key), "--state"]
        command += [str(self.state), "--port", str(self.port)]
        for vkey in self.logs:
            command += ["--log", vkey]
        with (self.state.parent / f"witness-{self.port}.log").open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the witness exited with {self.process.returncode}")
            try:
                if httpx.post(self.url, content=b"", timeout=1).status_code == 400:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError("the witness did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def stored(self, origin: str = ORIGIN) -> str:
        return (self.state / LOGS_DIR / log_file_name(origin)).read_text()


@pytest.fixture
def cosigner(tmp_path: Path) -> Cosigner:
    write_witness_key(tmp_path / "witness.key", Cosigner.generate("witness.example.org"))
    return read_witness_key(tmp_path / "witness.key")


@asynccontextmanager
async def _ledger(database_url: str, signer: NoteSigner | None = None) -> AsyncIterator[World]:
    async with running_ledger(database_url, log_signer=signer) as world:
        yield world


@pytest.fixture
def witness_of(tmp_path: Path, cosigner: Cosigner) -> Iterator[list[WitnessProcess]]:
    started: list[WitnessProcess] = []
    yield started
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.stop()


def _serve(started: list[WitnessProcess], tmp_path: Path, *logs: str) -> WitnessProcess:
    process = WitnessProcess(tmp_path / "witness.key", tmp_path / "state", list(logs))
    process.start()
    started.append(process)
    return process


async def _grow(world: World, members: int) -> CheckpointRow:
    """Append ``members`` admissions; the ledger's latest checkpoint."""
    for _ in range(members):
        await world.admit(f"m-{os.urandom(4).hex()}")
    return await world.ledger.view.latest_checkpoint()


async def _request(world: World, old: int, new: CheckpointRow) -> bytes:
    """An add-checkpoint body for ``new`` from ``old``, with the ledger's own proof."""
    proof = (await world.ledger.view.consistency(old, new.size)).path if old else []
    return format_add_checkpoint(old, proof, new.note)


async def _post(body: bytes, url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, content=body)


def _cosigned(response: httpx.Response, note: str, cosigner: Cosigner) -> int:
    """Check a 200 answer holds one cosignature of ``note`` that verifies; its timestamp."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("— witness.example.org ") and response.text.count("\n") == 1
    merged = with_cosignatures(note, [response.text])
    body, found = open_cosignatures(merged, [CosignerVerifier.from_vkey(cosigner.verifier.vkey())])
    assert body == note.partition("\n\n")[0] + "\n"
    assert [c.line for c in found] == [response.text]
    return found[0].timestamp


def _conflict(response: httpx.Response, size: int) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "text/x.tlog.size"
    assert response.content == b"%d\n" % size


@backends
async def test_every_answer_of_the_spec(
    database_url: str, tmp_path: Path, cosigner: Cosigner, witness_of: list[WitnessProcess]
) -> None:
    async with _ledger(database_url) as world:
        witness = _serve(witness_of, tmp_path, world.log_signer.verifier.vkey())
        first = await world.ledger.view.latest_checkpoint()
        before = time.time()
        stamp = _cosigned(
            await _post(await _request(world, 0, first), witness.url), first.note, cosigner
        )
        assert int(before) <= stamp <= time.time()
        second = await _grow(world, 3)
        answer = await _post(await _request(world, first.size, second), witness.url)
        _cosigned(answer, second.note, cosigner)
        assert witness.stored() == with_cosignatures(second.note, [answer.text])

        # 409: an old size that is not the latest cosigned, with that size in the body.
        _conflict(await _post(await _request(world, first.size, second), witness.url), second.size)
        _conflict(await _post(await _request(world, 0, second), witness.url), second.size)

        # 400: malformed, and an old size past the checkpoint's.
        for body in (b"", b"old x\n\n" + second.note.encode(), b"old 1\n" + second.note.encode()):
            answer = await _post(body, witness.url)
            assert answer.status_code == 400 and answer.text.endswith("\n")
            assert answer.headers["content-type"].startswith("text/plain")
        answer = await _post(format_add_checkpoint(second.size + 1, [], second.note), witness.url)
        assert answer.status_code == 400 and "larger" in answer.text
        answer = await _post(b"old 0\n\n" + b"x" * 70_000, witness.url)
        assert answer.status_code == 400

        # 403: the log's signature tampered with, or a signature by a stranger of its name.
        text, _, line = second.note.rpartition("\n— ")
        name, raw = line.split(" ")
        tampered = f"{text}\n— {name} {raw[:20]}{'B' if raw[20] == 'A' else 'A'}{raw[21:]}"
        answer = await _post(format_add_checkpoint(second.size, [], tampered), witness.url)
        assert answer.status_code == 403, answer.text
        forged = sign_checkpoint(
            Checkpoint(ORIGIN, second.size + 1, b"\x07" * 32), NoteSigner.generate(ORIGIN)
        )
        assert (
            await _post(format_add_checkpoint(second.size, [], forged), witness.url)
        ).status_code == 403

        # 404: a log the witness does not know.
        stranger = sign_checkpoint(
            Checkpoint("stranger.example/log", 1, b"\x07" * 32),
            NoteSigner.generate("stranger.example/log"),
        )
        assert (await _post(format_add_checkpoint(0, [], stranger), witness.url)).status_code == 404

        # 422: a proof that does not verify; nothing changes.
        third = await _grow(world, 2)
        good = (await world.ledger.view.consistency(second.size, third.size)).path
        bad = format_add_checkpoint(second.size, [b"\x00" * 32, *good[1:]], third.note)
        kept = witness.stored()
        assert (await _post(bad, witness.url)).status_code == 422
        assert witness.stored() == kept
        _conflict(await _post(await _request(world, 0, third), witness.url), second.size)

        # The same checkpoint again is cosigned again; then the log moves on.
        _cosigned(
            await _post(format_add_checkpoint(second.size, [], second.note), witness.url),
            second.note,
            cosigner,
        )
        _cosigned(
            await _post(await _request(world, second.size, third), witness.url),
            third.note,
            cosigner,
        )

        # Nothing but POST /add-checkpoint.
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(witness.url)).status_code == 405
            for path in ("/", "/docs", "/openapi.json", "/checkpoint"):
                assert (
                    await client.get(witness.url.replace("/add-checkpoint", path))
                ).status_code == 404


@backends
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill9"])
async def test_the_state_survives_a_restart(
    database_url: str,
    tmp_path: Path,
    cosigner: Cosigner,
    witness_of: list[WitnessProcess],
    sig: int,
) -> None:
    async with _ledger(database_url) as world:
        witness = _serve(witness_of, tmp_path, world.log_signer.verifier.vkey())
        first = await world.ledger.view.latest_checkpoint()
        await _post(await _request(world, 0, first), witness.url)
        second = await _grow(world, 4)
        answer = await _post(await _request(world, first.size, second), witness.url)
        _cosigned(answer, second.note, cosigner)
        witness.stop(sig)  # acknowledged, so it must be on disk
        assert witness.stored() == with_cosignatures(second.note, [answer.text])

        witness.start()
        third = await _grow(world, 2)
        _conflict(await _post(await _request(world, first.size, third), witness.url), second.size)
        _conflict(await _post(await _request(world, 0, third), witness.url), second.size)
        _cosigned(
            await _post(await _request(world, second.size, third), witness.url),
            third.note,
            cosigner,
        )


@backends
async def test_a_raced_fork_gets_one_cosignature(
    database_url: str, tmp_path: Path, cosigner: Cosigner, witness_of: list[WitnessProcess]
) -> None:
    """Two logs under one key with different entries (a split view) send their checkpoints at
    once: the witness cosigns one, answers the other 409, and refuses its later proofs (422)."""
    other_url = sqlite_url(tmp_path / "fork.db")
    _run(lambda: _migrate(other_url))
    async with _ledger(database_url) as a:
        async with _ledger(other_url, a.log_signer) as b:
            witness = _serve(witness_of, tmp_path, a.log_signer.verifier.vkey())
            heads = [await _grow(a, 2), await _grow(b, 2)]
            assert heads[0].size == heads[1].size and heads[0].root != heads[1].root
            bodies = [await _request(a, 0, heads[0]), await _request(b, 0, heads[1])]
            answers = await asyncio.gather(*(_post(body, witness.url) for body in bodies))
            codes = sorted(r.status_code for r in answers)
            assert codes == [200, 409], [r.text for r in answers]
            won = 0 if answers[0].status_code == 200 else 1
            winner, loser = (a, b) if won == 0 else (b, a)
            _conflict(answers[1 - won], heads[won].size)
            assert witness.stored() == with_cosignatures(heads[won].note, [answers[won].text])

            later = await _grow(loser, 3)
            answer = await _post(await _request(loser, heads[won].size, later), witness.url)
            assert answer.status_code == 422, answer.text
            same_size = format_add_checkpoint(heads[won].size, [], heads[1 - won].note)
            _conflict(await _post(same_size, witness.url), heads[won].size)
            onward = await _grow(winner, 1)
            _cosigned(
                await _post(await _request(winner, heads[won].size, onward), witness.url),
                onward.note,
                cosigner,
            )


# The witness commands


def test_keygen_writes_a_private_key_and_prints_its_vkey(tmp_path: Path) -> None:
    out = tmp_path / "w.key"
    result = runner.invoke(
        app, ["witness", "keygen", "--name", "witness.example.org", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    vkey = result.stdout.splitlines()[-1]
    assert CosignerVerifier.from_vkey(vkey) == read_witness_key(out).verifier
    assert vkey.startswith("witness.example.org+")

    before = out.read_bytes()
    again = runner.invoke(app, ["witness", "keygen", "--name", "x", "--out", str(out)])
    assert again.exit_code == 1 and again.stdout == ""
    assert again.stderr.startswith("error: ") and again.stderr.count("\n") == 1
    assert "not overwriting" in again.stderr
    assert out.read_bytes() == before


@pytest.mark.parametrize("name", ["with space", "plus+sign", ""])
def test_keygen_refuses_a_bad_name(tmp_path: Path, name: str) -> None:
    result = runner.invoke(app, ["witness", "keygen", "--name", name, "--out", str(tmp_path / "k")])
    assert result.exit_code == 2, result.output
    assert "'--name'" in result.output
    assert not (tmp_path / "k").exists()


def _serve_args(tmp_path: Path, key: Path, vkey: str) -> list[str]:
    return [
        "witness",
        "serve",
        "--key",
        str(key),
        "--state",
        str(tmp_path / "state"),
        "--log",
        vkey,
    ]


def test_serve_refuses_bad_keys_and_a_held_state(tmp_path: Path, cosigner: Cosigner) -> None:
    key = tmp_path / "witness.key"
    vkey = NoteSigner.generate(ORIGIN).verifier.vkey()
    cases = {
        "'--key'": _serve_args(tmp_path, tmp_path / "missing.key", vkey),
        "'--log'": _serve_args(tmp_path, key, "example.org+00000000+AAAA"),
    }
    log_key = tmp_path / "log.key"
    log_key.write_text(NoteSigner.generate(ORIGIN).skey() + "\n")
    log_key.chmod(0o600)
    cases["'--key' "] = _serve_args(tmp_path, log_key, vkey)  # a log key is not a witness key
    open_key = tmp_path / "open.key"
    write_witness_key(open_key, cosigner)
    open_key.chmod(0o644)
    cases["'--key'  "] = _serve_args(tmp_path, open_key, vkey)
    for option, args in cases.items():
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (option, result.output)
        assert option.strip() in result.output and "Traceback" not in result.output
    with StateDirectory(tmp_path / "state"):  # held by this process: the child must refuse
        held = subprocess.run(  # noqa: S603 (our own command)
            [COOPLEDGER, *_serve_args(tmp_path, key, vkey), "--port", str(_free_port())],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert held.returncode == 1, held.stderr
    assert held.stderr.startswith("error: ") and "in use" in held.stderr
    assert held.stderr.count("\n") == 1


def test_serve_help_names_its_options() -> None:
    result = runner.invoke(app, ["witness", "serve", "--help"])
    assert result.exit_code == 0
    for option in ("--key FILE", "--state DIR", "--log VKEY", "--host HOST", "--port PORT"):
        assert option in result.stdout
