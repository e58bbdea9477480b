"""The shared canonical JSON vectors, ``tests/data/canonical_vectors.json``: made here, checked
by both sides.

Three groups, each vector an ``input`` (a JSON text) and what canonicalising it gives:

- ``statement``: a whole statement (§2 of docs/formats.md) around every signed body of
  ``tests/data/signed_bodies.json`` (every kind), and a few with non-ASCII text; ``bytes_b64``
  is what the server's ``ledger.encoding.canonical_json`` makes of it;
- ``jcs``: the hard cases of RFC 8785 (number forms, escapes, surrogate pairs, key order by
  UTF-16 code units, nesting), as the ``rfc8785`` package writes them (``canonical`` is
  the same bytes as text, for people);
- ``refused``: values the server refuses to canonicalise for a statement (floats, integers
  beyond +/-(2**53 - 1), lone surrogates); ``bytes_b64`` is null.

``python -m tests.web.canonical_vectors`` writes the file; ``--check`` exits 1 if it drifted
(the Python test runs the check too).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import rfc8785

from ledger.encoding import canonical_json
from ledger.errors import MalformedStatementError

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "data" / "canonical_vectors.json"
SIGNED = ROOT / "tests" / "data" / "signed_bodies.json"
ORIGIN = "demo.coopledger.example/south-london-cop"
KEY_ID = "56475aa75463474c"

NON_ASCII_BODIES: list[tuple[str, dict[str, Any]]] = [
    (
        "credit.session_recorded",
        {
            "activity": "workshop.attended",
            "held_on": "2026-03-02",
            "attendees": ["m-0123456789"],
            "title": "Café — \u2018Fit to Bid\u2019 😀",
            "group": "markets-data-trust",
        },
    ),
    ("governance.group.created", {"group": "arts", "name": "Arts & Créative Industries ✓ ☕"}),
    (
        "credit.dispute_resolved",
        {"dispute": 46, "outcome": "upheld", "note": 'two "hours" \\ not four\u2028€𝄞'},
    ),
]

JCS_CASES: list[tuple[str, str]] = [
    ("integers", "[0, -0, 1, -1, 9007199254740991, -9007199254740991, 100]"),
    ("number forms", "[1.0, 1.50, 0.1, 1e2, 1E-7, 1e21, 1e20, 123456789012345680000.0]"),
    ("extreme numbers", "[5e-324, 1.7976931348623157e308, -0.0, 0.000001, 4.5e15, 2.5e-8]"),
    ("short escapes", r'"\b\f\n\r\t \" \\ \/"'),
    ("control characters", r'"\u0000\u0001\u001f\u007f"'),
    ("unicode escapes written as UTF-8", r'"\u00e9\u20ac\u2028\u2029\ufeff\uffff"'),
    ("surrogate pair", r'"\ud83d\ude00 \uD834\uDD1E"'),
    (
        "key order by UTF-16 code units",
        r'{"\ud83d\ude00": 1, "\uffff": 2, "\u00e9": 3, "a": 4, "B": 5, "": 6, "aa": 7, '
        r'"\u0080": 8}',
    ),
    ("key order, numbers as text", '{"10": 1, "9": 2, "1": 3, "01": 4}'),
    (
        "nested objects and arrays",
        '{"z": [{"b": [], "a": {}}, [[1], {"y": null, "x": true}]], '
        '"a": {"c": {"b": {"a": false}}}}',
    ),
    ("white space everywhere", ' { "b" : [ 1 , 2 ] ,\n\t"a" : "x y" } '),
    ("empty containers", '[{}, [], "", [{}]]'),
    ("literals", "[true, false, null]"),
]

REFUSED_CASES: list[tuple[str, str]] = [
    ("a fraction", '{"quantity": 1.5}'),
    ("an exponent", '{"quantity": 2e-3}'),
    ("2**53 beyond the safe integers", '{"quantity": 9007199254740992}'),
    ("-(2**53) beyond the safe integers", '{"quantity": -9007199254740992}'),
    ("a huge integer", '{"quantity": 100000000000000000000}'),
    ("a lone high surrogate", r'{"title": "a\ud800b"}'),
    ("a lone low surrogate", r'{"title": "\udc00"}'),
    ("a lone surrogate in a key", r'{"\ud83d": 1}'),
]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _statement(index: int, kind: str, body: dict[str, Any]) -> str:
    statement = {
        "origin": ORIGIN,
        "kind": kind,
        "body": body,
        "nonce": f"vector-{index:04d}-AAAAAAAA",
        "issued_at": "2026-03-02T10:00:00.123456Z" if index % 2 else "2026-03-02T10:00:00Z",
        "key_id": KEY_ID,
    }
    return json.dumps(statement, ensure_ascii=index % 3 == 0, indent=index % 2 or None)


def refused(value: Any) -> bool:
    """Whether the server refuses to canonicalise ``value`` for a statement."""
    try:
        canonical_json(value)
    except MalformedStatementError:
        return True
    return False


def vectors() -> dict[str, Any]:
    """Every vector, made from the server's code."""
    signed = json.loads(SIGNED.read_text(encoding="utf-8"))
    bodies = [(e["kind"], e["body"]) for e in signed] + NON_ASCII_BODIES
    statement = []
    for index, (kind, body) in enumerate(bodies):
        text = _statement(index, kind, body)
        statement.append(
            {
                "name": f"{index} {kind}",
                "input": text,
                "bytes_b64": _b64(canonical_json(json.loads(text))),
            }
        )
    jcs = []
    for name, text in JCS_CASES:
        data = rfc8785.dumps(json.loads(text))
        jcs.append(
            {"name": name, "input": text, "canonical": data.decode(), "bytes_b64": _b64(data)}
        )
    refusals = []
    for name, text in REFUSED_CASES:
        if not refused(json.loads(text)):
            raise AssertionError(f"the server canonicalises {name!r}")
        refusals.append({"name": name, "input": text, "bytes_b64": None})
    return {
        "about": "RFC 8785 canonical JSON vectors, made by tests/web/canonical_vectors.py "
        "from the server's code; checked by tests/web/test_canonical.py in Python and in Chromium",
        "statement": statement,
        "jcs": jcs,
        "refused": refusals,
    }


def render() -> str:
    """The file's text."""
    return json.dumps(vectors(), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write the vectors, or with ``--check`` say whether the committed file is current."""
    text = render()
    if "--check" in argv:
        current = VECTORS.exists() and VECTORS.read_text(encoding="utf-8") == text
        if not current:
            print(
                f"{VECTORS.relative_to(ROOT)} is out of date: python -m tests.web.canonical_vectors"
            )
        return 0 if current else 1
    VECTORS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
