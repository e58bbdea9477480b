"""A members' meeting: every member logs in, votes in a ranked-choice proposal and reads their
statement within a minute, while claims keep coming; then the whole ledger is audited.

``python -m bench.meeting [--members 500] [--seconds 60] [--claims-per-second 5]
[--backend sqlite|postgres]``

1. Builds a ledger in a temporary directory: ``--members`` members and an open instant-runoff
   proposal in the assembly with four options.
2. Starts one server process (``bench.graphql serve``: uvicorn, uvloop, httptools, no access
   log) and runs the load as a separate process over raw keep-alive HTTP/1.1 connections.
3. Member ``i`` arrives at ``i * seconds / members`` (they come in through the minute, as at
   a meeting) and, each on its own connection: asks for a login challenge, logs in with the
   signed challenge, casts a signed ranked ballot, and reads its balance and last 20
   statement lines with its token. Beside them, claims arrive at ``--claims-per-second``
   (members claiming mentoring hours from each other).
4. Prints requests per second, p50/p95/p99 latency and errors for each kind of request and
   for all together, whether every member was done within the minute, and then runs the
   full offline audit (``coopledger audit --data``: entries, tree, signatures, checkpoints,
   projections against a replay).

Goal (issue: reliability): zero errors and p99 < 250 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from api.auth import login_message
from api.client import graphql_input
from api.runtime import init_ledger, running_ledger
from bench.common import machine, open_proposal, percentile, run_on_scratch
from bench.graphql import _free_port, _request, _response, _wait
from governance import client as governance
from governance.bodies import VoteBody
from ledger.authoring import StatementFactory
from ledger.bootstrap import admission
from ledger.config import Settings
from ledger.credits import client as credits
from ledger.credits.bodies import ClaimBody
from ledger.encoding import b64decode, b64encode, utc_now
from ledger.signing import Keypair
from ledger.statement import SignedStatement

ORIGIN = "meeting.coopledger.example/log"
OPTIONS = ["Anchor procurement", "Shared data trust", "Skills exchange", "Low-carbon retrofit"]
CHALLENGE = "mutation C($k: String!) { requestLoginChallenge(keyId: $k) { challenge message } }"
LOGIN = (
    "mutation L($k: String!, $c: String!, $s: String!) { login(keyId: $k, challenge: $c, "
    "signature: $s) { __typename ... on LoginSession { token } } }"
)
VOTE = "mutation V($s: SignedStatementInput!) { castVote(statement: $s) { __typename } }"
CLAIM = "mutation C($s: SignedStatementInput!) { claimCredit(statement: $s) { __typename } }"
STATEMENT = (
    "query S($m: String!) { member(id: $m) { balance statement(last: 20) { nodes { seq kind "
    "credits balance } } } }"
)


# -- the ledger -------------------------------------------------------------------------------


async def build(folder: Path, members: int, url: str | None) -> dict[str, Any]:
    """The ledger with ``members`` admitted (in concurrent batches) and an open proposal."""
    config = await init_ledger(
        Settings(data=folder, database_url=url), origin=ORIGIN, steward_id="steward"
    )
    steward = config.steward()
    seeds: dict[str, str] = {}
    async with running_ledger(config) as ledger:
        factory = StatementFactory(ledger.origin, ledger.clock)

        async def admit(i: int) -> None:
            keypair = Keypair.generate()
            member = f"m-{i:04d}"
            borough = ("Lambeth", "Southwark", "Lewisham", "Croydon")[i % 4]
            body = admission(member, keypair.public_key_b64, member_kind="sme", borough=borough)
            await ledger.submit(factory.sign(steward, "member.admitted", body))
            seeds[member] = b64encode(keypair.seed)

        await asyncio.gather(*(admit(i) for i in range(members)))
        proposal = await open_proposal(
            ledger,
            steward,
            days=1,
            title="Next quarter's priority",
            body_text="Rank the four priorities for the coming quarter.",
            method="irv",
            options=OPTIONS,
        )
    return {"proposal": proposal, "seeds": dict(sorted(seeds.items()))}


# -- the load ---------------------------------------------------------------------------------


class Record:
    """Latencies and errors by kind of request."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.done: list[float] = []


async def _graphql(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    record: Record,
    kind: str,
    document: dict[str, Any],
    token: str | None = None,
) -> dict[str, Any]:
    body = json.dumps(document).encode()
    request = _request("POST", "/graphql", body)
    if token is not None:
        request = request.replace(
            b"\r\n\r\n", f"\r\nAuthorization: Bearer {token}\r\n\r\n".encode(), 1
        )
    started = time.perf_counter()
    writer.write(request)
    status, answer = await _response(reader)
    record.latencies[kind].append(time.perf_counter() - started)
    value: dict[str, Any] = json.loads(answer)
    if status != 200 or value.get("errors"):
        record.errors[kind].append(answer.decode()[:200])
    return value


async def _act(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    record: Record,
    mutation: tuple[str, str, str],
    signed: SignedStatement,
) -> None:
    """Submit ``signed`` through the mutation (field, document, success type); a refusal is
    recorded as an error of that field."""
    field_name, document, success = mutation
    variables = {"s": graphql_input(signed)}
    answer = await _graphql(
        reader, writer, record, field_name, {"query": document, "variables": variables}
    )
    if answer.get("data", {}).get(field_name, {}).get("__typename") != success:
        record.errors[field_name].append(json.dumps(answer)[:200])


async def _member(
    port: int, member: str, keypair: Keypair, proposal: int, start: float, record: Record
) -> None:
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        key_id = keypair.key_id
        asked = await _graphql(
            reader, writer, record, "challenge", {"query": CHALLENGE, "variables": {"k": key_id}}
        )
        challenge = asked["data"]["requestLoginChallenge"]["challenge"]
        signature = base64.b64encode(keypair.sign(login_message(ORIGIN, challenge))).decode()
        variables = {"k": key_id, "c": challenge, "s": signature}
        session = await _graphql(
            reader, writer, record, "login", {"query": LOGIN, "variables": variables}
        )
        token = session["data"]["login"]["token"]
        first = int(member.removeprefix("m-")) % len(OPTIONS)
        ranking = [(first + j) % len(OPTIONS) for j in range(3)]
        body = VoteBody(proposal=proposal, ballot=governance.ranked_ballot(ranking)).to_json()
        signed = StatementFactory(ORIGIN).sign(keypair, "governance.vote.cast", body)
        await _act(reader, writer, record, ("castVote", VOTE, "ProposalAccepted"), signed)
        await _graphql(
            reader,
            writer,
            record,
            "statement",
            {"query": STATEMENT, "variables": {"m": member}},
            token,
        )
        record.done.append(time.perf_counter())
    finally:
        writer.close()


async def _claims(
    port: int, keys: list[tuple[str, Keypair]], per_second: float, until: float, record: Record
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        n = 0
        while time.perf_counter() < until:
            (member, keypair), (partner, _) = keys[n % len(keys)], keys[(n + 1) % len(keys)]
            body = ClaimBody(
                activity="mentoring.hour",
                quantity=1,
                evidence_sha256=credits.evidence_digest(f"{member} {n}".encode()),
                done_on=utc_now().date(),
                counterparty=partner,
            ).to_json()
            signed = StatementFactory(ORIGIN).sign(keypair, "credit.claimed", body)
            await _act(reader, writer, record, ("claimCredit", CLAIM, "ClaimAccepted"), signed)
            n += 1
            await asyncio.sleep(1 / per_second)
    finally:
        writer.close()


async def load(port: int, plan: dict[str, Any], seconds: float, claims: float) -> dict[str, Any]:
    keys = [(m, Keypair(b64decode(s))) for m, s in plan["seeds"].items()]
    record = Record()
    began = time.perf_counter()
    spacing = seconds / len(keys)
    members = [
        _member(port, m, k, plan["proposal"], began + i * spacing, record)
        for i, (m, k) in enumerate(keys)
    ]
    await asyncio.gather(
        *members, _claims(port, keys[: len(keys) // 2], claims, began + seconds, record)
    )
    ended = time.perf_counter()
    return {
        "seconds": ended - began,
        "last_done": max(record.done) - began if record.done else None,
        "members_done": len(record.done),
        "latencies": dict(record.latencies),
        "errors": dict(record.errors),
    }


# -- the whole run ----------------------------------------------------------------------------


def _line(name: str, latencies: list[float], seconds: float, errors: int) -> str:
    ms = [1000 * percentile(latencies, q) for q in (0.5, 0.95, 0.99)]
    return (
        f"{name:<12} {len(latencies):>6} requests  {len(latencies) / seconds:>7.1f} req/s  "
        f"p50 {ms[0]:6.1f} ms  p95 {ms[1]:6.1f} ms  p99 {ms[2]:6.1f} ms  errors {errors}"
    )


def report(data: Path, args: argparse.Namespace, extra: dict[str, str]) -> None:
    port = _free_port()
    env = {**os.environ, **extra, "COOPLEDGER_DATA": str(data)}
    where = ["--data", str(data), "--port", str(port)]
    server = subprocess.Popen([sys.executable, "-m", "bench.graphql", "serve", *where], env=env)  # noqa: S603
    try:
        _wait(port, server)
        command = [
            sys.executable,
            "-m",
            "bench.meeting",
            "load",
            *where,
            "--seconds",
            str(args.seconds),
            "--claims-per-second",
            str(args.claims_per_second),
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True, env=env)  # noqa: S603
    finally:
        server.terminate()
        server.wait(30)
    result = json.loads(output.stdout)
    print(machine())
    store = "SQLite (WAL, synchronous=FULL)" if args.backend == "sqlite" else "PostgreSQL"
    print(
        f"one server process on {store}; the load in another; {args.members} members over "
        f"{args.seconds:g} s, {args.claims_per_second:g} claims/s"
    )
    every: list[float] = []
    for kind, latencies in result["latencies"].items():
        print(_line(kind, latencies, result["seconds"], len(result["errors"].get(kind, []))))
        every.extend(latencies)
    errors = sum(len(e) for e in result["errors"].values())
    print(_line("all", every, result["seconds"], errors))
    print(
        f"members done: {result['members_done']} of {args.members}, the last "
        f"{result['last_done']:.1f} s after the meeting opened"
    )
    for kind, found in result["errors"].items():
        for error in found[:3]:
            print(f"  {kind}: {error}")
    audit = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "api.cli", "audit", "--data", str(data)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print((audit.stdout + audit.stderr).strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--claims-per-second", type=float, default=5.0)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("command", nargs="?", default="all", choices=("all", "load"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.command == "load":
        plan = json.loads((args.data / "plan.json").read_text())
        print(json.dumps(asyncio.run(load(args.port, plan, args.seconds, args.claims_per_second))))
        return
    asyncio.run(
        run_on_scratch(
            args.backend,
            lambda data, url: build(data, args.members, url),
            lambda data, env: report(data, args, env),
        )
    )


if __name__ == "__main__":
    main()
