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

from ledger.credits import store
from ledger.errors import OutOfRangeError
from ledger.members import Registry
from ledger.sql import Connection

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


async def social_value_report(
    conn: Connection, registry: Registry, *, year: int, quarter: int, at: int | None = None
) -> SocialValueReport:
    """Hours of mentoring, bid support, consultancy and workshops in a quarter, by the
    recipient's borough and member kind, counting only entries in the checkpoint of size
    ``at`` (default: the latest), so anyone can recompute it from that checkpoint.

    Raises ``OutOfRangeError`` if there is no such checkpoint, ``ValueError`` for a bad quarter.
    """
    start, end = quarter_dates(year, quarter)
    found = await store.checkpoint(conn, at)
    if found is None:
        raise OutOfRangeError(f"no checkpoint {'yet' if at is None else f'of size {at}'}")
    size, root = found
    counted = await store.awards_below(
        conn, size, activities=list(HOURS_PER_UNIT), start=start, end=end
    )
    cells: dict[tuple[str, str, str], tuple[Fraction, Fraction]] = defaultdict(
        lambda: (Fraction(0), Fraction(0))
    )
    for award, change in counted:
        measure, per_unit = HOURS_PER_UNIT[award.activity]
        units = Fraction(award.quantity * (award.credits + change), award.credits)
        record = registry.members.get(award.member)
        key = (record.borough, record.member_kind) if record else ("(none)", "(none)")
        old_units, old_hours = cells[(*key, measure)]
        cells[(*key, measure)] = (old_units + units, old_hours + units * per_unit)
    lines = [
        SocialValueLine(borough, kind, measure, units, hours)
        for (borough, kind, measure), (units, hours) in sorted(cells.items())
    ]
    return SocialValueReport(year, quarter, start, end, size, root, lines)
