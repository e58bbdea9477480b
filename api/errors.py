"""The one place where domain errors become HTTP answers and GraphQL error codes.

Every HTTP error answer is JSON ``{"error": {"code": ..., "message": ...}}``. Statements
refused for who signed them answer 403, replays and state conflicts 409, anything malformed
or out of range 400, a missing login 401, too many mutations 429; an unexpected error
answers 500 with its message withheld. GraphQL uses the same codes: a refused statement is a
member of the mutation's result union (``REFUSALS``, one type per code), any other expected
error carries ``extensions.code``, and everything else is masked.
"""

from __future__ import annotations

import logging
import math
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import AccessError, LoginError, UnauthenticatedError
from governance.errors import (
    BallotRefusedError,
    ElectorateMismatchError,
    GovernanceError,
    NotConvenorError,
    NotEligibleError,
    ObserverError,
    ProposalRulesError,
    ResultsHiddenError,
    SealMismatchError,
    TallyMismatchError,
    TextMissingError,
    VotingWindowError,
)
from ledger.credits.errors import (
    AlreadyAwardedError,
    AlreadyReversedError,
    ClaimClosedError,
    DecisionRequiredError,
    DuplicateEvidenceError,
    NoRuleTableError,
    NotAMemberError,
    OutOfWindowError,
    OverCapError,
    SecondSignerError,
    SelfApprovalError,
    UnknownActivityError,
    WrongAmountError,
    WrongRouteError,
)
from ledger.errors import (
    ConflictError,
    InvalidSignatureError,
    LedgerError,
    MalformedStatementError,
    NotAuthorisedError,
    NotFoundError,
    OutOfRangeError,
    ReplayedNonceError,
    RevokedKeyError,
    RuleError,
    StaleStatementError,
    StatementError,
    StoreFullError,
    StoreUnavailableError,
    UnknownKeyError,
    UnknownKindError,
    VerificationError,
    WrongOriginError,
)
from ledger.sql import store_fault

log = logging.getLogger(__name__)


class BadRequestError(Exception):
    """A request parameter is missing or malformed (raised by the API layer only)."""

    code = "bad_request"


class RateLimitedError(StatementError):
    """Too many mutations by one key in a short time; nothing was submitted."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


LEDGER_REFUSALS: tuple[type[Exception], ...] = (
    MalformedStatementError,
    UnknownKindError,
    WrongOriginError,
    StaleStatementError,
    ReplayedNonceError,
    UnknownKeyError,
    RevokedKeyError,
    InvalidSignatureError,
    NotAuthorisedError,
    NotFoundError,
    ConflictError,
    RuleError,
    StatementError,
    RateLimitedError,
)
"""Refusals any statement can meet, most specific first; the last ones are the fallbacks."""

CREDIT_REFUSALS: tuple[type[Exception], ...] = (
    SelfApprovalError,
    SecondSignerError,
    DecisionRequiredError,
    OverCapError,
    UnknownActivityError,
    WrongAmountError,
    WrongRouteError,
    OutOfWindowError,
    NotAMemberError,
    NoRuleTableError,
    AlreadyAwardedError,
    ClaimClosedError,
    DuplicateEvidenceError,
    AlreadyReversedError,
)
"""Refusals of credit statements (``ledger.credits.errors``)."""

GOVERNANCE_REFUSALS: tuple[type[Exception], ...] = (
    ProposalRulesError,
    BallotRefusedError,
    ObserverError,
    NotEligibleError,
    NotConvenorError,
    VotingWindowError,
    ElectorateMismatchError,
    TallyMismatchError,
    SealMismatchError,
    TextMissingError,
)
"""Refusals of governance statements (``governance.errors``)."""

REFUSALS = LEDGER_REFUSALS + CREDIT_REFUSALS + GOVERNANCE_REFUSALS


def refusal_code(cls: type[Exception]) -> str:
    """The stable code of a refusal class (``bad_signature`` for a signature that fails)."""
    if issubclass(cls, InvalidSignatureError):
        return "bad_signature"
    return str(getattr(cls, "code", "statement_refused"))


def refusal_class(exc: Exception, allowed: tuple[type[Exception], ...]) -> type[Exception]:
    """The most specific class in ``allowed`` that ``exc`` is an instance of.

    Walks ``exc``'s method resolution order, so a subclass that has no type of its own is
    reported as its nearest listed ancestor. Raises ``LookupError`` if none is listed.
    """
    for cls in type(exc).__mro__:
        if cls in allowed:
            return cls
    raise LookupError(f"{type(exc).__name__} is not a refusal")


_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (BadRequestError, 400, "bad_request"),
    (UnauthenticatedError, 401, "unauthenticated"),
    (LoginError, 401, "login_refused"),
    (AccessError, 403, "forbidden"),
    (RateLimitedError, 429, "rate_limited"),
    (ResultsHiddenError, 403, "results_hidden"),
    (InvalidSignatureError, 403, "bad_signature"),
    (UnknownKeyError, 403, "unknown_key"),
    (RevokedKeyError, 403, "revoked_key"),
    (NotAuthorisedError, 403, "not_authorised"),
    (ReplayedNonceError, 409, "replayed_nonce"),
    (RuleError, 409, "rule"),
    (StatementError, 400, "statement_refused"),
    (OutOfRangeError, 400, "out_of_range"),
    (VerificationError, 400, "verification_failed"),
    (GovernanceError, 400, "governance"),
    (StoreFullError, 507, "storage_full"),
    (StoreUnavailableError, 503, "unavailable"),
)
_OUTAGES = (503, 507)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The JSON body of an error answer."""
    return {"error": {"code": code, "message": message}}


OUTAGE_RETRY_SECONDS = 2
"""What ``Retry-After`` says while the database is unavailable."""


def known_error(exc: Exception) -> Exception:
    """``exc``, or the ``StoreError`` it means when it is a database outage (a driver's
    error says so in its own words: ``ledger.sql.store_fault``)."""
    return store_fault(exc) or exc


def status_of(exc: Exception) -> tuple[int, str]:
    """The HTTP status and error code for ``exc`` (500, ``internal`` if unmapped)."""
    exc = known_error(exc)
    for cls, status, default_code in _STATUS:
        if isinstance(exc, cls):
            return status, str(getattr(exc, "code", default_code))
    return 500, "internal"


def error_response(exc: Exception) -> JSONResponse:
    """The JSON answer for ``exc``; the message of an unmapped error is not revealed.

    An outage (503, 507) is logged in one line and says when to try again; a bug (500) is
    logged with its traceback.
    """
    known = known_error(exc)
    status, code = status_of(known)
    headers = {"Cache-Control": "no-store"} if status >= 500 else {}
    if status in _OUTAGES:
        _log_outage(code, known)
        message = str(known)
        headers["Retry-After"] = str(OUTAGE_RETRY_SECONDS)
    elif status >= 500:
        log.error("unexpected %s: %s", type(exc).__name__, exc, exc_info=exc)
        message = "internal error"
    else:
        message = str(known)
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


OUTAGE_LOG_SECONDS = 10.0
"""An outage is logged once in this long, however many requests it refuses meanwhile."""
_outages_logged: dict[str, tuple[float, int]] = {}


def _log_outage(code: str, fault: Exception) -> None:
    now = time.monotonic()
    last, refused = _outages_logged.get(code, (-OUTAGE_LOG_SECONDS, 0))
    if now - last < OUTAGE_LOG_SECONDS:
        _outages_logged[code] = (last, refused + 1)
        return
    since = f" ({refused} more refused since the last line)" if refused else ""
    log.warning("%s: %s%s", code, fault, since)
    _outages_logged[code] = (now, 0)


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(exc)


async def _handle_validation(_request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    where = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {str(e.get('msg', '')).lower()}"
        for e in errors
    )
    return JSONResponse(error_body("bad_request", f"malformed request: {where}"), 400)


def expected_code(exc: BaseException) -> str | None:
    """The code of an expected error (a GraphQL error's ``extensions.code``), else ``None``."""
    if not isinstance(exc, Exception):
        return None
    status, code = status_of(exc)
    return code if status < 500 or status in _OUTAGES else None


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


async def _handle_http(_request: Request, exc: Exception) -> JSONResponse:
    """A path no route matches, or a method a route does not take, as a coded error."""
    if not isinstance(exc, StarletteHTTPException):  # registered for that type only
        return error_response(exc)
    status = exc.status_code
    if status not in _HTTP_CODES:
        code = "bad_request" if status < 500 else "internal"
        return JSONResponse(error_body(code, str(exc.detail)), status, headers=exc.headers)
    message = "no such path" if status == 404 else "this path does not take that method"
    return JSONResponse(error_body(_HTTP_CODES[status], message), status, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer domain errors, bad parameters, request validation errors and paths no route
    matches as JSON ``{"error": {"code", "message"}}``."""
    app.add_exception_handler(LedgerError, _handle)
    app.add_exception_handler(BadRequestError, _handle)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
