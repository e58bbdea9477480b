"""Members' personal data (handle, name, e-mail), beside the log and erasable.

A store (with ``ledger.sql``, whose ``directory`` table it reads and writes). The log never
holds these (principle 6). Erasing a member's row leaves the log, its proofs
and every projection untouched: the member is then known by their opaque id alone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ledger.encoding import format_time, utc_now
from ledger.errors import NotFoundError
from ledger.sql import Connection, Engine, directory


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
    """Erase a member's handle, name and e-mail; raises ``NotFoundError`` if none is held."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(directory)
            .where(directory.c.member == member, directory.c.erased_at.is_(None))
            .values(handle=None, name=None, email=None, erased_at=format_time(utc_now()))
        )
        if result.rowcount == 0:
            raise NotFoundError(f"no personal data held for {member}")


async def personal_data_of(conn: Connection, members: Collection[str]) -> dict[str, PersonalData]:
    """The directory rows of ``members`` (those that have one)."""
    query = select(directory).where(directory.c.member.in_(list(members)))
    return {row.member: PersonalData(*row) for row in (await conn.execute(query)).all()}


async def member_by_handle(conn: Connection, handle: str) -> str | None:
    """The member whose (unerased) handle is ``handle``."""
    query = select(directory.c.member).where(directory.c.handle == handle)
    return (await conn.execute(query)).scalar_one_or_none()
