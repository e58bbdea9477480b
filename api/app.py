"""The FastAPI application factory: one running ledger per app, opened in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from api import http_log
from api.errors import install_error_handlers
from api.runtime import running_ledger
from ledger.config import LedgerConfig, Settings, load_config


def create_app(settings: Settings | None = None, *, config: LedgerConfig | None = None) -> FastAPI:
    """Build the app for a data directory's settings (or an already resolved ``config``).

    The configuration is resolved now, so a missing data directory or a bad key fails
    before serving; the store and sequencer open once, in the lifespan, and close after it.
    """
    resolved = config or load_config(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_ledger(resolved) as ledger:
            app.state.ledger = ledger
            yield

    app = FastAPI(title="coopledger", version="0.1.0", lifespan=lifespan)
    app.state.config = resolved
    install_error_handlers(app)
    app.include_router(http_log.router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        """Liveness: the ledger is open."""
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

    return app
