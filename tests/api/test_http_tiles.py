"""The log as C2SP tlog-tiles, from a real server on loopback and from a static export.

A tile client written here from the spec (hashlib only, none of our tree code) rebuilds the
root from the hash tiles, checks every hash tile against the one below it and the leaves
against the entry bundles, proves entries included, and compares with the checkpoint, with
pymerkle and with the server's own proofs. After ``init`` the log is grown with filler
entries (``tests.ledger.tiles_log``): a log of 65,536+ entries in seconds.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pymerkle
import pytest
from typer.testing import CliRunner, Result

from api.app import create_app
from api.cli import app as coopledger
from api.client_core import ClientCore, KeyLogin
from api.runtime import init_ledger
from api.settings import ApiSettings
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.config import LedgerConfig, Settings
from ledger.errors import TileExportError
from ledger.note import NoteSigner
from ledger.sql import SqlLogStore, make_engine
from ledger.tile_export import export_tiles
from tests.api.live import served_in_thread
from tests.conftest import SQL_BACKENDS
from tests.ledger.tiles_log import grow

ORIGIN = "tiles.coopledger.example/log"
IMMUTABLE = "public, max-age=31536000, immutable"
BIG = 65_536 + 256 * 3 + 5
"""Past one full level-1 tile: a full level-0 and level-1 tile, partial ones at levels 0-2."""

runner = CliRunner()
Fetch = Callable[[str], bytes | None]


# --- a tile client, from c2sp.org/tlog-tiles and RFC 9162 alone ---------------------------------


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _index_path(n: int) -> str:
    digits = str(n).zfill((len(str(n)) + 2) // 3 * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


class TileClient:
    """Reads a tiled log of the checkpoint's size through ``fetch(path)``."""

    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        note = fetch("checkpoint")
        assert note is not None
        origin, size, root = note.decode().split("\n")[:3]
        self.origin, self.size, self.root = origin, int(size), base64.b64decode(root)
        self._tiles: dict[tuple[str, int], bytes] = {}

    def tile(self, level: str, index: int) -> bytes:
        """Tile ``index`` of ``level`` (a number or ``entries``), full or of this size."""
        key = (level, index)
        if key not in self._tiles:
            count = self.size >> (8 * (0 if level == "entries" else int(level)))
            width = 256 if (index + 1) * 256 <= count else count % 256
            assert 0 < width and index * 256 < count, f"no tile {level}/{index} in {self.size}"
            suffix = "" if width == 256 else f".p/{width}"
            data = self.fetch(f"tile/{level}/{_index_path(index)}{suffix}")
            assert data is not None, f"tile {level}/{index}{suffix} is missing"
            self._tiles[key] = data
        return self._tiles[key]

    def hash_at(self, level: int, k: int) -> bytes:
        """The MTH of leaves [k * 256**level, (k + 1) * 256**level), from a tile."""
        data = self.tile(str(level), k // 256)
        offset = (k % 256) * 32
        assert len(data) >= offset + 32
        return data[offset : offset + 32]

    def mth(self, start: int, n: int) -> bytes:
        """MTH(D[start:start + n]) (RFC 9162 §2.1.1), from the highest tiles that hold it."""
        if n & (n - 1) == 0 and start % n == 0:
            height = n.bit_length() - 1
            level, width = height // 8, 1 << (height % 8)
            layer = [self.hash_at(level, (start >> (8 * level)) + i) for i in range(width)]
            while len(layer) > 1:
                layer = [_node(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
            return layer[0]
        k = _split(n)
        return _node(self.mth(start, k), self.mth(start + k, n - k))

    def entries(self) -> list[bytes]:
        """Every entry, read from the entry bundles."""
        found: list[bytes] = []
        for index in range((self.size + 255) // 256):
            data, at = self.tile("entries", index), 0
            while at < len(data):
                length = int.from_bytes(data[at : at + 2], "big")
                found.append(data[at + 2 : at + 2 + length])
                at += 2 + length
            assert at == len(data)
        return found

    def inclusion_path(self, m: int, start: int, n: int) -> list[bytes]:
        """PATH(m, D[start:start + n]) (RFC 9162 §2.1.3.1)."""
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self.inclusion_path(m, start, k), self.mth(start + k, n - k)]
        return [*self.inclusion_path(m - k, start + k, n - k), self.mth(start, k)]

    def check_levels(self) -> None:
        """Each hash above level 0 is the MTH of the full tile below it."""
        level = 1
        while self.size >> (8 * level):
            for k in range(self.size >> (8 * level)):
                layer = [self.hash_at(level - 1, k * 256 + i) for i in range(256)]
                while len(layer) > 1:
                    layer = [_node(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
                assert self.hash_at(level, k) == layer[0]
            level += 1


def _verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2, step by step."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0 and r == root


def check_log(client: TileClient, picks: list[int]) -> list[bytes]:
    """Everything a client checks of a tiled log; returns its entries."""
    entries = client.entries()
    assert len(entries) == client.size
    for i, entry in enumerate(entries):
        assert client.hash_at(0, i) == _leaf(entry)
    client.check_levels()
    assert client.mth(0, client.size) == client.root
    for index in picks:
        path = client.inclusion_path(index, 0, client.size)
        _verify_inclusion(index, client.size, _leaf(entries[index]), path, client.root)
    return entries


# --- the log, the server, the export ------------------------------------------------------------


@contextmanager
def serving(
    database_url: str, tmp_path: Path, options: ApiSettings | None = None
) -> Iterator[tuple[str, LedgerConfig]]:
    """An initialised ledger on ``database_url``, served on a free loopback port."""
    settings = Settings(data=tmp_path / "data", database_url=database_url)
    config = asyncio.run(init_ledger(settings, origin=ORIGIN, steward_id="steward"))
    with served_in_thread(create_app(config=config, api_settings=options or ApiSettings())) as url:
        yield url, config


def _http_fetch(http: httpx.Client) -> Fetch:
    def fetch(path: str) -> bytes | None:
        reply = http.get(f"/{path}")
        if reply.status_code == 404:
            return None
        assert reply.status_code == 200, reply.text
        return reply.content

    return fetch


def _file_fetch(folder: Path) -> Fetch:
    def fetch(path: str) -> bytes | None:
        file = folder / path
        return file.read_bytes() if file.is_file() else None

    return fetch


def _files(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` by its path, with its inode (a rewrite makes a new one)."""
    return {
        str(path.relative_to(folder)): path.stat().st_ino
        for path in folder.rglob("*")
        if path.is_file()
    }


def _invoke_export(config: LedgerConfig, out: Path) -> Result:
    arguments = ["export-tiles", "--data", str(config.data.root), "--out", str(out)]
    return runner.invoke(
        coopledger, arguments, env={"COOPLEDGER_DATABASE_URL": config.database_url}
    )


def _export(config: LedgerConfig, out: Path) -> str:
    result = _invoke_export(config, out)
    assert result.exit_code == 0, result.output
    return result.stdout


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_a_tile_client_rebuilds_the_log_served_and_exported(
    database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "static"
    with serving(database_url, tmp_path) as (url, config), httpx.Client(base_url=url) as http:
        oracle = pymerkle.InmemoryTree(algorithm="sha256")
        seen = 0
        for size in (None, 255, 256, 257, BIG):
            if size is not None:
                asyncio.run(grow(database_url, config.log_signer, size))
            client = TileClient(_http_fetch(http))
            assert client.origin == ORIGIN and client.size == (size or client.size)
            picks = sorted({0, client.size // 2, client.size - 1, min(255, client.size - 1)})
            entries = check_log(client, picks)
            for entry in entries[seen:]:
                oracle.append_entry(entry)
            seen = len(entries)
            assert oracle.get_root(client.size) == client.root
            for index in picks:
                proof = http.get(f"/log/proof/inclusion?index={index}&size={client.size}").json()
                path = [bytes.fromhex(h) for h in proof["path"]]
                assert path == client.inclusion_path(index, 0, client.size)
            before = _files(out) if out.exists() else {}
            _export(config, out)
            after = _files(out)
            assert {k: v for k, v in after.items() if k in before and k != "checkpoint"} == {
                k: v for k, v in before.items() if k != "checkpoint"
            }, "an incremental export rewrote a tile it had"
            check_log(TileClient(_file_fetch(out)), picks)
            for path in after:  # the files are the bytes the server serves
                assert http.get(f"/{path}").content == (out / path).read_bytes(), path
        assert after["checkpoint"] != before["checkpoint"]


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_tiles_refuse_bad_paths_and_say_how_long_to_keep_them(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path) as (url, config), httpx.Client(base_url=url) as http:
        asyncio.run(grow(database_url, config.log_signer, 256 * 3 + 2))
        checkpoint = http.get("/checkpoint")
        assert checkpoint.status_code == 200
        assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"
        assert checkpoint.headers["cache-control"] == "no-cache"
        assert checkpoint.text == http.get("/log/checkpoint").text
        assert checkpoint.text.split("\n")[1] == "770"
        for path, cache in [
            ("/tile/0/000", IMMUTABLE),
            ("/tile/entries/002", IMMUTABLE),
            ("/tile/0/003.p/2", "public, max-age=60"),
            ("/tile/entries/003.p/2", "public, max-age=60"),
            ("/tile/1/000.p/3", "public, max-age=60"),
            ("/tile/0/000.p/7", "public, max-age=60"),  # the prefix of a full tile
        ]:
            reply = http.get(path)
            assert reply.status_code == 200, path
            assert reply.headers["content-type"] == "application/octet-stream"
            assert reply.headers["cache-control"] == cache, path
        assert len(http.get("/tile/1/000.p/3").content) == 3 * 32
        assert http.get("/tile/0/000.p/7").content == http.get("/tile/0/000").content[: 7 * 32]
        beyond = ["/tile/0/003", "/tile/0/003.p/3", "/tile/1/000", "/tile/1/000.p/4"]
        beyond += ["/tile/2/000.p/1", "/tile/entries/004.p/1", "/tile/63/x999/999"]
        beyond += ["/tile/0/x999/x999/x999/x999/x999/x999/999"]  # past any database integer
        bad = ["/tile/00/000", "/tile/64/000", "/tile/0/0", "/tile/0/x000/001", "/tile/0/000.p/0"]
        bad += ["/tile/0/000.p/256", "/tile/0/000.p/01", "/tile/0/000/", "/tile/entries/000.p/"]
        bad += ["/tile/0/001/000", "/tile/x/000", "/tile/", "/tile/0/" + "x001/" * 1500 + "000"]
        refusals = [(path, 404, "not_found") for path in beyond]
        for path, status, code in refusals + [(path, 400, "bad_request") for path in bad]:
            reply = http.get(path)
            assert reply.status_code == status, path
            assert reply.json()["error"]["code"] == code


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_a_private_logs_tiles_need_a_login(database_url: str, tmp_path: Path) -> None:
    options = ApiSettings(private_log=True)
    with serving(database_url, tmp_path, options) as (url, config), httpx.Client() as http:
        assert http.get(f"{url}/log/entries?start=0&end=1").status_code == 401
        paths = ["/checkpoint", "/tile/0/000.p/1", "/tile/entries/000.p/1", "/tile/0/0"]
        for path in paths:
            reply = http.get(f"{url}{path}")
            assert reply.status_code == 401, path
            assert b"log.initialised" not in reply.content
        answers = asyncio.run(_as_steward(url, config, paths[:3]))
        assert [status for status, _ in answers] == [200, 200, 200]
        assert [cache for _, cache in answers] == ["no-cache", *["private, max-age=60"] * 2]


async def _as_steward(url: str, config: LedgerConfig, paths: list[str]) -> list[tuple[int, str]]:
    """Each path's status and Cache-Control, asked by the steward, logged in by key."""
    async with ClientCore(url, keypair=config.steward(), member="steward") as core:
        async with httpx.AsyncClient(auth=KeyLogin(core)) as http:
            replies = [await http.get(f"{url}{path}") for path in paths]
    return [(reply.status_code, reply.headers["cache-control"]) for reply in replies]


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_an_export_writes_size_one_then_only_new_tiles(database_url: str, tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    out = tmp_path / "static"

    async def export() -> tuple[int, int]:
        store = SqlLogStore(make_engine(database_url))
        try:
            done = await export_tiles(store, out, verifier=signer.verifier, origin=ORIGIN)
        finally:
            await store.close()
        return done.previous, done.written

    asyncio.run(grow(database_url, signer, 1))
    assert asyncio.run(export()) == (0, 3)  # bundle, level-0 tile, checkpoint
    assert sorted(_files(out)) == ["checkpoint", "tile/0/000.p/1", "tile/entries/000.p/1"]
    assert asyncio.run(export()) == (1, 0)  # nothing new
    check_log(TileClient(_file_fetch(out)), [0])
    asyncio.run(grow(database_url, signer, 513))
    assert asyncio.run(export()) == (1, 8)  # 2 full bundles, 2 full tiles, 3 partials, checkpoint
    client = TileClient(_file_fetch(out))
    assert client.size == 513
    check_log(client, [0, 256, 512])
    assert not [p for p in out.rglob("*") if p.name.startswith(".")], "a temporary file is left"


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_an_export_refuses_the_folder_of_another_log(database_url: str, tmp_path: Path) -> None:
    ours, theirs = NoteSigner.generate(ORIGIN), NoteSigner.generate(ORIGIN)
    other_url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"

    async def export(url: str, signer: NoteSigner, out: Path) -> None:
        store = SqlLogStore(make_engine(url))
        try:
            await export_tiles(store, out, verifier=signer.verifier, origin=ORIGIN)
        finally:
            await store.close()

    asyncio.run(grow(database_url, ours, 300))
    theirs_out = tmp_path / "theirs"
    from ledger.migrate import upgrade

    async def other_log() -> None:
        engine = make_engine(other_url)
        await upgrade(engine)
        await engine.dispose()
        await grow(other_url, theirs, 200)
        await export(other_url, theirs, theirs_out)

    asyncio.run(other_log())
    before = _files(theirs_out)
    with pytest.raises(TileExportError, match="another log"):
        asyncio.run(export(database_url, ours, theirs_out))
    assert _files(theirs_out) == before  # nothing changed
    clutter = tmp_path / "clutter"
    clutter.mkdir()
    (clutter / "index.html").write_text("hello")
    with pytest.raises(TileExportError, match="no tile export"):
        asyncio.run(export(database_url, ours, clutter))
    assert sorted(os.listdir(clutter)) == ["index.html"]


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_the_command_refuses_a_fork_with_one_line(database_url: str, tmp_path: Path) -> None:
    with serving(database_url, tmp_path) as (_, config):
        out = tmp_path / "static"
        assert "files written (it held size 0)" in _export(config, out)
        note = (out / "checkpoint").read_text().split("\n")
        forked = Checkpoint(ORIGIN, int(note[1]), hashlib.sha256(b"fork").digest())
        (out / "checkpoint").write_text(sign_checkpoint(forked, config.log_signer))
        result = _invoke_export(config, out)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert "whose root is not this log's" in result.stderr
