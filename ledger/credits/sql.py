"""Credit projections in SQL (SQLAlchemy Core): the tables and the writes ``apply`` makes.

These tables are projections of the log: ``reset`` empties them and replaying every entry
through ``CreditsHandler.apply`` fills them again, row for row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.credits.caps import pair_of
from ledger.credits.records import (
    AwardRecord,
    ClaimRecord,
    CorrectionRecord,
    DisputeRecord,
    SessionRecord,
)
from ledger.credits.rules import RuleTable
from ledger.encoding import canonical_json

metadata = MetaData()


def _member(name: str, nullable: bool = False) -> Column[Any]:
    return Column(name, String(64), nullable=nullable)


rule_tables = Table(
    "credit_rule_tables",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("decision", BigInteger, nullable=True),
    Column("digest", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("logged_at", String(40), nullable=False),
)

sessions = Table(
    "credit_sessions",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    _member("organiser"),
    Column("activity", String(64), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("held_on", String(10), nullable=False),
    Column("working_group", String(64), nullable=True),
    Column("title", String(200), nullable=False),
    Column("logged_at", String(40), nullable=False),
)

attendees = Table(
    "credit_attendees",
    metadata,
    Column("session", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    _member("member"),
    UniqueConstraint("session", "member", name="uq_credit_attendees_member"),
)

claims = Table(
    "credit_claims",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    _member("member"),
    Column("activity", String(64), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("evidence_sha256", String(64), nullable=False),
    Column("done_on", String(10), nullable=False),
    _member("counterparty", nullable=True),
    Column("bid", String(64), nullable=True),
    Column("working_group", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("closed_by", BigInteger, nullable=True),
    Column("logged_at", String(40), nullable=False),
    Index("ix_credit_claims_member_evidence", "member", "evidence_sha256"),
)

awards = Table(
    "credit_awards",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    _member("member"),
    Column("activity", String(64), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("credits", Integer, nullable=False),
    Column("net", Integer, nullable=False),
    _member("approver"),
    _member("counterparty", nullable=True),
    _member("pair_a", nullable=True),
    _member("pair_b", nullable=True),
    Column("bid", String(64), nullable=True),
    Column("working_group", String(64), nullable=True),
    Column("activity_on", String(10), nullable=False),
    Column("month", String(7), nullable=False),
    Column("basis", String(8), nullable=False),
    Column("basis_seq", BigInteger, nullable=False),
    Column("reversed_by", BigInteger, nullable=True),
    Column("logged_at", String(40), nullable=False),
    UniqueConstraint("basis", "basis_seq", "member", name="uq_credit_awards_basis"),
    Index("ix_credit_awards_member_month", "member", "month", "activity"),
    Index("ix_credit_awards_pair", "activity", "pair_a", "pair_b", "month"),
    Index("ix_credit_awards_bid", "member", "activity", "bid"),
    Index("ix_credit_awards_month", "month"),
)

corrections = Table(
    "credit_corrections",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("award", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("credits", Integer, nullable=False),
    Column("reason", String(32), nullable=False),
    _member("signer"),
    Column("logged_at", String(40), nullable=False),
    Index("ix_credit_corrections_award", "award"),
)

disputes = Table(
    "credit_disputes",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("award", BigInteger, nullable=False),
    _member("disputer"),
    Column("reason", String(32), nullable=False),
    Column("logged_at", String(40), nullable=False),
    Column("resolved_by", BigInteger, nullable=True),
    Column("outcome", String(16), nullable=True),
    _member("resolver", nullable=True),
    Index("ix_credit_disputes_award", "award"),
)

TABLES = (rule_tables, sessions, attendees, claims, awards, corrections, disputes)


async def reset(conn: AsyncConnection) -> None:
    """Delete every credit projection row (before a rebuild from the log)."""
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


async def insert_rule_table(
    conn: AsyncConnection, *, seq: int, table: RuleTable, logged_at: str
) -> None:
    """Project an adopted rule table version."""
    body = canonical_json(table.to_json()).decode("utf-8")
    await conn.execute(
        insert(rule_tables).values(
            version=table.version,
            seq=seq,
            decision=table.decision,
            digest=table.digest(),
            body=body,
            logged_at=logged_at,
        )
    )


async def insert_session(conn: AsyncConnection, record: SessionRecord, logged_at: str) -> None:
    """Project a session register and its attendees."""
    await conn.execute(
        insert(sessions).values(
            seq=record.seq,
            organiser=record.organiser,
            activity=record.activity,
            rule_version=record.rule_version,
            held_on=record.held_on.isoformat(),
            working_group=record.group,
            title=record.title,
            logged_at=logged_at,
        )
    )
    await conn.execute(
        insert(attendees),
        [
            {"session": record.seq, "position": i, "member": member}
            for i, member in enumerate(record.attendees)
        ],
    )


async def insert_claim(conn: AsyncConnection, record: ClaimRecord, logged_at: str) -> None:
    """Project a new claim."""
    await conn.execute(
        insert(claims).values(
            seq=record.seq,
            member=record.member,
            activity=record.activity,
            rule_version=record.rule_version,
            quantity=record.quantity,
            evidence_sha256=record.evidence_sha256,
            done_on=record.done_on.isoformat(),
            counterparty=record.counterparty,
            bid=record.bid,
            working_group=record.group,
            status=record.status,
            closed_by=record.closed_by,
            logged_at=logged_at,
        )
    )


async def close_claim(conn: AsyncConnection, *, claim: int, status: str, by: int) -> None:
    """Mark a claim awarded or declined by entry ``by``."""
    await conn.execute(
        update(claims).where(claims.c.seq == claim).values(status=status, closed_by=by)
    )


async def insert_award(conn: AsyncConnection, record: AwardRecord) -> None:
    """Project an award."""
    pair = (
        (None, None) if record.counterparty is None else pair_of(record.member, record.counterparty)
    )
    await conn.execute(
        insert(awards).values(
            seq=record.seq,
            member=record.member,
            activity=record.activity,
            rule_version=record.rule_version,
            quantity=record.quantity,
            credits=record.credits,
            net=record.net,
            approver=record.approver,
            counterparty=record.counterparty,
            pair_a=pair[0],
            pair_b=pair[1],
            bid=record.bid,
            working_group=record.group,
            activity_on=record.activity_on.isoformat(),
            month=record.activity_on.strftime("%Y-%m"),
            basis=record.basis,
            basis_seq=record.basis_seq,
            reversed_by=record.reversed_by,
            logged_at=record.logged_at,
        )
    )


async def insert_correction(conn: AsyncConnection, record: CorrectionRecord) -> None:
    """Project a reversal or adjustment and change the award's net value by its credits."""
    await conn.execute(
        insert(corrections).values(
            seq=record.seq,
            award=record.award,
            kind=record.kind,
            credits=record.credits,
            reason=record.reason,
            signer=record.signer,
            logged_at=record.logged_at,
        )
    )
    values: dict[str, Any] = {"net": awards.c.net + record.credits}
    if record.kind == "reversed":
        values["reversed_by"] = record.seq
    await conn.execute(update(awards).where(awards.c.seq == record.award).values(**values))


async def insert_dispute(conn: AsyncConnection, record: DisputeRecord) -> None:
    """Project an open dispute."""
    await conn.execute(
        insert(disputes).values(
            seq=record.seq,
            award=record.award,
            disputer=record.disputer,
            reason=record.reason,
            logged_at=record.logged_at,
        )
    )


async def resolve_dispute(
    conn: AsyncConnection, *, dispute: int, by: int, outcome: str, resolver: str
) -> None:
    """Record the ruling on a dispute."""
    await conn.execute(
        update(disputes)
        .where(disputes.c.seq == dispute)
        .values(resolved_by=by, outcome=outcome, resolver=resolver)
    )
