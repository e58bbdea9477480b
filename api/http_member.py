"""A plain JSON endpoint for a member's balance and recent statement lines.

It reads exactly what the typical GraphQL member query reads, so the benchmark can compare
the two in one server; tools that want no GraphQL can use it too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.errors import BadRequestError, error_body
from api.graphql.context import Context
from ledger.credits import store

router = APIRouter(prefix="/api", tags=["members"])
MAX_LINES = 100


@router.get("/members/{member}/statement")
async def statement(
    request: Request, member: str, last: Annotated[int, Query(ge=0, le=MAX_LINES)] = 20
) -> JSONResponse:
    """The member's balance and their last ``last`` statement lines (oldest first)."""
    context = Context(request.app.state.api, request.headers.get("authorization"))
    await context.log_reader()
    if not 0 <= last <= MAX_LINES:
        raise BadRequestError(f"last must be between 0 and {MAX_LINES}")
    if member not in (await context.registry()).members:
        return JSONResponse(error_body("not_found", f"{member!r} is not a member"), 404)
    async with context.read() as conn:
        found = (await store.statement_pages(conn, [member], size=last, forward=False))[member]
        balance = found.balance if found.balance is not None else await store.balance(conn, member)
    body: dict[str, Any] = {
        "member": member,
        "balance": balance,
        "lines": [
            {
                "seq": line.seq,
                "kind": line.kind,
                "award": line.award,
                "activity_on": line.activity_on.isoformat(),
                "logged_at": line.logged_at,
                "activity": line.activity,
                "credits": line.credits,
                "balance": line.balance,
            }
            for line in found.lines
        ],
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
