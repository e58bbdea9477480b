"""Statements, standing, totals, Gini, CSV and the social value report, checked by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from fractions import Fraction
from itertools import product

import pytest

from ledger.credits import export, reports, social, store
from ledger.credits.bodies import AdjustmentBody, ReversalBody
from ledger.errors import OutOfRangeError
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.helpers import Credits, credits_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


@asynccontextmanager
async def scenario(database_url: str) -> AsyncIterator[tuple[Credits, dict[str, int]]]:
    """A small month of activity; returns the seqs of the entries the tests name.

    croydon-print: workshop 2 + mentoring 3h 6 + resource 1 reversed      = 8
    sutton-books:  workshop 2 + bid support 4h 8 adjusted by -2          = 8
    student-1:     workshop 2 + consultancy placement 10                 = 12
    """
    async with credits_world(database_url) as c:
        seqs: dict[str, int] = {}
        session, body = await c.session(
            "board-b",
            ["croydon-print", "sutton-books", "student-1"],
            held_on=date(2025, 3, 10),
            group="business-services",
        )
        for award in await c.session_award_bodies(session, body):
            await c.submit("board-b", "credit.awarded", award)
        seqs["mentoring"] = await c.earn(
            "croydon-print",
            "merton-care",
            "mentoring.hour",
            3,
            counterparty="merton-care",
            done_on=date(2025, 3, 12),
        )
        seqs["bid"] = await c.earn(
            "sutton-books",
            "croydon-print",
            "bid.support.hour",
            4,
            counterparty="croydon-print",
            bid="council-lot-3",
            done_on=date(2025, 2, 20),
        )
        seqs["placement"] = await c.earn(
            "student-1",
            "sutton-books",
            "consultancy.placement",
            1,
            counterparty="sutton-books",
            done_on=date(2025, 3, 5),
            group="business-services",
        )
        fix = AdjustmentBody(award=seqs["bid"], credits=-2, reason="wrong_quantity").to_json()
        seqs["adjust"] = await c.submit("steward", "credit.adjusted", fix)
        seqs["shared"] = await c.earn("croydon-print", "board-b", "resource.shared", 1)
        undo = ReversalBody(award=seqs["shared"], credits=1, reason="duplicate").to_json()
        seqs["reverse"] = await c.submit("steward", "credit.reversed", undo)
        seqs["session"] = session
        yield c, seqs


async def test_balances_standing_and_statement(database_url: str) -> None:
    async with scenario(database_url) as (c, seqs):
        async with c.read() as conn:
            assert await reports.balances(conn) == {
                "croydon-print": 8,
                "sutton-books": 8,
                "student-1": 12,
            }
            standing = [
                await reports.active_standing(conn, "croydon-print", day)
                for day in (date(2025, 3, 20), date(2026, 3, 11), date(2026, 3, 12))
            ]
            lines = await reports.statement(conn, "sutton-books")
        assert standing == [8, 6, 0]  # the workshop of 10 March leaves the window first
        s = seqs["session"]
        assert [
            (
                x.seq,
                x.kind,
                x.activity_on.isoformat(),
                x.activity,
                x.rule_version,
                x.quantity,
                x.approver,
                x.credits,
                x.reason,
                x.balance,
            )
            for x in lines
        ] == [
            (s + 2, "awarded", "2025-03-10", "workshop.attended", 1, 1, "board-b", 2, None, 2),
            (
                seqs["bid"],
                "awarded",
                "2025-02-20",
                "bid.support.hour",
                1,
                4,
                "croydon-print",
                8,
                None,
                10,
            ),
            (
                seqs["adjust"],
                "adjusted",
                "2025-02-20",
                "bid.support.hour",
                1,
                4,
                "steward",
                -2,
                "wrong_quantity",
                8,
            ),
        ]
        csv = export.statement_csv("sutton-books", lines).splitlines()
        assert csv[0] == (
            "member,seq,kind,award,activity_on,logged_at,activity,rule_version,quantity,"
            "approver,credits,reason,balance"
        )
        assert csv[3] == (
            f"sutton-books,{seqs['adjust']},adjusted,{seqs['bid']},2025-02-20,"
            f"2025-03-20T12:00:00Z,bid.support.hour,1,4,steward,-2,wrong_quantity,8"
        )


async def test_statement_pages_are_cut_from_the_whole_statement(database_url: str) -> None:
    """Every page shape, for several members in one read, against ``statement`` sliced."""
    members = ["croydon-print", "sutton-books", "student-1", "merton-care"]  # no lines: last
    async with scenario(database_url) as (c, _):
        async with c.read() as conn:
            whole = {m: await reports.statement(conn, m) for m in members}
            totals = {m: await store.balance(conn, m) for m in members}
            seqs = sorted({line.seq for lines in whole.values() for line in lines})
            bounds = [None, -1, *seqs, seqs[-1] + 1]
            checked = 0
            # several members in one read, and each alone (the first or last lines of one
            # member take a query of their own)
            groups = [members, *([m] for m in members)]
            shapes = product((0, 1, 2, 5), (True, False), bounds, bounds, groups)
            for size, forward, after, before, group in shapes:
                pages = await store.statement_pages(
                    conn, group, size=size, forward=forward, after=after, before=before
                )
                for member in group:
                    chosen = [
                        line
                        for line in whole[member]
                        if (after is None or line.seq > after)
                        and (before is None or line.seq < before)
                    ]
                    want = chosen[:size] if forward else chosen[-size:] if size else []
                    page = pages[member]
                    assert page.lines == want
                    assert page.more == (len(chosen) > size)
                    assert page.balance in (None, totals[member])
                    checked += 1
            tail = await store.statement_pages(conn, members, size=2, forward=False)
            with pytest.raises(ValueError):
                await store.statement_pages(conn, members, size=-1, forward=True)
        assert checked == 4 * 2 * len(bounds) ** 2 * len(members) * 2
        assert {m: page.balance for m, page in tail.items()} == totals  # known from the page
        assert totals == {"croydon-print": 8, "sutton-books": 8, "student-1": 12, "merton-care": 0}


async def test_totals_list_every_borough_and_kind_of_the_members_with_0_for_none(
    database_url: str,
) -> None:
    """Before any credit every borough and kind of the registered members (the first
    steward's too: kind steward, borough "-") is a row of 0; other dimensions have none."""
    async with credits_world(database_url) as c:
        registry = c.world.ledger.registry
        async with c.read() as conn:
            found = {d: await reports.totals(conn, registry, d) for d in reports.DIMENSIONS}
            with pytest.raises(ValueError, match="one of group, activity, borough"):
                await reports.totals(conn, registry, "boroughs")
    assert [(t.key, t.credits) for t in found["borough"]] == [
        ("-", 0),
        ("Croydon", 0),
        ("Merton", 0),
        ("Southwark", 0),
        ("Sutton", 0),
    ]
    assert [(t.key, t.credits) for t in found["member_kind"]] == [
        ("anchor", 0),
        ("co-operative", 0),
        ("sme", 0),
        ("social-enterprise", 0),
        ("steward", 0),
        ("student", 0),
    ]
    assert found["group"] == found["activity"] == found["month"] == []


async def test_totals_gini_and_confirmations(database_url: str) -> None:
    async with scenario(database_url) as (c, seqs):
        registry = c.world.ledger.registry
        async with c.read() as conn:
            totals = {
                d: {t.key: t.credits for t in await reports.totals(conn, registry, d)}
                for d in reports.DIMENSIONS
            }
            spread = await reports.distribution(conn, registry)
            confirmations = await reports.confirmations(conn)
        assert totals == {
            "group": {"business-services": 16, "(none)": 12},
            "activity": {
                "workshop.attended": 6,
                "mentoring.hour": 6,
                "bid.support.hour": 6,
                "consultancy.placement": 10,
                "resource.shared": 0,
            },
            "borough": {"-": 0, "Croydon": 8, "Merton": 0, "Southwark": 12, "Sutton": 8},
            "member_kind": {
                "anchor": 0,
                "co-operative": 0,
                "sme": 16,
                "social-enterprise": 0,
                "steward": 0,
                "student": 12,
            },
            "month": {"2025-02": 6, "2025-03": 22},
        }
        # balances of the 7 members, sorted: 0 0 0 0 8 8 12 (sum 28)
        # G = 2 * (5*8 + 6*8 + 7*12) / (7 * 28) - 8/7 = 344/196 - 224/196 = 30/49
        assert (spread.members, spread.total, spread.gini) == (7, 28, Fraction(30, 49))
        assert (spread.gini_per_mille, spread.gini_decimal) == (612, "0.612")
        who = [(x.approver, x.member, x.activity, x.net) for x in confirmations]
        assert who[3:] == [
            ("merton-care", "croydon-print", "mentoring.hour", 6),
            ("croydon-print", "sutton-books", "bid.support.hour", 6),
            ("sutton-books", "student-1", "consultancy.placement", 10),
            ("board-b", "croydon-print", "resource.shared", 0),
        ]
        rows = export.confirmations_csv(confirmations).splitlines()
        assert rows[0] == "award,approver,member,activity,basis,basis_seq,credits,net"
        bid = seqs["bid"]
        assert rows[5] == f"{bid},croydon-print,sutton-books,bid.support.hour,claim,{bid - 1},8,6"
        assert (
            export.totals_csv([reports.Total("month", "2025-02", 6)])
            == "dimension,key,credits\nmonth,2025-02,6\n"
        )


async def test_social_value_report_states_its_checkpoint(database_url: str) -> None:
    async with scenario(database_url) as (c, seqs):
        registry = c.world.ledger.registry
        latest = await c.store.checkpoint()
        assert latest is not None
        async with c.read() as conn:
            report = await social.social_value_report(conn, registry, year=2025, quarter=1)
            before = await social.social_value_report(
                conn, registry, year=2025, quarter=1, at=seqs["adjust"]
            )
            empty = await social.social_value_report(conn, registry, year=2025, quarter=2)
        assert (report.checkpoint_size, report.checkpoint_root) == (
            latest.size,
            latest.root.hex(),
        )
        cells = {(x.borough, x.member_kind, x.measure): x.hours for x in report.lines}
        assert cells == {
            ("Croydon", "sme", "mentoring"): 3,
            ("Croydon", "sme", "workshop"): 2,
            ("Sutton", "sme", "bid_support"): 3,  # 4 hours, adjusted from 8 to 6 credits
            ("Sutton", "sme", "workshop"): 2,
            ("Southwark", "student", "consultancy"): Fraction(75, 2),
            ("Southwark", "student", "workshop"): 2,
        }
        assert before.hours("bid_support") == 4  # as at the checkpoint before the adjustment
        assert before.checkpoint_size == seqs["adjust"]
        assert empty.lines == [] and (empty.start, empty.end) == (
            date(2025, 4, 1),
            date(2025, 6, 30),
        )
        text = export.social_value_text(report)
        assert f"computed at checkpoint size {latest.size}, root {latest.root.hex()}" in text
        assert "total consultancy      37.5 hours" in text
        csv = export.social_value_csv(report).splitlines()
        assert csv[0] == (
            "year,quarter,checkpoint_size,checkpoint_root,borough,member_kind,measure,units,hours"
        )
        assert (
            f"2025,1,{latest.size},{latest.root.hex()},Southwark,student,consultancy,1.00,37.50"
            in csv
        )
        with pytest.raises(OutOfRangeError, match="no checkpoint of size 999999"):
            async with c.read() as conn:
                await social.social_value_report(conn, registry, year=2025, quarter=1, at=999999)
        with pytest.raises(ValueError, match="quarter must be"):
            social.quarter_dates(2025, 5)
