"""The committed schema matches the code, and every example in docs/api.md validates."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import parse, validate

from api.graphql.export import main
from api.graphql.schema import build_schema
from api.settings import ApiSettings

DOCS = Path(__file__).parents[2] / "docs"


def test_docs_schema_graphql_is_current() -> None:
    assert main(["--check", str(DOCS / "schema.graphql")]) == 0


def test_a_drifted_schema_fails_the_check(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text((DOCS / "schema.graphql").read_text().replace("balance", "balanse", 1))
    assert main(["--check", str(stale)]) == 1


def test_every_example_in_the_api_docs_validates() -> None:
    schema = build_schema(ApiSettings())._schema
    text = (DOCS / "api.md").read_text()
    blocks = re.findall(r"^ *```graphql\n(.*?)^ *```", text, re.S | re.M)
    operations = 0
    for block in blocks:
        document = parse(block)
        operations += len(document.definitions)
        errors = validate(schema, document)
        assert not errors, (block, errors)
    assert operations >= 30
