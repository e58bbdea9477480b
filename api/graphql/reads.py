"""Batched and paged SQL reads the API needs beyond the domain's own query functions.

Each function takes a connection the caller opened for it alone, reads with one query, and
returns domain records (never rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.credits.queries import award_record, dispute_record
from ledger.credits.records import AwardRecord, DisputeRecord
from ledger.credits.reports import STANDING_DAYS
from ledger.credits.sql import awards, claims, disputes
from ledger.directory import PersonalData
from ledger.sql import directory, entries
from ledger.store import EntryRow


async def entries_at(conn: AsyncConnection, seqs: Collection[int]) -> dict[int, EntryRow]:
    """The entries at ``seqs`` (those that exist)."""
    query = select(entries).where(entries.c.seq.in_(list(seqs)))
    return {
        row.seq: EntryRow(
            seq=row.seq,
            leaf_hash=bytes(row.leaf_hash),
            data=bytes(row.body),
            kind=row.kind,
            key_id=row.key_id,
            nonce=row.nonce,
            logged_at=row.logged_at,
        )
        for row in (await conn.execute(query)).all()
    }


async def directory_of(conn: AsyncConnection, members: Collection[str]) -> dict[str, PersonalData]:
    """The directory rows of ``members`` (those that have one)."""
    query = select(directory).where(directory.c.member.in_(list(members)))
    return {
        row.member: PersonalData(row.member, row.handle, row.name, row.email, row.erased_at)
        for row in (await conn.execute(query)).all()
    }


async def member_by_handle(conn: AsyncConnection, handle: str) -> str | None:
    """The member whose (unerased) handle is ``handle``."""
    query = select(directory.c.member).where(directory.c.handle == handle)
    return (await conn.execute(query)).scalar_one_or_none()


# The batched reads every member query makes are built once: a statement built per call
# costs its construction each time, and leaves cyclic garbage for the collector.
_MEMBERS: BindParameter[str] = bindparam("members", expanding=True)
_BALANCES = (
    select(awards.c.member, func.sum(awards.c.net))
    .where(awards.c.member.in_(_MEMBERS))
    .group_by(awards.c.member)
)
_STANDINGS = (
    select(awards.c.member, func.sum(awards.c.net))
    .where(
        awards.c.member.in_(_MEMBERS),
        awards.c.activity_on >= bindparam("start"),
        awards.c.activity_on <= bindparam("end"),
    )
    .group_by(awards.c.member)
)


async def balances_of(conn: AsyncConnection, members: Collection[str]) -> dict[str, int]:
    """Lifetime balances of ``members`` (0 for a member with no awards)."""
    rows = (await conn.execute(_BALANCES, {"members": list(members)})).all()
    found = {member: int(total) for member, total in rows}
    return {member: found.get(member, 0) for member in members}


async def standings_of(conn: AsyncConnection, members: Collection[str], on: date) -> dict[str, int]:
    """Rolling 12-month standing of ``members`` on ``on`` (``reports.active_standing``)."""
    start = on - timedelta(days=STANDING_DAYS - 1)
    params = {"members": list(members), "start": start.isoformat(), "end": on.isoformat()}
    found = {member: int(total) for member, total in (await conn.execute(_STANDINGS, params)).all()}
    return {member: found.get(member, 0) for member in members}


async def awards_at(conn: AsyncConnection, seqs: Collection[int]) -> dict[int, AwardRecord]:
    """The awards made at ``seqs``."""
    query = select(awards).where(awards.c.seq.in_(list(seqs)))
    return {row.seq: award_record(row) for row in (await conn.execute(query)).all()}


async def disputes_of_awards(
    conn: AsyncConnection, award_seqs: Collection[int]
) -> dict[int, list[DisputeRecord]]:
    """Every dispute of each award in ``award_seqs``, oldest first."""
    query = select(disputes).where(disputes.c.award.in_(list(award_seqs))).order_by(disputes.c.seq)
    found: dict[int, list[DisputeRecord]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        found[row.award].append(dispute_record(row))
    return found


def awards_query(member: str | None, activity: str | None) -> Select[Any]:
    """Awards, optionally of one member and one activity."""
    query = select(awards)
    if member is not None:
        query = query.where(awards.c.member == member)
    if activity is not None:
        query = query.where(awards.c.activity == activity)
    return query


def claims_query(member: str | None, status: str | None, counterparty: str | None) -> Select[Any]:
    """Claims, optionally by one member, in one status, naming one counterparty."""
    query = select(claims)
    if member is not None:
        query = query.where(claims.c.member == member)
    if status is not None:
        query = query.where(claims.c.status == status)
    if counterparty is not None:
        query = query.where(claims.c.counterparty == counterparty)
    return query


def disputes_query(award: int | None, open_only: bool) -> Select[Any]:
    """Disputes, optionally of one award, optionally only those not yet ruled on."""
    query = select(disputes)
    if award is not None:
        query = query.where(disputes.c.award == award)
    if open_only:
        query = query.where(disputes.c.resolved_by.is_(None))
    return query
