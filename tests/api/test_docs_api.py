"""What docs/api.md says of a reply is what the server answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.graphql_world import graphql_world, http_client

API_MD = Path(__file__).parents[2] / "docs" / "api.md"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ logInfo { ", None),  # a syntax error
        ("{ noSuchField }", None),  # an unknown field
        (
            "{ members(first: 100) { nodes { id awards(first: 100) { nodes { seq } } } } }",
            "query_too_costly",
        ),
    ],
)
async def test_a_document_not_run_answers_data_null_as_the_doc_says(
    sqlite_url_migrated: str, tmp_path: Path, document: str, code: str | None
) -> None:
    text = " ".join(API_MD.read_text().split())
    assert (
        'is answered, as GraphQL servers do, with `"data": null` and errors that have a '
        "message and no code (only a document over the cost limit has a code, "
        "`query_too_costly`)."
    ) in text
    async with graphql_world(sqlite_url_migrated, tmp_path) as world, http_client(world) as http:
        reply = (await http.post("/graphql", json={"query": document})).json()
    assert "data" in reply and reply["data"] is None
    assert reply["errors"] and all(error["message"] for error in reply["errors"])
    assert [(e.get("extensions") or {}).get("code") for e in reply["errors"]] == [code]
