"""The one place where ledger errors become HTTP answers: status, code and message.

Every error answer is JSON ``{"error": {"code": ..., "message": ...}}``. Statements refused
for who signed them answer 403, replays and state conflicts 409, anything malformed or out
of range 400; an unexpected ledger error answers 500 with its message withheld.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ledger.errors import (
    InvalidSignatureError,
    LedgerError,
    NotAuthorisedError,
    OutOfRangeError,
    ReplayedNonceError,
    RevokedKeyError,
    RuleError,
    StatementError,
    UnknownKeyError,
    VerificationError,
)

log = logging.getLogger(__name__)


class BadRequestError(Exception):
    """A request parameter is missing or malformed (raised by the HTTP layer only)."""

    code = "bad_request"


_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (BadRequestError, 400, "bad_request"),
    (InvalidSignatureError, 403, "bad_signature"),
    (UnknownKeyError, 403, "unknown_key"),
    (RevokedKeyError, 403, "revoked_key"),
    (NotAuthorisedError, 403, "not_authorised"),
    (ReplayedNonceError, 409, "replayed_nonce"),
    (RuleError, 409, "rule"),
    (StatementError, 400, "statement_refused"),
    (OutOfRangeError, 400, "out_of_range"),
    (VerificationError, 400, "verification_failed"),
)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The JSON body of an error answer."""
    return {"error": {"code": code, "message": message}}


def status_of(exc: Exception) -> tuple[int, str]:
    """The HTTP status and error code for ``exc`` (500, ``internal`` if unmapped)."""
    for cls, status, default_code in _STATUS:
        if isinstance(exc, cls):
            return status, str(getattr(exc, "code", default_code))
    return 500, "internal"


def error_response(exc: Exception) -> JSONResponse:
    """The JSON answer for ``exc``; the message of an unmapped error is not revealed."""
    status, code = status_of(exc)
    message = str(exc) if status < 500 else "internal error"
    if status >= 500:
        log.error("unexpected %s: %s", type(exc).__name__, exc)
    return JSONResponse(error_body(code, message), status_code=status)


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(exc)


async def _handle_validation(_request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in errors)
    return JSONResponse(error_body("bad_request", f"malformed request: {where}"), 400)


def install_error_handlers(app: FastAPI) -> None:
    """Answer ledger errors, bad parameters and request validation errors as JSON."""
    app.add_exception_handler(LedgerError, _handle)
    app.add_exception_handler(BadRequestError, _handle)
    app.add_exception_handler(RequestValidationError, _handle_validation)
