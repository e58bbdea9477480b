"""The quarterly social value report for anchor institutions, exact at a named checkpoint.

Hours per unit (stated in the report and in docs/credits.md):

- ``mentoring.hour`` and ``bid.support.hour``: 1 hour per unit claimed;
- ``consultancy.placement``: 37.5 hours (five working days of 7.5 hours);
- ``workshop.attended``: 2 hours per attendance (the rule credits it 2, 1 credit ~ 1 hour).

An award counts in proportion to what remains of it at the checkpoint: a reversed award
counts 0, an award adjusted from 4 to 2 credits counts half its quantity.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.credits.sql import awards, corrections
from ledger.errors import OutOfRangeError
from ledger.members import Registry
from ledger.sql import checkpoints

HOURS_PER_UNIT: dict[str, tuple[str, Fraction]] = {
    "mentoring.hour": ("mentoring", Fraction(1)),
    "bid.support.hour": ("bid_support", Fraction(1)),
    "consultancy.placement": ("consultancy", Fraction(75, 2)),
    "workshop.attended": ("workshop", Fraction(2)),
}
"""Activity -> (measure, hours per unit)."""
MEASURES = ("mentoring", "bid_support", "consultancy", "workshop")


@dataclass(frozen=True)
class SocialValueLine:
    """Units and hours of one measure for members of one borough and kind."""

    borough: str
    member_kind: str
    measure: str
    units: Fraction
    hours: Fraction


@dataclass(frozen=True)
class SocialValueReport:
    """A quarter's social value, computed from the entries below ``checkpoint_size``."""

    year: int
    quarter: int
    start: date
    end: date
    checkpoint_size: int
    checkpoint_root: str
    lines: list[SocialValueLine]

    def hours(self, measure: str) -> Fraction:
        """Total hours of ``measure`` over every borough and member kind."""
        return sum((line.hours for line in self.lines if line.measure == measure), Fraction(0))


MAX_YEAR = 9998
"""The last year whose quarters have dates (the one after must exist too)."""


def quarter_dates(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of calendar quarter ``quarter`` (1-4) of ``year`` (1-9998); raises
    ``ValueError`` naming the one out of range."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1, 2, 3 or 4")
    if not 1 <= year <= MAX_YEAR:
        raise ValueError(f"year must be between 1 and {MAX_YEAR}")
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


async def _checkpoint(conn: AsyncConnection, size: int | None) -> tuple[int, str]:
    query = select(checkpoints.c.size, checkpoints.c.root)
    if size is None:
        query = query.order_by(checkpoints.c.size.desc()).limit(1)
    else:
        query = query.where(checkpoints.c.size == size)
    row = (await conn.execute(query)).first()
    if row is None:
        raise OutOfRangeError(f"no checkpoint {'yet' if size is None else f'of size {size}'}")
    return int(row.size), bytes(row.root).hex()


async def social_value_report(
    conn: AsyncConnection, registry: Registry, *, year: int, quarter: int, at: int | None = None
) -> SocialValueReport:
    """Hours of mentoring, bid support, consultancy and workshops in a quarter, by the
    recipient's borough and member kind, counting only entries in the checkpoint of size
    ``at`` (default: the latest), so anyone can recompute it from that checkpoint.

    Raises ``OutOfRangeError`` if there is no such checkpoint, ``ValueError`` for a bad quarter.
    """
    start, end = quarter_dates(year, quarter)
    size, root = await _checkpoint(conn, at)
    in_quarter = (
        awards.c.seq < size,
        awards.c.activity.in_(list(HOURS_PER_UNIT)),
        awards.c.activity_on >= start.isoformat(),
        awards.c.activity_on <= end.isoformat(),
    )
    rows = (await conn.execute(select(awards).where(*in_quarter))).all()
    changes = await _changes(conn, size, in_quarter)
    cells: dict[tuple[str, str, str], tuple[Fraction, Fraction]] = defaultdict(
        lambda: (Fraction(0), Fraction(0))
    )
    for row in rows:
        measure, per_unit = HOURS_PER_UNIT[row.activity]
        units = Fraction(row.quantity * (row.credits + changes.get(row.seq, 0)), row.credits)
        record = registry.members.get(row.member)
        key = (record.borough, record.member_kind) if record else ("(none)", "(none)")
        old_units, old_hours = cells[(*key, measure)]
        cells[(*key, measure)] = (old_units + units, old_hours + units * per_unit)
    lines = [
        SocialValueLine(borough, kind, measure, units, hours)
        for (borough, kind, measure), (units, hours) in sorted(cells.items())
    ]
    return SocialValueReport(year, quarter, start, end, size, root, lines)


async def _changes(
    conn: AsyncConnection, size: int, in_quarter: tuple[ColumnElement[bool], ...]
) -> dict[int, int]:
    """Net corrections with seq < ``size`` per award of the quarter."""
    query = (
        select(corrections.c.award, func.sum(corrections.c.credits))
        .join(awards, awards.c.seq == corrections.c.award)
        .where(corrections.c.seq < size, *in_quarter)
        .group_by(corrections.c.award)
    )
    return {award: int(total) for award, total in (await conn.execute(query)).all()}
