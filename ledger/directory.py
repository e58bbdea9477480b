"""Members' personal data (handle, name, e-mail), beside the log and erasable.

A store (with ``ledger.sql``, whose ``directory`` table it reads and writes). The log never
holds these (principle 6). Erasing a member's row leaves the log, its proofs
and every projection untouched: the member is then known by their opaque id alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ledger.encoding import format_time, parse_time, utc_now
from ledger.errors import ConflictError, NotFoundError
from ledger.sql import Connection, Engine, directory, invitations


@dataclass(frozen=True)
class PersonalData:
    """What the directory holds of one member; ``None`` once erased."""

    member: str
    handle: str | None
    name: str | None
    email: str | None
    erased_at: str | None


async def save(
    engine: Engine,
    member: str,
    *,
    handle: str | None = None,
    name: str | None = None,
    email: str | None = None,
) -> None:
    """Record or replace a member's personal data."""
    row = {"member": member, "handle": handle, "name": name, "email": email, "erased_at": None}
    dialect = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
    statement = dialect(directory).values(**row)
    statement = statement.on_conflict_do_update(
        index_elements=[directory.c.member],
        set_={k: statement.excluded[k] for k in ("handle", "name", "email", "erased_at")},
    )
    async with engine.begin() as conn:
        await conn.execute(statement)


async def get(engine: Engine, member: str) -> PersonalData | None:
    """A member's personal data, or ``None`` if none was ever recorded."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(directory).where(directory.c.member == member))).first()
    return None if row is None else PersonalData(*row)


async def handles(engine: Engine) -> dict[str, str]:
    """Member id to handle, for every member whose handle is on record."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(directory.c.member, directory.c.handle))
        return {member: handle for member, handle in rows.all() if handle is not None}


async def erase(engine: Engine, member: str) -> None:
    """Erase a member's handle, name and e-mail, in the directory and in their invitation;
    raises ``NotFoundError`` if none is held."""
    personal = {"handle": None, "name": None, "email": None}
    async with engine.begin() as conn:
        result = await conn.execute(
            update(directory)
            .where(directory.c.member == member, directory.c.erased_at.is_(None))
            .values(**personal, erased_at=format_time(utc_now()))
        )
        invited = await conn.execute(
            update(invitations)
            .where(
                invitations.c.member == member,
                or_(*(invitations.c[name].is_not(None) for name in personal)),
            )
            .values(**personal)
        )
        if result.rowcount == 0 and invited.rowcount == 0:
            raise NotFoundError(f"no personal data held for {member}")


async def personal_data_of(conn: Connection, members: Collection[str]) -> dict[str, PersonalData]:
    """The directory rows of ``members`` (those that have one)."""
    query = select(directory).where(directory.c.member.in_(list(members)))
    return {row.member: PersonalData(*row) for row in (await conn.execute(query)).all()}


async def member_by_handle(conn: Connection, handle: str) -> str | None:
    """The member whose (unerased) handle is ``handle``."""
    query = select(directory.c.member).where(directory.c.handle == handle)
    return (await conn.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class Invitation:
    """An invitation to join: who the board means to admit and, once the invitee accepted,
    the public key their browser made. ``token_sha256`` names it; the token is never kept."""

    token_sha256: str
    member: str
    handle: str | None
    name: str | None
    email: str | None
    member_kind: str
    borough: str
    roles: tuple[str, ...]
    invited_by: str
    created_at: str
    expires_at: str
    public_key: str | None = None
    accepted_at: str | None = None


def token_sha256(token: str) -> str:
    """The hex SHA-256 of an invitation's secret token: the only form in which it is kept."""
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation(row: object) -> Invitation:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    values["roles"] = tuple(r for r in values["roles"].split(",") if r)
    return Invitation(**values)


async def invite(engine: Engine, invitation: Invitation) -> None:
    """Record an invitation; ``ConflictError`` if its member id or handle is taken."""
    row = {**invitation.__dict__, "roles": ",".join(invitation.roles)}
    async with engine.begin() as conn:
        if invitation.handle is not None:
            taken = await conn.execute(
                select(directory.c.member)
                .where(directory.c.handle == invitation.handle)
                .union_all(
                    select(invitations.c.member).where(invitations.c.handle == invitation.handle)
                )
            )
            if taken.first() is not None:
                raise ConflictError(f"the handle {invitation.handle!r} is taken")
        try:
            await conn.execute(invitations.insert().values(**row))
        except IntegrityError:
            raise ConflictError(f"{invitation.member} has been invited already") from None


async def _find(conn: Connection, digest: str) -> Invitation | None:
    query = select(invitations).where(invitations.c.token_sha256 == digest)
    row = (await conn.execute(query)).first()
    return None if row is None else _invitation(row)


async def invitation(engine: Engine, digest: str) -> Invitation | None:
    """The invitation whose token hashes to ``digest``, if there is one."""
    async with engine.connect() as conn:
        return await _find(conn, digest)


async def all_invitations(engine: Engine) -> list[Invitation]:
    """Every invitation, the newest first."""
    async with engine.connect() as conn:
        query = select(invitations).order_by(invitations.c.created_at.desc())
        return [_invitation(row) for row in (await conn.execute(query)).all()]


async def accept(engine: Engine, digest: str, public_key: str) -> Invitation:
    """Attach the invitee's public key to the invitation (once; the same key again is a
    no-op). ``NotFoundError`` if there is none, ``ConflictError`` if it has expired or was
    accepted with another key."""
    moment = utc_now()
    now = format_time(moment)
    async with engine.begin() as conn:
        found = await _find(conn, digest)
        if found is None:
            raise NotFoundError("there is no such invitation")
        if found.public_key is not None:
            if found.public_key == public_key:
                return found
            raise ConflictError("this invitation was accepted already, with another key")
        if parse_time(found.expires_at) <= moment:
            raise ConflictError(f"this invitation expired at {found.expires_at}")
        taken = await conn.execute(
            update(invitations)
            .where(invitations.c.token_sha256 == digest, invitations.c.public_key.is_(None))
            .values(public_key=public_key, accepted_at=now)
        )
        if taken.rowcount == 0:  # another acceptance won the race
            raise ConflictError("this invitation was accepted already, with another key")
    return Invitation(**{**found.__dict__, "public_key": public_key, "accepted_at": now})
