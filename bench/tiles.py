"""Downloading the whole log through the C2SP tiles against through ``/log/entries``.

``python -m bench.tiles [--size 100000] [--rounds 3] [--cache-mb 32] [--parallel 1]``

One server process (``create_app`` on uvicorn with uvloop and httptools, no access log) serves
a copy of the ``bench.biglog`` log on loopback; this process is the client: the standard
library's ``http.client``, keep-alive, ``--parallel`` connections (httpx costs some 0.4 ms of
its own per request, which would hide the server's costs). Each round, in alternating order:

1. **entries**: ``/log/entries`` in pages of 1,000, each JSON body parsed and every entry
   decoded from base64;
2. **tiles**: every entry bundle and every hash tile of the checkpoint's size (full and
   partial, at every level: more than a client needs to check the entries against the
   checkpoint, which it can do from the entries and the partial tiles alone), each bundle
   split into its entries.

Both end with every entry's exact bytes in hand, checked equal between the two. The figure is
entry bytes obtained per second of wall time (and wire bytes per second beside it); the
ratio tiles / entries, per round and its median, is the goal (>= 5). Rounds after the first
find the server's cache of tiles (``--cache-mb``) as the round before left it. Last, the
time of one request alone of ``/livez``, a full hash tile, a full bundle and a page of
entries, over loopback and then of the app alone (called in this process, after the server
stopped): the per-request floor that the tiles' many requests pay, and what of it is the
app's.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

from fastapi import FastAPI

from bench import biglog
from bench.common import machine
from bench.graphql import _free_port, _wait
from ledger.tiles import TileID, tiles_at

PAGE = 1000
FLOOR = ("/livez", "/tile/0/000", "/tile/entries/000", f"/log/entries?start=0&end={PAGE}")
T = TypeVar("T")
Fetched: TypeAlias = tuple[list[bytes], int]
"""What one request gave: the entries in it (none for a hash tile) and its body's bytes."""


@contextmanager
def big_log_app(path: Path, cache_mb: int) -> Iterator[FastAPI]:
    """The app of the big log at ``path``, with a throwaway data folder for its secret."""
    from api.app import create_app
    from api.settings import ApiSettings
    from ledger.config import DataDir, LedgerConfig
    from ledger.sql import sqlite_url

    with tempfile.TemporaryDirectory() as folder:
        config = LedgerConfig(
            data=DataDir(Path(folder)),
            origin=biglog.ORIGIN,
            database_url=sqlite_url(path),
            log_signer=biglog.log_signer(),
            window=timedelta(minutes=10),
        )
        yield create_app(config=config, api_settings=ApiSettings(tile_cache_bytes=cache_mb << 20))


def serve(path: Path, port: int, cache_mb: int) -> None:
    """The server under test, on a copy of the big log."""
    import uvicorn

    with big_log_app(path, cache_mb) as app:
        uvicorn.run(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            loop="uvloop",
            http="httptools",
        )


def _split_bundle(data: bytes) -> list[bytes]:
    found, at = [], 0
    while at < len(data):
        length = int.from_bytes(data[at : at + 2], "big")
        found.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return found


def _get(http: HTTPConnection, path: str) -> bytes:
    http.request("GET", path)
    reply = http.getresponse()
    body = reply.read()
    if reply.status != 200:
        raise RuntimeError(f"{path}: {reply.status} {body[:200]!r}")
    return body


def _entries_page(http: HTTPConnection, start: int, end: int) -> tuple[list[bytes], int]:
    body = _get(http, f"/log/entries?start={start}&end={end}")
    rows = json.loads(body)["entries"]
    return [base64.b64decode(row["entry"]) for row in rows], len(body)


def _tile(http: HTTPConnection, tile: TileID) -> tuple[list[bytes], int]:
    body = _get(http, f"/{tile.path()}")
    return (_split_bundle(body) if tile.is_bundle else []), len(body)


def _fetch_all(
    clients: list[HTTPConnection], jobs: list[T], fetch: Callable[[HTTPConnection, T], Fetched]
) -> tuple[list[bytes], int]:
    """``fetch`` each job, connection ``w`` taking jobs ``w``, ``w + n``, ...; the entries in
    job order and the wire bytes."""
    n = len(clients)

    def worker(w: int) -> list[Fetched]:
        return [fetch(clients[w], job) for job in jobs[w::n]]

    with ThreadPoolExecutor(n) as pool:
        shares = list(pool.map(worker, range(n)))
    results = [shares[i % n][i // n] for i in range(len(jobs))]
    return [e for entries, _ in results for e in entries], sum(size for _, size in results)


def by_entries(clients: list[HTTPConnection], size: int) -> tuple[list[bytes], int]:
    """Every entry through ``/log/entries``; returns them and the wire bytes."""
    pages = [(s, min(size, s + PAGE)) for s in range(0, size, PAGE)]
    return _fetch_all(clients, pages, lambda http, page: _entries_page(http, *page))


def by_tiles(clients: list[HTTPConnection], size: int) -> tuple[list[bytes], int]:
    """Every entry through the entry bundles, and every hash tile; the same returned."""
    return _fetch_all(clients, list(tiles_at(size)), _tile)


def _floor(http: HTTPConnection, count: int = 200) -> None:
    """The time of one request, alone on the connection: the floor that bounds the tiles."""
    for path in FLOOR:
        _get(http, path)
        started = time.perf_counter()
        for _ in range(count):
            body = _get(http, path)
        seconds = (time.perf_counter() - started) / count
        print(f"  one request of {path} ({len(body):,} bytes): {1000 * seconds:.3f} ms")


def server_side(path: Path, cache_mb: int, count: int = 300) -> None:
    """The app's own time per request, called in this process (no socket, no HTTP client)."""
    asyncio.run(_server_side(path, cache_mb, count))


async def _server_side(path: Path, cache_mb: int, count: int) -> None:
    with big_log_app(path, cache_mb) as app:

        async def call(target: str) -> None:
            route, _, query = target.partition("?")
            scope = {
                "type": "http",
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": route,
                "raw_path": route.encode(),
                "query_string": query.encode(),
                "headers": [(b"host", b"bench")],
                "server": ("127.0.0.1", 80),
                "client": ("127.0.0.1", 1),
                "root_path": "",
            }

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start" and message["status"] != 200:
                    raise RuntimeError(f"{target}: {message['status']}")

            await app(scope, receive, send)

        async with app.router.lifespan_context(app):
            for target in FLOOR:
                await call(target)
                started = time.perf_counter()
                for _ in range(count):
                    await call(target)
                seconds = (time.perf_counter() - started) / count
                print(f"  the app alone, {target}: {1000 * seconds:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache-mb", type=int, default=32)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]), args.cache_mb)
        return
    source = biglog.build(args.size)
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "copy.db"
        shutil.copyfile(source, path)
        port = _free_port()
        command = [sys.executable, "-m", "bench.tiles", "--cache-mb", str(args.cache_mb)]
        server = subprocess.Popen([*command, "--serve", str(path), str(port)], env=os.environ)  # noqa: S603
        try:
            _wait(port, server)
            _rounds(port, args.size, args.rounds, args.parallel)
            if shutil.which("curl"):
                _served(port, args.size, args.rounds, args.parallel)
        finally:
            server.terminate()
            server.wait(10)
        server_side(path, args.cache_mb)


def _rounds(port: int, size: int, rounds: int, parallel: int) -> None:
    clients = [HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(parallel)]
    figures: dict[str, list[tuple[float, float]]] = {"entries": [], "tiles": []}
    try:
        expected, _ = by_entries(clients, size)  # warm up the page cache and connections
        total = sum(len(e) for e in expected)
        print(f"{size:,} entries, {total / 1e6:.1f} MB of entry bytes; {parallel} connection(s)")
        for round_ in range(rounds):
            order = ("entries", "tiles") if round_ % 2 == 0 else ("tiles", "entries")
            for name in order:
                fetch = by_entries if name == "entries" else by_tiles
                started = time.perf_counter()
                entries, wire = fetch(clients, size)
                seconds = time.perf_counter() - started
                assert entries == expected, f"{name} gave other entries"
                figures[name].append((total / seconds, wire / seconds))
                print(
                    f"  round {round_ + 1} {name:>7}: {seconds:6.2f} s, "
                    f"{total / seconds / 1e6:6.1f} MB/s of entries, "
                    f"{wire / seconds / 1e6:6.1f} MB/s on the wire",
                    flush=True,
                )
        _floor(clients[0])
    finally:
        for client in clients:
            client.close()
    ratios = [
        tiles[0] / entries[0]
        for tiles, entries in zip(figures["tiles"], figures["entries"], strict=True)
    ]
    for name, runs in figures.items():
        rates = sorted(rate for rate, _ in runs)
        print(f"{name:>7}: median {rates[len(rates) // 2] / 1e6:.1f} MB/s of entries")
    print(
        "tiles / entries per round: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + f" | median {sorted(ratios)[len(ratios) // 2]:.2f} (goal >= 5)"
    )


def _curl(port: int, paths: list[str], parallel: int) -> tuple[float, int]:
    """Seconds and body bytes for curl (C, keep-alive, ``parallel`` connections, bodies thrown
    away) to fetch ``paths``: what the server serves when the client costs next to nothing."""
    with tempfile.NamedTemporaryFile("w", suffix=".curl") as config:
        for path in paths:
            config.write(f'url = "http://127.0.0.1:{port}{path}"\noutput = "/dev/null"\n')
        config.flush()
        command = ["curl", "-s", "--fail", "-K", config.name, "-w", "%{size_download}\n"]
        if parallel > 1:
            command += ["--parallel", "--parallel-max", str(parallel)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
        seconds = time.perf_counter() - started
    return seconds, sum(int(line) for line in done.stdout.split())


def _served(port: int, size: int, rounds: int, parallel: int) -> None:
    """Bytes per second served, tiles against ``/log/entries``, with curl as the client."""
    jobs = {
        "entries": [
            f"/log/entries?start={s}&end={min(size, s + PAGE)}" for s in range(0, size, PAGE)
        ],
        "tiles": [f"/{tile.path()}" for tile in tiles_at(size)],
    }
    rates: dict[str, list[float]] = {"entries": [], "tiles": []}
    print(f"served to curl ({parallel} connection(s)), bodies not decoded:")
    for round_ in range(rounds):
        for name in ("entries", "tiles") if round_ % 2 == 0 else ("tiles", "entries"):
            seconds, body = _curl(port, jobs[name], parallel)
            rates[name].append(body / seconds)
            rate = body / seconds / 1e6
            print(f"  round {round_ + 1} {name:>7}: {seconds:6.2f} s, {rate:6.1f} MB/s")
    ratios = [t / e for t, e in zip(rates["tiles"], rates["entries"], strict=True)]
    print(
        "served tiles / entries per round: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + f" | median {sorted(ratios)[len(ratios) // 2]:.2f} (goal >= 5)"
    )


if __name__ == "__main__":
    main()
