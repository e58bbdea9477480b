"""``coopledger report ...`` and ``coopledger rebuild``: credit reports from a data directory.

Like ``api.cli``, this module imports only Typer and the standard library when it loads;
each command imports the database and the reports when it runs.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Coroutine
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import typer

from api.cli_client import PlainTyper

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ledger.config import LedgerConfig
    from ledger.members import Registry
    from ledger.service import Ledger
    from ledger.sql import Connection, SqlLogStore

    Reader: TypeAlias = Callable[
        [Connection, Registry, dict[str, str]], Coroutine[Any, Any, str | Table]
    ]

report_app = PlainTyper(help="Credit reports: balances, statements, totals, social value.")


@cache
def out() -> Console:
    """The console of results (stdout), made on first use."""
    from rich.console import Console

    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)


DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", envvar="COOPLEDGER_DATA", metavar="DIR", help="The ledger's data directory."
    ),
]
CsvOption = Annotated[bool, typer.Option("--csv", help="Write CSV instead of a table.")]


SQL_INT_MAX = 2**63 - 1
"""The largest integer the database holds: a larger size is refused before it is asked."""

DIMENSIONS = ("group", "activity", "borough", "member_kind", "month")
"""What ``report totals`` totals by: ``ledger.credits.reports.DIMENSIONS`` (a test checks
they are the same), named here so that ``--help`` need not import the database."""
DIMENSIONS_TEXT = ", ".join(DIMENSIONS[:-1]) + " or " + DIMENSIONS[-1]


def _dimension(value: str) -> str:
    if value not in DIMENSIONS:
        raise typer.BadParameter(f"{value!r} is not a dimension; give {DIMENSIONS_TEXT}")
    return value


def _config(data: Path | None) -> LedgerConfig:
    from ledger.config import ConfigError, Settings, load_config
    from ledger.errors import LedgerError

    try:
        return load_config(Settings(data=data) if data else Settings())
    except (ConfigError, LedgerError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e


def _emit(result: str | Table) -> None:
    if isinstance(result, str):
        typer.echo(result, nl=False)
    else:
        out().print(result)


def _run(data: Path | None, reader: Reader) -> None:
    """Open the ledger read-only in spirit (no statement is submitted) and run ``reader``."""
    import asyncio

    from api.runtime import running_ledger
    from ledger import directory
    from ledger.errors import LedgerError

    async def go() -> str | Table:
        async with running_ledger(_config(data)) as ledger:
            store = _sql(ledger)
            handles = await directory.handles(store.engine)
            async with store.engine.connect() as conn:
                return await reader(conn, ledger.registry, handles)

    try:
        _emit(asyncio.run(go()))
    except (LedgerError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e


def _sql(ledger: Ledger) -> SqlLogStore:
    from ledger.config import ConfigError
    from ledger.sql import SqlLogStore

    if not isinstance(ledger.store, SqlLogStore):
        raise ConfigError("reports need an SQL store")
    return ledger.store


def rich_table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    """A Rich table of plain-text cells (never read as markup)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title))
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _member(registry: Registry, handles: dict[str, str], who: str) -> str:
    """A member id from an id or a handle; a usage error (exit 2) if it names no member."""
    if who in registry.members:
        return who
    by_handle = {handle: member for member, handle in handles.items()}
    if who in by_handle:
        return by_handle[who]
    raise typer.BadParameter(f"no member with id or handle {who!r}", param_hint="'MEMBER'")


@report_app.command()
def balances(data: DataOption = None, as_csv: CsvOption = False) -> None:
    """Every member's lifetime balance and 12-month active standing."""

    async def read(conn: Connection, registry: Registry, handles: dict[str, str]) -> Any:
        from ledger.credits import reports

        held = await reports.balances(conn)
        rows = []
        for member in sorted(registry.members):
            standing = await reports.active_standing(conn, member, date.today())
            rows.append([member, handles.get(member, ""), str(held.get(member, 0)), str(standing)])
        columns = ["member", "handle", "credits", "standing_12_months"]
        return _csv(columns, rows) if as_csv else rich_table("balances", columns, rows)

    _run(data, read)


@report_app.command()
def statement(
    member: Annotated[str, typer.Argument(metavar="MEMBER", help="Member id or handle.")],
    data: DataOption = None,
    as_csv: CsvOption = False,
) -> None:
    """Every line of a member's credits, with the entry seq for an inclusion proof."""

    async def read(conn: Connection, registry: Registry, handles: dict[str, str]) -> Any:
        from ledger.credits import export, reports

        ident = _member(registry, handles, member)
        lines = await reports.statement(conn, ident)
        if as_csv:
            return export.statement_csv(ident, lines)
        rows = [
            [
                str(ln.seq),
                ln.activity_on.isoformat(),
                ln.kind,
                ln.activity,
                f"v{ln.rule_version}",
                str(ln.quantity),
                handles.get(ln.approver, ln.approver),
                f"{ln.credits:+d}",
                str(ln.balance),
            ]
            for ln in lines
        ]
        columns = [
            "entry",
            "date",
            "line",
            "activity",
            "rules",
            "qty",
            "approver",
            "+/-",
            "balance",
        ]
        return rich_table(f"statement: {handles.get(ident, ident)}", columns, rows)

    _run(data, read)


@report_app.command()
def totals(
    dimension: Annotated[
        str,
        typer.Argument(
            metavar="DIMENSION",
            help=f"What to total by: {DIMENSIONS_TEXT}.",
            callback=_dimension,
        ),
    ],
    data: DataOption = None,
    as_csv: CsvOption = False,
) -> None:
    """Net credits per working group, activity, borough, member kind or month.

    Every borough and every member kind of the admitted members is listed, with 0 where
    they have no credits.
    """

    async def read(conn: Connection, registry: Registry, handles: dict[str, str]) -> Any:
        from ledger.credits import export, reports

        found = await reports.totals(conn, registry, dimension)
        if as_csv:
            return export.totals_csv(found)
        rows = [[t.key, str(t.credits)] for t in found]
        return rich_table(f"totals by {dimension}", [dimension, "credits"], rows)

    _run(data, read)


@report_app.command()
def confirmations(data: DataOption = None, as_csv: CsvOption = False) -> None:
    """Who confirmed or approved whose award."""

    async def read(conn: Connection, registry: Registry, handles: dict[str, str]) -> Any:
        from ledger.credits import export, reports

        found = await reports.confirmations(conn)
        if as_csv:
            return export.confirmations_csv(found)
        rows = [
            [
                str(c.award),
                handles.get(c.approver, c.approver),
                handles.get(c.member, c.member),
                c.activity,
                f"{c.basis} {c.basis_seq}",
                str(c.net),
            ]
            for c in found
        ]
        columns = ["award", "approver", "member", "activity", "basis", "net credits"]
        return rich_table("who confirmed whom", columns, rows)

    _run(data, read)


@report_app.command()
def gini(data: DataOption = None) -> None:
    """The distribution of credits over members: the Gini coefficient."""

    async def read(conn: Connection, registry: Registry, handles: dict[str, str]) -> Any:
        from ledger.credits import reports

        spread = await reports.distribution(conn, registry)
        return f"members {spread.members}, credits {spread.total}, Gini {spread.gini_decimal}\n"

    _run(data, read)


@report_app.command("social-value")
def social_value(
    quarter: Annotated[str, typer.Argument(metavar="QUARTER", help="The quarter, e.g. 2026Q4.")],
    data: DataOption = None,
    at: Annotated[
        int | None,
        typer.Option(
            metavar="N", help="Checkpoint size (default: latest).", min=1, max=SQL_INT_MAX
        ),
    ] = None,
    as_csv: CsvOption = False,
) -> None:
    """Hours of mentoring, bid support, placements and workshops by borough and member kind,
    stating the checkpoint it was computed at."""
    match = re.fullmatch(r"([0-9]{4})Q([1-4])", quarter)
    if match is None or match.group(1) == "0000":
        raise typer.BadParameter("quarter must look like 2026Q4")
    year, number = int(match.group(1)), int(match.group(2))

    async def read(conn: Connection, registry: Registry, handles: dict[str, str]) -> Any:
        from ledger.credits import export
        from ledger.credits.social import social_value_report

        found = await social_value_report(conn, registry, year=year, quarter=number, at=at)
        return export.social_value_csv(found) if as_csv else export.social_value_text(found)

    _run(data, read)


def _csv(columns: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def rebuild(data: DataOption = None) -> None:
    """Drop every projection (balances, claims, ...) and rebuild it from the log."""
    import asyncio

    from api.runtime import projectors, running_ledger
    from ledger.errors import LedgerError
    from ledger.rebuild import rebuild as rebuild_projections

    async def go() -> int:
        async with running_ledger(_config(data)) as ledger:
            return await rebuild_projections(_sql(ledger), projectors())

    try:
        size = asyncio.run(go())
    except LedgerError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    out().print(f"rebuilt the projections from {size} entries", markup=False)
