"""Statement bodies are declared once (``ledger.fields`` body types on each act): they read and
write back exactly what was signed, and the committed JSON Schemas are generated from them."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.schemas import ACTS, main, schemas
from governance.bodies import CloseBody, JoinRequestBody, LeaveBody, RequestBody
from ledger.acts import by_kind
from ledger.credits import bodies
from ledger.encoding import canonical_json
from ledger.fields import json_schema, parse, to_json

ROOT = Path(__file__).resolve().parents[2]
SIGNED = json.loads((ROOT / "tests" / "data" / "signed_bodies.json").read_text())
"""Bodies as the hand-written builders signed them: a demo log, and the kinds it lacks."""
BY_KIND = by_kind(ACTS)
G = "markets-data-trust"


def _roundtrip(kind: str, body: dict[str, Any]) -> None:
    written = to_json(parse(BY_KIND[kind].body, kind, body))
    assert canonical_json(written) == canonical_json(body), kind


def test_the_signed_bodies_cover_every_kind() -> None:
    assert {e["kind"] for e in SIGNED} == set(BY_KIND)


@pytest.mark.parametrize("entry", SIGNED, ids=lambda e: e["kind"])
def test_a_signed_body_reads_and_writes_back_byte_for_byte(entry: dict[str, Any]) -> None:
    _roundtrip(entry["kind"], entry["body"])


def test_the_body_types_build_what_the_builders_signed() -> None:
    signed = {canonical_json(e["body"]) for e in SIGNED}
    built = [
        bodies.DeclineBody(claim=40, reason="insufficient_evidence"),
        bodies.AdjustmentBody(award=44, credits=-2, reason="wrong_quantity"),
        bodies.ReversalBody(award=44, credits=4, reason="error"),
        bodies.DisputeBody(award=44, reason="wrong_quantity"),
        bodies.ResolutionBody(dispute=46, outcome="upheld", note="two hours, not four"),
        bodies.ClaimBody(
            "bid.support.hour", 2, "ab" * 32, date(2026, 3, 2), "m-0123456789", "bid-7", G
        ),
        bodies.SessionBody(
            "workshop.attended", date(2026, 3, 2), ("m-0123456789", "m-abcdef0123"), "Open data", G
        ),
        RequestBody(request=12),
        LeaveBody(group=G),
        JoinRequestBody(group=G, role="observer"),
        CloseBody(proposal=30, reason="early"),
        CloseBody(proposal=30, reason="closing_time", seal_private_key=bytes(range(32))),
    ]
    for body in built:
        assert canonical_json(body.to_json()) in signed, body


def test_the_worked_example_in_formats_reads_back() -> None:
    text = (ROOT / "docs" / "formats.md").read_text()
    statements = [json.loads(line) for line in text.splitlines() if line.startswith('{"body":')]
    assert statements
    for statement in statements:
        _roundtrip(statement["kind"], statement["body"])


def test_the_committed_schemas_are_generated() -> None:
    assert main([str(ROOT / "docs" / "schemas"), "--check"]) == 0
    assert len(schemas()) == len(BY_KIND)


@pytest.mark.parametrize("entry", SIGNED, ids=lambda e: e["kind"])
def test_a_schema_accepts_the_signed_body_and_refuses_extra_or_missing(
    entry: dict[str, Any],
) -> None:
    schema = json_schema(BY_KIND[entry["kind"]].body)
    validator = jsonschema_rs.Draft202012Validator(schema)
    body = entry["body"]
    assert validator.is_valid(body)
    assert not validator.is_valid({**body, "extra": 1})
    for name in schema["required"]:
        assert not validator.is_valid({k: v for k, v in body.items() if k != name}), name


def test_the_demo_signs_bodies_its_schemas_accept(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert CliRunner().invoke(app, ["demo", "--data", str(root), "--no-serve"]).exit_code == 0
    with sqlite3.connect(root / "ledger.db") as db:
        rows = db.execute("SELECT body FROM entries ORDER BY seq").fetchall()
    db.close()
    kinds = set()
    for (row,) in rows:
        statement = json.loads(row)["statement"]
        kind, body = statement["kind"], statement["body"]
        kinds.add(kind)
        assert jsonschema_rs.Draft202012Validator(json_schema(BY_KIND[kind].body)).is_valid(body)
        _roundtrip(kind, body)
    assert kinds <= {e["kind"] for e in SIGNED}
    assert {"credit.awarded", "governance.vote.cast", "governance.decision.recorded"} <= kinds


def test_formats_links_each_kind_to_its_schema() -> None:
    text = (ROOT / "docs" / "formats.md").read_text()
    for kind in BY_KIND:
        assert f"| `{kind}` |" in text and f"(schemas/{kind}.json)" in text, kind
