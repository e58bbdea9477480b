"""The governance store: the only governance module that builds SQL (SQLAlchemy Core).

Tables, the writes ``GovernanceHandler.apply`` makes, every read of the projections (returning
the frozen records of ``governance.records``, never rows) and the kept texts. Other modules
hold a ``ledger.sql.Connection`` and call these functions.

``TABLES`` are projections of the log: ``reset`` empties them and replaying every entry fills
them again, row for row. ``texts`` is not a projection: it holds the texts the log names by
SHA-256 (terms of reference, proposal bodies, outcome statements) and survives a rebuild. The
log carries only the hash; a text can be erased and is not rebuilt. Store a text before
submitting the statement that names it: the handler refuses a statement whose text it cannot
find, so members can always read what they vote on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from datetime import date
from typing import Any, Final

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
    distinct,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from governance.bodies import ASSEMBLY, CONVENOR, parse_result, text_digest
from governance.opening import parse_opening
from governance.records import (
    DECIDED,
    REQUEST_OPEN,
    BallotRecord,
    GroupRecord,
    MembershipRecord,
    ProposalRecord,
    RequestRecord,
    TermsRecord,
)
from ledger.credits.records import copied
from ledger.encoding import b64decode, format_time, utc_now
from ledger.errors import MalformedStatementError, StoreError
from ledger.sequencer import Context
from ledger.sql import Connection, dump_tables, keyset, matching, reset_tables
from ledger.store import Window

# -- tables ----------------------------------------------------------------------------

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


def connection(ctx: Context) -> Connection:
    """The SQL connection of the batch; raises ``StoreError`` on a store without SQL."""
    conn = ctx.tx.connection
    if not isinstance(conn, AsyncConnection):
        raise StoreError("governance needs an SQL store (SQLite or PostgreSQL)")
    return conn


async def reset(conn: Connection) -> None:
    """Delete every governance projection row (before a rebuild from the log); keep texts."""
    await reset_tables(conn, TABLES)


async def dump(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every governance projection row, table by table (to compare rebuilds)."""
    return await dump_tables(conn, TABLES)


# -- writes made by apply --------------------------------------------------------------


async def insert_group(conn: Connection, **values: Any) -> None:
    """Insert a ``governance_groups`` row."""
    await conn.execute(insert(groups).values(**values))


async def insert_join_request(conn: Connection, **values: Any) -> None:
    """Insert a ``governance_join_requests`` row."""
    await conn.execute(insert(join_requests).values(**values))


async def insert_proposal(conn: Connection, **values: Any) -> None:
    """Insert a ``governance_proposals`` row."""
    await conn.execute(insert(proposals).values(**values))


async def insert_terms(conn: Connection, **values: Any) -> None:
    """Insert a ``governance_terms`` row."""
    await conn.execute(insert(terms).values(**values))


async def set_role(conn: Connection, *, group: str, member: str, role: str, since_seq: int) -> None:
    """Give ``member`` the ``role`` in ``group``, joining it if they were not in it."""
    where = (memberships.c.working_group == group) & (memberships.c.member == member)
    await conn.execute(delete(memberships).where(where))
    await conn.execute(
        insert(memberships).values(
            working_group=group, member=member, role=role, since_seq=since_seq
        )
    )


async def demote_convenor(conn: Connection, *, group: str, seq: int) -> None:
    """Make the group's convenor, if any, an ordinary member from entry ``seq``."""
    await conn.execute(
        update(memberships)
        .where(memberships.c.working_group == group, memberships.c.role == "convenor")
        .values(role="member", since_seq=seq)
    )


async def leave(conn: Connection, *, group: str, member: str) -> None:
    """Remove ``member`` from ``group``."""
    await conn.execute(
        delete(memberships).where(
            memberships.c.working_group == group, memberships.c.member == member
        )
    )


async def close_request(conn: Connection, *, request: int, status: str, by: int) -> None:
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


async def insert_ballots(conn: Connection, rows: list[dict[str, Any]]) -> None:
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
    conn: Connection, *, seq: int, ballot: str | None, spoiled: str | None
) -> None:
    """Store a sealed ballot's opened content (canonical JSON), or why it is spoiled."""
    await conn.execute(
        update(ballots).where(ballots.c.seq == seq).values(ballot=ballot, spoiled=spoiled)
    )


async def update_proposal(conn: Connection, seq: int, **values: Any) -> None:
    """Change the proposal opened at ``seq``."""
    await conn.execute(update(proposals).where(proposals.c.seq == seq).values(**values))


# -- reads -----------------------------------------------------------------------------


def _group_record(row: Any) -> GroupRecord:
    return GroupRecord(row.slug, row.name, row.created_seq)


def _membership(row: Any) -> MembershipRecord:
    return MembershipRecord(row.working_group, row.member, row.role, row.since_seq)


async def group(conn: Connection, slug: str) -> GroupRecord | None:
    """The working group ``slug`` (``None`` for the assembly or an unknown slug)."""
    row = (await conn.execute(select(groups).where(groups.c.slug == slug))).first()
    return None if row is None else _group_record(row)


async def membership(conn: Connection, group: str, member: str) -> MembershipRecord | None:
    """``member``'s membership of working group ``group``, if any."""
    query = select(memberships).where(
        memberships.c.working_group == group, memberships.c.member == member
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _membership(row)


async def members(conn: Connection, group: str) -> list[MembershipRecord]:
    """Everyone in working group ``group`` with their role, by member id."""
    query = (
        select(memberships)
        .where(memberships.c.working_group == group)
        .order_by(memberships.c.member)
    )
    return [_membership(row) for row in (await conn.execute(query)).all()]


async def groups_of(conn: Connection, member: str) -> list[MembershipRecord]:
    """Every working group ``member`` is in, by group slug."""
    query = (
        select(memberships)
        .where(memberships.c.member == member)
        .order_by(memberships.c.working_group)
    )
    return [_membership(row) for row in (await conn.execute(query)).all()]


async def convenor(conn: Connection, group: str) -> str | None:
    """The convenor of working group ``group``, if it has one."""
    query = select(memberships.c.member).where(
        memberships.c.working_group == group, memberships.c.role == CONVENOR
    )
    return (await conn.execute(query)).scalar_one_or_none()


def _request(row: Any) -> RequestRecord:
    return RequestRecord(
        row.seq, row.working_group, row.member, row.role, row.status, row.closed_by
    )


async def request(conn: Connection, seq: int) -> RequestRecord | None:
    """The join request made at ``seq``."""
    row = (await conn.execute(select(join_requests).where(join_requests.c.seq == seq))).first()
    return None if row is None else _request(row)


async def open_request(conn: Connection, group: str, member: str) -> RequestRecord | None:
    """``member``'s open request to join ``group``, if any."""
    query = select(join_requests).where(
        join_requests.c.working_group == group,
        join_requests.c.member == member,
        join_requests.c.status == REQUEST_OPEN,
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _request(row)


async def open_requests(conn: Connection, group: str) -> list[RequestRecord]:
    """The open join requests of ``group``, oldest first (for its convenor)."""
    query = (
        select(join_requests)
        .where(join_requests.c.working_group == group, join_requests.c.status == REQUEST_OPEN)
        .order_by(join_requests.c.seq)
    )
    return [_request(row) for row in (await conn.execute(query)).all()]


async def current_terms(conn: Connection, group: str) -> TermsRecord | None:
    """The newest adopted terms of reference of ``group``."""
    query = (
        select(terms)
        .where(terms.c.working_group == group)
        .order_by(terms.c.version.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else TermsRecord(group, row.version, row.sha256, row.decision)


async def terms_history(conn: Connection, group: str) -> list[TermsRecord]:
    """Every version of ``group``'s terms of reference ever adopted, oldest first."""
    query = select(terms).where(terms.c.working_group == group).order_by(terms.c.version)
    return [
        TermsRecord(group, row.version, row.sha256, row.decision)
        for row in (await conn.execute(query)).all()
    ]


def _proposal(row: Any) -> ProposalRecord:
    key = None if row.seal_private_key is None else b64decode(row.seal_private_key)
    return copied(
        ProposalRecord,
        row,  # each other field from its column
        opening=parse_opening(json.loads(row.opening)),
        seed=bytes.fromhex(row.seed),
        seal_private_key=key,
        result=None if row.result is None else parse_result(json.loads(row.result)),
        review_on=None if row.review_on is None else date.fromisoformat(row.review_on),
    )


async def proposal(conn: Connection, seq: int) -> ProposalRecord | None:
    """The proposal opened at ``seq``."""
    row = (await conn.execute(select(proposals).where(proposals.c.seq == seq))).first()
    return None if row is None else _proposal(row)


async def live_action(
    conn: Connection, *, action_type: str, group: str, version: int
) -> int | None:
    """An open, closed-undecided or passed proposal with this action and version, if any."""
    query = select(proposals.c.seq).where(
        proposals.c.action_type == action_type,
        proposals.c.action_version == version,
        proposals.c.working_group == group,
        (proposals.c.status != DECIDED) | proposals.c.passed.is_(True),
    )
    return (await conn.execute(query.limit(1))).scalar_one_or_none()


async def passed_rule_table(conn: Connection, decision: int) -> ProposalRecord | None:
    """The proposal that the passed decision at entry ``decision`` decided, if it adopts rules."""
    query = select(proposals).where(
        proposals.c.decided_by == decision,
        proposals.c.passed.is_(True),
        proposals.c.action_type == "adopt_rule_table",
        proposals.c.working_group == ASSEMBLY,
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _proposal(row)


def _ballot(row: Any) -> BallotRecord:
    return copied(
        BallotRecord,
        row,  # each other field from its column
        ballot=None if row.ballot is None else json.loads(row.ballot),
        sealed=None if row.sealed is None else b64decode(row.sealed),
    )


async def ballots_of(conn: Connection, proposal: int) -> list[BallotRecord]:
    """Every ballot logged for ``proposal``, superseded ones included, in log order."""
    query = select(ballots).where(ballots.c.proposal == proposal).order_by(ballots.c.seq)
    return [_ballot(row) for row in (await conn.execute(query)).all()]


async def voters(conn: Connection, proposal: int) -> set[str]:
    """Who has voted on ``proposal`` (content never read)."""
    query = select(ballots.c.member).where(ballots.c.proposal == proposal).distinct()
    return set((await conn.execute(query)).scalars().all())


async def voter_count(conn: Connection, proposal: int) -> int:
    """How many members have voted on ``proposal``."""
    query = select(func.count(distinct(ballots.c.member))).where(ballots.c.proposal == proposal)
    return int((await conn.execute(query)).scalar_one())


# -- batched and paged reads (the API's loaders and lists) --------------------------


async def groups_page(conn: Connection, window: Window) -> tuple[list[GroupRecord], bool]:
    """Working groups in ``window`` by creation entry, and whether more lie beyond."""
    rows, more = await keyset(conn, select(groups), groups.c.created_seq, window)
    return [_group_record(row) for row in rows], more


async def _memberships_by(
    conn: Connection, by: str, keys: Collection[str], order: str
) -> dict[str, list[MembershipRecord]]:
    """Memberships whose column ``by`` is in ``keys``, by that column, ordered by ``order``."""
    column = memberships.c[by]
    query = select(memberships).where(column.in_(list(keys))).order_by(memberships.c[order])
    found: dict[str, list[MembershipRecord]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        found[getattr(row, by)].append(_membership(row))
    return found


async def groups_of_members(
    conn: Connection, members: Collection[str]
) -> dict[str, list[MembershipRecord]]:
    """Every working group each of ``members`` is in, by member id."""
    return await _memberships_by(conn, "member", members, "working_group")


async def members_of_groups(
    conn: Connection, slugs: Collection[str]
) -> dict[str, list[MembershipRecord]]:
    """Everyone in each of the groups ``slugs`` with their role, by group slug."""
    return await _memberships_by(conn, "working_group", slugs, "member")


async def terms_of_groups(conn: Connection, slugs: Collection[str]) -> dict[str, TermsRecord]:
    """The terms of reference in force for each of the groups ``slugs`` (those that have any)."""
    query = select(terms).where(terms.c.working_group.in_(list(slugs))).order_by(terms.c.version)
    return {
        row.working_group: TermsRecord(row.working_group, row.version, row.sha256, row.decision)
        for row in (await conn.execute(query)).all()
    }


async def proposals_at(conn: Connection, seqs: Collection[int]) -> dict[int, ProposalRecord]:
    """The proposals opened at ``seqs``."""
    query = select(proposals).where(proposals.c.seq.in_(list(seqs)))
    return {row.seq: _proposal(row) for row in (await conn.execute(query)).all()}


async def proposals_page(
    conn: Connection, window: Window, *, group: str | None, status: str | None
) -> tuple[list[ProposalRecord], bool]:
    """Proposals in ``window`` in log order, optionally of one group (``assembly`` too) and in
    one status, and whether more lie beyond."""
    query = matching(proposals, working_group=group, status=status)
    rows, more = await keyset(conn, query, proposals.c.seq, window)
    return [_proposal(row) for row in rows], more


async def voter_counts(conn: Connection, seqs: Collection[int]) -> dict[int, int]:
    """How many members have voted on each proposal in ``seqs``."""
    query = (
        select(ballots.c.proposal, func.count(distinct(ballots.c.member)))
        .where(ballots.c.proposal.in_(list(seqs)))
        .group_by(ballots.c.proposal)
    )
    found: dict[int, int] = {int(p): int(n) for p, n in (await conn.execute(query)).all()}
    return {seq: found.get(seq, 0) for seq in seqs}


async def ballots_of_proposals(
    conn: Connection, seqs: Collection[int]
) -> dict[int, list[BallotRecord]]:
    """Every ballot of each proposal in ``seqs``, superseded ones included, in log order."""
    query = select(ballots).where(ballots.c.proposal.in_(list(seqs))).order_by(ballots.c.seq)
    found: dict[int, list[BallotRecord]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        found[row.proposal].append(_ballot(row))
    return found


async def ballots_page(
    conn: Connection, window: Window, *, proposal: int, member: str | None
) -> tuple[list[BallotRecord], bool]:
    """The ballots of ``proposal`` in ``window`` in log order, optionally of one member, and
    whether more lie beyond."""
    query = matching(ballots, proposal=proposal, member=member)
    rows, more = await keyset(conn, query, ballots.c.seq, window)
    return [_ballot(row) for row in rows], more


# -- kept texts ------------------------------------------------------------------------

MAX_TEXT_CHARS: Final = 100_000


async def store_text(conn: Connection, text: str) -> str:
    """Keep ``text`` (if it is not kept already) and return its hex SHA-256.

    Raises ``MalformedStatementError`` for an empty text or one over 100,000 characters.
    """
    if not text or len(text) > MAX_TEXT_CHARS:
        raise MalformedStatementError(f"a text is 1 to {MAX_TEXT_CHARS} characters")
    digest = text_digest(text)
    values = {"sha256": digest, "text": text, "stored_at": format_time(utc_now())}
    if conn.dialect.name == "postgresql":
        await conn.execute(postgresql.insert(texts).values(values).on_conflict_do_nothing())
    else:
        await conn.execute(sqlite.insert(texts).values(values).on_conflict_do_nothing())
    return digest


async def load_text(conn: Connection, sha256: str) -> str | None:
    """The text whose hex SHA-256 is ``sha256``, or ``None`` if it was never kept or erased."""
    query = select(texts.c.text).where(texts.c.sha256 == sha256)
    return (await conn.execute(query)).scalar_one_or_none()


async def texts_of(conn: Connection, digests: Collection[str]) -> dict[str, str]:
    """The kept texts whose SHA-256 (hex) is in ``digests``."""
    query = select(texts.c.sha256, texts.c.text).where(texts.c.sha256.in_(list(digests)))
    return {str(row.sha256): str(row.text) for row in (await conn.execute(query)).all()}


async def has_text(conn: Connection, sha256: str) -> bool:
    """Whether the text hashing to ``sha256`` is kept."""
    query = select(texts.c.sha256).where(texts.c.sha256 == sha256)
    return (await conn.execute(query)).scalar_one_or_none() is not None


async def mismatched_texts(conn: Connection) -> list[str]:
    """The digests, in order, of the kept texts that do not hash to their digest: each was
    changed after it was stored (an erased text is gone, not changed)."""
    query = select(texts.c.sha256, texts.c.text).order_by(texts.c.sha256)
    return [
        digest for digest, text in (await conn.execute(query)).all() if text_digest(text) != digest
    ]


async def erase_text(conn: Connection, sha256: str) -> bool:
    """Erase a kept text (the log keeps its hash); return whether there was one."""
    result = await conn.execute(delete(texts).where(texts.c.sha256 == sha256))
    return bool(result.rowcount)
