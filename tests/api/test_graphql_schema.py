"""The committed schema matches the code, and every example in docs/api.md validates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate
from strawberry.types.arguments import convert_argument
from strawberry.types.base import get_object_definition

from api.client import graphql_input
from api.graphql.export import main
from api.graphql.inputs import SignedStatementInput
from api.graphql.schema import build_schema
from api.settings import ApiSettings
from ledger.authoring import StatementFactory
from ledger.signing import Keypair

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


def test_the_signed_statement_input_builds_what_strawberry_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``SignedStatementInput`` builds itself from its input value (a ``from_input`` hook);
    the result equals Strawberry's own field-by-field conversion, and parses to the same
    signed statement."""
    signed = StatementFactory("schema.coopledger.example/log").sign(
        Keypair.generate(), "credit.claimed", {"nested": {"a": [1, "b"]}, "n": 2}
    )
    value = graphql_input(signed)  # the variables a client sends: GraphQL field names
    schema = build_schema()
    definition = get_object_definition(SignedStatementInput, strict=True)

    def converted() -> object:
        return convert_argument(
            value, SignedStatementInput, schema.schema_converter.scalar_registry, schema.config
        )

    hooked = converted()
    monkeypatch.setattr(definition, "from_input", None)
    stock = converted()
    assert isinstance(hooked, SignedStatementInput) and hooked == stock
    assert hooked.to_domain() == signed
