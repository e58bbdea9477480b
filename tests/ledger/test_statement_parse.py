"""``Entry.parse`` (C json fast path) accepts exactly what an RFC 8785 reference parser accepts."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.authoring import StatementFactory
from ledger.encoding import (
    MAX_SAFE_INTEGER,
    canonical_json,
    format_time,
    parse_canonical,
    parse_time,
)
from ledger.errors import LedgerError, MalformedStatementError
from ledger.signing import Keypair
from ledger.statement import MAX_STATEMENT_BYTES, Entry, SignedStatement

ORIGIN = "parse.coopledger.example/log"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _reference_parse(data: bytes) -> Entry:
    """Entry parsing with ``rfc8785`` alone: the entry, then the statement, re-encoded."""
    value = parse_canonical(data)
    if set(value) != {"seq", "logged_at", "statement", "signature"}:
        raise MalformedStatementError("entry fields")
    seq = value["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise MalformedStatementError("seq")
    if not isinstance(value["logged_at"], str):
        raise MalformedStatementError("logged_at")
    parse_time(value["logged_at"])
    signed = SignedStatement.from_json(
        {"statement": value["statement"], "signature": value["signature"]}
    )
    assert signed.canonical == rfc8785.dumps(value["statement"])
    return Entry(seq=seq, logged_at=value["logged_at"], signed=signed, data=data)


def _outcome(parse: Any, data: bytes, refusals: tuple[type[Exception], ...]) -> tuple[str, Any]:
    try:
        entry = parse(data)
    except refusals:
        return ("refused", None)
    return ("parsed", (entry.seq, entry.logged_at, entry.signed, entry.data))


BODIES: list[Mapping[str, Any]] = [
    {"note": "plain", "n": 2},
    {"name": "Café \u2603 \U0001f600", "line": 'a\nb\t"q" \\ \u0001 \u007f'},
    {"ascii": 'tab\there "quoted" back\\slash \u0000\u001f\u007f /'},
    {"big": 2**53 - 1, "neg": -(2**53 - 1), "list": [1, True, None, {"z": 1, "a": [2]}]},
    {"\ue000": 1, "\U0001f600": 2, "a": 3},
    {"empty": {}, "none": [], "deep": [[[{"b": [{}]}]]], "zero": 0},
]


def _variants(seed: int) -> list[bytes]:
    keypair, factory = Keypair.generate(), StatementFactory(ORIGIN, lambda: NOW)
    rng = random.Random(seed)
    variants = []
    for seq, body in enumerate(BODIES):
        data = Entry.build(
            seq=seq, logged_at=NOW, signed=factory.sign(keypair, "credit.claimed", body)
        ).data
        variants.append(data)
        for _ in range(80):
            i = rng.randrange(len(data))
            variants.append(data[:i] + bytes([rng.randrange(32, 127)]) + data[i + 1 :])
            variants.append(data[:i] + bytes([rng.randrange(0, 256)]) + data[i + 1 :])
            variants.append(data[:i] + b" " + data[i:])
            variants.append(data[:i] + data[i + 1 :])
        variants += [
            data.replace(b'"n":2', b'"n":2.0'),
            data.replace(b'"n":2', b'"n":2e0'),
            data.replace(b'"n":2', b'"n":9007199254740993'),
            data.replace(b'"n":2', b'"n":' + b"9" * 5000),
            data.replace(b'"n":2', b'"n":-0'),
            data.replace(b'"n":2', b'"n":NaN'),
            data.replace(b'"note":"plain"', b'"note":"pl\\u0061in"'),
            data.replace(b'"note":"plain"', b'"note":"\\ud800"'),
            data.replace(b'"note":"plain"', b'"n":1,"note":"plain"'),
            data.replace(b'"note":"plain"', b'"note":"plain","note":"plain"'),
            data.replace(b"\\u0001", b"\\u0001".upper()),
            data.replace(b"\\u0000", b"\\u0000".upper()),
            data.replace(b"/", b"\\/"),
            data.replace(b"\x7f", b"\\u007f"),
            data.replace(b"\\t", b"\\u0009"),
            data.replace(b'"seq":' + str(seq).encode(), b'"seq":-1'),
            data.replace(b'"seq":' + str(seq).encode(), b'"seq":true'),
            data.replace(b'"statement":', b'"statement" :'),
            data + b"\n",
            b"\xef\xbb\xbf" + data,
            b"[" + data + b"]",
            b"[" * 100_000 + b"]" * 100_000,
        ]
    return variants


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_entry_parse_agrees_with_the_rfc8785_reference(seed: int) -> None:
    outcomes = {"parsed": 0, "refused": 0}
    for data in _variants(seed):
        # json.loads itself raises ValueError for integers of over 4300 digits and
        # RecursionError for very deep nesting; Entry.parse turns both into refusals.
        expected = _outcome(_reference_parse, data, (LedgerError, ValueError, RecursionError))
        assert _outcome(Entry.parse, data, (LedgerError,)) == expected, data
        outcomes[expected[0]] += 1
    assert outcomes["parsed"] >= len(BODIES) and outcomes["refused"] > 100


def test_the_statement_bytes_are_the_slice_of_the_entry() -> None:
    keypair = Keypair.generate()
    signed = StatementFactory(ORIGIN).sign(keypair, "credit.claimed", {"note": "é and \u2603"})
    entry = Entry.build(seq=12, logged_at=NOW, signed=signed)
    parsed = Entry.parse(entry.data)
    assert parsed.signed.canonical == signed.canonical == signed.statement.canonical_bytes()
    assert parsed == entry


def test_an_entry_built_from_a_written_time_equals_one_built_from_the_time() -> None:
    signed = StatementFactory(ORIGIN).sign(Keypair.generate(), "credit.claimed", {"note": "x"})
    for moment in (NOW, NOW.replace(microsecond=250)):
        stamped = Entry.build(seq=3, logged_at=format_time(moment), signed=signed)
        assert stamped == Entry.build(seq=3, logged_at=moment, signed=signed)
        assert Entry.parse(stamped.data) == stamped


def test_an_oversize_statement_inside_an_entry_is_refused() -> None:
    keypair = Keypair.generate()
    signed = StatementFactory(ORIGIN).sign(keypair, "credit.claimed", {"note": "x"})
    entry = Entry.build(seq=0, logged_at=NOW, signed=signed)
    padded = entry.data.replace(b'"note":"x"', b'"note":"' + b"x" * MAX_STATEMENT_BYTES + b'"')
    with pytest.raises(MalformedStatementError, match="limit"):
        Entry.parse(padded)


def test_ascii_entries_never_reach_the_rfc8785_package(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = [
        Entry.build(
            seq=seq,
            logged_at=NOW,
            signed=StatementFactory(ORIGIN).sign(Keypair.generate(), "credit.claimed", body),
        )
        for seq, body in enumerate(BODIES)
        if rfc8785.dumps(body).isascii()
    ]
    assert len(entries) >= 3

    def forbidden(data: bytes) -> None:
        raise AssertionError("the fast path should have decided")

    monkeypatch.setattr("ledger.statement.parse_canonical", forbidden)
    for entry in entries:
        assert Entry.parse(entry.data) == entry


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(alphabet=st.characters(max_codepoint=0x7F))
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=6) | st.sampled_from(["a", "B", "_", "\u00e9"]), inner, max_size=4
        )
    ),
    max_leaves=24,
)


@settings(max_examples=500, deadline=None)
@given(_JSON)
def test_canonical_json_writes_what_rfc8785_writes(value: Any) -> None:
    """The C encoder's fast path and the ``rfc8785`` fallback give the reference bytes."""
    assert canonical_json(value) == rfc8785.dumps(value)


def test_canonical_json_refuses_what_json_cannot_carry_exactly() -> None:
    for value in (1.5, {"n": 2**53}, {"n": -(2**53)}, {1: "key"}, {"s": {1, 2}}, [float("nan")]):
        with pytest.raises(MalformedStatementError):
            canonical_json(value)  # type: ignore[arg-type]
    assert canonical_json(({"b": (1, 2)}, "x")) == b'[{"b":[1,2]},"x"]'  # type: ignore[arg-type]
