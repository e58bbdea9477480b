"""Reads of the credit projections that checks and reports share (SQLAlchemy Core)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.credits.caps import Usage, pair_of
from ledger.credits.records import (
    DECLINED,
    AwardRecord,
    ClaimRecord,
    DisputeRecord,
    SessionRecord,
)
from ledger.credits.rules import RuleTable, parse_rule_table
from ledger.credits.sql import attendees, awards, claims, disputes, rule_tables, sessions


async def rule_table(conn: AsyncConnection, version: int | None = None) -> RuleTable | None:
    """Rule table ``version``, or the newest adopted one when ``version`` is ``None``."""
    query = select(rule_tables.c.body)
    if version is None:
        query = query.order_by(rule_tables.c.version.desc()).limit(1)
    else:
        query = query.where(rule_tables.c.version == version)
    body = (await conn.execute(query)).scalar_one_or_none()
    return None if body is None else parse_rule_table(json.loads(body))


async def session(conn: AsyncConnection, seq: int) -> SessionRecord | None:
    """The session register recorded at ``seq``."""
    row = (await conn.execute(select(sessions).where(sessions.c.seq == seq))).first()
    if row is None:
        return None
    query = select(attendees.c.member).where(attendees.c.session == seq)
    members = (await conn.execute(query.order_by(attendees.c.position))).scalars().all()
    return SessionRecord(
        seq=row.seq,
        organiser=row.organiser,
        activity=row.activity,
        rule_version=row.rule_version,
        held_on=date.fromisoformat(row.held_on),
        group=row.working_group,
        title=row.title,
        attendees=tuple(members),
    )


def claim_record(row: Any) -> ClaimRecord:
    """A ``ClaimRecord`` from a row of ``credit_claims``."""
    return ClaimRecord(
        seq=row.seq,
        member=row.member,
        activity=row.activity,
        rule_version=row.rule_version,
        quantity=row.quantity,
        evidence_sha256=row.evidence_sha256,
        done_on=date.fromisoformat(row.done_on),
        counterparty=row.counterparty,
        bid=row.bid,
        group=row.working_group,
        status=row.status,
        closed_by=row.closed_by,
    )


async def claim(conn: AsyncConnection, seq: int) -> ClaimRecord | None:
    """The claim made at ``seq``."""
    row = (await conn.execute(select(claims).where(claims.c.seq == seq))).first()
    return None if row is None else claim_record(row)


async def evidence_in_use(conn: AsyncConnection, member: str, evidence_sha256: str) -> int | None:
    """The seq of an open or awarded claim by ``member`` with this evidence hash, if any."""
    query = select(claims.c.seq).where(
        claims.c.member == member,
        claims.c.evidence_sha256 == evidence_sha256,
        claims.c.status != DECLINED,
    )
    return (await conn.execute(query.limit(1))).scalar_one_or_none()


def award_record(row: Any) -> AwardRecord:
    """An ``AwardRecord`` from a row of ``credit_awards``."""
    return AwardRecord(
        seq=row.seq,
        member=row.member,
        activity=row.activity,
        rule_version=row.rule_version,
        quantity=row.quantity,
        credits=row.credits,
        net=row.net,
        approver=row.approver,
        counterparty=row.counterparty,
        bid=row.bid,
        group=row.working_group,
        activity_on=date.fromisoformat(row.activity_on),
        basis=row.basis,
        basis_seq=row.basis_seq,
        reversed_by=row.reversed_by,
        logged_at=row.logged_at,
    )


async def award(conn: AsyncConnection, seq: int) -> AwardRecord | None:
    """The award made at ``seq``."""
    row = (await conn.execute(select(awards).where(awards.c.seq == seq))).first()
    return None if row is None else award_record(row)


async def award_for_basis(conn: AsyncConnection, basis: str, seq: int, member: str) -> int | None:
    """The seq of the award to ``member`` on claim or session ``seq``, if there is one."""
    query = select(awards.c.seq).where(
        awards.c.basis == basis, awards.c.basis_seq == seq, awards.c.member == member
    )
    return (await conn.execute(query)).scalar_one_or_none()


def dispute_record(row: Any) -> DisputeRecord:
    """A ``DisputeRecord`` from a row of ``credit_disputes``."""
    return DisputeRecord(
        seq=row.seq,
        award=row.award,
        disputer=row.disputer,
        reason=row.reason,
        logged_at=row.logged_at,
        resolved_by=row.resolved_by,
        outcome=row.outcome,
        resolver=row.resolver,
    )


async def dispute(conn: AsyncConnection, seq: int) -> DisputeRecord | None:
    """The dispute opened at ``seq``."""
    row = (await conn.execute(select(disputes).where(disputes.c.seq == seq))).first()
    return None if row is None else dispute_record(row)


async def disputes_of(conn: AsyncConnection, award_seq: int) -> list[DisputeRecord]:
    """Every dispute of one award, oldest first."""
    query = select(disputes).where(disputes.c.award == award_seq).order_by(disputes.c.seq)
    return [dispute_record(row) for row in (await conn.execute(query)).all()]


async def _sum(conn: AsyncConnection, *where: Any) -> int:
    query = select(func.coalesce(func.sum(awards.c.net), 0)).where(and_(*where))
    return int((await conn.execute(query)).scalar_one())


async def usage(
    conn: AsyncConnection,
    *,
    member: str,
    activity: str,
    month: str,
    counterparty: str | None,
    bid: str | None,
) -> Usage:
    """Net credits already counted against each cap that could apply to a new award."""
    pair_month = None
    if counterparty is not None:
        a, b = pair_of(member, counterparty)
        pair_month = await _sum(
            conn,
            awards.c.activity == activity,
            awards.c.pair_a == a,
            awards.c.pair_b == b,
            awards.c.month == month,
        )
    bid_used = None
    if bid is not None:
        bid_used = await _sum(
            conn, awards.c.member == member, awards.c.activity == activity, awards.c.bid == bid
        )
    query = select(
        func.coalesce(func.sum(awards.c.net), 0),
        func.coalesce(func.sum(awards.c.net).filter(awards.c.activity == activity), 0),
    ).where(awards.c.member == member, awards.c.month == month)
    member_month, activity_month = (await conn.execute(query)).one()
    return Usage(int(member_month), int(activity_month), pair_month, bid_used)


async def balances(conn: AsyncConnection) -> dict[str, int]:
    """Every member's lifetime balance as projected (members with any award)."""
    query = select(awards.c.member, func.sum(awards.c.net)).group_by(awards.c.member)
    return {member: int(total) for member, total in (await conn.execute(query)).all()}
