"""The witness's HTTP app: ``POST /add-checkpoint`` of C2SP tlog-witness v1.0.0, and nothing else.

It is a separate app from the ledger's (``api.app``): a witness holds no log, no database and
no members. Answers are plain text: 200 with the cosignature line, 409 with the size last
cosigned (``text/x.tlog.size``), and 400, 403, 404 or 422 with a one-line message.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse

from ledger.errors import (
    BadWitnessRequestError,
    InconsistentCheckpointError,
    SizeConflictError,
    UnknownLogError,
    UntrustedCheckpointError,
    WitnessError,
)
from ledger.witness import MAX_REQUEST_SIZE, Witness

SIZE_CONTENT_TYPE = "text/x.tlog.size"
"""tlog-witness: the content type of a 409 answer, whose body is the size last cosigned."""

STATUS: dict[type[WitnessError], int] = {
    BadWitnessRequestError: 400,
    UntrustedCheckpointError: 403,
    UnknownLogError: 404,
    InconsistentCheckpointError: 422,
}
"""The HTTP status of each refusal, as tlog-witness v1.0.0 names them (409 is answered apart,
with its size body)."""

logger = logging.getLogger("coopledger.witness")


def create_witness_app(witness: Witness) -> FastAPI:
    """The ASGI app serving ``witness``; no docs, no OpenAPI, no other route."""
    app = FastAPI(title="coopledger witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        try:
            body = await _read_body(request)
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except SizeConflictError as e:
            # As a header, not a media type: Starlette would add "; charset=utf-8" to it.
            headers = {"content-type": SIZE_CONTENT_TYPE}
            return Response(f"{e.size}\n", status_code=409, headers=headers)
        except WitnessError as e:
            status = STATUS.get(type(e))
            if status is None:
                logger.error("witness state fault: %s", e)
                return PlainTextResponse("internal error\n", status_code=500)
            return PlainTextResponse(f"{' '.join(str(e).split())}\n", status_code=status)
        return PlainTextResponse(line)

    @app.exception_handler(HTTPException)
    async def plain_http_error(request: Request, exc: HTTPException) -> Response:
        return PlainTextResponse(
            f"{exc.detail}\n", status_code=exc.status_code, headers=exc.headers
        )

    return app


async def _read_body(request: Request) -> bytes:
    """The request body, refusing one longer than ``MAX_REQUEST_SIZE`` before reading it all."""
    too_large = BadWitnessRequestError(f"request body is larger than {MAX_REQUEST_SIZE} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_SIZE:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_SIZE:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
