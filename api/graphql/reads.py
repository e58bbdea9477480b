"""Batched and paged SQL reads the API needs beyond the domain's own query functions.

Each function takes a connection the caller opened for it alone, reads with one query, and
returns domain records (never rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from governance.queries import ballot_record, proposal_record
from governance.records import BallotRecord, MembershipRecord, ProposalRecord, TermsRecord
from governance.sql import ballots, memberships, proposals, terms, texts


async def groups_of_members(
    conn: AsyncConnection, members: Collection[str]
) -> dict[str, list[MembershipRecord]]:
    """Every working group each of ``members`` is in, by group slug."""
    query = (
        select(memberships)
        .where(memberships.c.member.in_(list(members)))
        .order_by(memberships.c.working_group)
    )
    found: dict[str, list[MembershipRecord]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        found[row.member].append(
            MembershipRecord(row.working_group, row.member, row.role, row.since_seq)
        )
    return found


async def members_of_groups(
    conn: AsyncConnection, groups: Collection[str]
) -> dict[str, list[MembershipRecord]]:
    """Everyone in each of ``groups`` with their role, by member id."""
    query = (
        select(memberships)
        .where(memberships.c.working_group.in_(list(groups)))
        .order_by(memberships.c.member)
    )
    found: dict[str, list[MembershipRecord]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        found[row.working_group].append(
            MembershipRecord(row.working_group, row.member, row.role, row.since_seq)
        )
    return found


async def terms_of_groups(conn: AsyncConnection, groups: Collection[str]) -> dict[str, TermsRecord]:
    """The terms of reference in force for each of ``groups`` (those that have any)."""
    query = select(terms).where(terms.c.working_group.in_(list(groups))).order_by(terms.c.version)
    return {
        row.working_group: TermsRecord(row.working_group, row.version, row.sha256, row.decision)
        for row in (await conn.execute(query)).all()
    }


async def proposals_at(conn: AsyncConnection, seqs: Collection[int]) -> dict[int, ProposalRecord]:
    """The proposals opened at ``seqs``."""
    query = select(proposals).where(proposals.c.seq.in_(list(seqs)))
    return {row.seq: proposal_record(row) for row in (await conn.execute(query)).all()}


def proposals_query(group: str | None, status: str | None) -> Select[Any]:
    """Proposals, optionally of one group and in one status."""
    query = select(proposals)
    if group is not None:
        query = query.where(proposals.c.working_group == group)
    if status is not None:
        query = query.where(proposals.c.status == status)
    return query


async def voter_counts(conn: AsyncConnection, seqs: Collection[int]) -> dict[int, int]:
    """How many members have voted on each proposal in ``seqs``."""
    query = (
        select(ballots.c.proposal, func.count(func.distinct(ballots.c.member)))
        .where(ballots.c.proposal.in_(list(seqs)))
        .group_by(ballots.c.proposal)
    )
    found: dict[int, int] = {int(p): int(n) for p, n in (await conn.execute(query)).all()}
    return {seq: found.get(seq, 0) for seq in seqs}


async def ballots_of_proposals(
    conn: AsyncConnection, seqs: Collection[int]
) -> dict[int, list[BallotRecord]]:
    """Every ballot of each proposal in ``seqs``, superseded ones included, in log order."""
    query = select(ballots).where(ballots.c.proposal.in_(list(seqs))).order_by(ballots.c.seq)
    found: dict[int, list[BallotRecord]] = defaultdict(list)
    for row in (await conn.execute(query)).all():
        found[row.proposal].append(ballot_record(row))
    return found


async def texts_of(conn: AsyncConnection, digests: Collection[str]) -> dict[str, str]:
    """The kept texts whose SHA-256 (hex) is in ``digests``."""
    query = select(texts.c.sha256, texts.c.text).where(texts.c.sha256.in_(list(digests)))
    return {str(row.sha256): str(row.text) for row in (await conn.execute(query)).all()}


def ballots_query(proposal: int, member: str | None) -> Select[Any]:
    """The ballots of ``proposal``, optionally of one member."""
    query = select(ballots).where(ballots.c.proposal == proposal)
    if member is not None:
        query = query.where(ballots.c.member == member)
    return query
