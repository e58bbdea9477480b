"""``load_json``: untrusted JSON within bounds, each refusal named, the rest as json.loads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.encoding import MAX_JSON_DEPTH, JSONError, load_json

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(VALUES, st.booleans())
def test_within_bounds_it_reads_what_json_loads_reads(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _depth(value) <= MAX_JSON_DEPTH
    assert load_json(text.encode()) == json.loads(text)


@settings(max_examples=100, deadline=None)
@given(st.integers(MAX_JSON_DEPTH + 1, 3000), st.sampled_from("[{"), st.booleans())
def test_nesting_past_the_bound_is_refused_whatever_the_strings_hold(
    depth: int, opener: str, padded: bool
) -> None:
    inner = '"\\\\\\" [[ {{ \\"' if padded else "1"
    if opener == "[":
        text = "[" * depth + inner + "]" * depth
    else:
        text = '{"k":' * depth + inner + "}" * depth
    with pytest.raises(JSONError, match="nest deeper than 32 levels"):
        load_json(text)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"a":"\xff"}', "not valid UTF-8"),
        (b"9" * 41, "a number of 41 characters"),
        (b"[1e999]", "out of range"),
        (b"[NaN]", "NaN is not JSON"),
        (b"[-Infinity]", "-Infinity is not JSON"),
        (b'{"a":1,"a":2}', "duplicate key 'a'"),
        (b'{"a":', "Expecting value"),
        (b"[" * 100_000, "nest deeper"),
    ],
)
def test_each_refusal_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(JSONError, match=reason.replace("(", r"\(")):
        load_json(data)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"q": "{" * 500 + "[" * 500, "escaped": '\\"[[[[' * 50})
    assert load_json(text) == json.loads(text)
