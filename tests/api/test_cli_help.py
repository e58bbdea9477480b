"""Every command's help is plain text: no ``<type>`` after a flag or a value, no markup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from api import cli_reports
from api.cli import app
from ledger.credits import reports

runner = CliRunner()


def _paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of ``command`` and of every command under it."""
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*path, name))


COMMANDS = list(_paths(typer.main.get_command(app)))


def test_every_command_is_walked() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"", "claim", "report totals", "serve", "set-role"} <= names
    assert len(names) > 30


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "coopledger")
def test_help_is_plain_text(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("Usage: coopledger")
    assert re.search(r"<[a-z][a-z _\[\]|]*>", text) is None, text  # <bool>, <str>, <int range>
    assert "``" not in text and ":class:" not in text and ":func:" not in text
    assert not set("╭╮╰╯│─") & set(text)  # no panels: it reads the same in any terminal
    assert "--help  " in text or "--help\n" in text


def test_a_flag_shows_no_value_and_an_option_a_word() -> None:
    text = runner.invoke(app, ["demo", "--help"]).stdout
    assert re.search(r"^  --no-serve +Stop after the audit\.", text, re.M), text
    assert re.search(r"^  --data DIR +The ledger's data directory\.", text, re.M), text
    claim = runner.invoke(app, ["claim", "--help"]).stdout
    assert re.search(r"^  --counterparty MEMBER +", claim, re.M), claim
    assert re.search(r"^  --done-on DATE +", claim, re.M), claim


def test_report_totals_says_what_the_dimension_may_be() -> None:
    assert cli_reports.DIMENSIONS == reports.DIMENSIONS
    text = runner.invoke(app, ["report", "totals", "--help"]).stdout
    assert text.startswith("Usage: coopledger report totals [OPTIONS] DIMENSION\n")
    flat = " ".join(text.split())
    assert "DIMENSION What to total by: group, activity, borough, member_kind or month." in flat
    bad = runner.invoke(app, ["report", "totals", "boroughs"])
    assert bad.exit_code == 2
    errors = [line for line in bad.output.splitlines() if "rror" in line]
    assert errors == [
        "Error: Invalid value for 'DIMENSION': 'boroughs' is not a dimension; give group, "
        "activity, borough, member_kind or month"
    ]
