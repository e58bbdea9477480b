"""After any sequence of operations, the projected balances equal a replay of the log alone,
and a rebuild (reset, then every entry through ``apply``) gives the same rows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.credits import store
from ledger.credits.bodies import (
    AdjustmentBody,
    DeclineBody,
    DisputeBody,
    ResolutionBody,
    ReversalBody,
)
from ledger.credits.handler import CreditsHandler
from ledger.credits.replay import compare_with_projection, replay_balances
from ledger.errors import AuditError, LedgerError
from ledger.migrate import upgrade
from ledger.rebuild import rebuild
from ledger.sql import make_engine, sqlite_url
from ledger.statement import Entry
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import Credits, credits_world
from tests.support import START

PEOPLE = ["croydon-print", "merton-care", "sutton-books", "student-1"]
BOARD = ["steward", "board-b"]


async def check_projection(c: Credits) -> dict[str, int]:
    """Projection == replay of the log == rebuild; returns the balances."""
    entries = [Entry.parse(row.data) for row in await c.store.entries(0, await c.size())]
    replayed = replay_balances(entries)
    async with c.read() as conn:
        assert await compare_with_projection(conn, replayed) == []
        before = await store.dump(conn)
    await rebuild(c.store, [CreditsHandler()])
    async with c.read() as conn:
        assert await store.dump(conn) == before
    return replayed


async def _op(c: Credits, awards: list[int], op: tuple[str, int, int, int]) -> None:
    name, a, b, n = op
    member, other = PEOPLE[a % 4], PEOPLE[b % 4]
    signer = BOARD[b % 2]
    if name == "mentor":
        awards.append(await c.earn(member, other, "mentoring.hour", n, counterparty=other))
    elif name == "bid":
        bid = f"bid-{n % 2}"
        awards.append(
            await c.earn(member, other, "bid.support.hour", n, counterparty=other, bid=bid)
        )
    elif name == "share":
        awards.append(await c.earn(member, signer, "resource.shared", n))
    elif name == "session":
        attendees = [p for i, p in enumerate(PEOPLE) if (a >> i) & 1] or [member]
        seq, body = await c.session(signer, attendees)
        results = await asyncio.gather(
            *(
                c.submit(signer, "credit.awarded", x)
                for x in await c.session_award_bodies(seq, body)
            ),
            return_exceptions=True,
        )
        awards.extend(r for r in results if isinstance(r, int))
    elif awards and name == "reverse":
        award = awards[a % len(awards)]
        async with c.read() as conn:
            record = await store.award(conn, award)
        assert record is not None
        body = ReversalBody(award=award, credits=record.net, reason="error").to_json()
        await c.submit(signer, "credit.reversed", body)
    elif awards and name == "adjust":
        award = awards[a % len(awards)]
        body = AdjustmentBody(award=award, credits=n - 3, reason="error").to_json()
        await c.submit(signer, "credit.adjusted", body)
    elif name == "decline":
        claim = await c.claim(member, "mentoring.hour", n, counterparty=other)
        await c.submit(
            other, "credit.declined", DeclineBody(claim=claim, reason="duplicate").to_json()
        )
    elif awards and name == "dispute":
        award = awards[a % len(awards)]
        body = DisputeBody(award=award, reason="other").to_json()
        async with c.read() as conn:
            record = await store.award(conn, award)
        assert record is not None
        opened = await c.submit(record.member, "credit.disputed", body)
        outcome = "upheld" if n % 2 else "dismissed"
        ruling = ResolutionBody(dispute=opened, outcome=outcome, note="ruled").to_json()
        await c.submit(signer, "credit.dispute_resolved", ruling)


OPS = st.tuples(
    st.sampled_from(
        ["mentor", "bid", "share", "session", "reverse", "adjust", "decline", "dispute"]
    ),
    st.integers(0, 15),
    st.integers(0, 7),
    st.integers(1, 6),
)


async def _run(url: str, ops: list[tuple[str, int, int, int]]) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    async with credits_world(url) as c:
        awards: list[int] = []
        for op in ops:
            try:
                await _op(c, awards, op)
            except LedgerError:
                pass  # refusals are part of the sequence; nothing was appended
        await check_projection(c)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=14))
def test_projection_equals_replay_and_rebuild(tmp_path_factory: Any, ops: Any) -> None:
    path: Path = tmp_path_factory.mktemp("replay") / "ledger.db"
    asyncio.run(_run(sqlite_url(path), ops))


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_scripted_sequence_rebuilds_on_every_backend(database_url: str) -> None:
    async with credits_world(database_url) as c:
        awards: list[int] = []
        ops = [
            ("session", 15, 1, 1),
            ("mentor", 0, 1, 3),
            ("bid", 2, 0, 4),
            ("share", 1, 0, 2),
            ("adjust", 1, 0, 1),
            ("reverse", 3, 0, 2),
            ("mentor", 1, 0, 1),
            ("adjust", 0, 0, 6),
        ]
        for op in ops:
            await _op(c, awards, op)
        assert await check_projection(c) == {
            "croydon-print": 2 + 6 + 3,
            "merton-care": 2 - 2 + 2 + 2,
            "sutton-books": 2 + 8,
            "student-1": 2 - 2,
        }


def test_replay_refuses_a_correction_of_no_award() -> None:
    with pytest.raises(AuditError, match="not an award"):
        replay_balances([_fake_entry(5, "credit.reversed", {"award": 3, "credits": 1})])


def _fake_entry(seq: int, kind: str, body: dict[str, Any]) -> Entry:
    from ledger.authoring import StatementFactory
    from ledger.signing import Keypair

    signed = StatementFactory("x.example/log").sign(Keypair.generate(), kind, body)
    return Entry.build(seq=seq, logged_at=START, signed=signed)
