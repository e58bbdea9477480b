"""The ASGI GraphQL endpoint: Strawberry's view with our context (HTTP and WebSocket).

Subscriptions are served over WebSocket only; over HTTP they answer 400. Request bodies,
``variables`` in a query string and WebSocket messages are parsed by
``ledger.encoding.load_json`` (bounded depth, number size and encoding, no duplicate keys)
and must be JSON objects. Strawberry's own refusals of a request (batching, a ``query``
that is not a string, GET for a mutation) answer with the same JSON error body as every
other route instead of plain text.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.errors import BadRequestError, error_body
from api.graphql.context import Context
from api.state import ApiState
from ledger.encoding import JSONError, load_json

_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


class GraphQLEndpoint(GraphQL[Context, None]):
    """``/graphql``: queries and mutations over HTTP, subscriptions over WebSocket."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state: ApiState = request.app.state.api
        return Context(
            state,
            request.headers.get("authorization"),
            over_websocket=isinstance(request, WebSocket),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as e:
            message = e.reason
            if message.startswith("subscriptions are not allowed"):
                message += "; subscribe over a WebSocket (graphql-transport-ws) to /graphql"
            code = _CODES.get(e.status_code, "bad_request")
            response = JSONResponse(error_body(code, message), status_code=e.status_code)
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        """A request body or query-string value; refusals answer 400 ``bad_request``."""
        try:
            return _object(data)
        except JSONError as e:
            raise BadRequestError(f"the request is not a JSON object GraphQL can take: {e}") from e

    def decode_json(self, data: str | bytes) -> object:
        """A WebSocket message; Strawberry closes the socket (4400) for a refused one."""
        try:
            return _object(data)
        except JSONError as e:
            raise json.JSONDecodeError(str(e), data if isinstance(data, str) else "", 0) from e


def _object(data: str | bytes) -> dict[str, Any]:
    value = load_json(data)
    if not isinstance(value, dict):
        raise JSONError(f"expected an object, got {_JSON_NAMES.get(type(value), 'an array')}")
    return value


_JSON_NAMES = {str: "a string", int: "a number", float: "a number", bool: "true or false"}
_JSON_NAMES[type(None)] = "null"
