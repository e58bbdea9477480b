"""Projections equal a replay of the log; a rebuild restores them; tampering is reported."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger.credits.handler import CreditsHandler
from ledger.rebuild import compare_projections, rebuild
from ledger.sql import SqlLogStore
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import credits_world


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_rebuild_and_compare(database_url: str) -> None:
    async with credits_world(database_url) as c:
        await c.earn(
            "croydon-print", "merton-care", "mentoring.hour", 2, counterparty="merton-care"
        )
        seq, body = await c.session("steward", ["croydon-print", "sutton-books"])
        for award in await c.session_award_bodies(seq, body):
            await c.submit("steward", "credit.awarded", award)
        store = c.store
        assert isinstance(store, SqlLogStore)
        projectors = [CreditsHandler()]
        assert await compare_projections(store, projectors) == []

        async with store.engine.begin() as conn:
            await conn.execute(text("UPDATE credit_awards SET credits = credits + 5"))
        problems = await compare_projections(store, projectors)
        assert problems and "credit_awards" in problems[0]

        size = await store.size()
        progress: list[tuple[int, int]] = []
        assert await rebuild(store, projectors, lambda d, t: progress.append((d, t))) == size
        assert progress[-1] == (size, size)
        assert await compare_projections(store, projectors) == []
        assert await c.balance("croydon-print") == 4 + 2
