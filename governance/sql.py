"""Governance tables (SQLAlchemy Core) and the writes ``GovernanceHandler.apply`` makes.

``TABLES`` are projections of the log: ``reset`` empties them and replaying every entry fills
them again, row for row. ``texts`` is not a projection: it holds the texts the log names by
SHA-256 (terms of reference, proposal bodies, outcome statements) and survives a rebuild.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

metadata = MetaData()


def _member(name: str = "member", nullable: bool = False) -> Column[Any]:
    return Column(name, String(64), nullable=nullable)


def _seq(name: str, nullable: bool = False, primary_key: bool = False) -> Column[Any]:
    return Column(name, BigInteger, nullable=nullable, primary_key=primary_key, autoincrement=False)


def _group(primary_key: bool = False) -> Column[Any]:
    return Column("working_group", String(64), nullable=False, primary_key=primary_key)


def _time(name: str = "logged_at", nullable: bool = False) -> Column[Any]:
    return Column(name, String(40), nullable=nullable)


groups = Table(
    "governance_groups",
    metadata,
    Column("slug", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    _seq("created_seq"),
    _time(),
)

memberships = Table(
    "governance_memberships",
    metadata,
    _group(primary_key=True),
    Column("member", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    _seq("since_seq"),
    Index("ix_governance_memberships_member", "member"),
)

join_requests = Table(
    "governance_join_requests",
    metadata,
    _seq("seq", primary_key=True),
    _group(),
    _member(),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    _seq("closed_by", nullable=True),
    _time(),
    Index("ix_governance_join_requests_open", "working_group", "member", "status"),
)

terms = Table(
    "governance_terms",
    metadata,
    _group(primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    _seq("decision"),
    _time(),
)

proposals = Table(
    "governance_proposals",
    metadata,
    _seq("seq", primary_key=True),
    _group(),
    _member("opener"),
    Column("title", String(200), nullable=False),
    Column("method", String(16), nullable=False),
    Column("hidden", Boolean, nullable=False),
    Column("opening", Text, nullable=False),
    Column("seed", String(64), nullable=False),
    _time("opens_at"),
    _time("closes_at"),
    Column("action_type", String(24), nullable=False),
    Column("action_version", Integer, nullable=True),
    Column("status", String(8), nullable=False),
    _seq("closed_by", nullable=True),
    Column("close_reason", String(16), nullable=True),
    Column("seal_private_key", String(64), nullable=True),
    _seq("decided_by", nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("passed", Boolean, nullable=True),
    Column("result", Text, nullable=True),
    Column("transcript_sha256", String(64), nullable=True),
    Column("statement_sha256", String(64), nullable=True),
    Column("review_on", String(10), nullable=True),
    _time(),
    Index("ix_governance_proposals_group", "working_group", "status"),
    Index("ix_governance_proposals_action", "action_type", "action_version"),
    Index("ix_governance_proposals_decided_by", "decided_by"),
)

ballots = Table(
    "governance_ballots",
    metadata,
    _seq("seq", primary_key=True),
    _seq("proposal"),
    _member(),
    Column("ballot", Text, nullable=True),
    Column("sealed", Text, nullable=True),
    _seq("superseded_by", nullable=True),
    Column("spoiled", Text, nullable=True),
    _time(),
    Index("ix_governance_ballots_proposal", "proposal", "member"),
)
Index(
    "ix_governance_ballots_current",
    ballots.c.proposal,
    ballots.c.member,
    sqlite_where=ballots.c.superseded_by.is_(None),
    postgresql_where=ballots.c.superseded_by.is_(None),
)
"""Each voter's current ballot: what casting again supersedes (``insert_ballots``)."""

texts = Table(
    "governance_texts",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("text", Text, nullable=False),
    _time("stored_at"),
)
"""Texts named on the log by hash; off the log, erasable, never rebuilt."""

TABLES = (groups, memberships, join_requests, terms, proposals, ballots)
"""The projection tables, in creation order."""


async def reset(conn: AsyncConnection) -> None:
    """Delete every governance projection row (before a rebuild from the log); keep texts."""
    for table in reversed(TABLES):
        await conn.execute(delete(table))


async def dump(conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row, table by table in primary-key order (to compare rebuilds)."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLES:
        query = select(table).order_by(*table.primary_key.columns)
        result[table.name] = [tuple(row) for row in (await conn.execute(query)).all()]
    return result


# -- writes made by apply --------------------------------------------------------------


async def insert_row(conn: AsyncConnection, table: Table, **values: Any) -> None:
    """Insert one row."""
    await conn.execute(insert(table).values(**values))


async def set_role(
    conn: AsyncConnection, *, group: str, member: str, role: str, since_seq: int
) -> None:
    """Give ``member`` the ``role`` in ``group``, joining it if they were not in it."""
    where = (memberships.c.working_group == group) & (memberships.c.member == member)
    await conn.execute(delete(memberships).where(where))
    await insert_row(
        conn, memberships, working_group=group, member=member, role=role, since_seq=since_seq
    )


async def demote_convenor(conn: AsyncConnection, *, group: str, seq: int) -> None:
    """Make the group's convenor, if any, an ordinary member from entry ``seq``."""
    await conn.execute(
        update(memberships)
        .where(memberships.c.working_group == group, memberships.c.role == "convenor")
        .values(role="member", since_seq=seq)
    )


async def leave(conn: AsyncConnection, *, group: str, member: str) -> None:
    """Remove ``member`` from ``group``."""
    await conn.execute(
        delete(memberships).where(
            memberships.c.working_group == group, memberships.c.member == member
        )
    )


async def close_request(conn: AsyncConnection, *, request: int, status: str, by: int) -> None:
    """Mark a join request approved, declined or withdrawn by entry ``by``."""
    await conn.execute(
        update(join_requests)
        .where(join_requests.c.seq == request)
        .values(status=status, closed_by=by)
    )


SUPERSEDE = (
    update(ballots)
    .where(
        ballots.c.proposal == bindparam("p"),
        ballots.c.member == bindparam("m"),
        ballots.c.superseded_by.is_(None),
    )
    .values(superseded_by=bindparam("by"))
)
"""Mark voter ``m``'s current ballot on proposal ``p`` superseded by entry ``by`` (a point
lookup in ``ix_governance_ballots_current``)."""


async def insert_ballots(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Insert ballots (log order) and mark each voter's ballot before them superseded.

    Within ``rows`` a voter's later ballot on the same proposal supersedes the earlier one;
    the first supersedes the voter's current ballot already stored, if any. Two statements
    for the whole list, however long.
    """
    if not rows:
        return
    last: dict[tuple[int, str], dict[str, Any]] = {}
    firsts: list[dict[str, Any]] = []
    for row in rows:
        voter = (row["proposal"], row["member"])
        before = last.get(voter)
        if before is None:
            firsts.append({"p": row["proposal"], "m": row["member"], "by": row["seq"]})
        else:
            before["superseded_by"] = row["seq"]
        last[voter] = row
    await conn.execute(SUPERSEDE, firsts)
    await conn.execute(insert(ballots), rows)


async def reveal_ballot(
    conn: AsyncConnection, *, seq: int, ballot: str | None, spoiled: str | None
) -> None:
    """Store a sealed ballot's opened content (canonical JSON), or why it is spoiled."""
    await conn.execute(
        update(ballots).where(ballots.c.seq == seq).values(ballot=ballot, spoiled=spoiled)
    )


async def update_proposal(conn: AsyncConnection, seq: int, **values: Any) -> None:
    """Change the proposal opened at ``seq``."""
    await conn.execute(update(proposals).where(proposals.c.seq == seq).values(**values))
