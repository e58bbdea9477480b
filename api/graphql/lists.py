"""Paged lists shared by root fields and nested fields (a member's awards, all awards, ...)."""

from __future__ import annotations

from api.graphql import reads
from api.graphql.context import Info
from api.graphql.pagination import Connection, Page, from_query
from api.graphql.types_credits import Award, Claim, Dispute
from ledger.credits.queries import award_record, claim_record, dispute_record
from ledger.credits.sql import awards, claims, disputes


async def award_list(
    info: Info, p: Page, *, member: str | None, activity: str | None
) -> Connection[Award]:
    """Awards in log order, optionally of one member and activity."""
    async with info.context.read() as conn:
        return await from_query(
            conn,
            p,
            reads.awards_query(member, activity),
            awards.c.seq,
            lambda row: Award.from_domain(award_record(row)),
        )


async def claim_list(
    info: Info, p: Page, *, member: str | None, status: str | None, counterparty: str | None
) -> Connection[Claim]:
    """Claims in log order, optionally by member, status and counterparty."""
    async with info.context.read() as conn:
        return await from_query(
            conn,
            p,
            reads.claims_query(member, status, counterparty),
            claims.c.seq,
            lambda row: Claim.from_domain(claim_record(row)),
        )


async def dispute_list(
    info: Info, p: Page, *, award: int | None, open_only: bool
) -> Connection[Dispute]:
    """Disputes in log order, optionally of one award and only those not ruled on."""
    async with info.context.read() as conn:
        return await from_query(
            conn,
            p,
            reads.disputes_query(award, open_only),
            disputes.c.seq,
            lambda row: Dispute.from_domain(dispute_record(row)),
        )
