"""The log as C2SP tlog-tiles v0.1.0, at the server's root: ``/checkpoint`` and ``/tile/...``.

The same checkpoint as ``/log/checkpoint``; hash tiles and entry bundles read from the
stored tree (``ledger.tile_read``), one query each. Full tiles never change and are cached
for a year; partial tiles for a minute; the checkpoint not at all. With a private log every
route needs a login (as the log's own reads do) and caches are told to keep nothing shared.
A path that is not a tile's canonical spelling answers 400; a tile beyond the tree, 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from api import http_log
from api.errors import BadRequestError, error_body
from ledger.tile_read import TileReader
from ledger.tiles import TileID, TilePathError, parse_path

PARTIAL = "max-age=60"
OCTETS = "application/octet-stream"

router = APIRouter(tags=["tiles"])


@router.get("/checkpoint", response_class=PlainTextResponse)
async def checkpoint(request: Request) -> Response:
    """The latest checkpoint, as ``/log/checkpoint`` serves it (``text/plain; charset=utf-8``)."""
    return await http_log.checkpoint(request)


_TILE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the tile's bytes: hashes concatenated, or length-prefixed entries",
        "content": {OCTETS: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get("/tile/{path:path}", response_class=Response, responses=_TILE_ANSWER)
async def tile(request: Request, path: str) -> Response:
    """A hash tile ``/tile/<L>/<N>[.p/<W>]`` or an entry bundle ``/tile/entries/<N>[.p/<W>]``."""
    try:
        wanted = parse_path(f"tile/{path}")
    except TilePathError as e:
        raise BadRequestError(str(e)) from e
    tiles: TileReader = request.app.state.tiles
    data = await tiles.read(wanted)
    if data is None:
        message = f"{wanted.path()} is beyond the log (it needs a tree of {wanted.end})"
        body = error_body("not_found", message)
        return JSONResponse(body, status_code=404, headers={"Cache-Control": http_log.NO_CACHE})
    cache = _cache_control(wanted, private=request.app.state.api.settings.private_log)
    return Response(data, media_type=OCTETS, headers={"Cache-Control": cache})


def fast_route(guard: Callable[[Request], Awaitable[None]]) -> Route:
    """``tile`` as a plain Starlette route, for the front of the app's routes.

    A whole-log download is hundreds of tile requests, and FastAPI's handling of a route
    (its dependencies, parameters and response model) costs about as much again as the tile
    itself when it comes from the cache; this route skips it, running ``guard`` (the log
    readers' dependency) itself. The FastAPI route above stays for the OpenAPI document.
    """

    async def endpoint(request: Request) -> Response:
        await guard(request)
        return await tile(request, request.path_params["path"])

    return Route("/tile/{path:path}", endpoint, methods=["GET"], include_in_schema=False)


def _cache_control(wanted: TileID, *, private: bool) -> str:
    scope = "private" if private else "public"
    if wanted.is_full:
        return http_log.IMMUTABLE.replace("public", scope)
    return f"{scope}, {PARTIAL}"
