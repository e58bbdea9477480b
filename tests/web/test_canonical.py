"""Canonical JSON is the same bytes in the browser as on the server, for every statement kind:
one set of vectors (``tests/data/canonical_vectors.json``) checked against the server's code
here and against ``canonical.js`` in Chromium."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import rfc8785
from playwright.sync_api import Page

from ledger.encoding import canonical_json
from ledger.statement import KINDS, Statement
from tests.web import canonical_vectors
from tests.web.canonical_vectors import VECTORS, refused
from tests.web.conftest import Site

FILE = json.loads(VECTORS.read_text(encoding="utf-8"))


def _bytes(vector: dict[str, Any]) -> bytes:
    return base64.b64decode(vector["bytes_b64"])


def test_the_vectors_are_current() -> None:
    assert canonical_vectors.main(["--check"]) == 0


def test_the_vectors_cover_every_kind_and_the_hard_cases() -> None:
    kinds = {json.loads(v["input"])["kind"] for v in FILE["statement"]}
    assert kinds == KINDS
    assert len(FILE["jcs"]) >= 10 and len(FILE["refused"]) >= 5
    assert any(not _bytes(v).isascii() for v in FILE["statement"])


@pytest.mark.parametrize("vector", FILE["statement"], ids=lambda v: v["name"])
def test_a_statement_vector_is_the_servers_canonical_bytes(vector: dict[str, Any]) -> None:
    value = json.loads(vector["input"])
    assert canonical_json(value) == _bytes(vector) == rfc8785.dumps(value)
    assert Statement.from_json(value).canonical_bytes() == _bytes(vector)


@pytest.mark.parametrize("vector", FILE["jcs"], ids=lambda v: v["name"])
def test_a_hard_case_is_rfc8785s_bytes(vector: dict[str, Any]) -> None:
    assert rfc8785.dumps(json.loads(vector["input"])) == _bytes(vector)
    assert vector["canonical"].encode("utf-8") == _bytes(vector)


@pytest.mark.parametrize("vector", FILE["refused"], ids=lambda v: v["name"])
def test_a_refused_vector_is_refused_by_the_server(vector: dict[str, Any]) -> None:
    assert refused(json.loads(vector["input"]))


CHECK_IN_BROWSER = """async (file) => {
  const canonical = await import("/static/js/canonical.js");
  const { canonicalBytes, statementBytes, CanonicalError } = canonical;
  const expected = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const wrong = [];
  let checked = 0;
  for (const v of file.statement) {
    checked++;
    if (!same(statementBytes(JSON.parse(v.input)), expected(v.bytes_b64))) wrong.push(v.name);
  }
  for (const v of file.jcs) {
    checked++;
    if (!same(canonicalBytes(JSON.parse(v.input)), expected(v.bytes_b64))) wrong.push(v.name);
  }
  for (const v of file.refused) {
    checked++;
    try { statementBytes(JSON.parse(v.input)); wrong.push(v.name + " (not refused)"); }
    catch (e) { if (!(e instanceof CanonicalError)) wrong.push(v.name + " (" + e + ")"); }
  }
  return { checked, wrong };
}"""


def test_canonical_js_makes_the_same_bytes_in_chromium(site: Site, page: Page) -> None:
    page.goto("/")
    result = page.evaluate(CHECK_IN_BROWSER, FILE)
    assert result["wrong"] == []
    assert result["checked"] == sum(len(FILE[group]) for group in ("statement", "jcs", "refused"))
