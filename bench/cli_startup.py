"""Start-up time of the command line against a bare Python in the same run.

``python -m bench.cli_startup [--runs 20]``

Each command (``--help``, ``claim --help``, ``balance --help``, ``serve --help``) is run
``--runs`` times as ``python -m api.cli ...`` in a fresh process, interleaved with
``python -c pass`` (the baseline: the interpreter's own start-up), so a slow spell of the
machine slows both. Reports the median and the best wall time of each in milliseconds and
the ratio of the median to the baseline's median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from bench.common import machine

COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "coopledger --help": ["-m", "api.cli", "--help"],
    "coopledger claim --help": ["-m", "api.cli", "claim", "--help"],
    "coopledger balance --help": ["-m", "api.cli", "balance", "--help"],
    "coopledger serve --help": ["-m", "api.cli", "serve", "--help"],
}
BASELINE = "python -c pass"


def _once(args: list[str]) -> float:
    """Wall seconds of one run of ``python args`` (its output discarded)."""
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def measure(runs: int) -> dict[str, list[float]]:
    """``runs`` wall times of each command, in seconds, the commands interleaved."""
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for args in COMMANDS.values():  # one warm-up each: the file cache, compiled bytecode
        _once(args)
    for _ in range(runs):
        for name, args in COMMANDS.items():
            times[name].append(_once(args))
    return times


def main() -> None:
    """Measure and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command")
    runs = parser.parse_args().runs
    print(machine())
    times = measure(runs)
    base = statistics.median(times[BASELINE])
    print(f"{runs} runs each, interleaved")
    print(f"{'command':<28} {'median ms':>10} {'best ms':>8} {'x baseline':>11}")
    for name, found in times.items():
        median = statistics.median(found)
        print(f"{name:<28} {median * 1000:>10.0f} {min(found) * 1000:>8.0f} {median / base:>11.1f}")


if __name__ == "__main__":
    main()
