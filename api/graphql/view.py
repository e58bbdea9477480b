"""The ASGI GraphQL endpoint: Strawberry's view with our context (HTTP and WebSocket)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.graphql.context import Context
from api.state import ApiState


class GraphQLEndpoint(GraphQL[Context, None]):
    """``/graphql``: queries and mutations over HTTP, subscriptions over WebSocket."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state: ApiState = request.app.state.api
        return Context(state, request.headers.get("authorization"))
