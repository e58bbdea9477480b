"""Login (challenge, then signature), and the members' personal data off the log."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import strawberry

from api.auth import AccessError, LoginError, check_login_signature, login_message
from api.errors import BadRequestError, expected_code
from api.graphql.context import Info
from api.graphql.fields import mutation
from api.graphql.inputs import PersonalDataInput
from api.graphql.refusals import Denied
from api.graphql.types_members import Member
from ledger import directory
from ledger.encoding import b64encode, format_time
from ledger.errors import NotFoundError
from ledger.signing import KeyID


def _time(unix: int) -> str:
    return format_time(datetime.fromtimestamp(unix, UTC))


def denied(exc: Exception) -> Denied:
    return Denied(code=expected_code(exc) or "forbidden", message=str(exc))


@strawberry.type(description="A login challenge: sign `message` (base64) with the key.")
class LoginChallenge:
    challenge: str
    expires_at: str
    message: str = strawberry.field(
        description="Base64 of b'coopledger/login/v1\\n' + origin + b'\\n' + challenge."
    )


@strawberry.type(description="A bearer token for the Authorization header.")
class LoginSession:
    token: str
    expires_at: str
    member: Member | None
    auditor: str | None


LoginResult = Annotated[LoginSession | Denied, strawberry.union("LoginResult")]


@mutation(description="Ask for a login challenge for one of your keys.")
async def request_login_challenge(info: Info, key_id: str) -> LoginChallenge:
    state = info.context.state
    challenge, expires = state.tokens.challenge(key_id, int(time.time()))
    message = b64encode(login_message(state.origin, challenge))
    return LoginChallenge(challenge=challenge, expires_at=_time(expires), message=message)


@mutation(description="Log in with a signed challenge; get a short-lived token.")
async def login(info: Info, key_id: str, challenge: str, signature: str) -> LoginResult:
    state = info.context.state
    now = int(time.time())
    try:
        state.tokens.check_challenge(challenge, key_id, now)
        holder = await _holder(info, KeyID(key_id))
        check_login_signature(
            public_key=holder.public_key,
            origin=state.origin,
            challenge=challenge,
            signature_b64=signature,
        )
    except LoginError as e:
        return denied(e)
    token, expires = state.tokens.issue(
        subject=holder.subject, key_id=key_id, auditor=holder.auditor is not None, now=now
    )
    return LoginSession(
        token=token, expires_at=_time(expires), member=holder.member, auditor=holder.auditor
    )


@dataclass(frozen=True)
class _Holder:
    subject: str
    public_key: bytes
    member: Member | None
    auditor: str | None


async def _holder(info: Info, key_id: KeyID) -> _Holder:
    """Who holds ``key_id``: a registered auditor, or a member whose key is active."""
    auditor = info.context.state.auditors.get(key_id)
    if auditor is not None:
        return _Holder(auditor.name, auditor.public_key, None, auditor.name)
    registry = await info.context.state.registry.current(fresh=True)
    key = registry.keys.get(key_id)
    if key is None or not key.active:
        raise LoginError(f"key {key_id} is not an active member key or a registered auditor")
    member = Member.from_domain(registry.members[key.member], registry)
    return _Holder(key.member, key.public_key, member, None)


@strawberry.type(description="Personal data was saved or erased.")
class PersonalDataSaved:
    member: str
    erased: bool


PersonalResult = Annotated[PersonalDataSaved | Denied, strawberry.union("PersonalDataResult")]


@mutation(description="Save a member's handle, name and e-mail (self or the board).")
async def save_personal_data(
    info: Info, member: str, personal: PersonalDataInput
) -> PersonalResult:
    try:
        (await info.context.viewer()).require_personal(member)
        if member not in (await info.context.state.registry.current(fresh=True)).members:
            raise BadRequestError(f"{member!r} is not a member")
    except (AccessError, BadRequestError) as e:
        return denied(e)
    await directory.save(
        info.context.state.write_engine,
        member,
        handle=personal.handle,
        name=personal.name,
        email=personal.email,
    )
    return PersonalDataSaved(member=member, erased=False)


@mutation(
    description="Erase a member's personal data (the board). The log still verifies; the "
    "API then shows only the member id."
)
async def erase_personal_data(info: Info, member: str) -> PersonalResult:
    try:
        (await info.context.viewer()).require_board()
        await directory.erase(info.context.state.write_engine, member)
    except (AccessError, NotFoundError) as e:
        return denied(e)
    return PersonalDataSaved(member=member, erased=True)
