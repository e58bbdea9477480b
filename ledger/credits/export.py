"""CSV exports of statements, totals, confirmations and the social value report; plain text
rendering of the social value report. Pure: takes the values ``reports`` and ``social`` return.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from ledger.credits.distribution import decimal_string
from ledger.credits.records import StatementLine
from ledger.credits.reports import Confirmation, Total
from ledger.credits.social import HOURS_PER_UNIT, MEASURES, SocialValueLine, SocialValueReport


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return decimal_string(value, 2)
    return value


def _csv(prefix: dict[str, object], items: Sequence[Any], kind: type[Any]) -> str:
    """One row per dataclass in ``items`` (all of type ``kind``), after ``prefix`` columns."""
    names = [field.name for field in dataclasses.fields(kind)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*prefix, *names])
    for item in items:
        values = [*prefix.values(), *(getattr(item, name) for name in names)]
        writer.writerow([_cell(value) for value in values])
    return out.getvalue()


def statement_csv(member: str, lines: Iterable[StatementLine]) -> str:
    """A member's statement, one row per line, with the entry seq for inclusion proofs."""
    return _csv({"member": member}, list(lines), StatementLine)


def totals_csv(totals: Iterable[Total]) -> str:
    """Totals: one row per dimension and key."""
    return _csv({}, list(totals), Total)


def confirmations_csv(confirmations: Iterable[Confirmation]) -> str:
    """Who confirmed whom: one row per award with approver, recipient and basis."""
    return _csv({}, list(confirmations), Confirmation)


def social_value_csv(report: SocialValueReport) -> str:
    """The social value report: one row per borough, member kind and measure (units and
    hours to two decimal places), each naming the quarter and the checkpoint."""
    prefix: dict[str, object] = {
        "year": report.year,
        "quarter": report.quarter,
        "checkpoint_size": report.checkpoint_size,
        "checkpoint_root": report.checkpoint_root,
    }
    return _csv(prefix, report.lines, SocialValueLine)


def social_value_text(report: SocialValueReport) -> str:
    """The social value report in plain words, naming the checkpoint it was computed at."""
    per_unit = ", ".join(f"{a} {decimal_string(h, 1)}" for a, (_, h) in HOURS_PER_UNIT.items())
    out = [
        f"Social value, Q{report.quarter} {report.year} ({report.start} to {report.end})",
        f"computed at checkpoint size {report.checkpoint_size}, root {report.checkpoint_root}",
        f"hours per unit: {per_unit}",
        "",
    ]
    for line in report.lines:
        out.append(
            f"{line.borough:<22} {line.member_kind:<18} {line.measure:<12} "
            f"{decimal_string(line.hours, 1):>8} hours"
        )
    out.append("")
    out.extend(f"total {m:<12} {decimal_string(report.hours(m), 1):>8} hours" for m in MEASURES)
    return "\n".join(out) + "\n"
