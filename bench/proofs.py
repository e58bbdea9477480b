"""Inclusion and consistency proof latency at 1,000,000 entries, from the SQLite store.

``python -m bench.proofs [--size 1000000] [--count 2000]``

The log comes from ``bench.biglog`` (built once, then cached). In one run, interleaved in
random order so that both see the same machine:

1. ``LogView.inclusion(i, N)`` for random ``i`` at the latest size ``N``;
2. ``LogView.consistency(M, N)`` from a random stored checkpoint size ``M`` to ``N``;
3. the baseline: ``store.entries(i, i + 1)``, one primary-key point read of one entry row
   through the same store.

Each call is timed alone (``perf_counter`` around one ``await``); the figures are
percentiles over ``--count`` calls of each. Every proof is checked with ``ledger.merkle``
afterwards (not timed). The query plan of the tree-node read is printed: it must search the
primary key, never scan the table.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import biglog
from bench.common import machine, percentile
from ledger.log import LogView
from ledger.merkle import verify_consistency, verify_inclusion
from ledger.sql import SqlLogStore, make_engine, sqlite_url
from ledger.sql_driver import SQLITE
from ledger.tree import inclusion_nodes, root_nodes


def query_plan(path: Path, size: int) -> list[str]:
    """SQLite's plan for reading an inclusion proof's nodes at ``size``."""
    ids = inclusion_nodes(size // 3, size) + root_nodes(size)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + SQLITE.nodes, SQLITE.keys(ids)).fetchall()
    return [row[-1] for row in rows]


async def _timed(calls: list[Callable[[], Awaitable[Any]]]) -> tuple[list[float], list[Any]]:
    times, results = [], []
    for call in calls:
        started = time.perf_counter()
        results.append(await call())
        times.append(time.perf_counter() - started)
    return times, results


async def run(path: Path, count: int) -> dict[str, list[float]]:
    store = SqlLogStore(make_engine(sqlite_url(path)))
    view = LogView(store)
    try:
        latest = await view.latest_checkpoint()
        size = latest.size
        sizes = [c.size for c in await store.checkpoints(1, 10**9) if c.size < size]
        rng = random.Random(5)
        work: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        for _ in range(count):
            i, m, j = rng.randrange(size), rng.choice(sizes), rng.randrange(size)
            work.append(("inclusion", lambda i=i: view.inclusion(i, size)))
            work.append(("consistency", lambda m=m: view.consistency(m, size)))
            work.append(("point read", lambda j=j: store.entries(j, j + 1)))
        rng.shuffle(work)
        await _timed([call for _, call in work[:300]])  # warm up pools and caches
        times, results = await _timed([call for _, call in work])
        figures: dict[str, list[float]] = {"inclusion": [], "consistency": [], "point read": []}
        for (name, _), seconds, result in zip(work, times, results, strict=True):
            figures[name].append(seconds)
            _check(name, result, latest.root)
        return figures
    finally:
        await store.close()


def _check(name: str, result: Any, root: bytes) -> None:
    if name == "inclusion":
        verify_inclusion(
            leaf_hash=result.leaf_hash,
            index=result.index,
            size=result.size,
            path=result.path,
            root=root,
        )
    elif name == "consistency":
        verify_consistency(
            size1=result.first,
            size2=result.second,
            root1=result.first_root,
            root2=root,
            path=result.path,
        )
    elif len(result) != 1:
        raise AssertionError("the point read found no entry")


def report(figures: dict[str, list[float]]) -> None:
    """One line per kind of call: p50, p90, p99 in ms, and p50 against the point read."""
    base = percentile(figures["point read"], 0.5)
    for name, values in figures.items():
        p50, p90, p99 = (1000 * percentile(values, q) for q in (0.5, 0.9, 0.99))
        print(
            f"{name:12} p50 {p50:6.3f} ms  p90 {p90:6.3f} ms  p99 {p99:6.3f} ms  "
            f"({len(values)} calls) | p50 / point read p50 = {p50 / 1000 / base:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    path = biglog.build(args.size)
    print(machine())
    print(f"log: {args.size:,} entries, {path.stat().st_size / 2**20:,.0f} MB SQLite file")
    print("tree-node read plan:", "; ".join(query_plan(path, args.size)))
    report(asyncio.run(run(path, args.count)))


if __name__ == "__main__":
    main()
