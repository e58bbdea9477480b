"""The guard in front of every HTTP route: body size, header encoding, a time budget, and one
coded answer for anything that goes wrong.

Whatever a request holds, the client gets a JSON answer ``{"error": {"code", "message"}}``
with a status (``api.errors``), never a dropped connection or a bare "Internal Server
Error": a body over the limit answers 413 before it is read further, an ``Authorization``
header that is not ASCII 400, a request still unanswered after its time budget 503 with
``Retry-After``, and an exception no route answered is mapped by ``api.errors`` (500
``internal`` for a bug, logged once with its traceback). JSON inside a body is bounded by
``ledger.encoding.load_json`` where it is parsed.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body, error_response

log = logging.getLogger(__name__)

_ASCII_HEADERS = (b"authorization",)


class RequestGuard:
    """ASGI middleware: see the module's docstring. WebSocket traffic passes untouched."""

    def __init__(self, app: ASGIApp, *, max_body: int, budget: float) -> None:
        self.app = app
        self.max_body = max_body
        self.budget = budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        answer: JSONResponse | None = None
        try:
            async with asyncio.timeout(self.budget) as budget:
                await self.app(scope, counting_receive, tracking_send)
        except _TooLargeError:
            answer = self._too_large()
        except TimeoutError as e:
            if not budget.expired():
                answer = error_response(e)
            else:
                log.warning(
                    "%s %s: no answer within %gs", scope["method"], scope["path"], self.budget
                )
                answer = _json(
                    503,
                    "timeout",
                    f"the request was not answered within {self.budget:g} seconds; try again",
                    retry_after=1,
                )
        except Exception as e:  # every error gets a coded answer
            answer = error_response(e)
        if answer is None:
            return
        if started:  # the status line is out: all that can be done is to end the answer
            log.error("%s %s failed after its answer began", scope["method"], scope["path"])
            return
        await answer(scope, receive, send)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        """An answer for what the request line and headers alone show to be refused."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                return self._too_large()
            if name in _ASCII_HEADERS and not _visible_ascii(value):
                header = name.decode().title()
                return _json(400, "bad_request", f"the {header} header must be printable ASCII")
        return None

    def _too_large(self) -> JSONResponse:
        return _json(
            413, "payload_too_large", f"the request body is larger than {self.max_body} bytes"
        )


class _TooLargeError(Exception):
    pass


def _visible_ascii(value: bytes) -> bool:
    return all(0x20 <= byte < 0x7F for byte in value)


def _json(status: int, code: str, message: str, *, retry_after: int | None = None) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    body = {
        **error_body(code, message),
        "errors": [{"message": message, "extensions": {"code": code}}],
    }
    return JSONResponse(body, status_code=status, headers=headers)
