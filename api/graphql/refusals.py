"""One GraphQL type per refusal code (``api.errors.REFUSALS``), and result unions of mutations.

Every refusal type implements the ``Refusal`` interface (``code``, ``message``), so a client
can ask ``... on Refusal { code message }`` for any of them; ``OverCap`` and ``RateLimited``
say more.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

import strawberry

from api.errors import (
    CREDIT_REFUSALS,
    GOVERNANCE_REFUSALS,
    LEDGER_REFUSALS,
    RateLimitedError,
    refusal_class,
    refusal_code,
)
from ledger.credits.errors import OverCapError


@strawberry.interface(description="A statement the ledger refused; nothing was appended.")
class Refusal:
    code: str = strawberry.field(description="A stable, machine-readable code.")
    message: str = strawberry.field(description="What was wrong, in words.")


@strawberry.type(description="A cap would be passed (over_cap); nothing was appended.")
class OverCap(Refusal):
    cap: str = strawberry.field(description="Which cap: per_member_month, per_pair_month, ...")
    limit: int
    used: int
    room: int


@strawberry.type(description="Too many mutations by this key just now; try again later.")
class RateLimited(Refusal):
    retry_after_seconds: float


_NAMES = {"rule": "RuleRefused"}  # "Rule" is a rule of the credit rule table


def _type_name(code: str) -> str:
    return _NAMES.get(code) or "".join(part.capitalize() for part in code.split("_"))


def _plain(cls: type[Exception]) -> type[Refusal]:
    code = refusal_code(cls)
    name = _type_name(code)
    doc = (cls.__doc__ or code).strip().splitlines()[0]
    made = type(name, (Refusal,), {"__doc__": doc, "__annotations__": {}})
    return strawberry.type(made, name=name, description=f"{doc} ({code})")


_SPECIAL: dict[type[Exception], type[Refusal]] = {
    OverCapError: OverCap,
    RateLimitedError: RateLimited,
}
TYPES: dict[type[Exception], type[Refusal]] = {
    cls: _SPECIAL.get(cls) or _plain(cls)
    for cls in LEDGER_REFUSALS + CREDIT_REFUSALS + GOVERNANCE_REFUSALS
}


def refusal(exc: Exception, allowed: tuple[type[Exception], ...]) -> Refusal:
    """The GraphQL value of a refused statement (``LookupError`` if it is not a refusal)."""
    cls = refusal_class(exc, allowed)
    kind = TYPES[cls]
    code, message = refusal_code(cls), str(exc)
    if isinstance(exc, OverCapError) and kind is OverCap:
        return OverCap(
            code=code, message=message, cap=exc.cap, limit=exc.limit, used=exc.used, room=exc.room
        )
    if isinstance(exc, RateLimitedError):
        return RateLimited(code=code, message=message, retry_after_seconds=exc.retry_after)
    return kind(code=code, message=message)


def result_union(name: str, success: type[Any], allowed: tuple[type[Exception], ...]) -> Any:
    """The union ``name`` of ``success`` and the refusal type of every class in ``allowed``."""
    members = (success, *(TYPES[cls] for cls in allowed))
    return Annotated[Union[members], strawberry.union(name)]  # noqa: UP007


@strawberry.type(
    description="An off-log act was refused: no login (unauthenticated), not allowed "
    "(forbidden), a failed login (login_refused), or a bad request (bad_request)."
)
class Denied(Refusal):
    pass
