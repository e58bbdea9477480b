"""Connections: the same page read as ``nodes``, as ``edges`` and through ``pageInfo``."""

from __future__ import annotations

import pytest

from api.errors import BadRequestError
from api.graphql.pagination import encode_cursor, from_list, from_list_by_name, page

SEQS = [3, 5, 8, 13, 21]


def _page(
    *,
    first: int | None = None,
    after: int | None = None,
    last: int | None = None,
    before: int | None = None,
    kind: str = "item",
) -> tuple[list[int], dict[str, bool]]:
    """The seqs of a page of ``SEQS``, checking that its three views agree."""
    p = page(
        "item",
        first=first,
        after=None if after is None else encode_cursor(kind, after),
        last=last,
        before=None if before is None else encode_cursor(kind, before),
    )
    found = from_list(p, SEQS, lambda seq: seq, lambda seq: f"item {seq}")
    edges, info = found.edges(), found.page_info()
    assert [edge.node for edge in edges] == found.nodes()
    assert [edge.cursor for edge in edges] == [encode_cursor("item", k) for k in found.keys]
    assert info.start_cursor == (edges[0].cursor if edges else None)
    assert info.end_cursor == (edges[-1].cursor if edges else None)
    assert found.nodes() == [f"item {k}" for k in found.keys]
    return [int(k) for k in found.keys], {
        "next": info.has_next_page,
        "previous": info.has_previous_page,
    }


def test_forward_pages_follow_their_cursors() -> None:
    assert _page(first=2) == ([3, 5], {"next": True, "previous": False})
    assert _page(first=2, after=5) == ([8, 13], {"next": True, "previous": True})
    assert _page(first=2, after=13) == ([21], {"next": False, "previous": True})


def test_backward_pages_and_an_empty_page() -> None:
    assert _page(last=2) == ([13, 21], {"next": False, "previous": True})
    assert _page(last=2, before=13) == ([5, 8], {"next": True, "previous": True})
    assert _page(first=2, after=21) == ([], {"next": False, "previous": True})


def test_a_cursor_of_another_list_is_refused() -> None:
    with pytest.raises(BadRequestError, match="another list"):
        _page(first=1, after=3, kind="award")


NAMES = ["ana", "ben", "cal-2", "cal.1", "dee"]  # sorted as Python compares text


def _names(
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> list[str]:
    p = page(
        "name",
        first=first,
        after=None if after is None else encode_cursor("name", after),
        last=last,
        before=None if before is None else encode_cursor("name", before),
    )
    return from_list_by_name(p, NAMES, lambda name: name, lambda name: name).nodes()


def test_a_list_keyed_by_name_pages_both_ways() -> None:
    assert _names(first=2) == ["ana", "ben"]
    assert _names(first=2, after="ben") == ["cal-2", "cal.1"]
    assert _names(last=2, before="cal.1") == ["ben", "cal-2"]
    assert _names(first=9, after="dee") == []
