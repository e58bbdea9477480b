"""The audit: clean logs pass; forged, tampered or inconsistent logs fail at the first fault."""

from __future__ import annotations

import base64
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import ledger.audit
from api.app import create_app
from api.runtime import init_ledger
from ledger.audit import AuditReport, audit_store, audit_url
from ledger.authoring import StatementFactory
from ledger.bootstrap import admission, admit
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.config import Settings
from ledger.errors import AuditError, LedgerError
from ledger.merkle import hash_leaf
from ledger.note import NoteSigner
from ledger.signing import Keypair
from ledger.sql import SqlLogStore, make_engine, sqlite_url
from ledger.statement import Entry, SignedStatement, Statement
from ledger.store import CheckpointRow, EntryRow
from ledger.tree import Frontier
from tests.conftest import SQL_BACKENDS
from tests.support import ORIGIN, World, running_ledger

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


# --- A clean log, written through the real service ---------------------------------------------


async def _busy_log(world: World) -> None:
    """Admissions, a rotation and a revocation with replacement, then statements by new keys."""
    alice = await world.admit("alice")
    bob = await world.admit("bob", roles=["board"])
    alice2 = Keypair.generate()
    rotated: dict[str, object] = {"member": "alice", "public_key": alice2.public_key_b64}
    await world.submit(alice, "member.key_rotated", rotated)
    bob2 = Keypair.generate()
    revoked: dict[str, object] = {
        "member": "bob",
        "key_id": bob.key_id,
        "replacement": bob2.public_key_b64,
    }
    await world.submit(world.steward, "member.key_revoked", revoked)
    await admit(
        world.ledger,
        steward=bob2,
        member="carol",
        keypair=Keypair.generate(),
        member_kind="anchor",
        borough="Merton",
    )


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_a_log_written_by_the_service_audits_clean(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        await _busy_log(world)
        done: list[tuple[int, int]] = []
        report = await audit_store(
            world.store,
            origin=ORIGIN,
            log_verifier=world.log_signer.verifier,
            progress=lambda d, t: done.append((d, t)),
        )
        stored = await world.store.checkpoints(0, 100)
    assert (report.size, report.members) == (6, 4)
    assert report.checkpoints == len(stored) and report.root == stored[-1].root
    assert done[-1] == (6, 6)
    assert report.summary().startswith("audit ok: 6 entries, ")


# --- Forged logs: an evil server writes what it likes, with a valid tree and signatures -------


FORGED_SCHEMA = (
    "CREATE TABLE entries (seq INTEGER PRIMARY KEY, leaf_hash BLOB, body BLOB, kind TEXT, "
    "key_id TEXT, nonce TEXT, logged_at TEXT)",
    "CREATE TABLE tree_nodes (level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY (level, idx))",
    "CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, root BLOB, note TEXT)",
    "CREATE TABLE cosignatures (size INTEGER, witness TEXT, timestamp INTEGER, line TEXT, "
    "stored_at TEXT, PRIMARY KEY (size, witness))",
)


class Forger:
    """Writes arbitrary entry bytes, with tree nodes and signed checkpoints, as an evil server
    would: each audit reads the forged log as it stands from an SQLite file of the forger's own
    making (no constraints, no triggers) in ``folder``.
    """

    alice: Keypair

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(exist_ok=True)
        self.copies = 0
        self.entries: list[EntryRow] = []
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.checkpoints: list[CheckpointRow] = []
        self.signer = NoteSigner.generate(ORIGIN)
        self.frontier = Frontier.empty()
        self.steward = Keypair.generate()
        self.factory = StatementFactory(ORIGIN, lambda: NOW)
        self.seq = 0

    def entry(self, signed: SignedStatement, *, seq: int | None = None) -> bytes:
        return Entry.build(seq=self.seq if seq is None else seq, logged_at=NOW, signed=signed).data

    def sign(self, keypair: Keypair, kind: str, body: Mapping[str, Any]) -> bytes:
        return self.entry(self.factory.sign(keypair, kind, body))

    async def append(
        self, data: bytes, *, checkpoint: bool = True, root: bytes | None = None
    ) -> None:
        try:
            s = Entry.parse(data).statement
            columns: tuple[str, str, str] = (s.kind, s.key_id, s.nonce)
        except LedgerError:
            columns = ("credit.claimed", "0" * 16, f"forged-nonce-{self.seq:06d}")
        row = EntryRow(self.seq, hash_leaf(data), data, *columns, "2026-03-02T09:30:00Z")
        self.entries.append(row)
        self.nodes.update(self.frontier.append(row.leaf_hash))
        if checkpoint:
            self.checkpoints.append(self.checkpoint(root or self.frontier.root()))
        self.seq += 1

    def checkpoint(self, root: bytes, signer: NoteSigner | None = None) -> CheckpointRow:
        body = Checkpoint(ORIGIN, self.frontier.size, root)
        return CheckpointRow(body.size, root, sign_checkpoint(body, signer or self.signer))

    async def initialise(self, *, log_key: str | None = None) -> None:
        body = {
            "member": "steward",
            "public_key": self.steward.public_key_b64,
            "member_kind": "steward",
            "borough": "-",
            "roles": ["board"],
            "log_key": log_key or self.signer.verifier.vkey(),
        }
        await self.append(self.sign(self.steward, "log.initialised", body))

    async def admit(self, member: str, signer: Keypair | None = None) -> Keypair:
        keypair = Keypair.generate()
        body = admission(member, keypair.public_key_b64, member_kind="sme", borough="Sutton")
        await self.append(self.sign(signer or self.steward, "member.admitted", body))
        return keypair

    async def report(self) -> AuditReport:
        store = SqlLogStore(make_engine(sqlite_url(await self.copy())))
        try:
            return await audit_store(store, origin=ORIGIN, log_verifier=self.signer.verifier)
        finally:
            await store.close()

    async def audit(self) -> None:
        await self.report()

    async def copy(self) -> Path:
        """The forged log as it stands, in a new SQLite file."""
        self.copies += 1
        path = self.folder / f"forged-{self.copies}.db"
        with contextlib.closing(sqlite3.connect(path)) as conn, conn:
            for statement in FORGED_SCHEMA:
                conn.execute(statement)
            conn.executemany(
                "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.seq, r.leaf_hash, r.data, r.kind, r.key_id, r.nonce, r.logged_at)
                    for r in self.entries
                ],
            )
            conn.executemany(
                "INSERT INTO tree_nodes VALUES (?, ?, ?)", [(*k, v) for k, v in self.nodes.items()]
            )
            conn.executemany(
                "INSERT INTO checkpoints VALUES (?, ?, ?)",
                [(c.size, c.root, c.note) for c in self.checkpoints],
            )
        return path


async def _failure(forger: Forger) -> str:
    with pytest.raises(AuditError) as caught:
        await forger.audit()
    return str(caught.value)


@pytest.fixture
async def forger(tmp_path: Path) -> AsyncIterator[Forger]:
    """A forged log with entry 0 and alice (entry 1), which audits clean so far."""
    f = Forger(tmp_path)
    await f.initialise()
    f.alice = await f.admit("alice")
    await f.audit()
    yield f


CLAIM = {"member": "alice", "activity": "mentoring.hour", "hours": 2}


async def test_statement_by_a_retired_key_is_named(forger: Forger) -> None:
    alice = forger.alice
    alice2 = Keypair.generate()
    rotate = {"member": "alice", "public_key": alice2.public_key_b64}
    await forger.append(forger.sign(alice, "member.key_rotated", rotate))
    await forger.append(forger.sign(alice2, "credit.claimed", CLAIM))
    await forger.audit()
    await forger.append(forger.sign(alice, "credit.claimed", CLAIM))
    assert (await _failure(forger)).startswith("entry 4: signed by key")


async def test_statement_by_an_unregistered_key_is_named(forger: Forger) -> None:
    await forger.append(forger.sign(Keypair.generate(), "credit.claimed", CLAIM))
    assert "entry 2: signed by unregistered key" in await _failure(forger)


async def test_admission_by_a_non_steward_is_named(forger: Forger) -> None:
    await forger.admit("mallory", signer=forger.alice)
    assert (await _failure(forger)).startswith("entry 2: only a board member")


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda f, s: f.entry(s, seq=7), "entry 2: holds seq 7"),
        (lambda f, s: f.entry(s).replace(b'"seq":2', b'"seq": 2'), "entry 2: not a well-formed"),
        (lambda f, s: f.entry(s).replace(b"mentoring", b"mentorinG"), "entry 2: signature does"),
        (lambda f, s: f.entry(s).replace(b'"hours":2', b'"hours":2.0'), "entry 2: not a well-"),
    ],
)
async def test_malformed_or_altered_entry_is_named(
    forger: Forger, tamper: Callable[[Forger, SignedStatement], bytes], message: str
) -> None:
    signed = forger.factory.sign(forger.alice, "credit.claimed", CLAIM)
    await forger.append(tamper(forger, signed))
    await forger.append(forger.sign(forger.alice, "credit.claimed", CLAIM))
    assert (await _failure(forger)).startswith(message)


async def test_statement_for_another_origin_is_named(forger: Forger) -> None:
    other = StatementFactory("elsewhere.example/log", lambda: NOW)
    await forger.append(forger.entry(other.sign(forger.alice, "credit.claimed", CLAIM)))
    assert (await _failure(forger)).startswith("entry 2: names origin")


async def test_checkpoint_with_a_wrong_root_or_key_is_named(forger: Forger, tmp_path: Path) -> None:
    await forger.append(forger.sign(forger.alice, "credit.claimed", CLAIM), root=bytes(32))
    assert (await _failure(forger)).startswith("checkpoint 3: its root is not")
    other = Forger(tmp_path / "other")
    await other.initialise()
    await other.append(other.sign(other.steward, "credit.claimed", CLAIM), checkpoint=False)
    other.checkpoints.append(other.checkpoint(other.frontier.root(), NoteSigner.generate(ORIGIN)))
    assert (await _failure(other)).startswith("checkpoint 2: note has no verified signature")


async def test_entries_beyond_the_latest_checkpoint_are_named(forger: Forger) -> None:
    await forger.append(forger.sign(forger.alice, "credit.claimed", CLAIM), checkpoint=False)
    assert await _failure(forger) == "entry 2: is not covered by any signed checkpoint"


async def test_a_missing_entry_is_named(forger: Forger) -> None:
    for _ in range(3):
        await forger.append(forger.sign(forger.alice, "credit.claimed", CLAIM))
    del forger.entries[3]
    assert (await _failure(forger)).startswith("entry 3: is missing")


async def test_inconsistent_stored_tree_is_named(forger: Forger) -> None:
    for _ in range(3):
        await forger.append(forger.sign(forger.alice, "credit.claimed", CLAIM))
    forger.nodes[(1, 0)] = bytes(32)
    assert (await _failure(forger)).startswith("checkpoint 4: not consistent with checkpoint 3")


async def test_a_replayed_statement_is_named(forger: Forger) -> None:
    signed = forger.factory.sign(forger.alice, "credit.claimed", CLAIM)
    await forger.append(forger.entry(signed))
    await forger.audit()
    await forger.append(forger.entry(signed))
    nonce = signed.statement.nonce
    assert await _failure(forger) == f"entry 3: repeats nonce {nonce} of key {forger.alice.key_id}"


def _signed_by_hand(keypair: Keypair, kind: str, body: Mapping[str, Any], nonce: str) -> bytes:
    """A statement signed over exactly the fields given, with no checks of their form (what a
    hostile or buggy server could have logged)."""
    statement = Statement(ORIGIN, kind, body, nonce, "2026-03-02T09:30:00Z", keypair.key_id)
    signature = keypair.sign(statement.signing_message())
    return Entry.build(
        seq=0, logged_at=NOW, signed=SignedStatement.create(statement, signature)
    ).data


@pytest.mark.parametrize("nonce", ["abcdefghijklmnopqrstuvwx\n", "\nabcdefghijklmnopqrstuvwx"])
async def test_a_nonce_with_a_newline_is_named(forger: Forger, nonce: str) -> None:
    data = _signed_by_hand(forger.alice, "credit.claimed", CLAIM, nonce)
    await forger.append(data.replace(b'"seq":0', f'"seq":{forger.seq}'.encode()))
    assert (await _failure(forger)).startswith("entry 2: not a well-formed entry: nonce must be")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("member", "mallory\n", "entry 2: member.admitted: member has the wrong form"),
        ("public_key", base64.b64encode(bytes(32)).decode(), "entry 2: public key is not a usable"),
        ("public_key", base64.b64encode(bytes([1]) + bytes(31)).decode(), "entry 2: public key"),
    ],
)
async def test_an_admission_of_a_bad_member_id_or_an_unusable_key_is_named(
    forger: Forger, field: str, value: str, message: str
) -> None:
    key = Keypair.generate().public_key_b64
    body = {**admission("mallory", key, member_kind="sme", borough="Sutton"), field: value}
    await forger.append(forger.sign(forger.steward, "member.admitted", body))
    assert (await _failure(forger)).startswith(message)


async def test_a_second_initialisation_is_named(forger: Forger) -> None:
    await forger.initialise()
    assert await _failure(forger) == "entry 2: log.initialised is only ever entry 0"


async def test_entry_zero_must_initialise_the_log_with_the_audited_key(tmp_path: Path) -> None:
    wrong = Forger(tmp_path / "wrong")
    await wrong.initialise(log_key=NoteSigner.generate(ORIGIN).verifier.vkey())
    assert (await _failure(wrong)).startswith("entry 0: names a log key other")
    headless = Forger(tmp_path / "headless")
    await headless.admit("alice")
    assert (await _failure(headless)).startswith("entry 0: is member.admitted")


async def test_the_first_fault_wins_across_chunks(
    forger: Forger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger.audit, "CHUNK", 4)
    for seq in range(2, 30):
        data = forger.sign(forger.alice, "credit.claimed", CLAIM)
        bad = seq in (17, 23)
        await forger.append(data.replace(b"mentoring", b"mentorinG") if bad else data)
    assert (await _failure(forger)).startswith("entry 17: signature does not verify")


# --- Auditing a server over HTTP ---------------------------------------------------------------


class GrowingTransport(httpx.AsyncBaseTransport):
    """The app's transport; the first request for entries appends to the log first."""

    def __init__(self, app: FastAPI, grow: Callable[[], Awaitable[None]]) -> None:
        self.inner = httpx.ASGITransport(app)
        self.grow = grow
        self.grown = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/log/entries" and not self.grown:
            self.grown = True
            await self.grow()
        return await self.inner.handle_async_request(request)


async def test_audit_url_checks_a_served_log_and_its_growth(tmp_path: Path) -> None:
    config = await init_ledger(Settings(data=tmp_path), origin=ORIGIN, steward_id="steward")
    app = create_app(config=config)
    async with app.router.lifespan_context(app):
        ledger_ = app.state.ledger
        steward = config.steward()

        async def grow() -> None:
            for name in ("dina", "eve"):
                await admit(
                    ledger_,
                    steward=steward,
                    member=name,
                    keypair=Keypair.generate(),
                    member_kind="sme",
                    borough="Sutton",
                )

        transport = GrowingTransport(app, grow)
        async with httpx.AsyncClient(transport=transport) as client:
            report = await audit_url(client, "http://test/")
            assert (report.size, report.checkpoints) == (2, 2)
            pinned = await audit_url(client, "http://test", log_verifier=config.log_verifier)
            assert pinned.size == 4
            with pytest.raises(AuditError, match=r"checkpoint \(latest served\): note has no"):
                await audit_url(
                    client, "http://test", log_verifier=NoteSigner.generate(ORIGIN).verifier
                )


async def test_worker_processes_audit_like_threads(
    forger: Forger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger.audit, "CHUNK", 8)
    for _ in range(18):
        await forger.append(forger.sign(forger.alice, "credit.claimed", CLAIM))
    threads = await forger.report()
    monkeypatch.setattr(ledger.audit, "PROCESSES_FROM", 0)
    processes = await forger.report()
    assert processes == threads and processes.size == 20
    data = forger.sign(forger.alice, "credit.claimed", CLAIM)
    await forger.append(data.replace(b"mentoring", b"mentorinG"))
    assert await _failure(forger) == "entry 20: signature does not verify"
