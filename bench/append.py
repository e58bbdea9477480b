"""Durable append throughput through the service layer against raw batched INSERTs.

``python -m bench.append [--backend sqlite|postgres|both] [--count N] [--submitters 64]``

1. The ledger: N member admissions, signed beforehand, submitted by 64 concurrent coroutines
   to ``Ledger.submit`` in process; every signature is verified, every batch is one
   transaction, one fsync and one signed checkpoint. Time from the first submit to the last
   acknowledgement.
2. The baseline, in the same run: the very rows the ledger wrote (entries, tree nodes,
   checkpoints) inserted into a fresh database of the same kind with the same batch
   boundaries, one transaction per batch, the way the store writes them: one connection kept
   open, ``BEGIN IMMEDIATE`` (SQLite) or ``BEGIN`` (PostgreSQL), one driver-level
   ``executemany`` per table, ``COMMIT`` — storage alone, with no verification, no
   sequencing, no writer lock and no nonce or size read.
3. A second baseline, the floor of any verified append, in the same run: the raw inserts of 2
   plus the Ed25519 checks of the same signatures with the same batch boundaries, each batch's
   signatures split between two threads as the sequencer splits them (PyNaCl releases the
   GIL). A batch is written only once its signatures are checked, and the next batch arrives
   only once it is acknowledged, so the two times add up.

Also printed: the process's CPU time per append and how many cores it kept busy, and the
load average, since other work on the machine moves these figures a lot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.common import database, machine, numbered_admission
from ledger.authoring import StatementFactory
from ledger.bootstrap import initialise
from ledger.note import NoteSigner
from ledger.sequencer import VERIFY_THREADS
from ledger.service import Ledger
from ledger.signing import STATEMENT_DOMAIN, Keypair, verify
from ledger.sql import SqlLogStore, make_engine
from ledger.sql_driver import POSTGRES, SQLITE, Driver
from ledger.statement import SignedStatement
from ledger.store import CheckpointRow, EntryRow

ORIGIN = "bench.coopledger.example/log"
_Node = tuple[int, int, bytes]
_BatchRows = tuple[list[EntryRow], list[_Node], CheckpointRow]


def _statements(steward: Keypair, count: int) -> list[SignedStatement]:
    factory = StatementFactory(ORIGIN)
    return [
        factory.sign(steward, "member.admitted", numbered_admission(f"m{i:07d}", i))
        for i in range(count)
    ]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Result:
    """One run on one backend."""

    backend: str
    ledger_rate: float
    raw_rate: float
    floor_rate: float
    batches: int
    cpu_per_append: float
    cores_busy: float

    @property
    def ratio(self) -> float:
        """Ledger appends/s over raw rows/s."""
        return self.ledger_rate / self.raw_rate

    @property
    def floor_ratio(self) -> float:
        """Ledger appends/s over the floor's (raw inserts plus signature checks)."""
        return self.ledger_rate / self.floor_rate


async def _ledger_run(
    url: str, steward: Keypair, statements: list[SignedStatement], submitters: int
) -> tuple[float, float, int]:
    signer = NoteSigner.generate(ORIGIN)
    store = SqlLogStore(make_engine(url))
    async with Ledger(store, origin=ORIGIN, log_signer=signer) as ledger:
        await initialise(ledger, steward=steward, steward_id="steward", log_signer=signer)
        queue = list(reversed(statements))

        async def submitter() -> None:
            while queue:
                await ledger.submit(queue.pop())

        started, cpu = time.perf_counter(), _cpu()
        await asyncio.gather(*(submitter() for _ in range(submitters)))
        elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    batches = len(await store.checkpoints(2, 10**9))
    await store.close()
    return elapsed, cpu, batches


async def _rows(url: str) -> list[_BatchRows]:
    """The ledger's writes, grouped by the checkpoint (batch) that first covered them."""
    store = SqlLogStore(make_engine(url))
    size = await store.size()
    entries = await store.entries(0, size)
    checkpoints = await store.checkpoints(0, 10**9)
    async with store.engine.connect() as conn:
        result = await conn.exec_driver_sql("SELECT level, idx, hash FROM tree_nodes")
        nodes = [(r[0], r[1], bytes(r[2])) for r in result.all()]
    await store.close()
    by_batch: dict[int, list[tuple[int, int, bytes]]] = defaultdict(list)
    ends = [c.size for c in checkpoints]
    for level, idx, digest in nodes:
        last_leaf = ((idx + 1) << level) - 1
        by_batch[next(e for e in ends if e > last_leaf)].append((level, idx, digest))
    batches, start = [], 0
    for checkpoint in checkpoints:
        batches.append((entries[start : checkpoint.size], by_batch[checkpoint.size], checkpoint))
        start = checkpoint.size
    return batches


async def _raw_run(url: str, batches: list[_BatchRows]) -> float:
    engine = make_engine(url)
    dialect = POSTGRES if url.startswith("postgresql") else SQLITE
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        driver = Driver(raw, dialect)
        started = time.perf_counter()
        for entries, nodes, checkpoint in batches:
            if dialect.postgres:
                async with raw.transaction():
                    await _insert(driver, entries, nodes, checkpoint)
            else:
                await driver.execute("BEGIN IMMEDIATE")
                await _insert(driver, entries, nodes, checkpoint)
                await raw.commit()
        elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


def _verify_run(public_key: bytes, statements: list[SignedStatement], sizes: list[int]) -> float:
    """The signature checks alone, batch by batch (``sizes``), each batch's split in two."""
    checks = [(STATEMENT_DOMAIN + s.canonical, s.signature) for s in statements]

    def check(part: Sequence[tuple[bytes, bytes]]) -> None:
        for message, signature in part:
            verify(public_key=public_key, signature=signature, message=message)

    with ThreadPoolExecutor(VERIFY_THREADS) as pool:
        started, start = time.perf_counter(), 0
        for size in sizes:
            batch, start = checks[start : start + size], start + size
            step = -(-size // VERIFY_THREADS)
            list(pool.map(check, [batch[i : i + step] for i in range(0, size, step)]))
        return time.perf_counter() - started


async def _insert(
    driver: Driver, entries: list[EntryRow], nodes: list[_Node], checkpoint: CheckpointRow
) -> None:
    dialect = driver.dialect
    await driver.insert(
        dialect.insert_entries,
        [(e.seq, e.leaf_hash, e.data, e.kind, e.key_id, e.nonce, e.logged_at) for e in entries],
    )
    await driver.insert(dialect.insert_nodes, nodes)
    await driver.insert(
        dialect.insert_checkpoints, [(checkpoint.size, checkpoint.root, checkpoint.note)]
    )


async def run(backend: str, count: int, submitters: int) -> Result:
    steward = Keypair.generate()
    statements = _statements(steward, count)
    async with database(backend) as url:
        elapsed, cpu, batches = await _ledger_run(url, steward, statements, submitters)
        rows = await _rows(url)
    async with database(backend) as raw_url:
        raw_elapsed = await _raw_run(raw_url, rows)
    raw_count = sum(len(b[0]) for b in rows)
    sizes = [len(b[0]) for b in rows[1:]]  # the run's batches: all but entry 0's
    assert sum(sizes) == count, "every statement was appended, in these batches"
    verify_elapsed = _verify_run(steward.public_key, statements, sizes)
    result = Result(
        backend=backend,
        ledger_rate=count / elapsed,
        raw_rate=raw_count / raw_elapsed,
        floor_rate=count / (raw_elapsed * count / raw_count + verify_elapsed),
        batches=batches,
        cpu_per_append=cpu / count,
        cores_busy=cpu / elapsed,
    )
    print(
        f"{backend:8} ledger {result.ledger_rate:6.0f} appends/s ({count} in {elapsed:.2f} s, "
        f"{batches} batches, {count / max(batches, 1):.0f}/batch, "
        f"{1e6 * result.cpu_per_append:.0f} us CPU each, {result.cores_busy:.2f} cores busy) | "
        f"raw inserts {result.raw_rate:6.0f} rows/s | ratio {result.ratio:.2f} | "
        f"raw inserts + signature checks {result.floor_rate:6.0f}/s | "
        f"ratio {result.floor_ratio:.2f} | "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return result


def _spread(values: list[float], form: str) -> str:
    middle, low, high = statistics.median(values), min(values), max(values)
    return f"{form.format(middle)} ({form.format(low)}-{form.format(high)})"


def summary(results: list[Result]) -> None:
    """Median (min-max) per backend over the repeats."""
    for backend in dict.fromkeys(r.backend for r in results):
        mine = [r for r in results if r.backend == backend]
        print(
            f"{backend:8} over {len(mine)} runs: ledger "
            f"{_spread([r.ledger_rate for r in mine], '{:.0f}')} appends/s | raw "
            f"{_spread([r.raw_rate for r in mine], '{:.0f}')} rows/s | ratio "
            f"{_spread([r.ratio for r in mine], '{:.2f}')} | raw inserts + signature checks "
            f"{_spread([r.floor_rate for r in mine], '{:.0f}')}/s | ratio "
            f"{_spread([r.floor_ratio for r in mine], '{:.2f}')}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--submitters", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    results = [
        asyncio.run(run(backend, args.count, args.submitters))
        for _ in range(args.repeat)
        for backend in backends
    ]
    if args.repeat > 1:
        summary(results)


if __name__ == "__main__":
    main()
