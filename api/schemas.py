"""Write the JSON Schema of every statement body, or check committed copies:
``python -m api.schemas docs/schemas``.

The schemas are derived from the act declarations (``ledger.acts``): one file per kind,
``<kind>.json``, from the kind's body type (``ledger.fields.json_schema``). ``--check DIR``
exits 1, naming each file that differs, when ``DIR`` is not what the code generates.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from governance.acts import GOVERNANCE_ACTS
from ledger.acts import MEMBER_ACTS, Act
from ledger.credits.acts import CREDIT_ACTS
from ledger.fields import json_schema

ACTS: tuple[Act[Any, Any], ...] = (*MEMBER_ACTS, *CREDIT_ACTS, *GOVERNANCE_ACTS)


def schemas() -> dict[str, str]:
    """File name → text of each kind's body schema."""
    found = {}
    for act in ACTS:
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{act.kind}.json",
            "title": f"{act.kind} body",
            "description": f"Signed by {act.signer}.",
            **json_schema(act.body),
        }
        found[f"{act.kind}.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return found


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    """Write the schemas into DIR, or compare them with ``--check``; the exit code."""
    parser = argparse.ArgumentParser(prog="python -m api.schemas", description=__doc__)
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument("--check", action="store_true", help="compare with DIR, write nothing")
    args = parser.parse_args(argv)
    wanted = schemas()
    if not args.check:
        args.directory.mkdir(parents=True, exist_ok=True)
        for name, text in wanted.items():
            (args.directory / name).write_text(text, encoding="utf-8")
        return 0
    named = wanted.keys() | {p.name for p in args.directory.glob("*.json")}
    stale = [n for n in sorted(named) if _read(args.directory / n) != wanted.get(n)]
    for name in stale:
        sys.stderr.write(f"{args.directory / name} is out of date\n")
    if stale:
        sys.stderr.write(f"regenerate with: python -m api.schemas {args.directory}\n")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
