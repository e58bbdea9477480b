"""Relay-style cursor connections: ``first``/``after`` forwards, ``last``/``before`` backwards.

A cursor is opaque to clients: URL-safe base64 of ``<kind>:<key>``, where the key is the
sort key of the row (an entry seq for almost every list), so a page is a keyset query and a
cursor stays valid while the list grows.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry

from api.errors import BadRequestError
from api.graphql.fields import field
from ledger.store import Window

T = TypeVar("T")
R = TypeVar("R")
_INT_KEY = re.compile("-?[0-9]{1,18}")
PAGE_DEFAULT = 20
"""Items in a page when neither ``first`` nor ``last`` is given."""
PAGE_LIMIT = 100
"""The most items one page may ask for."""


@strawberry.type(description="Where a page sits in the whole list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a list and the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list, with cursors to fetch the pages around it.")
class Connection(Generic[T]):
    """The page's items and their sort keys; cursors are written only for a query that asks
    for them (``edges`` or ``pageInfo``), not for one that takes ``nodes`` alone."""

    items: strawberry.Private[list[T]]
    keys: strawberry.Private[list[int | str]]
    kind: strawberry.Private[str]
    has_next: strawberry.Private[bool]
    has_previous: strawberry.Private[bool]

    @field(description="The items of this page, each with its cursor.")
    def edges(self) -> list[Edge[T]]:
        return [
            Edge(cursor=encode_cursor(self.kind, key), node=item)
            for key, item in zip(self.keys, self.items, strict=True)
        ]

    @field(description="Where this page sits in the whole list.")
    def page_info(self) -> PageInfo:
        return PageInfo(
            has_next_page=self.has_next,
            has_previous_page=self.has_previous,
            start_cursor=encode_cursor(self.kind, self.keys[0]) if self.keys else None,
            end_cursor=encode_cursor(self.kind, self.keys[-1]) if self.keys else None,
        )

    @field(description="The items of this page, without their cursors.")
    def nodes(self) -> list[T]:
        return self.items


def encode_cursor(kind: str, key: int | str) -> str:
    """The opaque cursor of the row with sort key ``key`` in a list of ``kind``."""
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode("ascii")


def _decode(kind: str, cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as e:
        raise BadRequestError("malformed cursor") from e
    prefix, _, key = text.partition(":")
    if prefix != kind:
        raise BadRequestError(f"that cursor belongs to another list ({prefix}, not {kind})")
    return key


@dataclass(frozen=True)
class Page:
    """Checked page arguments: a direction, a size, and the key to start after or before."""

    kind: str
    size: int
    forward: bool
    after: str | None
    before: str | None

    def int_key(self, key: str | None) -> int | None:
        """A decoded cursor key that must be an integer."""
        if key is None:
            return None
        if _INT_KEY.fullmatch(key) is None:
            raise BadRequestError("malformed cursor")
        return int(key)

    @property
    def window(self) -> Window:
        """This page as a store reads it, by an integer sort key."""
        return Window(self.size, self.forward, self.int_key(self.after), self.int_key(self.before))


def page(
    kind: str,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    default: int = PAGE_DEFAULT,
    limit: int = PAGE_LIMIT,
) -> Page:
    """Check the four Relay arguments; raises ``BadRequestError`` for a bad combination."""
    if first is not None and last is not None:
        raise BadRequestError("give first or last, not both")
    size = first if first is not None else last if last is not None else default
    if not 0 <= size <= limit:
        raise BadRequestError(f"first and last must be between 0 and {limit}")
    return Page(
        kind=kind,
        size=size,
        forward=last is None,
        after=None if after is None else _decode(kind, after),
        before=None if before is None else _decode(kind, before),
    )


_RELAY = (
    ("first", "int | None"),
    ("after", "str | None"),
    ("last", "int | None"),
    ("before", "str | None"),
)
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def relay(kind: str) -> Callable[[F], F]:
    """Give a resolver the four Relay arguments (``first``, ``after``, ``last``, ``before``),
    checked into the ``Page`` of ``kind`` it takes as its keyword ``p``.

    The resolver is written once with ``*, p: Page``; the schema shows the four arguments
    after its own, as every connection field in it has them (written here, not 16 times).
    """

    def wrap(resolver: F) -> F:
        signature = inspect.signature(resolver)
        own = [q for q in signature.parameters.values() if q.name != "p"]
        keyword = inspect.Parameter.KEYWORD_ONLY
        added = [inspect.Parameter(n, keyword, default=None, annotation=a) for n, a in _RELAY]

        @functools.wraps(resolver)
        async def resolve(
            *args: Any,
            first: int | None = None,
            after: str | None = None,
            last: int | None = None,
            before: str | None = None,
            **kwargs: Any,
        ) -> Any:
            p = page(kind, first=first, after=after, last=last, before=before)
            return await resolver(*args, p=p, **kwargs)

        del resolve.__wrapped__  # Strawberry reads the signature below, not the resolver's
        resolve.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        resolve.__annotations__ = {
            **{k: v for k, v in resolver.__annotations__.items() if k != "p"},
            **dict(_RELAY),
        }
        return resolve  # type: ignore[return-value]

    return wrap


def connection(
    p: Page,
    rows: Sequence[R],
    key: Callable[[R], int | str],
    node: Callable[[R], T],
    *,
    has_next: bool,
    has_previous: bool,
) -> Connection[T]:
    """The connection of ``rows`` (already the page, in list order)."""
    return Connection(
        items=[node(row) for row in rows],
        keys=[key(row) for row in rows],
        kind=p.kind,
        has_next=has_next,
        has_previous=has_previous,
    )


def paged(
    p: Page, rows: Sequence[R], key: Callable[[R], int | str], node: Callable[[R], T], more: bool
) -> Connection[T]:
    """The connection of a page read by keyset (``rows`` in list order): ``more`` says the
    read found rows beyond the page in its direction."""
    return connection(
        p,
        rows,
        key,
        node,
        has_next=more if p.forward else p.before is not None,
        has_previous=p.after is not None if p.forward else more,
    )


def from_list(
    p: Page, items: Sequence[R], key: Callable[[R], int], node: Callable[[R], T]
) -> Connection[T]:
    """A page of ``items`` (sorted by the integer ``key``, ascending) built in memory."""
    return _slice(p, items, key, p.int_key(p.after), p.int_key(p.before), node)


def from_list_by_name(
    p: Page, items: Sequence[R], key: Callable[[R], str], node: Callable[[R], T]
) -> Connection[T]:
    """A page of ``items`` (sorted by the unique text ``key``, ascending) built in memory."""
    return _slice(p, items, key, p.after, p.before, node)


def from_list_by_position(p: Page, items: Sequence[R], node: Callable[[R], T]) -> Connection[T]:
    """A page of ``items`` in their order, each keyed by its position (from 0), built in memory."""
    numbered = list(enumerate(items))
    return from_list(p, numbered, lambda item: item[0], lambda item: node(item[1]))


K = TypeVar("K", int, str)


def _slice(
    p: Page,
    items: Sequence[R],
    key: Callable[[R], K],
    after: K | None,
    before: K | None,
    node: Callable[[R], T],
) -> Connection[T]:
    chosen = [
        item
        for item in items
        if (after is None or key(item) > after) and (before is None or key(item) < before)
    ]
    if p.forward:
        rows, more = chosen[: p.size], len(chosen) > p.size
    else:
        rows, more = chosen[max(0, len(chosen) - p.size) :], len(chosen) > p.size
    return paged(p, rows, key, node, more)


def from_rows(
    p: Page, found: tuple[Sequence[R], bool], key: Callable[[R], int], node: Callable[[R], T]
) -> Connection[T]:
    """The connection of a page a store read by keyset over ``p.window``: its rows in list
    order and whether more lie beyond."""
    rows, more = found
    return paged(p, rows, key, node, more)
