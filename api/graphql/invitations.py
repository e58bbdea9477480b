"""Invitations to join (off the log): the board invites, the invitee's browser makes a key and
accepts, the board admits.

The board names the new member's kind, borough, handle and roles and gets a secret token to
send (``/join?invite=TOKEN``); only its SHA-256 is kept. The invitee's page makes an Ed25519
key in the browser and hands over the public key alone (``acceptInvitation``). The board then
signs the ``member.admitted`` statement with that key in it (``admitMember``): nothing reaches
the log until the board signs, and the server never sees a private key.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from datetime import timedelta
from typing import Annotated

import strawberry

from api.auth import AccessError
from api.errors import BadRequestError
from api.graphql.context import Info
from api.graphql.fields import copy_fields, mutation
from api.graphql.mutation_auth import denied
from api.graphql.refusals import Denied
from ledger import directory
from ledger.encoding import b64decode, format_time, parse_time, utc_now
from ledger.errors import ConflictError, MalformedStatementError, NotFoundError
from ledger.fields import MEMBER_ID, SLUG
from ledger.members import ROLES
from ledger.signing import decode_public_key, key_id_of

HANDLE = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")
MAX_DAYS = 90


@strawberry.type(description="An invitation to join the co-op (off the log).")
class Invitation:
    member: str = strawberry.field(description="The member id the admission will name.")
    handle: str | None
    name: str | None
    email: str | None
    member_kind: str
    borough: str
    roles: list[str]
    invited_by: str
    created_at: str
    expires_at: str
    public_key: str | None = strawberry.field(
        description="The key the invitee's browser made (standard base64), once accepted."
    )
    key_id: str | None
    accepted_at: str | None
    status: str = strawberry.field(
        description="open, accepted (a key is waiting for the board to admit it), admitted or "
        "expired."
    )

    @classmethod
    def from_domain(cls, found: directory.Invitation, admitted: bool) -> Invitation:
        if admitted:
            status = "admitted"
        elif found.public_key is not None:
            status = "accepted"
        elif parse_time(found.expires_at) <= utc_now():
            status = "expired"
        else:
            status = "open"
        key_id = None if found.public_key is None else key_id_of(b64decode(found.public_key))
        return copy_fields(cls, found, roles=list(found.roles), key_id=key_id, status=status)


@strawberry.type(description="An invitation was made: send its link to the invitee, once.")
class InvitationMade:
    token: str = strawberry.field(
        description="The secret the invitee opens as /join?invite=TOKEN; it is not kept and "
        "cannot be shown again."
    )
    invitation: Invitation


@strawberry.input(description="Whom the board invites: what their admission will say.")
class InvitationInput:
    member_kind: str = strawberry.field(description="sme, anchor, charity, student, ...")
    borough: str
    handle: str | None = None
    name: str | None = None
    email: str | None = None
    member: str | None = strawberry.field(default=None, description="Default: a new m-… id.")
    board: bool = strawberry.field(default=False, description="Admit them to the board.")
    days: int = strawberry.field(default=30, description="Days until it expires (1-90).")


InvitationMadeResult = Annotated[InvitationMade | Denied, strawberry.union("InvitationMadeResult")]
InvitationResult = Annotated[Invitation | Denied, strawberry.union("InvitationResult")]


def _checked(given: InvitationInput) -> str:
    """The member id of ``given``, or ``BadRequestError`` naming what is wrong."""
    member = given.member or f"m-{secrets.token_hex(5)}"
    if not MEMBER_ID.fullmatch(member):
        raise BadRequestError(f"{member!r} is not a member id (a-z, 0-9, . _ -; 2-64)")
    if not SLUG.fullmatch(given.member_kind):
        raise BadRequestError(f"{given.member_kind!r} is not a kind of member (a-z, 0-9, . _ -)")
    if not given.borough.strip() or len(given.borough) > 80:
        raise BadRequestError("the borough must be given, at most 80 characters")
    if given.handle is not None and not HANDLE.fullmatch(given.handle):
        raise BadRequestError(f"{given.handle!r} is not a handle (a-z, 0-9 and -; 2-80)")
    if not 1 <= given.days <= MAX_DAYS:
        raise BadRequestError(f"an invitation lasts 1 to {MAX_DAYS} days, not {given.days}")
    return member


@mutation(description="Invite someone to join (the board): their admission's details, off the log.")
async def invite_member(info: Info, invitation: InvitationInput) -> InvitationMadeResult:
    try:
        board = (await info.context.viewer()).require_board()
        member = _checked(invitation)
        if member in await _members(info):
            raise ConflictError(f"{member} is a member already")
        token = secrets.token_urlsafe(32)
        now = utc_now()
        made = directory.Invitation(
            token_sha256=directory.token_sha256(token),
            member=member,
            handle=invitation.handle,
            name=invitation.name,
            email=invitation.email,
            member_kind=invitation.member_kind,
            borough=invitation.borough,
            roles=tuple(sorted(ROLES)) if invitation.board else (),
            invited_by=board.member,
            created_at=format_time(now),
            expires_at=format_time(now + timedelta(days=invitation.days)),
        )
        await directory.invite(info.context.state.write_engine, made)
    except (AccessError, BadRequestError, ConflictError) as e:
        return denied(e)
    return InvitationMade(token=token, invitation=Invitation.from_domain(made, admitted=False))


async def _members(info: Info) -> Collection[str]:
    return (await info.context.state.registry.current(fresh=True)).members


@mutation(
    description="Accept an invitation with the public key made in your browser (standard "
    "base64 of 32 bytes); the board then admits it."
)
async def accept_invitation(info: Info, token: str, public_key: str) -> InvitationResult:
    try:
        try:
            key_id = key_id_of(decode_public_key(public_key))
        except MalformedStatementError as e:
            raise BadRequestError(str(e)) from None
        registry = await info.context.state.registry.current(fresh=True)
        if key_id in registry.keys:
            raise ConflictError("this key belongs to a member already: make a new one")
        found = await directory.accept(
            info.context.state.write_engine, directory.token_sha256(token), public_key
        )
    except (BadRequestError, ConflictError, NotFoundError) as e:
        return denied(e)
    return Invitation.from_domain(found, admitted=found.member in registry.members)


async def invitation(info: Info, token: str) -> Invitation | None:
    """The invitation a secret token opens (null if there is none)."""
    found = await directory.invitation(
        info.context.state.write_engine, directory.token_sha256(token)
    )
    if found is None:
        return None
    return Invitation.from_domain(found, admitted=found.member in await _members(info))


async def invitations(info: Info) -> list[Invitation]:
    """Every invitation, the newest first (the board only)."""
    (await info.context.viewer()).require_board()
    found = await directory.all_invitations(info.context.state.write_engine)
    members = await _members(info)
    return [Invitation.from_domain(i, admitted=i.member in members) for i in found]
