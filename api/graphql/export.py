"""Print the GraphQL schema as SDL, or check a committed copy: ``python -m api.graphql.export``.

``python -m api.graphql.export > docs/schema.graphql`` writes it; ``--check FILE`` exits 1,
naming the first differing line, when ``FILE`` differs from the schema the code builds.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from api.graphql.schema import build_schema, sdl
from api.settings import ApiSettings


def main(argv: list[str] | None = None) -> int:
    """Print the schema, or compare it with ``--check FILE``; the process's exit code."""
    parser = argparse.ArgumentParser(prog="python -m api.graphql.export", description=__doc__)
    parser.add_argument("--check", type=Path, metavar="FILE", help="compare with FILE instead")
    args = parser.parse_args(argv)
    text = sdl(build_schema(ApiSettings()))
    if args.check is None:
        sys.stdout.write(text)
        return 0
    committed = args.check.read_text(encoding="utf-8") if args.check.is_file() else ""
    if committed == text:
        return 0
    diff = difflib.unified_diff(
        committed.splitlines(), text.splitlines(), str(args.check), "schema from the code", n=1
    )
    sys.stderr.write("\n".join(list(diff)[:40]) + "\n")
    sys.stderr.write(f"{args.check} is out of date: python -m api.graphql.export > {args.check}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
