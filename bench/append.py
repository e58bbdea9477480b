"""Durable append throughput through the service layer against raw batched INSERTs.

``python -m bench.append [--backend sqlite|postgres|both] [--count N] [--submitters 64]``

1. The ledger: N member admissions, signed beforehand, submitted by 64 concurrent coroutines
   to ``Ledger.submit`` in process; every signature is verified, every batch is one
   transaction, one fsync and one signed checkpoint. Time from the first submit to the last
   acknowledgement.
2. The baseline, in the same run: the very rows the ledger wrote (entries, tree nodes,
   checkpoints) inserted into a fresh database of the same kind with the same batch
   boundaries, one transaction per batch, by the same driver-level ``executemany`` — storage
   alone, with no verification or sequencing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict

from bench.common import database, machine
from ledger.bootstrap import initialise
from ledger.note import NoteSigner
from ledger.service import Ledger
from ledger.signing import Keypair
from ledger.sql import SqlLogStore, make_engine
from ledger.statement import SignedStatement
from ledger.store import CheckpointRow, EntryRow
from ledger.testing import StatementFactory

ORIGIN = "bench.coopledger.example/log"


def _statements(steward: Keypair, count: int) -> list[SignedStatement]:
    factory = StatementFactory(ORIGIN)
    return [
        factory.sign(
            steward,
            "member.admitted",
            {
                "member": f"m{i:07d}",
                "public_key": Keypair(i.to_bytes(32, "big")).public_key_b64,
                "member_kind": "sme",
                "borough": "Sutton",
                "roles": [],
            },
        )
        for i in range(count)
    ]


async def _ledger_run(url: str, count: int, submitters: int) -> tuple[float, int]:
    signer, steward = NoteSigner.generate(ORIGIN), Keypair.generate()
    store = SqlLogStore(make_engine(url))
    async with Ledger(store, origin=ORIGIN, log_signer=signer) as ledger:
        await initialise(ledger, steward=steward, steward_id="steward", log_signer=signer)
        queue = _statements(steward, count)
        queue.reverse()

        async def submitter() -> None:
            while queue:
                await ledger.submit(queue.pop())

        started = time.perf_counter()
        await asyncio.gather(*(submitter() for _ in range(submitters)))
        elapsed = time.perf_counter() - started
    batches = len(await store.checkpoints(2, 10**9))
    await store.close()
    return elapsed, batches


async def _rows(url: str) -> list[tuple[list[EntryRow], list[tuple[int, int, bytes]], CheckpointRow]]:
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


async def _raw_run(url: str, batches: list) -> float:  # type: ignore[type-arg]
    engine = make_engine(url)
    marks = "$1, $2, $3, $4, $5, $6, $7" if url.startswith("postgresql") else "?, ?, ?, ?, ?, ?, ?"
    three = "$1, $2, $3" if url.startswith("postgresql") else "?, ?, ?"
    started = time.perf_counter()
    for entries, nodes, checkpoint in batches:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(
                f"INSERT INTO entries (seq, leaf_hash, body, kind, key_id, nonce, logged_at) "
                f"VALUES ({marks})",
                [(e.seq, e.leaf_hash, e.data, e.kind, e.key_id, e.nonce, e.logged_at)
                 for e in entries],
            )
            await conn.exec_driver_sql(
                f"INSERT INTO tree_nodes (level, idx, hash) VALUES ({three})", nodes
            )
            await conn.exec_driver_sql(
                f"INSERT INTO checkpoints (size, root, note) VALUES ({three})",
                [(checkpoint.size, checkpoint.root, checkpoint.note)],
            )
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


async def run(backend: str, count: int, submitters: int) -> None:
    async with database(backend) as url:
        elapsed, batches = await _ledger_run(url, count, submitters)
        rows = await _rows(url)
    async with database(backend) as raw_url:
        raw_elapsed = await _raw_run(raw_url, rows)
    ledger_rate = count / elapsed
    raw_rate = sum(len(b[0]) for b in rows) / raw_elapsed
    print(
        f"{backend:8} ledger {ledger_rate:8.0f} appends/s ({count} in {elapsed:.2f} s, "
        f"{batches} batches, {count / max(batches, 1):.0f}/batch) | raw inserts "
        f"{raw_rate:8.0f} rows/s | ratio {ledger_rate / raw_rate:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--submitters", type=int, default=64)
    args = parser.parse_args()
    print(machine())
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        asyncio.run(run(backend, args.count, args.submitters))


if __name__ == "__main__":
    main()
