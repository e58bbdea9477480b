"""Root fields about members: the viewer (``me``), one member, and the member list."""

from __future__ import annotations

import strawberry

from api.auth import AUDITOR, BOARD, CONVENOR, MEMBER, OBSERVER
from api.graphql.context import Info
from api.graphql.pagination import Connection, Page, from_list, relay
from api.graphql.types_members import Member
from ledger import directory


@strawberry.type(description="Who the bearer token names, and their roles now.")
class Me:
    member: Member | None = strawberry.field(description="The member (null for an auditor).")
    auditor: str | None = strawberry.field(description="The registered auditor's name.")
    key_id: str
    roles: list[str] = strawberry.field(description="member, board, convenor, observer or auditor.")


async def me(info: Info) -> Me | None:
    """The logged-in member or auditor (null without a valid token)."""
    viewer = await info.context.viewer()
    if viewer.key_id is None:
        return None
    if viewer.auditor is not None:
        return Me(member=None, auditor=viewer.auditor.name, key_id=viewer.key_id, roles=[AUDITOR])
    record = viewer.require_member()
    roles = {MEMBER} | ({BOARD} if record.is_board else set())
    for membership in await info.context.loaders.groups_of.load(record.member):
        if membership.role in (CONVENOR, OBSERVER):
            roles.add(membership.role)
    registry = await info.context.registry()
    return Me(
        member=Member.from_domain(record, registry),
        auditor=None,
        key_id=viewer.key_id,
        roles=sorted(roles),
    )


async def member(info: Info, id: str | None = None, handle: str | None = None) -> Member | None:
    """A member by id or by handle (null if there is none)."""
    await info.context.log_reader()
    if handle is not None:
        async with info.context.read() as conn:
            id = await directory.member_by_handle(conn, handle)
    if id is None:
        return None
    registry = await info.context.registry()
    record = registry.members.get(id)
    return None if record is None else Member.from_domain(record, registry)


@relay("member")
async def members(
    info: Info,
    kind: str | None = None,
    *,
    p: Page,
) -> Connection[Member]:
    """Members in the order they were admitted, optionally of one kind."""
    await info.context.log_reader()
    registry = await info.context.registry()
    records = sorted(registry.members.values(), key=lambda r: r.admitted_seq)
    if kind is not None:
        records = [r for r in records if r.member_kind == kind]
    return from_list(
        p, records, lambda r: r.admitted_seq, lambda r: Member.from_domain(r, registry)
    )
