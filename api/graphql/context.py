"""The per-request GraphQL context: the shared state, the viewer (lazily), the DataLoaders.

The context holds the engine, never a connection: each resolver and each DataLoader batch
opens its own short connection, because graphql-core resolves sibling fields concurrently.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from typing import TypeAlias

import strawberry

from api.auth import ANONYMOUS, LoginError, Viewer, viewer_for
from api.graphql.loaders import Loaders
from api.state import ApiState
from ledger.members import Registry
from ledger.sql import Connection


class Context:
    """What every resolver gets as ``info.context``."""

    def __init__(
        self, state: ApiState, authorization: str | None = None, *, over_websocket: bool = False
    ) -> None:
        self.state = state
        self.over_websocket = over_websocket
        """Whether the request came over a WebSocket (where subscriptions are served)."""
        self.connection_params: object = None
        self._authorization = authorization
        self._viewer: Viewer | None = None

    @cached_property
    def loaders(self) -> Loaders:
        """This request's DataLoaders."""
        return Loaders(self.state.engine)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """A short connection of the caller's own."""
        async with self.state.engine.connect() as conn:
            yield conn

    async def registry(self) -> Registry:
        """Members and keys, caught up with the store at most a second ago."""
        return await self.state.registry.current()

    async def viewer(self) -> Viewer:
        """Who sent the request, from the bearer token (anonymous without one)."""
        if self._viewer is None:
            self._viewer = await self._resolve_viewer()
        return self._viewer

    async def _resolve_viewer(self) -> Viewer:
        header = self._authorization
        params = self.connection_params
        if not header and isinstance(params, dict):  # graphql-transport-ws connection_init
            header = str(params.get("Authorization") or "") or None
        if not header:
            return ANONYMOUS
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return Viewer(problem="the Authorization header must be 'Bearer <token>'")
        try:
            principal = self.state.tokens.verify(token.strip(), int(time.time()))
        except LoginError as e:
            return Viewer(problem=str(e))
        registry = await self.state.registry.current()
        if not principal.auditor and principal.key_id not in registry.keys:
            registry = await self.state.registry.current(fresh=True)
        return viewer_for(principal, registry, self.state.auditors)

    async def log_reader(self) -> Viewer:
        """The viewer, once allowed to read the log (with a private log: members, auditors)."""
        viewer = await self.viewer()
        viewer.require_log(self.state.settings.private_log)
        return viewer

    @asynccontextmanager
    async def log_read(self) -> AsyncIterator[Connection]:
        """``read()`` once the viewer is allowed to read the log (see ``log_reader``)."""
        await self.log_reader()
        async with self.read() as conn:
            yield conn


Info: TypeAlias = strawberry.Info[Context, None]
