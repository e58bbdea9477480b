"""The FastAPI application factory: one running ledger per app, opened in the lifespan.

Routes: ``/graphql`` (queries, mutations, subscriptions; GraphiQL in development mode only),
the REST transparency endpoints under ``/log``, the C2SP tiles (``/checkpoint``, ``/tile/...``),
``/api/members/{id}/statement``, and
``/livez`` (the process) and ``/readyz`` = ``/healthz`` (the database too); every route
behind ``api.guard.RequestGuard``.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from api import http_log, http_member, http_tiles
from api.auth import Auditor, Tokens, load_auditors, load_secret
from api.errors import OUTAGE_RETRY_SECONDS, install_error_handlers, known_error
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.graphql.view import GraphQLEndpoint
from api.guard import RequestGuard
from api.limits import RateLimiter
from api.openapi import install_openapi
from api.runtime import running_ledger, seal_key_store
from api.settings import ApiSettings
from api.state import ApiState, CheckpointFeed, RegistryView
from api.web.pages import install_pages
from ledger.config import ConfigError, LedgerConfig, Settings, load_config
from ledger.sequencer import Handler
from ledger.service import Ledger
from ledger.signing import KeyID
from ledger.sql import Engine, SqlLogStore, is_postgres, make_engine
from ledger.tile_read import TileReader
from ledger.witness_push import WitnessPusher

READ_POOL_SQLITE = 16
READY_SECONDS = 2.0
READ_POOL_POSTGRES = 10


def create_app(
    settings: Settings | None = None,
    *,
    config: LedgerConfig | None = None,
    api_settings: ApiSettings | None = None,
    handlers: Sequence[Handler] | None = None,
) -> FastAPI:
    """Build the app for a data directory's settings (or an already resolved ``config``).

    The configuration, the token secret and the schema are resolved now, so a missing data
    directory or a bad key fails before serving; the store and sequencer open once, in the
    lifespan, and close after it. ``handlers`` default to ``api.runtime.domain_handlers()``.
    """
    resolved = config or load_config(settings or Settings())
    options = api_settings or ApiSettings()
    secret = options.token_secret.get_secret_value() if options.token_secret else None
    tokens = Tokens(
        load_secret(secret, resolved.data.root),
        token_ttl=options.token_ttl_seconds,
        challenge_ttl=options.challenge_ttl_seconds,
    )
    auditors = load_auditors(resolved.data.root)
    schema = build_schema(options)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_ledger(resolved, handlers=handlers) as ledger:
            reader = SqlLogStore(read_engine(resolved.database_url))
            try:
                state = _state(ledger, reader, resolved, options, tokens, auditors)
                await state.registry.current()
                app.state.ledger = ledger
                app.state.api = state
                app.state.tiles = TileReader(reader, cache_bytes=options.tile_cache_bytes)
                async with _witness_pusher(ledger, resolved, options):
                    thresholds = _tune_collector()
                    try:
                        yield
                    finally:
                        gc.unfreeze()
                        gc.set_threshold(*thresholds)
                        await state.feed.close()
            finally:
                await reader.close()

    app = FastAPI(title="coopledger", version="0.1.0", lifespan=lifespan)
    app.state.config = resolved
    app.add_middleware(
        RequestGuard, max_body=options.max_body_bytes, budget=options.request_seconds
    )
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(http_log.router, dependencies=[Depends(_log_reader)])
    app.include_router(http_member.router)
    app.include_router(http_tiles.router, dependencies=[Depends(_log_reader)])
    app.router.routes.insert(0, http_tiles.fast_route(_log_reader))
    graphql = GraphQLEndpoint(schema, graphql_ide="graphiql" if options.dev else None)
    app.router.routes.append(Route("/graphql", graphql, methods=["GET", "POST"]))
    app.router.routes.append(WebSocketRoute("/graphql", graphql))
    install_pages(app)

    @app.get("/livez", tags=["health"])
    async def livez() -> JSONResponse:
        """Liveness: the process answers (restart it if this fails)."""
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

    @app.get("/readyz", tags=["health"])
    @app.get("/healthz", tags=["health"])
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the database answers a read within 2 s (send no traffic if not: 503)."""
        state: ApiState = request.app.state.api
        try:
            async with asyncio.timeout(READY_SECONDS):
                size = await state.store.size()
        except Exception as e:
            fault = known_error(e)
            if fault is e and not isinstance(e, TimeoutError):
                raise
            body = {"status": "unavailable", "database": "down", "reason": str(fault)}
            headers = {"Cache-Control": "no-store", "Retry-After": str(OUTAGE_RETRY_SECONDS)}
            return JSONResponse(body, status_code=503, headers=headers)
        up = {"status": "ok", "database": "up", "size": size}
        return JSONResponse(up, headers={"Cache-Control": "no-store"})

    return app


GC_YOUNG_THRESHOLD = 100_000


def _tune_collector() -> tuple[int, int, int]:
    """Set the cyclic collector for serving; returns the thresholds to restore.

    Everything made before serving (modules, the schema, the ledger) is frozen out of the
    collector's full passes: it lives as long as the process, and scanning it made each
    full pass stall every request in flight (tens of ms under load). A request leaves no
    cyclic garbage (``tests/api/test_graphql_credits.py``), so a young collection every 700
    net allocations (the default) found nothing to free and rescanned the requests in
    flight, some 250 times a second under load (with the middle generation's passes, 1.2 s
    of a 35-second benchmark run, in pauses of up to 3 ms); every 100,000 it ran 22 times
    in such a run, for 2 ms in all.
    """
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
    return thresholds


def read_engine(url: str) -> Engine:
    """The API's own engine for reads: a fixed pool, never churned.

    On SQLite each call runs at once in the event loop's thread (``ledger.sqlite_inline``):
    a short read on a local file costs less than the hand-off to a driver thread, and in WAL
    mode it never waits for the writer. Each connection's reads share one snapshot
    (``BEGIN``); the pool is as large as the requests that may each hold one at a time. On
    PostgreSQL a read transaction under READ COMMITTED sees no more than autocommit does, so
    reads skip the BEGIN and ROLLBACK round trips. Off-log writes (the directory, texts) go
    through the ledger's own engine.
    """
    if is_postgres(url):
        return make_engine(
            url, pool_size=READ_POOL_POSTGRES, max_overflow=0, isolation_level="AUTOCOMMIT"
        )
    return make_engine(url, inline=True, pool_size=READ_POOL_SQLITE, max_overflow=0)


@asynccontextmanager
async def _witness_pusher(
    ledger: Ledger, config: LedgerConfig, options: ApiSettings
) -> AsyncIterator[None]:
    """Push each new checkpoint to the configured witnesses while the app serves."""
    if not config.witnesses.witnesses or not isinstance(ledger.store, SqlLogStore):
        yield
        return
    pusher = WitnessPusher(
        ledger.store,
        config.witnesses,
        config.log_verifier,
        timeout=options.witness_timeout_seconds,
        backoff_max=options.witness_backoff_max_seconds,
        poll=options.witness_poll_seconds,
        interval=options.witness_interval_seconds,
    )
    async with pusher:
        ledger.sequencer.listeners.append(pusher.notify)
        try:
            yield
        finally:
            ledger.sequencer.listeners.remove(pusher.notify)


def _state(
    ledger: Ledger,
    reader: SqlLogStore,
    config: LedgerConfig,
    options: ApiSettings,
    tokens: Tokens,
    auditors: dict[KeyID, Auditor],
) -> ApiState:
    if not isinstance(ledger.store, SqlLogStore):
        raise ConfigError("the API needs an SQL store (SQLite or PostgreSQL)")
    state = ApiState(
        ledger=ledger,
        store=reader,
        write_engine=ledger.store.engine,
        config=config,
        settings=options,
        tokens=tokens,
        auditors=auditors,
        registry=RegistryView(reader, local_size=lambda: ledger.registry.size),
        feed=CheckpointFeed(reader, poll=options.poll_seconds),
        seal_keys=seal_key_store(config),
    )
    ledger.keys = state.key
    ledger.gates[:] = [RateLimiter(rate=options.mutation_rate, burst=options.mutation_burst)]
    return state


async def _log_reader(request: Request) -> None:
    """With a private log, the REST log's reads and the tiles need a member's or an
    auditor's token; a submission (``POST /log/statements``, that route alone) needs none,
    its signature being the authority (as for GraphQL mutations)."""
    route = request.scope.get("route")
    if getattr(route, "endpoint", None) is not http_log.submit:
        await Context(request.app.state.api, request.headers.get("authorization")).log_reader()
