"""The README's commands are the command line's: copy-paste lines as they are, and every
``coopledger`` command and option of its usage section a real one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from api.cli import app

README = (Path(__file__).parents[2] / "README.md").read_text()
DEMO = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && "
    ".venv/bin/coopledger demo --data demo-data"
)
TESTS = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/pytest"


def _usage_section() -> str:
    return README.split("\n## Using it\n", 1)[1].split("\n## ", 1)[0]


def _options(command: Any) -> set[str]:
    """Every option of ``command``, and of the commands under it for a group."""
    found = {opt for param in command.params for opt in param.opts if opt.startswith("--")}
    for sub in getattr(command, "commands", {}).values():
        found |= _options(sub)
    return found


def test_the_copy_paste_commands_are_kept() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    assert f"{DEMO}\n" in blocks and f"{TESTS}\n" in blocks


def test_the_usage_section_says_where_coopledger_is() -> None:
    first = " ".join(_usage_section().split("```", 1)[0].split())
    assert "`. .venv/bin/activate`" in first and "`.venv/bin/coopledger`" in first


def test_every_command_and_option_shown_is_real() -> None:
    root = typer.main.get_command(app)
    commands: dict[str, Any] = getattr(root, "commands", {})
    lines = [
        line.split("  #", 1)[0]
        for block in re.findall(r"```sh\n(.*?)```", _usage_section(), re.S)
        for line in block.splitlines()
    ]
    checked = 0
    for line in lines:
        assert line.startswith("coopledger "), line
        for segment in line.removeprefix("coopledger ").split(" | "):
            name, *_ = segment.split()
            assert name in commands, segment
            for option in re.findall(r"--[a-z][a-z-]*", segment):
                assert option in _options(commands[name]), (name, option)
                checked += 1
    assert checked > 30
