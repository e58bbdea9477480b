"""Database outages: while the database is down, full or read-only every route answers a coded
503 or 507 (never a 500), reads go on where they can, the server recovers by itself, and
nothing acknowledged is lost.

PostgreSQL is cut off through a TCP proxy on loopback (as a restart or a network fault
would); SQLite's full disk and read-only file are made with its own pragmas on the writer's
connection (``max_page_count``, ``query_only``), which fail the write exactly as a full disk
and a read-only file do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from ledger.audit import audit_store
from ledger.bootstrap import admission
from ledger.signing import Keypair
from ledger.sql import SqlLogStore, make_engine
from tests.api.graphql_world import ORIGIN, GraphQLWorld, graphql_world, http_client

FILL_ATTEMPTS = 500
RECOVERY_SECONDS = 20
"""How long the server may take to answer again once the database is back (bounded loop)."""


class Proxy:
    """A TCP proxy on 127.0.0.1 to a PostgreSQL server, that a test can cut and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and break every open one."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


def _admission(world: GraphQLWorld, member: str) -> dict[str, Any]:
    body = admission(member, Keypair.generate().public_key_b64, member_kind="sme", borough="Sutton")
    return world.factory.sign(world.keys["steward"], "member.admitted", body).to_json()


def _coded(answer: httpx.Response) -> tuple[int, str]:
    assert answer.headers["content-type"].startswith("application/json"), answer.text
    return answer.status_code, str(answer.json()["error"]["code"])


async def _until_answered(client: httpx.AsyncClient, submission: dict[str, Any]) -> int:
    """Send ``submission`` again until the server acknowledges it; its seq."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RECOVERY_SECONDS
    while True:
        answer = await client.post("/log/statements", json=submission)
        if answer.status_code == 201:
            return int(answer.json()["seq"])
        # a statement logged just before the cut, its answer lost, gets its receipt: no 409
        assert _coded(answer)[0] == 503, answer.text
        assert loop.time() < deadline, "the server did not recover in time"
        await asyncio.sleep(0.2)


@pytest.fixture
async def proxied(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[GraphQLWorld, Proxy]]:
    url = make_url(postgres_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    async with graphql_world(through, tmp_path) as world:
        yield world, proxy
    with contextlib.suppress(AssertionError):
        await proxy.cut()


@pytest.mark.postgres
async def test_postgresql_down_answers_503_and_the_server_recovers(
    proxied: tuple[GraphQLWorld, Proxy],
) -> None:
    world, proxy = proxied
    async with http_client(world) as client:
        acknowledged = [(await client.post("/log/statements", json=_admission(world, "before")))]
        assert acknowledged[0].status_code == 201
        await proxy.cut()
        down = {
            "checkpoint": await client.get("/log/checkpoint"),
            "entries": await client.get("/log/entries", params={"start": 0, "end": 3}),
            "inclusion": await client.get("/log/proof/inclusion", params={"index": 0, "size": 3}),
            "submit": await client.post("/log/statements", json=_admission(world, "during")),
        }
        for name, answer in down.items():
            assert _coded(answer) == (503, "unavailable"), (name, answer.text)
            assert answer.headers["retry-after"] == "2", name
        graphql = await client.post("/graphql", json={"query": "{ checkpoint { size } }"})
        error = graphql.json()["errors"][0]
        assert error["extensions"]["code"] == "unavailable", error
        assert error["message"] != "Unexpected error."
        health = await client.get("/healthz")
        assert health.status_code == 503 and health.json()["database"] == "down"
        assert (await client.get("/livez")).status_code == 200

        await proxy.start()
        after = _admission(world, "after")
        assert await _until_answered(client, after) > 0
        assert (await client.get("/healthz")).json()["database"] == "up"
    store = SqlLogStore(make_engine(world.config.database_url))
    try:
        report = await audit_store(store, origin=ORIGIN, log_verifier=world.config.log_verifier)
        seqs = {e.seq for e in await store.entries(0, report.size)}
        assert acknowledged[0].json()["seq"] in seqs
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("pragma", "status", "code"),
    [
        ("PRAGMA max_page_count = {pages}", 507, "storage_full"),
        ("PRAGMA query_only = ON", 503, "unavailable"),
    ],
    ids=["disk-full", "read-only"],
)
async def test_sqlite_full_or_read_only_refuses_appends_and_reads_go_on(
    sqlite_url_migrated: str, tmp_path: Path, pragma: str, status: int, code: str
) -> None:
    async with graphql_world(sqlite_url_migrated, tmp_path) as world, http_client(world) as client:
        store = world.app.state.ledger.store
        _conn, driver = await store._writer_connection()
        pages = (await driver.fetch("PRAGMA page_count"))[0][0]
        await driver.execute(pragma.format(pages=pages))
        for attempt in range(FILL_ATTEMPTS):  # a full file takes what fits in its pages
            before = await client.get("/log/checkpoint")
            refused = await client.post("/log/statements", json=_admission(world, f"m-{attempt}"))
            if refused.status_code != 201:
                break
        assert _coded(refused) == (status, code), refused.text
        assert (await client.get("/log/checkpoint")).text == before.text  # reads go on
        assert (await client.get("/log/entries", params={"start": 0, "end": 2})).status_code == 200
        # The failed batch dropped the writer's connection; the next one writes again.
        assert await _until_answered(client, _admission(world, "later")) > 0
        report = await audit_store(store, origin=ORIGIN, log_verifier=world.config.log_verifier)
        assert report.size == world.app.state.ledger.registry.size


@pytest.mark.postgres
async def test_postgresql_cut_under_load_answers_503_and_loses_nothing(
    proxied: tuple[GraphQLWorld, Proxy],
) -> None:
    """16 submitters keep going while PostgreSQL is cut off for a second and comes back: each
    answer is a receipt or a coded 503, never a 500; the lost ones, sent again, are logged."""
    world, proxy = proxied
    sent: list[dict[str, Any]] = []
    receipts: dict[str, int] = {}
    statuses: set[tuple[int, str]] = set()
    stop = asyncio.Event()

    async def submitter(client: httpx.AsyncClient, n: int) -> None:
        i = 0
        while not stop.is_set():
            submission = _admission(world, f"load-{n}-{i}")
            sent.append(submission)
            answer = await client.post("/log/statements", json=submission)
            if answer.status_code == 201:
                receipts[submission["statement"]["nonce"]] = answer.json()["seq"]
            else:
                statuses.add(_coded(answer))
                await asyncio.sleep(0.05)
            i += 1

    async with http_client(world) as client:
        work = asyncio.gather(*(submitter(client, n) for n in range(16)))
        await asyncio.sleep(0.5)
        await proxy.cut()
        await asyncio.sleep(1.0)
        await proxy.start()
        await asyncio.sleep(1.0)
        stop.set()
        await work
        assert statuses == {(503, "unavailable")}, statuses
        for submission in sent:
            nonce = submission["statement"]["nonce"]
            if nonce not in receipts:
                receipts[nonce] = await _until_answered(client, submission)
    store = SqlLogStore(make_engine(world.config.database_url))
    try:
        await audit_store(store, origin=ORIGIN, log_verifier=world.config.log_verifier)
        logged = {r.seq for r in await store.entries(0, await store.size())}
        assert set(receipts.values()) <= logged
        assert len(receipts) == len(sent)
    finally:
        await store.close()
