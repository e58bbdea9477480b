"""The command line's help loads no server, database or client (``bench/cli_startup.py``
measures the time this saves)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from api import cli
from ledger import config

HEAVY = (
    "fastapi",
    "strawberry",
    "graphql",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "httpx",
    "nacl",
    "pydantic_settings",
)

PROBE = """
import json, sys
args, heavy = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
from api.cli import main
sys.argv = ["coopledger", *args]
code = None
try:
    main()
except SystemExit as e:
    code = e.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & heavy)
print(json.dumps({"code": code, "loaded": loaded}))
"""


def _loaded_by(*args: str, exit_code: int = 0) -> list[str]:
    """The heavy packages that running ``coopledger args`` in a fresh interpreter imports;
    checks that it exits with ``exit_code``."""
    found = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(found.stdout.splitlines()[-1])
    assert (result["code"] or 0) == exit_code, found.stdout
    loaded: list[str] = result["loaded"]
    return loaded


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["claim", "--help"],
        ["balance", "--help"],
        ["register", "--help"],
        ["serve", "--help"],
        ["demo", "--help"],
        ["report", "--help"],
        ["report", "totals", "--help"],
        ["witness", "serve", "--help"],
        ["witness", "keygen", "--help"],
    ],
)
def test_help_imports_no_server_database_or_client(args: list[str]) -> None:
    assert _loaded_by(*args) == []


def test_the_probe_sees_what_a_command_imports() -> None:
    """The probe is not blind: a command that runs loads what it needs."""
    assert "nacl" in _loaded_by("keygen", "--out", "/dev/null", exit_code=1)  # exists already


def test_the_defaults_named_in_the_cli_are_the_configs() -> None:
    assert cli.DEFAULT_ORIGIN == config.DEFAULT_ORIGIN
    assert cli.DEFAULT_STEWARD_ID == config.DEFAULT_STEWARD_ID
