"""Tampering behind the application's back: ``coopledger audit --data`` names what changed.

Each test builds a ledger with the real service (credits and governance), drops the
append-only triggers as someone holding the database could, rewrites one thing, and runs
``coopledger audit --data DIR`` as a user would. The audit must exit 1 and name the entry,
the checkpoint or the projection row; the same ledger audits clean before the rewrite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.runtime import domain_handlers, init_ledger, open_store, seal_key_store
from governance import client as governance
from governance import drafts
from ledger.authoring import StatementFactory
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.config import LedgerConfig, Settings
from ledger.credits.rules import rule_table_from_community
from ledger.encoding import utc_now
from ledger.note import NoteSigner
from ledger.service import Ledger
from ledger.signing import Keypair
from ledger.sql import is_postgres, make_engine
from ledger.statement import Entry
from tests.conftest import SQL_BACKENDS
from tests.governance.world import Gov
from tests.ledger.credits.helpers import RULES_V1, Credits
from tests.support import Clock, World

ORIGIN = "tamper.coopledger.example/log"
COOPLEDGER = str(Path(sys.executable).parent / "coopledger")
BACKENDS = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
MEMBERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "board-b": ("co-operative", "Merton", ("board",)),
    "croydon-print": ("sme", "Croydon", ()),
    "merton-care": ("social-enterprise", "Merton", ()),
    "sutton-books": ("sme", "Sutton", ()),
}
GROUP = "markets-data-trust"
LOG_TABLES = ("entries", "tree_nodes", "checkpoints")


@dataclass
class Built:
    """A ledger's data directory and database, and where its interesting rows are."""

    config: LedgerConfig
    size: int
    admitted: dict[str, int] = field(default_factory=dict)
    award: int = 0
    proposal: int = 0
    ballots: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.config.database_url

    def audit(self) -> subprocess.CompletedProcess[str]:
        """``coopledger audit --data DIR``, the database URL from the environment."""
        env = {**os.environ, "COOPLEDGER_DATABASE_URL": self.url}
        return subprocess.run(  # noqa: S603
            [COOPLEDGER, "audit", "--data", str(self.config.data.root)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def refused(self) -> str:
        """Run the audit, which must fail with one line on stderr; that line."""
        result = self.audit()
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr
        return result.stderr.removeprefix("error: ").rstrip("\n")

    async def tamper(self, *statements: str, **params: Any) -> None:
        """Drop the append-only triggers, then run ``statements`` in one transaction."""
        engine = make_engine(self.url)
        try:
            async with engine.begin() as conn:
                for trigger, table in _triggers(self.url):
                    on = f" ON {table}" if is_postgres(self.url) else ""
                    await conn.execute(text(f"DROP TRIGGER {trigger}{on}"))
                for statement in statements:
                    await conn.execute(text(statement), params)
        finally:
            await engine.dispose()

    async def body(self, seq: int) -> bytes:
        """The stored bytes of entry ``seq``."""
        (body,) = await self.one("SELECT body FROM entries WHERE seq = :s", s=seq)
        return bytes(body)

    async def replaced(self, seq: int, old: bytes, new: bytes) -> bytes:
        """Entry ``seq``'s bytes with the first ``old`` in them replaced by ``new``."""
        body = await self.body(seq)
        forged = body.replace(old, new, 1)
        assert forged != body
        return forged

    async def forge(self, seq: int, forged: bytes) -> None:
        """Store ``forged`` as entry ``seq``, with its own leaf hash."""
        await self.tamper(
            "UPDATE entries SET body = :b, leaf_hash = :h WHERE seq = :s",
            b=forged,
            h=Entry.parse(forged).leaf_hash,
            s=seq,
        )

    async def one(self, sql: str, **params: Any) -> Any:
        """The single row ``sql`` selects."""
        engine = make_engine(self.url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql), params)).one()
        finally:
            await engine.dispose()


def _triggers(url: str) -> list[tuple[str, str]]:
    """The append-only triggers of ``ledger/migrations/versions/0001_log.py``."""
    if is_postgres(url):
        kinds = ("append_only", "no_truncate")
    else:
        kinds = ("no_update", "no_delete")
    return [(f"{table}_{kind}", table) for table in LOG_TABLES for kind in kinds]


async def _build(root: Path, database_url: str) -> Built:
    """A ledger written through the service: members, credits, a decided proposal."""
    settings = Settings(data=root, database_url=None if "sqlite" in database_url else database_url)
    rules = rule_table_from_community(RULES_V1)
    config = await init_ledger(settings, origin=ORIGIN, steward_id="steward", rules=rules)
    clock = Clock(utc_now())
    store = await open_store(config.database_url)
    built = Built(config, 0)
    try:
        async with Ledger(
            store,
            origin=ORIGIN,
            log_signer=config.log_signer,
            handlers=domain_handlers(),
            clock=clock,
        ) as ledger:
            steward = config.steward()
            world = World(
                ledger, store, config.log_signer, steward, StatementFactory(ORIGIN, clock)
            )
            keys = {"steward": steward}
            for member, (kind, borough, roles) in MEMBERS.items():
                keys[member] = await world.admit(member, kind=kind, borough=borough, roles=roles)
                built.admitted[member] = await store.size() - 1
            credits, today = Credits(world, clock, keys), clock.now.date()
            built.award = await credits.earn(
                "croydon-print",
                "merton-care",
                "mentoring.hour",
                2,
                counterparty="merton-care",
                done_on=today,
            )
            await credits.earn(
                "sutton-books",
                "croydon-print",
                "mentoring.hour",
                1,
                counterparty="croydon-print",
                done_on=today,
            )
            gov = Gov(world, clock, keys, seal_keys=seal_key_store(config))
            await gov.group(GROUP, convenor="croydon-print", members=_voters()[1:])
            built.proposal = await gov.open("croydon-print", GROUP, method="proposal")
            for voter in _voters():
                ballot = governance.motion_ballot("agree")
                built.ballots.append(await gov.vote(voter, built.proposal, ballot))
            await gov.close(built.proposal, by="croydon-print")
            async with gov.write() as conn:
                decision = await drafts.decision_body(
                    conn,
                    proposal=built.proposal,
                    statement_text="Agreed.",
                    review_on=today + timedelta(days=180),
                )
            await gov.submit("croydon-print", "governance.decision.recorded", decision)
            built.size = await store.size()
    finally:
        await store.close()
    return built


def _voters() -> Sequence[str]:
    return ("croydon-print", "merton-care", "sutton-books")


@pytest.fixture
async def built(database_url: str, tmp_path: Path) -> AsyncIterator[Built]:
    """A built ledger that audits clean (checked here, before any test tampers with it)."""
    ledger = await _build(tmp_path / "ledger", database_url)
    result = ledger.audit()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"audit ok: {ledger.size} entries, {ledger.size} checkpoints")
    assert "projections ok" in result.stdout
    yield ledger


# --- 1. One byte of an entry ------------------------------------------------------------------


@BACKENDS
async def test_a_changed_byte_in_an_entry_is_named(built: Built) -> None:
    seq = built.award
    forged = await built.replaced(seq, b'"credits":4', b'"credits":5')
    await built.tamper("UPDATE entries SET body = :b WHERE seq = :s", b=forged, s=seq)
    assert built.refused() == f"entry {seq}: stored columns do not match the entry bytes"


@BACKENDS
async def test_a_changed_byte_with_its_leaf_hash_is_named(built: Built) -> None:
    seq = built.admitted["sutton-books"]
    await built.forge(seq, await built.replaced(seq, b"Sutton", b"Suttom"))
    assert built.refused() == f"entry {seq}: signature does not verify"


# --- 2. A deleted entry -----------------------------------------------------------------------


@BACKENDS
async def test_a_deleted_last_entry_is_named(built: Built) -> None:
    last = built.size - 1
    await built.tamper("DELETE FROM entries WHERE seq = :s", s=last)
    assert built.refused() == f"entry {last}: is missing"


@BACKENDS
async def test_a_deleted_entry_in_the_middle_is_named(built: Built) -> None:
    seq = built.award
    await built.tamper("DELETE FROM entries WHERE seq = :s", s=seq)
    assert built.refused() == f"entry {seq}: is missing"


# --- 3. Two entries swapped -------------------------------------------------------------------


@BACKENDS
async def test_two_swapped_entries_are_named(built: Built) -> None:
    first, second = built.ballots[0], built.ballots[1]
    await built.tamper(
        "UPDATE entries SET (body, leaf_hash) = "
        "(SELECT body, leaf_hash FROM entries AS other "
        " WHERE other.seq = :a + :b - entries.seq) WHERE seq IN (:a, :b)",
        a=first,
        b=second,
    )
    assert built.refused() == f"entry {first}: holds seq {second}"


# --- 4. A replaced checkpoint -----------------------------------------------------------------


async def _replace_checkpoint(built: Built, size: int, note: str, root: bytes) -> None:
    await built.tamper(
        "UPDATE checkpoints SET note = :n, root = :r WHERE size = :s", n=note, r=root, s=size
    )


@BACKENDS
async def test_a_checkpoint_signed_by_another_key_is_named(built: Built) -> None:
    size = built.award + 1
    (root,) = await built.one("SELECT root FROM checkpoints WHERE size = :s", s=size)
    other = NoteSigner.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, size, bytes(root)), other)
    await _replace_checkpoint(built, size, note, bytes(root))
    assert built.refused() == f"checkpoint {size}: note has no verified signature from a known key"


@BACKENDS
async def test_a_checkpoint_with_a_wrong_root_is_named(built: Built) -> None:
    size = built.award + 1
    (root,) = await built.one("SELECT root FROM checkpoints WHERE size = :s - 1", s=size)
    note = sign_checkpoint(Checkpoint(ORIGIN, size, bytes(root)), built.config.log_signer)
    await _replace_checkpoint(built, size, note, bytes(root))
    assert built.refused() == f"checkpoint {size}: its root is not the root of the entries"


# --- 5. A credit projection row ---------------------------------------------------------------


@BACKENDS
async def test_a_changed_award_is_named(built: Built) -> None:
    await built.tamper(
        "UPDATE credit_awards SET credits = credits + 5, net = net + 5 WHERE seq = :s",
        s=built.award,
    )
    problem = built.refused()
    assert problem.startswith("projections differ from a replay of the log: credit_awards: ")
    assert f"not in the log: [({built.award}, " in problem


# --- 6. A governance projection row -----------------------------------------------------------


@BACKENDS
async def test_a_changed_proposal_result_is_named(built: Built) -> None:
    await built.tamper(
        "UPDATE governance_proposals SET passed = :f WHERE seq = :s", f=False, s=built.proposal
    )
    problem = built.refused()
    assert problem.startswith("projections differ from a replay of the log: governance_proposals")
    assert f"not in the log: [({built.proposal}, " in problem


@BACKENDS
async def test_a_changed_ballot_is_named(built: Built) -> None:
    seq = built.ballots[-1]
    await built.tamper(
        "UPDATE governance_ballots SET ballot = :b WHERE seq = :s", b='{"choice":"block"}', s=seq
    )
    problem = built.refused()
    assert problem.startswith("projections differ from a replay of the log: governance_ballots")
    assert f"not in the log: [({seq}, " in problem


# --- 7. A member's key ------------------------------------------------------------------------


@BACKENDS
async def test_a_swapped_key_column_beside_an_entry_is_named(built: Built) -> None:
    """The registry of members and keys has no table: it is replayed from the log at every
    start. What is stored beside the log is each entry's ``key_id`` column."""
    seq = built.ballots[0]
    stranger = Keypair.generate().key_id
    await built.tamper("UPDATE entries SET key_id = :k WHERE seq = :s", k=stranger, s=seq)
    assert built.refused() == f"entry {seq}: stored columns do not match the entry bytes"


@BACKENDS
async def test_a_swapped_key_in_an_admission_is_named(built: Built) -> None:
    seq = built.admitted["merton-care"]
    body = await built.body(seq)
    admitted = Entry.parse(body).statement.body["public_key"]
    assert isinstance(admitted, str)
    await built.forge(
        seq, body.replace(admitted.encode(), Keypair.generate().public_key_b64.encode())
    )
    assert built.refused() == f"entry {seq}: signature does not verify"


@BACKENDS
async def test_a_changed_proposal_text_is_named(built: Built) -> None:
    """Texts are kept beside the projections, not rebuilt; the log names each by SHA-256."""
    (digest,) = await built.one(
        "SELECT sha256 FROM governance_texts WHERE text = :t",
        t="What should we work on next quarter?",
    )
    await built.tamper(
        "UPDATE governance_texts SET text = :t WHERE sha256 = :d",
        t="What should we stop working on next quarter?",
        d=digest,
    )
    assert built.refused() == (
        "projections differ from a replay of the log: "
        f"governance_texts: the text kept as {digest} does not hash to it"
    )
