"""Reads for members and the board: balances, standing, statements, totals, distribution.

Each function reads the credit projections through an ``AsyncConnection``; those that group
by borough or member kind also take the member ``Registry``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    String,
    Subquery,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
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


@dataclass(frozen=True, slots=True)
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


def _lines(*, one: bool = False) -> Subquery:
    """Every statement line of the members bound to ``members`` (``one``: of the member
    bound to ``member``): awards and their corrections in one list, in no order."""
    members: BindParameter[Any] = (
        bindparam("member") if one else bindparam("members", expanding=True)
    )
    chosen = awards.c.member == members if one else awards.c.member.in_(members)
    own = select(
        awards.c.member,
        awards.c.seq,
        literal_column(f"'{AWARDED}'", String(16)).label("kind"),
        awards.c.seq.label("award"),
        awards.c.activity_on,
        awards.c.logged_at,
        awards.c.activity,
        awards.c.rule_version,
        awards.c.quantity,
        awards.c.approver.label("signer"),
        awards.c.credits,
        cast(null(), String(32)).label("reason"),
    ).where(chosen)
    fixes = (
        select(
            awards.c.member,
            corrections.c.seq,
            corrections.c.kind,
            corrections.c.award,
            awards.c.activity_on,
            corrections.c.logged_at,
            awards.c.activity,
            awards.c.rule_version,
            awards.c.quantity,
            corrections.c.signer,
            corrections.c.credits,
            corrections.c.reason,
        )
        .join_from(corrections, awards, awards.c.seq == corrections.c.award)
        .where(chosen)
    )
    return union_all(own, fixes).subquery("lines")


def _statement_lines() -> Subquery:
    """Every statement line of the members bound to ``members``, with its running balance:
    a window sum over the member's lines in log order, computed by the database before any
    page is cut from it."""
    lines = _lines()
    balance = func.sum(lines.c.credits).over(partition_by=lines.c.member, order_by=lines.c.seq)
    return select(*lines.c, balance.label("balance")).subquery("running")


def _edge_query(*, forward: bool) -> Select[Any]:
    """One member's first (``forward``) or last ``rows`` lines; the last lines' rows carry
    the member's balance too (the sum of the awards' net credits, which is the sum of every
    line's credits).

    The running balances follow without a window: forward from 0, backwards from the
    balance. No window means no sorts but one, which makes this the cheaper query for the
    pages most asked for (the last lines, the first lines).
    """
    lines = _lines(one=True)
    order = lines.c.seq.asc() if forward else lines.c.seq.desc()
    columns: list[Any] = list(lines.c)
    if not forward:
        total = (
            select(func.coalesce(func.sum(awards.c.net), 0))
            .where(awards.c.member == bindparam("member"))
            .scalar_subquery()
        )
        columns.append(total.label("total"))
    return select(*columns).order_by(order).limit(bindparam("rows"))


def _statement_query(running: Subquery, *, forward: bool) -> Select[Any]:
    """A page of each member's lines: keyset bounds ``after``/``before``, ``size`` + 1 rows."""
    order = running.c.seq.asc() if forward else running.c.seq.desc()
    rank = func.row_number().over(partition_by=running.c.member, order_by=order)
    ranked = (
        select(*running.c, rank.label("rank"))
        .where(running.c.seq > bindparam("after"), running.c.seq < bindparam("before"))
        .subquery("ranked")
    )
    columns = [c for c in ranked.c if c.key != "rank"]
    return (
        select(*columns)
        .where(ranked.c.rank <= bindparam("rows"))
        .order_by(ranked.c.member, ranked.c.seq)
    )


_RUNNING = _statement_lines()
_FORWARD = _statement_query(_RUNNING, forward=True)
_BACKWARD = _statement_query(_RUNNING, forward=False)
_WHOLE = select(_RUNNING).order_by(_RUNNING.c.seq)
_FIRST = _edge_query(forward=True)
_LAST = _edge_query(forward=False)
_NO_BOUND = 2**63 - 1


@dataclass(frozen=True)
class StatementPage:
    """A page of a member's statement lines, in log order.

    ``more`` says there are lines beyond the page in the direction it was read. ``balance``
    is the member's balance when the page shows where the statement ends (``None`` when
    that takes another read: use ``balance``).
    """

    lines: list[StatementLine]
    more: bool
    balance: int | None


async def statement_pages(
    conn: AsyncConnection,
    members: Collection[str],
    *,
    size: int,
    forward: bool,
    after: int | None = None,
    before: int | None = None,
) -> dict[str, StatementPage]:
    """For each of ``members``, ``size`` statement lines after ``after`` (``forward``) or
    before ``before`` (backwards), each with its running balance; one query for them all.

    A page is cut by keyset from the whole statement, so its cost grows with the page and
    the member's number of lines, never with the log. One member's first or last lines (no
    keyset bound) take a cheaper query of their own (``_edge_query``).
    """
    if size < 0:
        raise ValueError("size must not be negative")
    wanted = sorted(set(members))
    if len(wanted) == 1 and after is None and before is None:
        return {wanted[0]: await _edge_page(conn, wanted[0], size=size, forward=forward)}
    params: dict[str, Any] = {
        "members": wanted,
        "after": -1 if after is None else after,
        "before": _NO_BOUND if before is None else before,
        "rows": size + 1,
    }
    found: dict[str, list[StatementLine]] = {member: [] for member in wanted}
    for row in (await conn.execute(_FORWARD if forward else _BACKWARD, params)).all():
        found[row.member].append(_line(row))
    pages = {}
    for member, lines in found.items():
        more = len(lines) > size
        if more:
            lines = lines[:size] if forward else lines[1:]
        pages[member] = StatementPage(
            lines, more, _end_balance(lines, more, size, forward, after, before)
        )
    return pages


async def _edge_page(
    conn: AsyncConnection, member: str, *, size: int, forward: bool
) -> StatementPage:
    params = {"member": member, "rows": size + 1}
    rows = (await conn.execute(_FIRST if forward else _LAST, params)).all()
    # each row: the twelve columns of ``_lines`` (credits at 10); backwards, then the
    # member's balance
    lines = []
    if forward:
        balance = 0
        for row in rows:
            balance += row[10]
            lines.append(_line((*row, balance)))
    else:
        balance = rows[0][12] if rows else 0
        for row in rows:
            lines.append(_line((*row[:12], balance)))
            balance -= row[10]
        lines.reverse()
    more = len(lines) > size
    if more:
        lines = lines[:size] if forward else lines[1:]
    return StatementPage(lines, more, _end_balance(lines, more, size, forward, None, None))


def _end_balance(
    lines: list[StatementLine],
    more: bool,
    size: int,
    forward: bool,
    after: int | None,
    before: int | None,
) -> int | None:
    """The balance, when a page reaches the statement's end: its last line's, or 0 for an
    empty page that was asked for lines from the very start."""
    if before is not None or (forward and more):
        return None
    if lines:
        return lines[-1].balance
    return 0 if after is None and size > 0 else None


async def statement(conn: AsyncConnection, member: str) -> list[StatementLine]:
    """Every line of ``member``'s credits in log order, with a running balance.

    An award's line is dated by its activity; a reversal or adjustment line repeats the
    activity date of the award it corrects and names the board member who signed it.
    """
    return [_line(row) for row in (await conn.execute(_WHOLE, {"members": [member]})).all()]


def _line(row: Sequence[Any]) -> StatementLine:
    """A line from a row of ``_statement_lines`` (its columns in order)."""
    (
        _,
        seq,
        kind,
        award,
        activity_on,
        logged_at,
        activity,
        version,
        quantity,
        signer,
        credits,
        reason,
        balance,
    ) = row
    return StatementLine(
        seq,
        kind,
        award,
        date.fromisoformat(activity_on),
        logged_at,
        activity,
        version,
        quantity,
        signer,
        credits,
        reason,
        int(balance),
    )


async def totals(conn: AsyncConnection, registry: Registry, dimension: str) -> list[Total]:
    """Net credits per key of ``dimension`` (one of ``DIMENSIONS``), sorted by key (code point
    order, as Python sorts strings).

    For ``borough`` and ``member_kind`` every borough or kind of a registered member is a
    key, with 0 where its members hold no credits; for the other dimensions a key is listed
    once an award names it. Raises ``ValueError`` for an unknown dimension.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}, not {dimension!r}")
    query = select(
        awards.c.member,
        awards.c.working_group,
        awards.c.activity,
        awards.c.month,
        func.sum(awards.c.net),
    ).group_by(awards.c.member, awards.c.working_group, awards.c.activity, awards.c.month)
    sums: dict[str, int] = defaultdict(int)
    for known in registry.members.values():  # every borough and kind, 0 until it earns
        if dimension == "borough":
            sums[known.borough] += 0
        elif dimension == "member_kind":
            sums[known.member_kind] += 0
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
