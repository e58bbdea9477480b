"""docs/examples/verify_proof.py, run as a program against a real server on loopback.

It must say ``ok`` for every entry of the log, by the log's own key, and fail (exit 1) for a
wrong log key, an index past the checkpoint, a checkpoint whose body or signature was changed,
and too few or forged witness cosignatures (given as a checkpoint note file).
"""

from __future__ import annotations

import ast
import asyncio
import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.client import CoopClient
from api.runtime import init_ledger
from ledger.config import Settings
from ledger.cosignature import Cosigner, with_cosignatures
from ledger.note import NoteSigner
from ledger.signing import Keypair
from tests.api.test_kill9 import Server, _server_env
from tests.conftest import SQL_BACKENDS

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "verify_proof.py"
ORIGIN = "verifier.coopledger.example/log"
MEMBERS = ("ana", "ben", "cai", "dan")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a served log: a new ledger, and ``MEMBERS`` admitted."""
    data = tmp_path / "data"
    settings = Settings(data=data, database_url=database_url)
    config = asyncio.run(init_ledger(settings, origin=ORIGIN, steward_id="steward"))
    live = Server(_server_env(data, database_url), tmp_path / "serve.log")
    live.start()
    try:

        async def admit() -> None:
            async with CoopClient(live.url, keypair=config.steward(), member="steward") as board:
                for member in MEMBERS:
                    key = Keypair.generate().public_key_b64
                    await board.admit(member=member, public_key=key, kind="sme", borough="Sutton")

        asyncio.run(admit())
        yield live.url
    finally:
        live.stop()


def _verify(url: str, vkey: str, index: int, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), url, vkey, str(index), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def _ok(run: subprocess.CompletedProcess[str]) -> None:
    assert (run.returncode, run.stdout[:3], run.stderr) == (0, "ok:", ""), run


def _failed(run: subprocess.CompletedProcess[str], why: str) -> None:
    assert run.returncode == 1, run
    assert run.stdout.startswith("failed: ") and why in run.stdout, run.stdout


def _flip(line: str, at: int) -> str:
    """A signature line with byte ``at`` of its decoded signature changed."""
    prefix, encoded = line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[at] ^= 1
    return f"{prefix} {base64.b64encode(bytes(raw)).decode()}\n"


def _key_note_size(url: str) -> tuple[str, str, int]:
    note = httpx.get(f"{url}/log/checkpoint").text
    return httpx.get(f"{url}/log/key").text, note, int(note.split("\n")[1])


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_every_entry_verifies_and_tampering_fails(server: str) -> None:
    url = server
    vkey, _, size = _key_note_size(url)
    assert size > len(MEMBERS)
    for index in range(size):
        _ok(_verify(url, vkey, index))
    _failed(_verify(url, vkey, size), f"entry {size} is not in the tree of size {size}")
    _failed(_verify(url, vkey, -1), "is not in the tree")
    stranger = NoteSigner.generate(ORIGIN).verifier.vkey()
    _failed(_verify(url, stranger, 0), f"the checkpoint is not signed by {ORIGIN}")
    other_origin = NoteSigner.generate("other.example/log").verifier.vkey()
    _failed(_verify(url, other_origin, 0), "the checkpoint is not signed by other.example/log")
    name, key_id, _ = vkey.split("+", 2)
    swapped = "+".join([name, key_id, stranger.split("+", 2)[2]])  # the log's name and ID
    _failed(_verify(url, swapped, 0), "the key ID does not match the key")


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_checkpoint_file_with_cosignatures(server: str, tmp_path: Path) -> None:
    url = server
    vkey, note, size = _key_note_size(url)
    body = note.split("\n\n")[0] + "\n"
    first, second, absent = (Cosigner.generate(f"witness-{n}.example") for n in range(3))
    cosigned = with_cosignatures(note, [first.cosign(body, 1_767_225_600), second.cosign(body, 7)])
    path = tmp_path / "checkpoint"

    def run(text: str, *witnesses: Cosigner, k: int) -> subprocess.CompletedProcess[str]:
        path.write_text(text, encoding="utf-8")
        given = [arg for w in witnesses for arg in ("--witness", w.verifier.vkey())]
        return _verify(url, vkey, size - 1, "--checkpoint", str(path), *given, "-k", str(k))

    _ok(run(cosigned, first, second, k=2))
    _ok(run(cosigned, second, k=1))  # lines by keys not given are ignored
    _ok(run(note, k=0))
    _failed(run(note, first, k=1), "0 of the 1 witness cosignatures needed")
    _failed(run(cosigned, first, second, absent, k=3), "2 of the 3 witness cosignatures needed")
    impostor = Cosigner.generate(first.name)  # the same name, another key: another key ID
    _failed(run(note + impostor.cosign(body, 1), first, k=1), "0 of the 1")
    line = first.cosign(body, 1_767_225_600)
    _failed(run(note + _flip(line, -1), first, k=1), "BadSignatureError")  # the signature
    _failed(run(note + _flip(line, 11), first, k=1), "BadSignatureError")  # the time
    bigger = note.replace(f"\n{size}\n", f"\n{size + 1}\n", 1)
    _failed(run(bigger, k=0), "BadSignatureError")


def test_the_script_needs_only_the_standard_library_and_pynacl() -> None:
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
        )
        if name
    }
    assert imported == {"argparse", "base64", "hashlib", "json", "sys", "urllib", "nacl"}
