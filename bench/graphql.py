"""GraphQL against a plain JSON endpoint in one server, and signed ballots per second.

``python -m bench.graphql [--seconds 4] [--rounds 5] [--readers 32] [--voters 64] [--workers 1]``

1. Builds a ledger on SQLite in a temporary directory: a member with 24 statement lines,
   64 voters, and an open assembly proposal.
2. Starts one server process (uvicorn with uvloop and httptools, no access log), or with
   ``--workers N`` N processes sharing the database, as ``coopledger serve --workers N``.
3. Runs the load generator as a separate process, over raw keep-alive HTTP/1.1 connections
   (so the client costs little CPU): ``--readers`` connections ask for the typical member
   query (balance + the last 20 statement lines) through GraphQL, then the same data from
   ``GET /api/members/{id}/statement?last=20``, ``--rounds`` times each, alternating (short
   phases, so that a drift in the machine's speed falls on both alike); then ``--voters``
   connections each send pre-signed ``castVote`` mutations (each voter's later ballot
   supersedes the earlier one) as fast as they are acknowledged.

Prints requests per second and latency percentiles of each phase, of all the GraphQL and all
the plain phases together, and the GraphQL/plain ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from api.client import graphql_input
from api.runtime import init_ledger, running_ledger
from bench.common import machine, open_proposal, percentile, run_on_scratch, submit
from governance.bodies import VoteBody
from ledger.authoring import StatementFactory
from ledger.bootstrap import admission
from ledger.config import Settings
from ledger.credits import client as credits
from ledger.credits.bodies import ClaimBody
from ledger.encoding import b64decode, b64encode, utc_now
from ledger.service import Ledger
from ledger.signing import Keypair

ORIGIN = "bench.coopledger.example/log"
TARGET = "m-bench"
MEMBER_QUERY = (
    "query Member($m: String!) { member(id: $m) { balance statement(last: 20) { nodes { "
    "seq kind activity credits balance activityOn loggedAt } } } }"
)
VOTE = "mutation Vote($s: SignedStatementInput!) { castVote(statement: $s) { __typename } }"


# -- the ledger -------------------------------------------------------------------------------


async def _admit(ledger: Ledger, steward: Keypair, member: str) -> Keypair:
    keypair = Keypair.generate()
    body = admission(member, keypair.public_key_b64, member_kind="sme", borough="Sutton")
    await submit(ledger, steward, "member.admitted", body)
    return keypair


async def _statement_lines(ledger: Ledger, steward: Keypair) -> None:
    """24 mentoring awards to ``TARGET``: 12 this month and 12 a month ago, within every cap."""
    target = await _admit(ledger, steward, TARGET)
    today = utc_now().date()
    for c in range(3):
        partner = f"m-partner-{c}"
        key = await _admit(ledger, steward, partner)
        for day in (today, today - timedelta(days=31)):
            for i in range(4):
                body = ClaimBody(
                    activity="mentoring.hour",
                    quantity=1,
                    evidence_sha256=credits.evidence_digest(f"{partner}{day}{i}".encode()),
                    done_on=day,
                    counterparty=partner,
                ).to_json()
                claim = await submit(ledger, target, "credit.claimed", body)
                award = {
                    "member": TARGET,
                    "credits": 2,
                    "activity": "mentoring.hour",
                    "rule_version": 1,
                    "quantity": 1,
                    "basis": {"claim": claim},
                }
                await submit(ledger, key, "credit.awarded", award)


async def build(folder: Path, voters: int, url: str | None) -> dict[str, Any]:
    """Initialise the ledger and fill it; the load generator's plan."""
    settings = Settings(data=folder, database_url=url)
    config = await init_ledger(settings, origin=ORIGIN, steward_id="steward")
    steward = config.steward()
    async with running_ledger(config) as ledger:
        await _statement_lines(ledger, steward)
        seeds = {}
        for i in range(voters):
            member = f"m-voter-{i:03d}"
            seeds[member] = b64encode((await _admit(ledger, steward, member)).seed)
        proposal = await open_proposal(
            ledger,
            steward,
            days=2,
            title="Adopt the charter",
            body_text="Shall we adopt the community data charter?",
            method="proposal",
        )
    return {"origin": ORIGIN, "member": TARGET, "proposal": proposal, "seeds": seeds}


# -- the server -------------------------------------------------------------------------------


def serve(data: Path, port: int, workers: int) -> None:
    """The server under test: ``create_app`` on uvicorn (uvloop, httptools), no access log;
    with ``workers`` > 1, that many processes sharing the database, as ``coopledger serve
    --workers N`` runs them."""
    import uvicorn

    from api.app import create_app
    from ledger.config import load_config

    options: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_level": "warning"}
    if workers == 1:
        app = create_app(config=load_config(Settings(data=data)))  # COOPLEDGER_DATABASE_URL too
        uvicorn.run(app, access_log=False, **options)
        return
    os.environ["COOPLEDGER_DATA"] = str(data)
    uvicorn.run("api.app:create_app", factory=True, workers=workers, access_log=False, **options)


# -- the load generator -----------------------------------------------------------------------


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    clients: int
    seconds: float
    latencies: list[float]
    failures: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def line(self) -> str:
        ms = [1000 * percentile(self.latencies, q) for q in (0.5, 0.95, 0.99)]
        return (
            f"{self.name:<12} {self.clients:>3} clients  {self.rate:>8.0f} req/s  "
            f"p50 {ms[0]:5.1f} ms  p95 {ms[1]:5.1f} ms  p99 {ms[2]:5.1f} ms  "
            f"failures {self.failures}"
        )


def _request(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        int(v) for k, _, v in (ln.partition(":") for ln in lines) if k.lower() == "content-length"
    )
    return status, await reader.readexactly(length)


async def _connection(
    port: int, requests: list[bytes], ok: bytes, deadline: float, phase: Phase
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i in range(len(requests) if deadline == 0 else 1 << 62):
            if deadline and time.perf_counter() > deadline:
                break
            request = requests[i % len(requests)]
            started = time.perf_counter()
            writer.write(request)
            status, body = await _response(reader)
            phase.latencies.append(time.perf_counter() - started)
            if status != 200 or ok not in body:
                phase.failures += 1
    finally:
        writer.close()


async def _run(
    port: int, name: str, per_client: list[list[bytes]], ok: bytes, seconds: float
) -> Phase:
    phase = Phase(name, len(per_client), 0.0, [], 0)
    started = time.perf_counter()
    deadline = started + seconds if seconds else 0.0
    await asyncio.gather(*(_connection(port, r, ok, deadline, phase) for r in per_client))
    phase.seconds = time.perf_counter() - started
    return phase


def _ballots(plan: dict[str, Any], per_voter: int) -> list[list[bytes]]:
    factory = StatementFactory(plan["origin"])
    requests = []
    for member, seed in plan["seeds"].items():
        keypair = Keypair(b64decode(seed))
        mine = []
        for i in range(per_voter):
            choice = ("agree", "disagree", "abstain")[i % 3]
            body = VoteBody(proposal=plan["proposal"], ballot={"choice": choice}).to_json()
            signed = factory.sign(keypair, "governance.vote.cast", body)
            document = {"query": VOTE, "variables": {"s": graphql_input(signed)}}
            mine.append(_request("POST", "/graphql", json.dumps(document).encode()))
        requests.append(mine)
        del member
    return requests


async def load(
    port: int, plan: dict[str, Any], readers: int, seconds: float, rounds: int
) -> list[Phase]:
    """Every phase, in order; the reads alternate GraphQL and plain ``rounds`` times."""
    query = json.dumps({"query": MEMBER_QUERY, "variables": {"m": plan["member"]}}).encode()
    graphql = [[_request("POST", "/graphql", query)]] * readers
    plain = [[_request("GET", f"/api/members/{plan['member']}/statement?last=20")]] * readers
    await _run(port, "warm-up", graphql, b'"balance"', 2)
    await _run(port, "warm-up", plain, b'"balance"', 2)
    phases = []
    for _ in range(rounds):
        phases.append(await _run(port, "graphql", graphql, b'"balance"', seconds))
        phases.append(await _run(port, "plain", plain, b'"balance"', seconds))
    ballots = _ballots(plan, max(50, int(3000 * seconds / len(plan["seeds"]))))
    phases.append(await _run(port, "castVote", ballots, b"ProposalAccepted", 0))
    return phases


# -- the whole run ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--readers", type=int, default=32)
    parser.add_argument("--voters", type=int, default=64)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("command", nargs="?", default="all", choices=("all", "serve", "load"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.data, args.port, args.workers)
        return
    if args.command == "load":
        plan = json.loads((args.data / "plan.json").read_text())
        phases = asyncio.run(load(args.port, plan, args.readers, args.seconds, args.rounds))
        print(json.dumps([p.__dict__ for p in phases]))
        return
    asyncio.run(
        run_on_scratch(
            args.backend,
            lambda data, url: build(data, args.voters, url),
            lambda data, env: report(data, args, env),
        )
    )


def report(data: Path, args: argparse.Namespace, extra: dict[str, str]) -> None:
    """Start the server and the load generator as processes; print what they measured."""
    port = _free_port()
    env = {
        **os.environ,
        **extra,
        "COOPLEDGER_MUTATION_RATE": "100000",
        "COOPLEDGER_MUTATION_BURST": "100000",
    }
    me = [sys.executable, "-m", "bench.graphql"]
    where = ["--data", str(data), "--port", str(port)]
    server = subprocess.Popen([*me, "serve", *where, "--workers", str(args.workers)], env=env)  # noqa: S603
    try:
        _wait(port, server)
        command = [
            *me,
            "load",
            *where,
            "--readers",
            str(args.readers),
            "--seconds",
            str(args.seconds),
            "--rounds",
            str(args.rounds),
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    finally:
        server.terminate()
        server.wait(10)
    phases = [Phase(**p) for p in json.loads(output.stdout)]
    print(machine())
    store = "SQLite (WAL, synchronous=FULL)" if args.backend == "sqlite" else "PostgreSQL"
    processes = "one server process" if args.workers == 1 else f"{args.workers} server processes"
    print(f"{processes} on {store}; the load generator in another process")
    for phase in phases:
        print(phase.line())
    together = {name: _together(name, [p for p in phases if p.name == name]) for name in READS}
    for phase in together.values():
        print(phase.line())
    ratio = together["graphql"].rate / together["plain"].rate
    print(f"GraphQL / plain: {100 * ratio:.0f}% of the plain endpoint's requests per second")


READS = ("graphql", "plain")


def _together(name: str, phases: list[Phase]) -> Phase:
    """The phases of one kind as one: their requests over their time, their latencies."""
    return Phase(
        f"{name}, all",
        phases[0].clients,
        sum(p.seconds for p in phases),
        [latency for p in phases for latency in p.latencies],
        sum(p.failures for p in phases),
    )


if __name__ == "__main__":
    main()
