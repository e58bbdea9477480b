"""The credits store: the only credits module that builds SQL (SQLAlchemy Core).

- **Tables**: the credit projections. They are projections of the log: ``reset`` empties
  them and replaying every entry through ``CreditsHandler.apply`` fills them again, row for
  row (``dump`` compares the two).
- **Writes**: what ``ledger.credits.projection`` makes of each accepted entry.
- **Reads**: what the checks, the reports and the API ask of the projections, each
  returning records (``ledger.credits.records``), never rows.

Every other credits module holds a ``ledger.sql.Connection`` and calls these functions.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar, get_args, get_type_hints

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Column,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Subquery,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from ledger.credits.bodies import AwardBody
from ledger.credits.errors import NoRuleTableError
from ledger.credits.records import (
    AWARDED,
    DECLINED,
    AwardRecord,
    Basis,
    ClaimRecord,
    CorrectionRecord,
    DisputeRecord,
    SessionRecord,
    StatementLine,
    StatementPage,
    copied,
)
from ledger.credits.rules import RuleTable, Usage, pair_of, parse_rule_table
from ledger.encoding import canonical_json
from ledger.errors import NotFoundError, StoreError
from ledger.sequencer import Context
from ledger.sql import Connection, checkpoints, dump_tables, keyset, matching, reset_tables
from ledger.store import Window

# -- tables ----------------------------------------------------------------------------

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


async def reset(conn: Connection) -> None:
    """Delete every credit projection row (before a rebuild from the log)."""
    await reset_tables(conn, TABLES)


async def dump(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every credit projection row, table by table (to compare rebuilds)."""
    return await dump_tables(conn, TABLES)


# -- records and rows ------------------------------------------------------------------

_COLUMN = {"group": "working_group"}
"""Record fields kept under another column name (``group`` is an SQL keyword)."""
R = TypeVar("R")


_DATES: dict[type[Any], frozenset[str]] = {}


def _dates(cls: type[Any]) -> frozenset[str]:
    """The fields of the record type ``cls`` that hold a date (kept as ISO text)."""
    if cls not in _DATES:
        hints = get_type_hints(cls)
        _DATES[cls] = frozenset(
            f.name
            for f in dataclasses.fields(cls)
            if date in (hints[f.name], *get_args(hints[f.name]))
        )
    return _DATES[cls]


def _row_of(record: Any, *, leave_out: Collection[str] = (), **extra: Any) -> dict[str, Any]:
    """The columns of ``record``: each field under its column, dates as ISO text; ``extra``
    adds the columns the record does not hold."""
    dates = _dates(type(record))
    values = {}
    for item in dataclasses.fields(record):
        if item.name in leave_out:
            continue
        value = getattr(record, item.name)
        if item.name in dates and value is not None:
            value = value.isoformat()
        values[_COLUMN.get(item.name, item.name)] = value
    return {**values, **extra}


def _record_of(cls: type[R], row: Any, **given: Any) -> R:
    """A ``cls`` record from a row: each field from its column, ISO dates read back; fields in
    ``given`` are not read from the row."""
    dates = _dates(cls)
    values = dict(given)
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        if item.name in given:
            continue
        value = getattr(row, _COLUMN.get(item.name, item.name))
        if item.name in dates and value is not None:
            value = date.fromisoformat(value)
        values[item.name] = value
    return cls(**values)


# -- writes ----------------------------------------------------------------------------


async def insert_rule_table(
    conn: Connection, *, seq: int, table: RuleTable, logged_at: str
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


async def insert_session(conn: Connection, record: SessionRecord, logged_at: str) -> None:
    """Project a session register and its attendees."""
    row = _row_of(record, leave_out={"attendees"}, logged_at=logged_at)
    await conn.execute(insert(sessions).values(**row))
    await conn.execute(
        insert(attendees),
        [
            {"session": record.seq, "position": i, "member": member}
            for i, member in enumerate(record.attendees)
        ],
    )


async def insert_claim(conn: Connection, record: ClaimRecord, logged_at: str) -> None:
    """Project a new claim."""
    await conn.execute(insert(claims).values(**_row_of(record, logged_at=logged_at)))


async def close_claim(conn: Connection, *, claim: int, status: str, by: int) -> None:
    """Mark a claim awarded or declined by entry ``by``."""
    await conn.execute(
        update(claims).where(claims.c.seq == claim).values(status=status, closed_by=by)
    )


async def insert_award(conn: Connection, record: AwardRecord) -> None:
    """Project an award."""
    pair = (
        (None, None) if record.counterparty is None else pair_of(record.member, record.counterparty)
    )
    row = _row_of(
        record, pair_a=pair[0], pair_b=pair[1], month=record.activity_on.strftime("%Y-%m")
    )
    await conn.execute(insert(awards).values(**row))


async def insert_correction(conn: Connection, record: CorrectionRecord) -> None:
    """Project a reversal or adjustment and change the award's net value by its credits."""
    await conn.execute(insert(corrections).values(**_row_of(record)))
    values: dict[str, Any] = {"net": awards.c.net + record.credits}
    if record.kind == "reversed":
        values["reversed_by"] = record.seq
    await conn.execute(update(awards).where(awards.c.seq == record.award).values(**values))


async def insert_dispute(conn: Connection, record: DisputeRecord) -> None:
    """Project an open dispute."""
    await conn.execute(insert(disputes).values(**_row_of(record)))


async def resolve_dispute(
    conn: Connection, *, dispute: int, by: int, outcome: str, resolver: str
) -> None:
    """Record the ruling on a dispute."""
    await conn.execute(
        update(disputes)
        .where(disputes.c.seq == dispute)
        .values(resolved_by=by, outcome=outcome, resolver=resolver)
    )


# -- reads -----------------------------------------------------------------------------


async def rule_table(conn: Connection, version: int | None = None) -> RuleTable | None:
    """Rule table ``version``, or the newest adopted one when ``version`` is ``None``."""
    query = select(rule_tables.c.body)
    if version is None:
        query = query.order_by(rule_tables.c.version.desc()).limit(1)
    else:
        query = query.where(rule_tables.c.version == version)
    body = (await conn.execute(query)).scalar_one_or_none()
    return None if body is None else parse_rule_table(json.loads(body))


async def session(conn: Connection, seq: int) -> SessionRecord | None:
    """The session register recorded at ``seq``."""
    row = (await conn.execute(select(sessions).where(sessions.c.seq == seq))).first()
    if row is None:
        return None
    query = select(attendees.c.member).where(attendees.c.session == seq)
    members = (await conn.execute(query.order_by(attendees.c.position))).scalars().all()
    return _record_of(SessionRecord, row, attendees=tuple(members))


async def claim(conn: Connection, seq: int) -> ClaimRecord | None:
    """The claim made at ``seq``."""
    row = (await conn.execute(select(claims).where(claims.c.seq == seq))).first()
    return None if row is None else _record_of(ClaimRecord, row)


async def evidence_in_use(conn: Connection, member: str, evidence_sha256: str) -> int | None:
    """The seq of an open or awarded claim by ``member`` with this evidence hash, if any."""
    query = select(claims.c.seq).where(
        claims.c.member == member,
        claims.c.evidence_sha256 == evidence_sha256,
        claims.c.status != DECLINED,
    )
    return (await conn.execute(query.limit(1))).scalar_one_or_none()


async def award(conn: Connection, seq: int) -> AwardRecord | None:
    """The award made at ``seq``."""
    row = (await conn.execute(select(awards).where(awards.c.seq == seq))).first()
    return None if row is None else _record_of(AwardRecord, row)


async def award_for_basis(conn: Connection, basis: str, seq: int, member: str) -> int | None:
    """The seq of the award to ``member`` on claim or session ``seq``, if there is one."""
    query = select(awards.c.seq).where(
        awards.c.basis == basis, awards.c.basis_seq == seq, awards.c.member == member
    )
    return (await conn.execute(query)).scalar_one_or_none()


async def dispute(conn: Connection, seq: int) -> DisputeRecord | None:
    """The dispute opened at ``seq``."""
    row = (await conn.execute(select(disputes).where(disputes.c.seq == seq))).first()
    return None if row is None else _record_of(DisputeRecord, row)


async def disputes_of(conn: Connection, award_seq: int) -> list[DisputeRecord]:
    """Every dispute of one award, oldest first."""
    query = select(disputes).where(disputes.c.award == award_seq).order_by(disputes.c.seq)
    return [_record_of(DisputeRecord, row) for row in (await conn.execute(query)).all()]


async def _sum(conn: Connection, *where: Any) -> int:
    query = select(func.coalesce(func.sum(awards.c.net), 0)).where(and_(*where))
    return int((await conn.execute(query)).scalar_one())


async def usage(
    conn: Connection,
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


async def balances(conn: Connection) -> dict[str, int]:
    """Every member's lifetime balance as projected (members with any award)."""
    query = select(awards.c.member, func.sum(awards.c.net)).group_by(awards.c.member)
    return {member: int(total) for member, total in (await conn.execute(query)).all()}


async def balance(conn: Connection, member: str) -> int:
    """``member``'s lifetime balance: awards, plus adjustments, minus reversals."""
    query = select(func.coalesce(func.sum(awards.c.net), 0)).where(awards.c.member == member)
    return int((await conn.execute(query)).scalar_one())


STANDING_DAYS = 365
"""A member's active standing counts the activities of the last 365 days."""

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


async def balances_of(conn: Connection, members: Collection[str]) -> dict[str, int]:
    """Lifetime balances of ``members`` (0 for a member with no awards)."""
    rows = (await conn.execute(_BALANCES, {"members": list(members)})).all()
    found = {member: int(total) for member, total in rows}
    return {member: found.get(member, 0) for member in members}


async def standings_of(conn: Connection, members: Collection[str], on: date) -> dict[str, int]:
    """Each member's net credits for activities dated in the 365 days ending on ``on`` (both
    ends counted as ``on - 364 days .. on``): their rolling 12-month "active standing"."""
    start = on - timedelta(days=STANDING_DAYS - 1)
    params = {"members": list(members), "start": start.isoformat(), "end": on.isoformat()}
    found = {member: int(total) for member, total in (await conn.execute(_STANDINGS, params)).all()}
    return {member: found.get(member, 0) for member in members}


async def net_by_cell(conn: Connection) -> list[tuple[str, str | None, str, str, int]]:
    """Net credits per (member, working group, activity, month), in no order."""
    query = select(
        awards.c.member,
        awards.c.working_group,
        awards.c.activity,
        awards.c.month,
        func.sum(awards.c.net),
    ).group_by(awards.c.member, awards.c.working_group, awards.c.activity, awards.c.month)
    return [
        (member, group, activity, month, int(credits))
        for member, group, activity, month, credits in (await conn.execute(query)).all()
    ]


async def all_awards(conn: Connection) -> list[AwardRecord]:
    """Every award, in log order."""
    query = select(awards).order_by(awards.c.seq)
    return [_record_of(AwardRecord, row) for row in (await conn.execute(query)).all()]


async def checkpoint(conn: Connection, size: int | None) -> tuple[int, str] | None:
    """The size and root (hex) of the log's checkpoint of ``size`` (``None``: the latest)."""
    query = select(checkpoints.c.size, checkpoints.c.root)
    if size is None:
        query = query.order_by(checkpoints.c.size.desc()).limit(1)
    else:
        query = query.where(checkpoints.c.size == size)
    row = (await conn.execute(query)).first()
    return None if row is None else (int(row.size), bytes(row.root).hex())


async def awards_below(
    conn: Connection, size: int, *, activities: Collection[str], start: date, end: date
) -> list[tuple[AwardRecord, int]]:
    """The awards for ``activities`` dated ``start`` to ``end`` among the first ``size``
    entries, each with the net credits of its corrections among those entries."""
    chosen = (
        awards.c.seq < size,
        awards.c.activity.in_(list(activities)),
        awards.c.activity_on >= start.isoformat(),
        awards.c.activity_on <= end.isoformat(),
    )
    rows = (await conn.execute(select(awards).where(*chosen))).all()
    query = (
        select(corrections.c.award, func.sum(corrections.c.credits))
        .join(awards, awards.c.seq == corrections.c.award)
        .where(corrections.c.seq < size, *chosen)
        .group_by(corrections.c.award)
    )
    changes = {award: int(total) for award, total in (await conn.execute(query)).all()}
    return [(_record_of(AwardRecord, row), changes.get(row.seq, 0)) for row in rows]


# -- statements ------------------------------------------------------------------------


def _lines(*, one: bool = False) -> Subquery:
    """Every statement line of the members bound to ``members`` (``one``: of the member
    bound to ``member``): awards and their corrections in one list, in no order."""
    members: BindParameter[Any] = (
        bindparam("member") if one else bindparam("members", expanding=True)
    )
    chosen = awards.c.member == members if one else awards.c.member.in_(members)
    own = select(
        awards.c.member,
        awards.c.seq,
        literal_column(f"'{AWARDED}'", String(16)).label("kind"),
        awards.c.seq.label("award"),
        awards.c.activity_on,
        awards.c.logged_at,
        awards.c.activity,
        awards.c.rule_version,
        awards.c.quantity,
        awards.c.approver.label("signer"),
        awards.c.credits,
        cast(null(), String(32)).label("reason"),
    ).where(chosen)
    fixes = (
        select(
            awards.c.member,
            corrections.c.seq,
            corrections.c.kind,
            corrections.c.award,
            awards.c.activity_on,
            corrections.c.logged_at,
            awards.c.activity,
            awards.c.rule_version,
            awards.c.quantity,
            corrections.c.signer,
            corrections.c.credits,
            corrections.c.reason,
        )
        .join_from(corrections, awards, awards.c.seq == corrections.c.award)
        .where(chosen)
    )
    return union_all(own, fixes).subquery("lines")


def _statement_lines() -> Subquery:
    """Every statement line of the members bound to ``members``, with its running balance:
    a window sum over the member's lines in log order, computed by the database before any
    page is cut from it."""
    lines = _lines()
    balance = func.sum(lines.c.credits).over(partition_by=lines.c.member, order_by=lines.c.seq)
    return select(*lines.c, balance.label("balance")).subquery("running")


def _edge_query(*, forward: bool) -> Select[Any]:
    """One member's first (``forward``) or last ``rows`` lines; the last lines' rows carry
    the member's balance too (the sum of the awards' net credits, which is the sum of every
    line's credits).

    The running balances follow without a window: forward from 0, backwards from the
    balance. No window means no sorts but one, which makes this the cheaper query for the
    pages most asked for (the last lines, the first lines).
    """
    lines = _lines(one=True)
    order = lines.c.seq.asc() if forward else lines.c.seq.desc()
    columns: list[Any] = list(lines.c)
    if not forward:
        total = (
            select(func.coalesce(func.sum(awards.c.net), 0))
            .where(awards.c.member == bindparam("member"))
            .scalar_subquery()
        )
        columns.append(total.label("total"))
    return select(*columns).order_by(order).limit(bindparam("rows"))


def _statement_query(running: Subquery, *, forward: bool) -> Select[Any]:
    """A page of each member's lines: keyset bounds ``after``/``before``, ``size`` + 1 rows."""
    order = running.c.seq.asc() if forward else running.c.seq.desc()
    rank = func.row_number().over(partition_by=running.c.member, order_by=order)
    ranked = (
        select(*running.c, rank.label("rank"))
        .where(running.c.seq > bindparam("after"), running.c.seq < bindparam("before"))
        .subquery("ranked")
    )
    columns = [c for c in ranked.c if c.key != "rank"]
    return (
        select(*columns)
        .where(ranked.c.rank <= bindparam("rows"))
        .order_by(ranked.c.member, ranked.c.seq)
    )


_RUNNING = _statement_lines()
_FORWARD = _statement_query(_RUNNING, forward=True)
_BACKWARD = _statement_query(_RUNNING, forward=False)
_WHOLE = select(_RUNNING).order_by(_RUNNING.c.seq)
_FIRST = _edge_query(forward=True)
_LAST = _edge_query(forward=False)
_NO_BOUND = 2**63 - 1


async def statement_pages(
    conn: Connection,
    members: Collection[str],
    *,
    size: int,
    forward: bool,
    after: int | None = None,
    before: int | None = None,
) -> dict[str, StatementPage]:
    """For each of ``members``, ``size`` statement lines after ``after`` (``forward``) or
    before ``before`` (backwards), each with its running balance; one query for them all.

    A page is cut by keyset from the whole statement, so its cost grows with the page and
    the member's number of lines, never with the log. One member's first or last lines (no
    keyset bound) take a cheaper query of their own (``_edge_query``).
    """
    if size < 0:
        raise ValueError("size must not be negative")
    wanted = sorted(set(members))
    if len(wanted) == 1 and after is None and before is None:
        return {wanted[0]: await _edge_page(conn, wanted[0], size=size, forward=forward)}
    params: dict[str, Any] = {
        "members": wanted,
        "after": -1 if after is None else after,
        "before": _NO_BOUND if before is None else before,
        "rows": size + 1,
    }
    found: dict[str, list[StatementLine]] = {member: [] for member in wanted}
    for row in (await conn.execute(_FORWARD if forward else _BACKWARD, params)).all():
        found[row.member].append(_line(row))
    pages = {}
    for member, lines in found.items():
        more = len(lines) > size
        if more:
            lines = lines[:size] if forward else lines[1:]
        pages[member] = StatementPage(
            lines, more, _end_balance(lines, more, size, forward, after, before)
        )
    return pages


async def _edge_page(conn: Connection, member: str, *, size: int, forward: bool) -> StatementPage:
    params = {"member": member, "rows": size + 1}
    rows = (await conn.execute(_FIRST if forward else _LAST, params)).all()
    # each row: the twelve columns of ``_lines`` (credits at 10); backwards, then the
    # member's balance
    lines = []
    if forward:
        balance = 0
        for row in rows:
            balance += row[10]
            lines.append(_line((*row, balance)))
    else:
        balance = rows[0][12] if rows else 0
        for row in rows:
            lines.append(_line((*row[:12], balance)))
            balance -= row[10]
        lines.reverse()
    more = len(lines) > size
    if more:
        lines = lines[:size] if forward else lines[1:]
    return StatementPage(lines, more, _end_balance(lines, more, size, forward, None, None))


def _end_balance(
    lines: list[StatementLine],
    more: bool,
    size: int,
    forward: bool,
    after: int | None,
    before: int | None,
) -> int | None:
    """The balance, when a page reaches the statement's end: its last line's, or 0 for an
    empty page that was asked for lines from the very start."""
    if before is not None or (forward and more):
        return None
    if lines:
        return lines[-1].balance
    return 0 if after is None and size > 0 else None


async def statement(conn: Connection, member: str) -> list[StatementLine]:
    """Every line of ``member``'s credits in log order, with a running balance.

    An award's line is dated by its activity; a reversal or adjustment line repeats the
    activity date of the award it corrects and names the board member who signed it.
    """
    return [_line(row) for row in (await conn.execute(_WHOLE, {"members": [member]})).all()]


def _line(row: Sequence[Any]) -> StatementLine:
    """A line from a row of ``_statement_lines`` (its columns in order)."""
    (
        _,
        seq,
        kind,
        award,
        activity_on,
        logged_at,
        activity,
        version,
        quantity,
        signer,
        credits,
        reason,
        balance,
    ) = row
    return StatementLine(
        seq,
        kind,
        award,
        date.fromisoformat(activity_on),
        logged_at,
        activity,
        version,
        quantity,
        signer,
        credits,
        reason,
        int(balance),
    )


# -- batched and paged reads for the API -----------------------------------------------


async def awards_at(conn: Connection, seqs: Collection[int]) -> dict[int, AwardRecord]:
    """The awards made at ``seqs`` (those that exist)."""
    query = select(awards).where(awards.c.seq.in_(list(seqs)))
    return {row.seq: _record_of(AwardRecord, row) for row in (await conn.execute(query)).all()}


async def disputes_of_awards(
    conn: Connection, award_seqs: Collection[int]
) -> dict[int, list[DisputeRecord]]:
    """Every dispute of each award in ``award_seqs``, oldest first."""
    query = select(disputes).where(disputes.c.award.in_(list(award_seqs))).order_by(disputes.c.seq)
    found: dict[int, list[DisputeRecord]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        found[row.award].append(_record_of(DisputeRecord, row))
    return found


async def awards_page(
    conn: Connection, window: Window, *, member: str | None, activity: str | None
) -> tuple[list[AwardRecord], bool]:
    """A page of awards in log order, optionally to one member and for one activity, and
    whether more lie beyond it."""
    query = matching(awards, member=member, activity=activity)
    rows, more = await keyset(conn, query, awards.c.seq, window)
    return [_record_of(AwardRecord, row) for row in rows], more


async def claims_page(
    conn: Connection,
    window: Window,
    *,
    member: str | None,
    status: str | None,
    counterparty: str | None,
) -> tuple[list[ClaimRecord], bool]:
    """A page of claims in log order, optionally by one member, in one status, naming one
    counterparty, and whether more lie beyond it."""
    query = matching(claims, member=member, status=status, counterparty=counterparty)
    rows, more = await keyset(conn, query, claims.c.seq, window)
    return [_record_of(ClaimRecord, row) for row in rows], more


async def disputes_page(
    conn: Connection, window: Window, *, award: int | None, open_only: bool
) -> tuple[list[DisputeRecord], bool]:
    """A page of disputes in log order, optionally of one award, optionally only those not
    yet ruled on, and whether more lie beyond it."""
    query = matching(disputes, award=award)
    if open_only:
        query = query.where(disputes.c.resolved_by.is_(None))
    rows, more = await keyset(conn, query, disputes.c.seq, window)
    return [_record_of(DisputeRecord, row) for row in rows], more


async def rule_tables_page(conn: Connection, window: Window) -> tuple[list[RuleTable], bool]:
    """A page of the adopted rule table versions, oldest first, and whether more lie
    beyond it."""
    query = select(rule_tables.c.version, rule_tables.c.body)
    rows, more = await keyset(conn, query, rule_tables.c.version, window)
    return [parse_rule_table(json.loads(row.body)) for row in rows], more


# -- what the checks and projections of a batch share -----------------------------------------

_TABLES = "credits.rule_tables"
_CURRENT = 0


def connection(ctx: Context) -> Connection:
    """The SQL connection of the batch; raises ``StoreError`` on a store without SQL."""
    conn = ctx.tx.connection
    if not isinstance(conn, Connection):
        raise StoreError("credits need an SQL store (SQLite or PostgreSQL)")
    return conn


def _cache(ctx: Context) -> dict[int, RuleTable]:
    cache: dict[int, RuleTable] = ctx.scratch.setdefault(_TABLES, {})
    return cache


async def cached_rule_table(
    ctx: Context, conn: Connection, version: int | None = None
) -> RuleTable:
    """Rule table ``version`` (``None``: the one in force), cached for the batch.

    Raises ``NoRuleTableError`` before any table is adopted, ``NotFoundError`` for a version
    never adopted.
    """
    cache = _cache(ctx)
    key = _CURRENT if version is None else version
    if key not in cache:
        table = await rule_table(conn, version)
        if table is None and version is None:
            raise NoRuleTableError("no credit rule table has been adopted yet")
        if table is None:
            raise NotFoundError(f"rule table version {version} was never adopted")
        cache[key] = table
    return cache[key]


def remember_table(ctx: Context, table: RuleTable) -> None:
    """Make ``table`` the one in force for the rest of the batch."""
    cache = _cache(ctx)
    cache[_CURRENT] = cache[table.version] = table


async def load_basis(conn: Connection, award: AwardBody) -> Basis | None:
    """The claim or session an award names, as a ``Basis`` (``None`` if there is none).

    For a session the member is the award's member (the check makes sure they attended).
    """
    if award.basis == "claim":
        found = await claim(conn, award.basis_seq)
        return None if found is None else copied(Basis, found, kind="claim", day=found.done_on)
    register = await session(conn, award.basis_seq)
    if register is None:
        return None
    return copied(
        Basis,
        register,
        kind="session",
        member=award.member,
        quantity=1,
        day=register.held_on,
        counterparty=None,
        bid=None,
    )
