"""Shared benchmark helpers: machine description, throwaway databases, timing."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from governance import drafts
from ledger.authoring import StatementFactory
from ledger.bootstrap import admission
from ledger.encoding import JSONValue, utc_now
from ledger.migrate import upgrade
from ledger.service import Ledger
from ledger.signing import Keypair
from ledger.sql import SqlLogStore, make_engine, sqlite_url

POSTGRES_URL = os.environ.get(
    "COOPLEDGER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def machine() -> str:
    """One line saying when and on what a benchmark ran."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({cpu}); "
        f"Python {platform.python_version()}; {platform.system()} {platform.release()}"
    )


@asynccontextmanager
async def database(backend: str) -> AsyncIterator[str]:
    """A fresh, migrated database URL on ``backend`` (sqlite or postgres), removed after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = sqlite_url(Path(folder) / "bench.db")
            await _migrate(url)
            yield url
        return
    name = f"coopledger_bench_{secrets.token_hex(4)}"
    admin = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        await _migrate(url)
        yield url
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run_on_scratch(
    backend: str,
    build: Callable[[Path, str | None], Awaitable[Any]],
    report: Callable[[Path, dict[str, str]], None],
) -> None:
    """Build a ledger in a temporary folder on a fresh database of ``backend``, save the load
    generator's plan beside it (``plan.json``), then ``report`` on it in a thread, given the
    environment a server needs to find that database."""
    async with database(backend) as url:
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder) / "data"
            plan = await build(data, None if backend == "sqlite" else url)
            (data / "plan.json").write_text(json.dumps(plan))
            env = {} if backend == "sqlite" else {"COOPLEDGER_DATABASE_URL": url}
            await asyncio.to_thread(report, data, env)


def numbered_admission(member: str, i: int) -> dict[str, JSONValue]:
    """An SME's admission in Sutton with key number ``i`` (the same key every run)."""
    key = Keypair(i.to_bytes(32, "big")).public_key_b64
    return admission(member, key, member_kind="sme", borough="Sutton")


async def submit(ledger: Ledger, keypair: Keypair, kind: str, body: dict[str, Any]) -> int:
    """Sign with ``keypair`` and submit; the entry's seq."""
    signed = StatementFactory(ledger.origin, ledger.clock).sign(keypair, kind, body)
    return (await ledger.submit(signed)).entry.seq


async def open_proposal(ledger: Ledger, steward: Keypair, *, days: int, **fields: Any) -> int:
    """The steward opens a proposal in the assembly, closing in ``days`` (its text stored
    first, as the API does); the entry's seq."""
    store = ledger.store
    assert isinstance(store, SqlLogStore)
    async with store.engine.begin() as conn:
        body = await drafts.open_body(
            conn,
            ledger.registry,
            group="assembly",
            opens_at=utc_now(),
            closes_at=utc_now() + timedelta(days=days),
            **fields,
        )
    return await submit(ledger, steward, "governance.proposal.opened", body)
