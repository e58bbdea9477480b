"""A large log for the proof, audit and memory benchmarks, built once and then reused.

``python -m bench.biglog [--size 1000000] [--rebuild]`` builds it (if needed) and prints its path.

The log is what the sequencer would write for a co-operative of 1,000 members over a few
years: entry 0 ``log.initialised``; the steward's admissions; then members' credit claims,
with a key rotation every 10,000 entries. Every statement is really signed, by keys derived
from fixed seeds (so the build is reproducible and a benchmark can sign more). Entries, tree
nodes and checkpoints are made by the sequencer's own code (``Entry.build``, ``Frontier``,
``sign_checkpoint``) in batches of 1 to 128 entries (64 on average, as group commit gives
under load), each batch with one ``logged_at`` and one signed checkpoint. The rows go
through the store's transaction API; only the sequencer's checks are skipped (the audit
makes them all). Several batches share a transaction, to save fsyncs.

Statements are signed in worker processes. The file lives in the system's temporary folder
and is reused while ``BUILD`` and the size are unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from nacl.signing import SigningKey

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.credits.bodies import ClaimBody
from ledger.encoding import JSONValue
from ledger.migrate import upgrade
from ledger.note import NoteSigner
from ledger.signing import Keypair
from ledger.sql import SqlLogStore, make_engine, sqlite_url
from ledger.statement import Entry, SignedStatement, sign_statement
from ledger.store import CheckpointRow, EntryRow
from ledger.tree import Frontier

BUILD = 1
"""Bump when the log's content changes, so that cached copies are rebuilt."""

ORIGIN = "bench.coopledger.example/big-log"
MEMBERS = 1000
ROTATE_EVERY = 10_000
START = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
BATCH_GAP = timedelta(seconds=5000)
BATCHES_PER_TRANSACTION = 16
ACTIVITIES = (
    "mentoring.hour",
    "bid.support.hour",
    "consultancy.placement",
    "resource.shared",
    "member.buddied",
    "workshop.facilitated",
)
BOROUGHS = ("Croydon", "Lambeth", "Merton", "Southwark", "Sutton")
_CHUNK = 5000


def _seed(*parts: object) -> bytes:
    return hashlib.sha256(" ".join(map(str, ("coopledger bench", *parts))).encode()).digest()


def log_signer() -> NoteSigner:
    """The log's key (fixed)."""
    return NoteSigner(ORIGIN, SigningKey(_seed("log key")))


def steward() -> Keypair:
    """The steward's key (fixed): a board member who may admit members."""
    return Keypair(_seed("steward"))


def member_id(j: int) -> str:
    """Member ``j``'s id."""
    return f"m{j:04d}"


def member_key(j: int, generation: int) -> Keypair:
    """Member ``j``'s key after ``generation`` rotations."""
    return Keypair(_seed("member", j, "key", generation))


def _is_rotation(seq: int) -> bool:
    """Whether entry ``seq`` is a key rotation: entries 10,001, 20,001, ..."""
    return seq > ROTATE_EVERY and (seq - 1) % ROTATE_EVERY == 0


def _rotations_before(seq: int) -> int:
    """How many key rotations come before entry ``seq``."""
    return max(0, (seq - 2) // ROTATE_EVERY)


def generation(j: int, seq: int) -> int:
    """How many times member ``j`` rotated their key before entry ``seq``."""
    rotations = _rotations_before(seq)  # rotation i (from 0) rotates member i % MEMBERS
    return max(0, (rotations - j + MEMBERS - 1) // MEMBERS)


@dataclass(frozen=True)
class Plan:
    """Batch boundaries (the size after each batch) and each batch's ``logged_at``."""

    ends: list[int]

    @classmethod
    def make(cls, size: int) -> Plan:
        """Batches of 1 to 128 entries; the first holds entry 0 alone, as ``init`` does."""
        rng = random.Random(7)
        ends, end = [1], 1
        while end < size:
            end = min(size, end + rng.randint(1, 128))
            ends.append(end)
        return cls(ends)

    def logged_at(self, batch: int) -> datetime:
        """When batch ``batch`` was sequenced."""
        return START + batch * BATCH_GAP


def _statement(seq: int, logged_at: datetime, rng: random.Random) -> SignedStatement:
    """The statement at ``seq``, signed; ``rng`` is seeded by the chunk."""
    issued_at = logged_at - timedelta(seconds=rng.randint(0, 90), microseconds=rng.randint(0, 999))
    boss = steward()
    if seq == 0:
        body: dict[str, JSONValue] = {
            "member": "steward",
            "public_key": boss.public_key_b64,
            "member_kind": "steward",
            "borough": "-",
            "roles": ["board"],
            "log_key": log_signer().verifier.vkey(),
        }
        return _sign(boss, "log.initialised", body, seq, issued_at)
    if seq <= MEMBERS:
        j = seq - 1
        body = {
            "member": member_id(j),
            "public_key": member_key(j, 0).public_key_b64,
            "member_kind": rng.choice(("sme", "third-sector", "anchor", "student")),
            "borough": BOROUGHS[j % len(BOROUGHS)],
            "roles": [],
        }
        return _sign(boss, "member.admitted", body, seq, issued_at)
    if _is_rotation(seq):
        j = _rotations_before(seq) % MEMBERS
        g = generation(j, seq)
        body = {"member": member_id(j), "public_key": member_key(j, g + 1).public_key_b64}
        return _sign(member_key(j, g), "member.key_rotated", body, seq, issued_at)
    j = rng.randrange(MEMBERS)
    other = (j + rng.randrange(1, MEMBERS)) % MEMBERS
    activity = rng.choice(ACTIVITIES)
    body = ClaimBody(
        activity=activity,
        quantity=rng.randint(1, 8),
        evidence_sha256=hashlib.sha256(f"evidence {seq}".encode()).hexdigest(),
        done_on=date.fromordinal(logged_at.date().toordinal() - rng.randint(0, 30)),
        counterparty=member_id(other) if activity.endswith((".hour", "buddied")) else None,
        group=rng.choice((None, "business-services", "health-social-care", "arts-creative")),
    ).to_json()
    return _sign(member_key(j, generation(j, seq)), "credit.claimed", body, seq, issued_at)


def _sign(
    key: Keypair, kind: str, body: dict[str, JSONValue], seq: int, issued_at: datetime
) -> SignedStatement:
    nonce = hashlib.sha256(f"nonce {seq}".encode()).hexdigest()[:32]
    return sign_statement(
        key, origin=ORIGIN, kind=kind, body=body, nonce=nonce, issued_at=issued_at
    )


def _sign_chunk(start: int, end: int, stamps: list[datetime]) -> list[SignedStatement]:
    """Statements ``start <= seq < end``; ``stamps[i]`` is the ``logged_at`` of ``start + i``."""
    rng = random.Random(start)
    return [_statement(seq, stamps[seq - start], rng) for seq in range(start, end)]


def _stamps(plan: Plan, size: int) -> list[datetime]:
    stamps: list[datetime] = []
    previous = 0
    for batch, end in enumerate(plan.ends):
        stamps.extend([plan.logged_at(batch)] * (min(end, size) - previous))
        previous = end
    return stamps


def _signed_statements(size: int, plan: Plan) -> Iterator[SignedStatement]:
    """Every statement in order, signed two chunks at a time in worker processes."""
    stamps = _stamps(plan, size)
    bounds = [(s, min(s + _CHUNK, size)) for s in range(0, size, _CHUNK)]
    with ProcessPoolExecutor(2) as pool:
        jobs: deque[Future[list[SignedStatement]]] = deque()
        for a, b in bounds:
            jobs.append(pool.submit(_sign_chunk, a, b, stamps[a:b]))
            if len(jobs) > 3:
                yield from jobs.popleft().result()
        while jobs:
            yield from jobs.popleft().result()


async def _write(path: Path, size: int, progress: bool) -> None:
    engine = make_engine(sqlite_url(path))
    await upgrade(engine)
    store = SqlLogStore(engine)
    plan, signer, frontier = Plan.make(size), log_signer(), Frontier.empty()
    statements = _signed_statements(size, plan)
    started = time.perf_counter()
    try:
        for first in range(0, len(plan.ends), BATCHES_PER_TRANSACTION):
            async with store.transaction() as tx:
                for batch in range(first, min(first + BATCHES_PER_TRANSACTION, len(plan.ends))):
                    rows, nodes = [], []
                    logged_at = plan.logged_at(batch)
                    for _ in range(frontier.size, plan.ends[batch]):
                        entry = Entry.build(
                            seq=frontier.size, logged_at=logged_at, signed=next(statements)
                        )
                        nodes.extend(frontier.append(entry.leaf_hash))
                        rows.append(_row(entry))
                    tx.append(rows, nodes)
                    body = Checkpoint(origin=ORIGIN, size=frontier.size, root=frontier.root())
                    note = sign_checkpoint(body, signer)
                    tx.add_checkpoint(CheckpointRow(body.size, body.root, note))
            if progress and first % 1024 == 0:
                rate = frontier.size / (time.perf_counter() - started)
                print(f"  {frontier.size:,} entries ({rate:,.0f}/s)", flush=True)
    finally:
        await store.close()


def _row(entry: Entry) -> EntryRow:
    statement = entry.statement
    return EntryRow(
        entry.seq,
        entry.leaf_hash,
        entry.data,
        statement.kind,
        statement.key_id,
        statement.nonce,
        entry.logged_at,
    )


def cache_dir() -> Path:
    """Where built logs are kept between runs."""
    return Path(os.environ.get("COOPLEDGER_BENCH_CACHE", Path(tempfile.gettempdir())))


def path_for(size: int) -> Path:
    """The database file of the log of ``size`` entries."""
    return cache_dir() / "coopledger-bench" / f"log-{size}-v{BUILD}.db"


def build(size: int, *, rebuild: bool = False, progress: bool = True) -> Path:
    """The path of a finished log of ``size`` entries, building it first if needed."""
    path = path_for(size)
    done = path.with_suffix(".json")
    if done.exists() and path.exists() and not rebuild:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, done, *path.parent.glob(path.name + "-*")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    if progress:
        print(f"building a log of {size:,} entries in {path} (once; it is cached)", flush=True)
    asyncio.run(_write(path, size, progress))
    seconds = time.perf_counter() - started
    done.write_text(json.dumps({"size": size, "build": BUILD, "seconds": round(seconds)}))
    if progress:
        print(f"built in {seconds:.0f} s", flush=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    print(build(args.size, rebuild=args.rebuild))


if __name__ == "__main__":
    main()
