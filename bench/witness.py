"""Witness cosignatures per second over HTTP on loopback, beside raw Ed25519 verify+sign pairs.

``python -m bench.witness [--logs 16] [--per-log 250] [--rounds 3]``

1. Makes ``--logs`` logs (a key each) and, for each, ``--per-log`` add-checkpoint bodies
   that grow it one entry at a time, each with its RFC 6962 consistency proof from the
   size before; every checkpoint is signed by its log.
2. Starts the witness (``api.witness_app`` on uvicorn with uvloop and httptools, access log
   off) as a separate process with a fresh state directory, as ``coopledger witness serve``.
3. Runs the load generator as another process: one keep-alive HTTP/1.1 connection per log
   (a log's checkpoints are cosigned in order, each after the one before), all logs at once.
   Every answer must be 200 with a cosignature line.
4. In this process, with the witness stopped: raw Ed25519 pairs, one verification of a
   checkpoint's log signature and one signing of a cosigned message, on one thread.

Each round does 2 to 4 again; prints checkpoints cosigned per second, latency percentiles,
the witness process's CPU time per checkpoint, the raw pairs per second and the ratio of the
two rates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine, percentile
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import Cosigner, cosigned_message
from ledger.keys import write_witness_key
from ledger.merkle import consistency_path, hash_leaf, root
from ledger.note import NoteSigner
from ledger.witness import format_add_checkpoint

WITNESS_NAME = "bench.witness.example"


def make_logs(count: int, per_log: int, folder: Path) -> list[str]:
    """Write each log's request bodies to ``folder/log-<i>.json``; the logs' vkeys."""
    vkeys = []
    for i in range(count):
        signer = NoteSigner.generate(f"bench.example/log-{i}")
        leaves = [hash_leaf(b"entry %d %d" % (i, n)) for n in range(per_log + 1)]
        bodies = []
        for size in range(1, per_log + 1):
            note = sign_checkpoint(Checkpoint(signer.name, size, root(leaves[:size])), signer)
            old = size - 1
            proof = consistency_path(leaves[:size], old) if old else []
            bodies.append(format_add_checkpoint(old, proof, note).decode())
        (folder / f"log-{i}.json").write_text(json.dumps(bodies))
        vkeys.append(signer.verifier.vkey())
    return vkeys


def serve(key: Path, state: Path, port: int, vkeys: list[str]) -> None:
    """The witness under test, as ``coopledger witness serve`` runs it, without access log."""
    import uvicorn

    from api.witness_app import create_witness_app
    from ledger.keys import read_witness_key
    from ledger.note import NoteVerifier
    from ledger.witness import Witness
    from ledger.witness_state import StateDirectory

    with StateDirectory(state) as directory:
        logs = [NoteVerifier.from_vkey(v) for v in vkeys]
        witness = Witness(read_witness_key(key), logs, directory)
        app = create_witness_app(witness)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _http(body: bytes) -> bytes:
    head = (
        "POST /add-checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _one_log(port: int, bodies: list[str], latencies: list[float]) -> int:
    """Send one log's checkpoints in order on one connection; the number of failures."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    failures = 0
    try:
        for body in bodies:
            started = time.perf_counter()
            writer.write(_http(body.encode()))
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = next(
                int(v)
                for k, _, v in (ln.partition(":") for ln in lines)
                if k.lower() == "content-length"
            )
            answer = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if lines[0].split()[1] != "200" or not answer.startswith("— ".encode()):
                failures += 1
    finally:
        writer.close()
    return failures


async def load(port: int, folder: Path, logs: int) -> dict[str, object]:
    """All logs at once; seconds, latencies and failures."""
    per_log = [json.loads((folder / f"log-{i}.json").read_text()) for i in range(logs)]
    latencies: list[float] = []
    started = time.perf_counter()
    failures = await asyncio.gather(*(_one_log(port, b, latencies) for b in per_log))
    return {
        "seconds": time.perf_counter() - started,
        "latencies": latencies,
        "failures": sum(failures),
    }


def raw_pairs(seconds: float) -> float:
    """Ed25519 verify (a log's checkpoint signature) + sign (a cosignature) pairs per second."""
    from nacl.signing import SigningKey

    log_key = SigningKey.generate()
    body = Checkpoint("bench.example/log", 12345, b"\x01" * 32).body().encode()
    signed = log_key.sign(body)
    verify = log_key.verify_key.verify
    sign = SigningKey.generate().sign
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(200):
            verify(signed)
            sign(cosigned_message(body.decode(), 1_700_000_000))
        count += 200
    return count / elapsed


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            httpx.post(f"http://127.0.0.1:{port}/add-checkpoint", content=b"", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the witness did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU seconds a process has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def one_round(
    folder: Path, args: argparse.Namespace, vkeys: list[str], n: int
) -> dict[str, object]:
    """A fresh witness process, the load, then the raw pairs with the witness stopped."""
    port = _free_port()
    me = [sys.executable, "-m", "bench.witness"]
    where = ["--folder", str(folder), "--port", str(port), "--logs", str(args.logs)]
    state = folder / f"state-{n}"
    server = subprocess.Popen([*me, "serve", *where, "--state", str(state)])  # noqa: S603
    try:
        _wait(port, server)
        cpu = _cpu_seconds(server.pid)
        output = subprocess.run([*me, "load", *where], capture_output=True, text=True, check=True)  # noqa: S603
        cpu = tuple(b - a for a, b in zip(cpu, _cpu_seconds(server.pid), strict=True))
    finally:
        server.terminate()
        server.wait(10)
    measured: dict[str, object] = json.loads(output.stdout)
    measured["server_cpu"] = list(cpu)
    measured["pairs"] = raw_pairs(args.baseline_seconds)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="all", choices=("all", "serve", "load"))
    parser.add_argument("--logs", type=int, default=16)
    parser.add_argument("--per-log", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-seconds", type=float, default=3.0)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--port", type=int)
    parser.add_argument("--state", type=Path)
    args = parser.parse_args()
    if args.command == "serve":
        vkeys = json.loads((args.folder / "vkeys.json").read_text())
        serve(args.folder / "witness.key", args.state, args.port, vkeys)
        return
    if args.command == "load":
        print(json.dumps(asyncio.run(load(args.port, args.folder, args.logs))))
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        vkeys = make_logs(args.logs, args.per_log, folder)
        (folder / "vkeys.json").write_text(json.dumps(vkeys))
        write_witness_key(folder / "witness.key", Cosigner.generate(WITNESS_NAME))
        print(machine())
        print(f"uname -srm: {' '.join(os.uname()[i] for i in (0, 2, 4))}")
        print(f"{args.logs} logs x {args.per_log} checkpoints, one connection per log")
        for n in range(args.rounds):
            report(one_round(folder, args, vkeys, n), n)


def report(measured: dict[str, object], n: int) -> None:
    latencies = measured["latencies"]
    assert isinstance(latencies, list)
    seconds, pairs = float(str(measured["seconds"])), float(str(measured["pairs"]))
    rate = len(latencies) / seconds
    ms = [1000 * percentile(latencies, q) for q in (0.5, 0.99)]
    cpu = measured["server_cpu"]
    assert isinstance(cpu, list)
    user, system = (1e6 * float(c) / len(latencies) for c in cpu)
    print(
        f"round {n + 1}: {rate:,.0f} checkpoints/s (p50 {ms[0]:.1f} ms, p99 {ms[1]:.1f} ms, "
        f"failures {measured['failures']}); witness CPU per checkpoint {user:,.0f} us user, "
        f"{system:,.0f} us system; "
        f"raw verify+sign {pairs:,.0f} pairs/s ({1e6 / pairs:,.0f} us/pair); "
        f"ratio {rate / pairs:.3f}"
    )


if __name__ == "__main__":
    main()
