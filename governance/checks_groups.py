"""Checks of working-group statements: creation, join requests, leaving, roles.

Each check reads the projections and raises; none writes. The signer is ``scope.me``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance import store
from governance.bodies import (
    ASSEMBLY,
    CONVENOR,
    JOIN_ROLES,
    parse_group,
    parse_join_request,
    parse_leave,
    parse_request_ref,
    parse_role,
)
from governance.records import REQUEST_OPEN, RequestRecord
from governance.scope import Scope, can_sign, is_convenor, require_convenor, require_group
from ledger.errors import ConflictError, NotAuthorisedError, NotFoundError


async def check_group_created(scope: Scope, value: Mapping[str, Any]) -> None:
    """A board member creates a working group with a new slug.

    Raises ``NotAuthorisedError`` for a signer off the board, ``ConflictError`` for a slug in
    use.
    """
    body = parse_group(value)
    if not scope.signer.is_board:
        raise NotAuthorisedError("only a board member creates a working group")
    if await store.group(scope.conn, body.group) is not None:
        raise ConflictError(f"working group {body.group!r} exists already")


async def _working_group(scope: Scope, group: str) -> None:
    if group == ASSEMBLY:
        raise ConflictError("every member is in the assembly; it is not joined, left or staffed")
    await require_group(scope.conn, group)


async def check_join_requested(scope: Scope, value: Mapping[str, Any]) -> None:
    """A member asks to join a working group as a member or an observer.

    Raises ``NotFoundError`` for an unknown group, ``ConflictError`` for the assembly, a
    member already in the group, or a request already open.
    """
    body = parse_join_request(value)
    await _working_group(scope, body.group)
    if await store.membership(scope.conn, body.group, scope.me) is not None:
        raise ConflictError(f"{scope.me} is in {body.group} already")
    earlier = await store.open_request(scope.conn, body.group, scope.me)
    if earlier is not None:
        raise ConflictError(f"{scope.me} asked to join {body.group} at entry {earlier.seq}")


async def _open_request(scope: Scope, seq: int) -> RequestRecord:
    request = await store.request(scope.conn, seq)
    if request is None:
        raise NotFoundError(f"there is no join request at entry {seq}")
    if request.status != REQUEST_OPEN:
        raise ConflictError(f"join request {seq} is {request.status} already")
    return request


async def check_join_approved(scope: Scope, value: Mapping[str, Any]) -> None:
    """The group's convenor (or a board member) approves an open join request.

    Raises ``NotFoundError``/``ConflictError`` for a missing or closed request or a requester
    who can no longer sign, ``NotAuthorisedError`` for approving one's own request,
    ``NotConvenorError`` for anyone else.
    """
    body = parse_request_ref("governance.group.join_approved", value)
    request = await _open_request(scope, body.request)
    if request.member == scope.me:
        raise NotAuthorisedError("no one approves their own join request")
    await require_convenor(scope, request.group, "approves a join request")
    if not can_sign(scope.ctx.registry, request.member):
        raise ConflictError(f"{request.member} is no longer a member who can sign")


async def check_join_declined(scope: Scope, value: Mapping[str, Any]) -> None:
    """The convenor (or a board member) declines an open request, or the requester withdraws it.

    Raises ``NotFoundError``/``ConflictError`` for a missing or closed request,
    ``NotConvenorError`` for anyone else.
    """
    body = parse_request_ref("governance.group.join_declined", value)
    request = await _open_request(scope, body.request)
    if request.member != scope.me:
        await require_convenor(scope, request.group, "declines a join request")


async def check_left(scope: Scope, value: Mapping[str, Any]) -> None:
    """A member leaves a working group they are in (a convenor too: the board then appoints).

    Raises ``NotFoundError`` for an unknown group or a signer not in it, ``ConflictError``
    for the assembly.
    """
    body = parse_leave(value)
    await _working_group(scope, body.group)
    if await store.membership(scope.conn, body.group, scope.me) is None:
        raise NotFoundError(f"{scope.me} is not in {body.group}")


async def check_role_set(scope: Scope, value: Mapping[str, Any]) -> None:
    """Set a member's role in a working group.

    A board member sets any role for any member who can sign (appointing a convenor makes
    the previous one an ordinary member; a non-member joins with the role). A convenor moves
    another member of the group between member and observer. Raises ``NotConvenorError``,
    ``NotAuthorisedError``, ``NotFoundError`` or ``ConflictError`` (the role is the same).
    """
    body = parse_role(value)
    await _working_group(scope, body.group)
    if not can_sign(scope.ctx.registry, body.member):
        raise NotFoundError(f"{body.member!r} is not a member who can sign")
    current = await store.membership(scope.conn, body.group, body.member)
    if current is not None and current.role == body.role:
        raise ConflictError(f"{body.member} is {body.role} of {body.group} already")
    if scope.signer.is_board:
        return
    if not await is_convenor(scope.conn, scope.ctx.registry, scope.me, body.group):
        raise NotAuthorisedError(f"only the convenor of {body.group} or the board sets roles")
    if body.role not in JOIN_ROLES or current is None or current.role == CONVENOR:
        raise NotAuthorisedError(
            "a convenor moves members of the group between member and observer; the board "
            "appoints convenors"
        )
