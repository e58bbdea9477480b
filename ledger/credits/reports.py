"""Reads for members and the board: balances, standing, statements, totals, distribution.

Each function reads the credit projections through a ``Connection`` and the store; those that
group by borough or member kind also take the member ``Registry``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from ledger.credits import store
from ledger.credits.distribution import decimal_string, gini, per_mille
from ledger.credits.records import StatementLine
from ledger.members import Registry
from ledger.sql import Connection

NONE = "(none)"
DIMENSIONS = ("group", "activity", "borough", "member_kind", "month")


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


async def balances(conn: Connection) -> dict[str, int]:
    """Lifetime balance of every member with any award."""
    return await store.balances(conn)


async def active_standing(conn: Connection, member: str, on: date) -> int:
    """``member``'s rolling 12-month "active standing" on ``on`` (``store.standings_of``)."""
    return (await store.standings_of(conn, [member], on))[member]


async def statement(conn: Connection, member: str) -> list[StatementLine]:
    """Every line of ``member``'s credits in log order, with a running balance
    (``store.statement``)."""
    return await store.statement(conn, member)


async def totals(conn: Connection, registry: Registry, dimension: str) -> list[Total]:
    """Net credits per key of ``dimension`` (one of ``DIMENSIONS``), sorted by key (code point
    order, as Python sorts strings).

    For ``borough`` and ``member_kind`` every borough or kind of a registered member is a
    key, with 0 where its members hold no credits; for the other dimensions a key is listed
    once an award names it. Raises ``ValueError`` for an unknown dimension.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}, not {dimension!r}")
    sums: dict[str, int] = defaultdict(int)
    for known in registry.members.values():  # every borough and kind, 0 until it earns
        if dimension == "borough":
            sums[known.borough] += 0
        elif dimension == "member_kind":
            sums[known.member_kind] += 0
    for member, group, activity, month, credits in await store.net_by_cell(conn):
        record = registry.members.get(member)
        keys = {
            "group": group or NONE,
            "activity": activity,
            "borough": record.borough if record else NONE,
            "member_kind": record.member_kind if record else NONE,
            "month": month,
        }
        sums[keys[dimension]] += credits
    return [Total(dimension, key, sums[key]) for key in sorted(sums)]


async def distribution(
    conn: Connection, registry: Registry, members: Iterable[str] | None = None
) -> Distribution:
    """The Gini coefficient of balances over ``members`` (default: every registered member,
    including those with no credits)."""
    chosen = list(registry.members if members is None else members)
    held = await store.balances(conn)
    values = [held.get(member, 0) for member in chosen]
    return Distribution(len(values), sum(values), gini(values))


async def confirmations(conn: Connection) -> list[Confirmation]:
    """Every award with its approver and recipient, in log order."""
    return [
        Confirmation(
            award.seq,
            award.approver,
            award.member,
            award.activity,
            award.basis,
            award.basis_seq,
            award.credits,
            award.net,
        )
        for award in await store.all_awards(conn)
    ]
