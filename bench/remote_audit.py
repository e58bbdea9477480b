"""The remembered remote audit: 1,000 new entries against the first full audit of the same log.

``python -m bench.remote_audit [--entries 10000] [--new 1000] [--members 200]``

A ledger on SQLite with ``--members`` members and meetings (a ranked-choice proposal opened,
then every member's ballot), again and again up to ``--entries`` entries, served by a real
``coopledger serve`` on 127.0.0.1. Timed as ``coopledger audit --url URL --state DIR`` runs
them (``api.cli_audit.audit_with_state``):

1. the baseline: the first run, into an empty state directory: every entry downloaded and
   checked, replayed into the state's database, every decision recounted, balances and
   decisions compared with the API;
2. ``--new`` more entries (more meetings) are appended, then the second run: only those
   downloaded, checked and replayed, the consistency proof from the remembered checkpoint
   checked, the proposals they touch recounted, and the API compared again.

Prints both times and their ratio (goal: the second run within 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.cli_audit import audit_with_state
from api.runtime import init_ledger, running_ledger
from bench.common import machine, open_proposal
from governance import client as governance
from governance.bodies import VoteBody
from ledger.authoring import StatementFactory
from ledger.bootstrap import admission
from ledger.config import LedgerConfig, Settings
from ledger.signing import Keypair

ORIGIN = "bench.coopledger.example/log"
OPTIONS = ["housing", "transport", "food", "energy"]
BATCH = 500


def _key(i: int) -> Keypair:
    return Keypair((i + 1).to_bytes(32, "big"))


async def _build(data: Path, members: int) -> LedgerConfig:
    config = await init_ledger(Settings(data=data), origin=ORIGIN, steward_id="steward")
    steward = config.steward()
    async with running_ledger(config) as ledger:
        factory = StatementFactory(ledger.origin, ledger.clock)
        bodies = [
            admission(f"m-{i:04d}", _key(i).public_key_b64, member_kind="sme", borough="Sutton")
            for i in range(members)
        ]
        await asyncio.gather(
            *(ledger.submit(factory.sign(steward, "member.admitted", b)) for b in bodies)
        )
    return config


async def _meetings(config: LedgerConfig, members: int, until: int) -> int:
    """Proposals, each voted on by every member in turn, until the log holds ``until``
    entries."""
    async with running_ledger(config) as ledger:
        factory = StatementFactory(ledger.origin, ledger.clock)
        while (size := await ledger.store.size()) < until:
            proposal = await open_proposal(
                ledger,
                config.steward(),
                days=1,
                title=f"Priority, meeting {size}",
                body_text="Rank the four priorities for the coming quarter.",
                method="irv",
                options=OPTIONS,
            )
            votes = []
            for i in range(min(members, until - size - 1)):
                ranking = [(i + j) % len(OPTIONS) for j in range(3)]
                body = VoteBody(proposal=proposal, ballot=governance.ranked_ballot(ranking))
                votes.append(factory.sign(_key(i), "governance.vote.cast", body.to_json()))
            await asyncio.gather(*(ledger.submit(v) for v in votes))
        return await ledger.store.size()


def _serve(data: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "api.cli", "serve", "--data", str(data), "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        command,
        env={**os.environ, "COOPLEDGER_DATA": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise TimeoutError("the server did not start")


def _timed(url: str, state: Path) -> tuple[float, list[str]]:
    started = time.perf_counter()
    lines = asyncio.run(audit_with_state(url, state, None, None, None))
    return time.perf_counter() - started, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        data, state = Path(folder) / "data", Path(folder) / "state"
        config = asyncio.run(_build(data, args.members))
        size = asyncio.run(_meetings(config, args.members, args.entries))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        process = _serve(data, port)
        try:
            url = f"http://127.0.0.1:{port}"
            full, lines = _timed(url, state)
            print(f"first run ({size} entries): {full:.2f} s | {lines[0]}", flush=True)
            grown = asyncio.run(_meetings(config, args.members, size + args.new))
            again, lines = _timed(url, state)
            print(f"second run ({grown - size} new): {again:.2f} s | {lines[0]}")
        finally:
            process.terminate()
            process.wait(10)
    print(
        f"incremental {again:.2f} s for {grown - size} entries | first full audit {full:.2f} s "
        f"for {size} | ratio {again / full:.3f}"
    )


if __name__ == "__main__":
    main()
