"""Reads of the governance projections that checks, gates and reports share (SQLAlchemy Core)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from governance.bodies import ASSEMBLY, CONVENOR, parse_result
from governance.count import Count, count_proposal
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
from governance.sql import ballots, groups, join_requests, memberships, proposals, terms
from ledger.encoding import b64decode


async def group(conn: AsyncConnection, slug: str) -> GroupRecord | None:
    """The working group ``slug`` (``None`` for the assembly or an unknown slug)."""
    row = (await conn.execute(select(groups).where(groups.c.slug == slug))).first()
    return None if row is None else GroupRecord(row.slug, row.name, row.created_seq)


async def membership(conn: AsyncConnection, group: str, member: str) -> MembershipRecord | None:
    """``member``'s membership of working group ``group``, if any."""
    query = select(memberships).where(
        memberships.c.working_group == group, memberships.c.member == member
    )
    row = (await conn.execute(query)).first()
    return None if row is None else MembershipRecord(group, member, row.role, row.since_seq)


async def members(conn: AsyncConnection, group: str) -> list[MembershipRecord]:
    """Everyone in working group ``group`` with their role, by member id."""
    query = (
        select(memberships)
        .where(memberships.c.working_group == group)
        .order_by(memberships.c.member)
    )
    return [
        MembershipRecord(group, row.member, row.role, row.since_seq)
        for row in (await conn.execute(query)).all()
    ]


async def groups_of(conn: AsyncConnection, member: str) -> list[MembershipRecord]:
    """Every working group ``member`` is in, by group slug."""
    query = (
        select(memberships)
        .where(memberships.c.member == member)
        .order_by(memberships.c.working_group)
    )
    return [
        MembershipRecord(row.working_group, member, row.role, row.since_seq)
        for row in (await conn.execute(query)).all()
    ]


async def convenor(conn: AsyncConnection, group: str) -> str | None:
    """The convenor of working group ``group``, if it has one."""
    query = select(memberships.c.member).where(
        memberships.c.working_group == group, memberships.c.role == CONVENOR
    )
    return (await conn.execute(query)).scalar_one_or_none()


def _request(row: Any) -> RequestRecord:
    return RequestRecord(
        row.seq, row.working_group, row.member, row.role, row.status, row.closed_by
    )


async def request(conn: AsyncConnection, seq: int) -> RequestRecord | None:
    """The join request made at ``seq``."""
    row = (await conn.execute(select(join_requests).where(join_requests.c.seq == seq))).first()
    return None if row is None else _request(row)


async def open_request(conn: AsyncConnection, group: str, member: str) -> RequestRecord | None:
    """``member``'s open request to join ``group``, if any."""
    query = select(join_requests).where(
        join_requests.c.working_group == group,
        join_requests.c.member == member,
        join_requests.c.status == REQUEST_OPEN,
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _request(row)


async def open_requests(conn: AsyncConnection, group: str) -> list[RequestRecord]:
    """The open join requests of ``group``, oldest first (for its convenor)."""
    query = (
        select(join_requests)
        .where(join_requests.c.working_group == group, join_requests.c.status == REQUEST_OPEN)
        .order_by(join_requests.c.seq)
    )
    return [_request(row) for row in (await conn.execute(query)).all()]


async def current_terms(conn: AsyncConnection, group: str) -> TermsRecord | None:
    """The newest adopted terms of reference of ``group``."""
    query = (
        select(terms)
        .where(terms.c.working_group == group)
        .order_by(terms.c.version.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else TermsRecord(group, row.version, row.sha256, row.decision)


def proposal_record(row: Any) -> ProposalRecord:
    """A ``ProposalRecord`` from a row of ``governance_proposals``."""
    key = None if row.seal_private_key is None else b64decode(row.seal_private_key)
    return ProposalRecord(
        seq=row.seq,
        opener=row.opener,
        opening=parse_opening(json.loads(row.opening)),
        seed=bytes.fromhex(row.seed),
        status=row.status,
        logged_at=row.logged_at,
        closed_by=row.closed_by,
        close_reason=row.close_reason,
        seal_private_key=key,
        decided_by=row.decided_by,
        result=None if row.result is None else parse_result(json.loads(row.result)),
        transcript_sha256=row.transcript_sha256,
        statement_sha256=row.statement_sha256,
        review_on=None if row.review_on is None else date.fromisoformat(row.review_on),
    )


async def proposal(conn: AsyncConnection, seq: int) -> ProposalRecord | None:
    """The proposal opened at ``seq``."""
    row = (await conn.execute(select(proposals).where(proposals.c.seq == seq))).first()
    return None if row is None else proposal_record(row)


async def live_action(
    conn: AsyncConnection, *, action_type: str, group: str, version: int
) -> int | None:
    """An open, closed-undecided or passed proposal with this action and version, if any."""
    query = select(proposals.c.seq).where(
        proposals.c.action_type == action_type,
        proposals.c.action_version == version,
        proposals.c.working_group == group,
        (proposals.c.status != DECIDED) | proposals.c.passed.is_(True),
    )
    return (await conn.execute(query.limit(1))).scalar_one_or_none()


async def passed_rule_table(conn: AsyncConnection, decision: int) -> ProposalRecord | None:
    """The proposal that the passed decision at entry ``decision`` decided, if it adopts rules."""
    query = select(proposals).where(
        proposals.c.decided_by == decision,
        proposals.c.passed.is_(True),
        proposals.c.action_type == "adopt_rule_table",
        proposals.c.working_group == ASSEMBLY,
    )
    row = (await conn.execute(query)).first()
    return None if row is None else proposal_record(row)


def ballot_record(row: Any) -> BallotRecord:
    """A ``BallotRecord`` from a row of ``governance_ballots``."""
    return BallotRecord(
        seq=row.seq,
        proposal=row.proposal,
        member=row.member,
        ballot=None if row.ballot is None else json.loads(row.ballot),
        sealed=None if row.sealed is None else b64decode(row.sealed),
        superseded_by=row.superseded_by,
        spoiled=row.spoiled,
        logged_at=row.logged_at,
    )


async def ballots_of(conn: AsyncConnection, proposal: int) -> list[BallotRecord]:
    """Every ballot logged for ``proposal``, superseded ones included, in log order."""
    query = select(ballots).where(ballots.c.proposal == proposal).order_by(ballots.c.seq)
    return [ballot_record(row) for row in (await conn.execute(query)).all()]


async def voters(conn: AsyncConnection, proposal: int) -> set[str]:
    """Who has voted on ``proposal`` (content never read)."""
    query = select(ballots.c.member).where(ballots.c.proposal == proposal).distinct()
    return set((await conn.execute(query)).scalars().all())


async def voter_count(conn: AsyncConnection, proposal: int) -> int:
    """How many members have voted on ``proposal``."""
    query = select(func.count(distinct(ballots.c.member))).where(ballots.c.proposal == proposal)
    return int((await conn.execute(query)).scalar_one())


async def count_of(conn: AsyncConnection, record: ProposalRecord) -> Count:
    """Count a proposal from its projected ballots (``governance.count.count_proposal``).

    Raises ``ResultsHiddenError`` for a hidden proposal whose key is not yet published.
    """
    cast = [ballot.cast() for ballot in await ballots_of(conn, record.seq)]
    return count_proposal(
        record.opening,
        proposal=record.seq,
        seed=record.seed,
        ballots=cast,
        private_key=record.seal_private_key,
    )
