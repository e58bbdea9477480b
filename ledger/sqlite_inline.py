"""SQLite connections whose calls run at once in the event loop's thread (the API's reads).

aiosqlite runs every call on a thread of the connection's own and hands the result back to
the event loop. For the short indexed reads an API request makes, that round trip costs more
than the query: two thread switches per call, and while the loop is busy the driver's thread
waits for the GIL (up to the interpreter's 5 ms switch interval) before it can even start. A
read on a local SQLite file in WAL mode never waits for the writer, so the API's read engine
runs each call at once in the caller's thread instead.

The log's writer keeps aiosqlite's thread: its commit waits for the disk, and the event loop
must go on serving meanwhile.

``InlineConnection`` keeps aiosqlite's interface (SQLAlchemy's aiosqlite dialect drives it
unchanged, through ``create_async_engine(..., async_creator=...)``) and replaces only the
hand-off to the thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Generator
from functools import partial
from typing import Any

import aiosqlite


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its thread: runs each queued call immediately.

    SQLAlchemy's dialect queues some calls itself (setting the isolation level); they
    complete here before the caller awaits their future.
    """

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as e:  # handed to the awaiting caller, as aiosqlite's thread does
            if future is not None and not future.done():
                future.set_exception(e)
        else:
            if future is not None and not future.done():
                future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that never starts its thread; see the module docstring."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, InlineConnection]:  # the thread never starts
        return self._connect().__await__()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def inline_creator(path: str) -> Callable[[], Awaitable[InlineConnection]]:
    """The ``async_creator`` of an engine on the SQLite file at ``path``."""
    connector = partial(sqlite3.connect, path, check_same_thread=False)

    async def create() -> InlineConnection:
        return await InlineConnection(connector)

    return create
