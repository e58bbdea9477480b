"""Server memory at 1,000,000 entries against the same at 1,000 entries, in the same run.

``python -m bench.memory [--sizes 1000,1000000]``

For each size, a fresh Python process opens a copy of the ``bench.biglog`` log (so the
cached log is never changed) as an in-process ``Ledger`` on SQLite, the way ``coopledger
serve`` holds it, and reports its resident set size (RSS, from ``/proc/self/status``):

1. after startup (the sequencer has loaded the tree's right edge and the member registry);
2. after 1,000 proofs (inclusion and consistency, at random, against the latest size);
3. after 1,000 appends (new members admitted by the steward, 64 submitters at once);

and the peak RSS. The ledger keeps per-member state (1,000 members in both logs) and
``O(log n)`` tree hashes; nothing per entry, so the figures should not grow with the log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import biglog
from bench.common import machine, numbered_admission
from ledger.authoring import StatementFactory
from ledger.service import Ledger
from ledger.sql import SqlLogStore, make_engine, sqlite_url

APPENDS = 1000
PROOFS = 1000


def rss_mb() -> float:
    """This process's resident set size now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_mb() -> float:
    """This process's peak resident set size, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _measure(path: Path) -> dict[str, float]:
    store = SqlLogStore(make_engine(sqlite_url(path)))
    figures: dict[str, float] = {}
    try:
        async with Ledger(store, origin=biglog.ORIGIN, log_signer=biglog.log_signer()) as ledger:
            figures["startup"] = rss_mb()
            figures["members"] = len(ledger.registry.members)
            size = (await ledger.view.latest_checkpoint()).size
            rng = random.Random(3)
            for _ in range(PROOFS // 2):
                await ledger.view.inclusion(rng.randrange(size), size)
                await ledger.view.consistency(rng.randrange(1, size + 1), size)
            figures["proofs"] = rss_mb()
            await _append(ledger)
            figures["appends"] = rss_mb()
            figures["size"] = (await ledger.view.latest_checkpoint()).size
    finally:
        await store.close()
    figures["peak"] = peak_mb()
    return figures


async def _append(ledger: Ledger) -> None:
    factory, steward = StatementFactory(biglog.ORIGIN), biglog.steward()
    queue = [
        factory.sign(steward, "member.admitted", numbered_admission(f"new{i:05d}", i))
        for i in range(APPENDS)
    ]

    async def submitter() -> None:
        while queue:
            await ledger.submit(queue.pop())

    await asyncio.gather(*(submitter() for _ in range(64)))


def child(size: int) -> None:
    """Measure one size in this process and print the figures as JSON."""
    source = biglog.build(size, progress=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "copy.db"
        shutil.copyfile(source, path)
        figures = asyncio.run(_measure(path))
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        biglog.build(size)
    print(machine())
    results = {}
    for size in sizes:
        out = subprocess.run(  # noqa: S603 (this interpreter, this module)
            [sys.executable, "-m", "bench.memory", "--child", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[size] = json.loads(out.strip().splitlines()[-1])
        f = results[size]
        print(
            f"{size:>9,} entries ({f['members']:.0f} members): RSS after startup "
            f"{f['startup']:.1f} MB, after {PROOFS} proofs {f['proofs']:.1f} MB, after "
            f"{APPENDS} appends {f['appends']:.1f} MB; peak {f['peak']:.1f} MB",
            flush=True,
        )
    small, large = results[sizes[0]]["appends"], results[sizes[-1]]["appends"]
    print(
        f"after appends: {large:.1f} MB at {sizes[-1]:,} entries against {small:.1f} MB at "
        f"{sizes[0]:,} | ratio {large / small:.2f}"
    )


if __name__ == "__main__":
    main()
