"""Offline audit rate on the 1,000,000-entry log, against the CPU floor measured in the same run.

``python -m bench.audit [--size 1000000] [--sample 100000]``

1. The floor: raw Ed25519 verification (PyNaCl) of the log's own signatures, by two worker
   processes at once (both cores), each verifying half of an evenly spaced sample of the
   entries (messages and keys are prepared before the clock starts). No audit can beat it:
   every entry's signature must be verified. Measured before and after the audit.
2. ``ledger.audit.audit_store`` on the whole log from the SQLite store: re-hash, parse,
   column and key-period checks, signatures, tree, every checkpoint's note and consistency.

Prints entries/s for both and the ratio of the audit to the mean floor.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from nacl.signing import VerifyKey

from bench import biglog
from bench.common import machine
from ledger.audit import audit_store
from ledger.members import MEMBER_KINDS, Registry
from ledger.signing import STATEMENT_DOMAIN
from ledger.sql import SqlLogStore, make_engine, sqlite_url
from ledger.statement import Entry

_Work = list[tuple[bytes, bytes, bytes]]


def _sample(path: Path, size: int, count: int) -> _Work:
    """(public key, message, signature) of ``count`` entries spread over the log."""
    step = max(1, size // count)
    wanted = range(0, size, step)
    with sqlite3.connect(path) as conn:
        registry = Registry()
        for (body,) in conn.execute(
            "SELECT body FROM entries WHERE kind IN (?, ?, ?, ?)", sorted(MEMBER_KINDS)
        ):
            registry.apply(Entry.parse(body))
        keys = {k: r.public_key for k, r in registry.keys.items()}
        work: _Work = []
        for seq in wanted:
            (body,) = conn.execute("SELECT body FROM entries WHERE seq = ?", (seq,)).fetchone()
            signed = Entry.parse(body).signed
            message = STATEMENT_DOMAIN + signed.canonical
            work.append((keys[signed.statement.key_id], message, signed.signature))
    return work


def _verify(work: _Work, start_at: float) -> float:
    """Wait until ``start_at``, verify everything, return the seconds it took."""
    while time.time() < start_at:
        time.sleep(0.001)
    started = time.perf_counter()
    cache: dict[bytes, VerifyKey] = {}
    for key, message, signature in work:
        verify_key = cache.get(key) or cache.setdefault(key, VerifyKey(key))
        verify_key.verify(message, signature)
    return time.perf_counter() - started


def floor(pool: ProcessPoolExecutor, work: _Work) -> float:
    """Verifications per second by both worker processes together."""
    halves = [work[0::2], work[1::2]]
    start_at = time.time() + 1.0  # after both halves have reached their process
    seconds = [job.result() for job in [pool.submit(_verify, h, start_at) for h in halves]]
    return len(work) / max(seconds)


async def _audit(path: Path) -> float:
    store = SqlLogStore(make_engine(sqlite_url(path)))
    try:
        started = time.perf_counter()
        report = await audit_store(
            store, origin=biglog.ORIGIN, log_verifier=biglog.log_signer().verifier
        )
        seconds = time.perf_counter() - started
    finally:
        await store.close()
    print(f"audit: {report.summary()}")
    return report.size / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    args = parser.parse_args()
    path = biglog.build(args.size)
    print(machine())
    work = _sample(path, args.size, args.sample)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        before = floor(pool, work)
        print(f"floor (before): {before:8.0f} verifications/s on 2 processes", flush=True)
        rate = asyncio.run(_audit(path))
        print(f"audit:          {rate:8.0f} entries/s", flush=True)
        after = floor(pool, work)
        print(f"floor (after):  {after:8.0f} verifications/s on 2 processes")
    mean = (before + after) / 2
    print(f"audit {rate:.0f} entries/s | floor {mean:.0f}/s | ratio {rate / mean:.2f}")


if __name__ == "__main__":
    main()
