"""The one test harness: a running ledger on SQLite or PostgreSQL with a steward, a statement
factory, a settable clock, and named members who sign and submit acts (``Members``; the
credits and governance harnesses add their domain's verbs to it)."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import event

from ledger.authoring import StatementFactory
from ledger.bootstrap import admit, initialise
from ledger.encoding import utc_now
from ledger.log import LogView
from ledger.merkle import verify_consistency
from ledger.note import NoteSigner
from ledger.sequencer import Handler, Receipt
from ledger.service import Ledger
from ledger.signing import Keypair
from ledger.sql import Connection, Engine, SqlLogStore, make_engine
from ledger.store import CheckpointRow, LogStore

ORIGIN = "test.coopledger.example/log"
START = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
E = TypeVar("E", bound=Exception)
VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "rfc6962_vectors.json").read_text()
)
"""RFC 6962 / 9162 known answers: leaves, roots, node hashes, inclusion and consistency."""
LEAF_HASHES = [bytes.fromhex(h) for h in VECTORS["leaf_hashes"]]


class Clock:
    """A settable clock for the ledger and the statement factory."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    """A ledger with its log key, steward key and a statement factory."""

    ledger: Ledger
    store: LogStore
    log_signer: NoteSigner
    steward: Keypair
    factory: StatementFactory

    async def admit(
        self, member: str, *, kind: str = "sme", borough: str = "Croydon", roles: Sequence[str] = ()
    ) -> Keypair:
        """Admit a member with a fresh key and return the key."""
        keypair = Keypair.generate()
        await admit(
            self.ledger,
            steward=self.steward,
            member=member,
            keypair=keypair,
            member_kind=kind,
            borough=borough,
            roles=roles,
        )
        return keypair

    async def submit(
        self, keypair: Keypair, kind: str, body: dict[str, object], **kwargs: object
    ) -> Receipt:
        """Sign and submit a statement."""
        return await self.ledger.submit(self.factory.sign(keypair, kind, body, **kwargs))  # type: ignore[arg-type]


def make_store(database_url: str) -> SqlLogStore:
    """A store on the given (migrated) database URL."""
    return SqlLogStore(make_engine(database_url))


@asynccontextmanager
async def running_ledger(
    database_url: str,
    *,
    handlers: Sequence[Handler] = (),
    clock: Callable[[], datetime] = utc_now,
    initialise_log: bool = True,
    log_signer: NoteSigner | None = None,
) -> AsyncIterator[World]:
    """Open a ledger on ``database_url``, initialised with a steward; its log key is
    ``log_signer`` (two ledgers given one key make a fork) or a fresh one."""
    store = make_store(database_url)
    log_signer = log_signer or NoteSigner.generate(ORIGIN)
    steward = Keypair.generate()
    try:
        async with Ledger(
            store, origin=ORIGIN, log_signer=log_signer, handlers=handlers, clock=clock
        ) as ledger:
            if initialise_log:
                await initialise(
                    ledger, steward=steward, steward_id="steward", log_signer=log_signer
                )
            yield World(ledger, store, log_signer, steward, StatementFactory(ORIGIN, clock))
    finally:
        await store.close()


@dataclass
class Members:
    """Named members of a running ledger who sign and submit acts, and reads of its tables."""

    world: World
    clock: Clock
    keys: dict[str, Keypair]

    @property
    def store(self) -> SqlLogStore:
        assert isinstance(self.world.store, SqlLogStore)
        return self.world.store

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self.store.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        async with self.store.engine.begin() as conn:
            yield conn

    async def size(self) -> int:
        return await self.store.size()

    async def admit_all(self, members: Mapping[str, tuple[str, str, Sequence[str]]]) -> None:
        """Admit each ``member: (kind, borough, roles)`` with a fresh key."""
        for member, (kind, borough, roles) in members.items():
            self.keys[member] = await self.world.admit(
                member, kind=kind, borough=borough, roles=roles
            )

    async def submit(self, member: str, kind: str, body: Mapping[str, Any]) -> int:
        """``member`` signs and submits; the entry's seq."""
        receipt = await self.world.submit(self.keys[member], kind, dict(body))
        return receipt.entry.seq

    async def refused(
        self, member: str, kind: str, body: Mapping[str, Any], error: type[E], match: str
    ) -> E:
        """Submit, expect ``error`` whose message matches, and check nothing was appended."""
        before = await self.size()
        with pytest.raises(error, match=match) as caught:
            await self.submit(member, kind, body)
        assert await self.size() == before
        return caught.value


async def assert_consistent(view: LogView, checkpoints: Sequence[CheckpointRow]) -> None:
    """Each checkpoint's tree extends the one before, by the log's own consistency proof."""
    for older, newer in itertools.pairwise(checkpoints):
        proof = await view.consistency(older.size, newer.size)
        verify_consistency(
            size1=older.size,
            size2=newer.size,
            root1=older.root,
            root2=newer.root,
            path=proof.path,
        )


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block, in order."""
    statements: list[str] = []

    def count(conn: object, cursor: object, sql: str, *args: object) -> None:
        statements.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(data: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """``coopledger serve --data data`` on 127.0.0.1 in a process of its own (with ``env``
    added to this one's), once it answers ``/healthz``; stopped when the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "api.cli", "serve", "--data", str(data), "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not answer /healthz in time"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
