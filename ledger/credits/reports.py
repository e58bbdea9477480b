"""Reads for members and the board: balances, standing, statements, totals, distribution.

Each function reads the credit projections through an ``AsyncConnection``; those that group
by borough or member kind also take the member ``Registry``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.credits import queries
from ledger.credits.distribution import decimal_string, gini, per_mille
from ledger.credits.records import AWARDED, ClaimRecord, SessionRecord
from ledger.credits.rules import RuleTable
from ledger.credits.sql import awards, corrections
from ledger.members import Registry

STANDING_DAYS = 365
NONE = "(none)"
DIMENSIONS = ("group", "activity", "borough", "member_kind", "month")


@dataclass(frozen=True)
class StatementLine:
    """A statement line: ``awarded``, or ``reversed``/``adjusted`` (of entry ``award``)."""

    seq: int
    kind: str
    award: int
    activity_on: date
    logged_at: str
    activity: str
    rule_version: int
    quantity: int
    approver: str
    credits: int
    reason: str | None
    balance: int


@dataclass(frozen=True)
class Total:
    """Net credits for one key of a dimension (a group, activity, borough, kind or month)."""

    dimension: str
    key: str
    credits: int


@dataclass(frozen=True)
class Distribution:
    """How credits are spread over members: exact Gini and two roundings of it."""

    members: int
    total: int
    gini: Fraction

    @property
    def gini_per_mille(self) -> int:
        """The Gini coefficient times 1000, rounded half to even."""
        return per_mille(self.gini)

    @property
    def gini_decimal(self) -> str:
        """The Gini coefficient to three decimal places."""
        return decimal_string(self.gini)


@dataclass(frozen=True)
class Confirmation:
    """Who confirmed or approved whose award (the "who confirmed whom" export)."""

    award: int
    approver: str
    member: str
    activity: str
    basis: str
    basis_seq: int
    credits: int
    net: int


async def current_rule_table(conn: AsyncConnection) -> RuleTable | None:
    """The rule table in force, if one was adopted."""
    return await queries.rule_table(conn)


async def rule_table(conn: AsyncConnection, version: int) -> RuleTable | None:
    """Rule table ``version``, if it was adopted."""
    return await queries.rule_table(conn, version)


async def claim(conn: AsyncConnection, seq: int) -> ClaimRecord | None:
    """The claim made at ``seq`` and its status."""
    return await queries.claim(conn, seq)


async def session(conn: AsyncConnection, seq: int) -> SessionRecord | None:
    """The session register recorded at ``seq``."""
    return await queries.session(conn, seq)


async def balances(conn: AsyncConnection) -> dict[str, int]:
    """Lifetime balance of every member with any award."""
    return await queries.balances(conn)


async def balance(conn: AsyncConnection, member: str) -> int:
    """``member``'s lifetime balance: awards, plus adjustments, minus reversals."""
    query = select(func.coalesce(func.sum(awards.c.net), 0)).where(awards.c.member == member)
    return int((await conn.execute(query)).scalar_one())


async def active_standing(conn: AsyncConnection, member: str, on: date) -> int:
    """Net credits for activities dated in the 365 days ending on ``on`` (both ends counted
    as ``on - 364 days .. on``): the member's rolling 12-month "active standing"."""
    start = on - timedelta(days=STANDING_DAYS - 1)
    query = select(func.coalesce(func.sum(awards.c.net), 0)).where(
        awards.c.member == member,
        awards.c.activity_on >= start.isoformat(),
        awards.c.activity_on <= on.isoformat(),
    )
    return int((await conn.execute(query)).scalar_one())


async def statement(conn: AsyncConnection, member: str) -> list[StatementLine]:
    """Every line of ``member``'s credits in log order, with a running balance.

    An award's line is dated by its activity; a reversal or adjustment line repeats the
    activity date of the award it corrects and names the board member who signed it.
    """
    own = {
        row.seq: row
        for row in (await conn.execute(select(awards).where(awards.c.member == member))).all()
    }
    lines = [_line(row, row, AWARDED, row.credits, row.approver, None) for row in own.values()]
    query = (
        select(corrections)
        .join(awards, awards.c.seq == corrections.c.award)
        .where(awards.c.member == member)
    )
    for fix in (await conn.execute(query)).all():
        lines.append(_line(fix, own[fix.award], fix.kind, fix.credits, fix.signer, fix.reason))
    lines.sort(key=lambda line: line.seq)
    running = 0
    for i, line in enumerate(lines):
        running += line.credits
        lines[i] = replace(line, balance=running)
    return lines


def _line(
    row: Any, award: Any, kind: str, credits: int, signer: str, reason: str | None
) -> StatementLine:
    return StatementLine(
        seq=row.seq,
        kind=kind,
        award=award.seq,
        activity_on=date.fromisoformat(award.activity_on),
        logged_at=row.logged_at,
        activity=award.activity,
        rule_version=award.rule_version,
        quantity=award.quantity,
        approver=signer,
        credits=credits,
        reason=reason,
        balance=0,
    )


async def totals(conn: AsyncConnection, registry: Registry, dimension: str) -> list[Total]:
    """Net credits per key of ``dimension`` (one of ``DIMENSIONS``), sorted by key.

    Raises ``ValueError`` for an unknown dimension.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {DIMENSIONS}")
    query = select(
        awards.c.member,
        awards.c.working_group,
        awards.c.activity,
        awards.c.month,
        func.sum(awards.c.net),
    ).group_by(awards.c.member, awards.c.working_group, awards.c.activity, awards.c.month)
    sums: dict[str, int] = defaultdict(int)
    for member, group, activity, month, credits in (await conn.execute(query)).all():
        record = registry.members.get(member)
        keys = {
            "group": group or NONE,
            "activity": activity,
            "borough": record.borough if record else NONE,
            "member_kind": record.member_kind if record else NONE,
            "month": month,
        }
        sums[keys[dimension]] += int(credits)
    return [Total(dimension, key, sums[key]) for key in sorted(sums)]


async def distribution(
    conn: AsyncConnection, registry: Registry, members: Iterable[str] | None = None
) -> Distribution:
    """The Gini coefficient of balances over ``members`` (default: every registered member,
    including those with no credits)."""
    chosen = list(registry.members if members is None else members)
    held = await queries.balances(conn)
    values = [held.get(member, 0) for member in chosen]
    return Distribution(len(values), sum(values), gini(values))


async def confirmations(conn: AsyncConnection) -> list[Confirmation]:
    """Every award with its approver and recipient, in log order."""
    query = select(awards).order_by(awards.c.seq)
    return [
        Confirmation(
            award=row.seq,
            approver=row.approver,
            member=row.member,
            activity=row.activity,
            basis=row.basis,
            basis_seq=row.basis_seq,
            credits=row.credits,
            net=row.net,
        )
        for row in (await conn.execute(query)).all()
    ]
