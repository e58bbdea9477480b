"""Offline audit of a 1,000,000-entry export file, beside ``audit_store`` on the same log.

``python -m bench.export_audit [--size 1000000] [--repeat 1]``

1. ``coopledger export`` of the benchmark log (``bench.biglog``, SQLite) into a file in the
   system's temporary folder, in a process of its own: its time, and its peak memory beside
   that of a process that only opens the store and reads the latest checkpoint.
2. Then, ``--repeat`` times, interleaved (every other time the export first):
   ``ledger.audit.audit_store`` on the SQLite file
   (the baseline) and ``ledger.audit_export.audit_export`` on the export (the same checks:
   every entry, signature, checkpoint note and consistency), then the recount of every
   decision from the export's entries.

Prints seconds for each and the ratio of the export audit to the store audit.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import biglog
from bench.audit import _audit as audit_store_rate
from bench.common import machine
from governance.tally.recount_log import recount
from ledger.audit_export import audit_export, marked_entries, open_export
from ledger.export_log import write_export
from ledger.sql import SqlLogStore, make_engine, sqlite_url

_MARKS = (b'"kind":"member.', b'"kind":"log.initialised"', b'"kind":"governance.')


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _export(db: Path, out: Path | None) -> tuple[float, float]:
    store = SqlLogStore(make_engine(sqlite_url(db)))
    try:
        started = time.perf_counter()
        if out is None:
            await store.checkpoint()
        else:
            await write_export(
                store,
                out,
                origin=biglog.ORIGIN,
                log_key=biglog.log_signer().verifier.vkey(),
            )
        return time.perf_counter() - started, _peak_mb()
    finally:
        await store.close()


def _export_in_process(db: Path, out: Path | None) -> tuple[float, float]:
    return asyncio.run(_export(db, out))


async def _audit_export(path: Path) -> tuple[float, float]:
    export = open_export(str(path))
    try:
        started = time.perf_counter()
        report = await audit_export(export, log_verifier=biglog.log_signer().verifier)
        audited = time.perf_counter() - started
        started = time.perf_counter()
        recounted = recount(marked_entries(export, _MARKS))
        recounted.check()
        counted = time.perf_counter() - started
    finally:
        export.close()
    print(f"export: {report.summary()}")
    return audited, counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    db = biglog.build(args.size)
    print(machine())
    out = Path(tempfile.gettempdir()) / f"coopledger-bench-export-{args.size}.export"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        _, base_mb = pool.submit(_export_in_process, db, None).result()
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        seconds, peak_mb = pool.submit(_export_in_process, db, out).result()
    size_mb = out.stat().st_size / 1e6
    print(f"export: {seconds:.1f} s, {size_mb:.0f} MB file")
    print(f"export peak memory {peak_mb:.0f} MB | store opened alone {base_mb:.0f} MB")
    try:
        for run in range(args.repeat):
            print(f"run {run + 1}")
            if run % 2:  # every other run the export goes first, so both see the same load
                export_s, recount_s = asyncio.run(_audit_export(out))
                store_s = args.size / asyncio.run(audit_store_rate(db))
            else:
                store_s = args.size / asyncio.run(audit_store_rate(db))
                export_s, recount_s = asyncio.run(_audit_export(out))
            print(
                f"  audit_store {store_s:.1f} s ({args.size / store_s:.0f} entries/s) | "
                f"audit --export {export_s:.1f} s ({args.size / export_s:.0f} entries/s) | "
                f"ratio {export_s / store_s:.2f} | recount from the export {recount_s:.1f} s",
                flush=True,
            )
    finally:
        out.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
