"""Root fields for reports: totals by dimension, the Gini distribution, social value."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.errors import BadRequestError
from api.graphql.context import Info
from api.graphql.pagination import Connection, Page, from_list_by_position, relay
from ledger.credits import reports
from ledger.credits.distribution import decimal_string
from ledger.credits.export import social_value_csv, social_value_text
from ledger.credits.reports import Distribution as DomainDistribution
from ledger.credits.social import (
    MEASURES,
    SocialValueReport,
    quarter_dates,
    social_value_report,
)


@strawberry.enum(description="What totals are grouped by.")
class Dimension(Enum):
    GROUP = "group"
    ACTIVITY = "activity"
    BOROUGH = "borough"
    MEMBER_KIND = "member_kind"
    MONTH = "month"


@strawberry.type(description="Net credits for one key of a dimension.")
class Total:
    key: str
    credits: int


@strawberry.type(description="How credits are spread over members (Gini coefficient).")
class Distribution:
    members: int
    total: int
    gini: str = strawberry.field(description="To three decimal places.")
    gini_per_mille: int
    gini_exact: str = strawberry.field(description="The exact fraction, 'n/d'.")

    @classmethod
    def from_domain(cls, value: DomainDistribution) -> Distribution:
        return cls(
            members=value.members,
            total=value.total,
            gini=value.gini_decimal,
            gini_per_mille=value.gini_per_mille,
            gini_exact=f"{value.gini.numerator}/{value.gini.denominator}",
        )


@strawberry.type(description="Units and hours of one measure for one borough and member kind.")
class SocialValueLine:
    borough: str
    member_kind: str
    measure: str
    units: str = strawberry.field(description="Decimal, two places.")
    hours: str = strawberry.field(description="Decimal, two places.")


@strawberry.type(description="Hours of one measure over every borough and member kind.")
class MeasureTotal:
    measure: str
    hours: str


@strawberry.type(description="A quarter's social value, exact at a named checkpoint.")
class SocialValue:
    year: int
    quarter: int
    start: str
    end: str
    checkpoint_size: int
    checkpoint_root: str
    lines: list[SocialValueLine]
    totals: list[MeasureTotal]
    csv: str
    text: str

    @classmethod
    def from_domain(cls, report: SocialValueReport) -> SocialValue:
        lines = [
            SocialValueLine(
                borough=line.borough,
                member_kind=line.member_kind,
                measure=line.measure,
                units=decimal_string(line.units, 2),
                hours=decimal_string(line.hours, 2),
            )
            for line in report.lines
        ]
        return cls(
            year=report.year,
            quarter=report.quarter,
            start=report.start.isoformat(),
            end=report.end.isoformat(),
            checkpoint_size=report.checkpoint_size,
            checkpoint_root=report.checkpoint_root,
            lines=lines,
            totals=[
                MeasureTotal(measure=m, hours=decimal_string(report.hours(m), 2)) for m in MEASURES
            ],
            csv=social_value_csv(report),
            text=social_value_text(report),
        )


@relay("total")
async def totals(
    info: Info,
    dimension: Dimension,
    *,
    p: Page,
) -> Connection[Total]:
    """Net credits per key of ``dimension``, sorted by key."""
    await info.context.log_reader()
    registry = await info.context.registry()
    async with info.context.read() as conn:
        found = await reports.totals(conn, registry, dimension.value)
    return from_list_by_position(p, found, lambda t: Total(key=t.key, credits=t.credits))


async def distribution(info: Info, kind: str | None = None) -> Distribution:
    """The Gini coefficient of balances over every member (or every member of one kind)."""
    await info.context.log_reader()
    registry = await info.context.registry()
    chosen = None
    if kind is not None:
        chosen = [m.member for m in registry.members.values() if m.member_kind == kind]
    async with info.context.read() as conn:
        return Distribution.from_domain(await reports.distribution(conn, registry, chosen))


async def social_value(info: Info, year: int, quarter: int, at: int | None = None) -> SocialValue:
    """The social value report of a quarter, counting entries in checkpoint ``at`` (latest)."""
    await info.context.log_reader()
    try:
        quarter_dates(year, quarter)
    except ValueError as e:
        raise BadRequestError(str(e)) from e
    registry = await info.context.registry()
    async with info.context.read() as conn:
        report = await social_value_report(conn, registry, year=year, quarter=quarter, at=at)
    return SocialValue.from_domain(report)
