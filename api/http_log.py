"""The log's plain HTTP transparency endpoints: checkpoint, key, entries, proofs, statements.

Entries and proofs for a given size never change, so they are served as immutable; the
latest checkpoint is ``no-cache``. Hashes are lowercase hex; malformed or out-of-range
parameters answer 400 with a JSON error (see ``api.errors``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from api.errors import BadRequestError, error_body
from ledger.encoding import b64encode
from ledger.errors import MalformedStatementError, OutOfRangeError
from ledger.log import MAX_ENTRIES_PER_READ
from ledger.service import Ledger
from ledger.sql import SqlLogStore
from ledger.statement import MAX_STATEMENT_BYTES, SignedStatement
from ledger.witness_push import witnessed_checkpoint

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
MAX_SUBMISSION_BYTES = 2 * MAX_STATEMENT_BYTES
_UINT = re.compile(r"[0-9]{1,18}")
Index = Annotated[str, Query(pattern="^[0-9]{1,18}$", description="a non-negative integer")]
"""An entry index or a tree size (what the OpenAPI document says; ``_uint`` reads it)."""

router = APIRouter(prefix="/log", tags=["log"])


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _uint(name: str, value: str) -> int:
    """A non-negative decimal query parameter (FastAPI refuses a missing one: 400)."""
    if _UINT.fullmatch(value) is None:
        raise BadRequestError(f"{name} must be a non-negative integer, got {value[:30]!r}")
    return int(value)


def _json(body: dict[str, Any], cache: str, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": cache})


@router.get("/checkpoint", response_class=PlainTextResponse)
async def checkpoint(request: Request) -> Response:
    """The latest checkpoint: a C2SP signed note, ``text/plain``."""
    row = await _ledger(request).view.latest_checkpoint()
    return PlainTextResponse(row.note, headers={"Cache-Control": NO_CACHE})


@router.get(
    "/checkpoint/witnessed",
    response_class=PlainTextResponse,
    responses={404: {"description": "no checkpoint is witnessed yet"}},
)
async def witnessed(request: Request) -> Response:
    """The latest checkpoint cosigned by at least K of the N configured witnesses: a C2SP
    signed note, ``text/plain``, the log's signature then the cosignatures; 404 until one."""
    ledger = _ledger(request)
    policy = request.app.state.config.witnesses
    row = None
    if isinstance(ledger.store, SqlLogStore) and policy.witnesses:
        row = await witnessed_checkpoint(ledger.store, policy)
    if row is None:
        message = f"no checkpoint is cosigned by {policy.quorum} of the log's witnesses yet"
        if not policy.witnesses:
            message = "this log names no witnesses"
        body = error_body("not_witnessed", message)
        return JSONResponse(body, status_code=404, headers={"Cache-Control": NO_CACHE})
    return PlainTextResponse(row.note, headers={"Cache-Control": NO_CACHE})


@router.get("/key", response_class=PlainTextResponse)
async def key(request: Request) -> Response:
    """The log's verifier key: ``name+keyid_hex+base64(0x01 || public key)``."""
    vkey: str = request.app.state.config.log_verifier.vkey()
    return PlainTextResponse(vkey, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/entries")
async def entries(request: Request, start: Index, end: Index) -> Response:
    """Entries ``start <= index < end`` (at most 1000) as base64 of their exact bytes."""
    first, last = _uint("start", start), _uint("end", end)
    if first > last:
        raise BadRequestError("start must not be greater than end")
    if last - first > MAX_ENTRIES_PER_READ:
        raise BadRequestError(f"at most {MAX_ENTRIES_PER_READ} entries per request")
    rows = await _ledger(request).view.entries(first, last)
    body = {"entries": [{"index": row.seq, "entry": b64encode(row.data)} for row in rows]}
    complete = len(rows) == last - first
    return _json(body, IMMUTABLE if complete else NO_CACHE)


@router.get("/proof/inclusion")
async def inclusion(request: Request, index: Index, size: Index) -> Response:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size``."""
    leaf, tree_size = _uint("index", index), _uint("size", size)
    if leaf >= tree_size:
        raise BadRequestError(f"index {leaf} is not below size {tree_size}")
    proof = await _ledger(request).view.inclusion(leaf, tree_size)
    body = {
        "index": proof.index,
        "size": proof.size,
        "leaf_hash": proof.leaf_hash.hex(),
        "path": [node.hex() for node in proof.path],
        "root": proof.root.hex(),
    }
    return _json(body, IMMUTABLE)


@router.get("/proof/consistency")
async def consistency(request: Request, first: Index, second: Index) -> Response:
    """RFC 9162 consistency proof between the trees of sizes ``first`` and ``second``."""
    size1, size2 = _uint("first", first), _uint("second", second)
    if size1 > size2:
        raise BadRequestError("first must not be greater than second")
    if size1 == 0:
        raise OutOfRangeError("a consistency proof from the empty tree is meaningless")
    proof = await _ledger(request).view.consistency(size1, size2)
    body = {
        "first": proof.first,
        "second": proof.second,
        "path": [node.hex() for node in proof.path],
        "first_root": proof.first_root.hex(),
        "second_root": proof.second_root.hex(),
    }
    return _json(body, IMMUTABLE)


@router.post("/statements", status_code=201)
async def submit(request: Request) -> Response:
    """Append a signed statement ``{"statement": {...}, "signature": base64}``."""
    signed = SignedStatement.from_bytes(await _read_limited(request, MAX_SUBMISSION_BYTES))
    receipt = await _ledger(request).submit(signed)  # rate-limited, as for GraphQL
    body = {
        "seq": receipt.entry.seq,
        "leaf_hash": receipt.entry.leaf_hash.hex(),
        "checkpoint": {"size": receipt.checkpoint.size, "root": receipt.checkpoint.root.hex()},
    }
    return _json(body, "no-store", status=201)


async def _read_limited(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading them all."""
    declared = request.headers.get("content-length", "")
    if _UINT.fullmatch(declared) is not None and int(declared) > limit:
        raise MalformedStatementError(f"submission is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise MalformedStatementError(f"submission is larger than {limit} bytes")
    return bytes(body)
