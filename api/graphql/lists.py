"""Paged lists shared by root fields and nested fields (a member's awards, all awards, ...)."""

from __future__ import annotations

from api.graphql.context import Info
from api.graphql.pagination import Connection, Page, from_rows
from api.graphql.types_credits import Award, Claim, Dispute
from ledger.credits import store


async def award_list(
    info: Info, p: Page, *, member: str | None, activity: str | None
) -> Connection[Award]:
    """Awards in log order, optionally of one member and activity."""
    async with info.context.read() as conn:
        found = await store.awards_page(conn, p.window, member=member, activity=activity)
    return from_rows(p, found, lambda award: award.seq, Award.from_domain)


async def claim_list(
    info: Info, p: Page, *, member: str | None, status: str | None, counterparty: str | None
) -> Connection[Claim]:
    """Claims in log order, optionally by member, status and counterparty."""
    async with info.context.read() as conn:
        found = await store.claims_page(
            conn, p.window, member=member, status=status, counterparty=counterparty
        )
    return from_rows(p, found, lambda claim: claim.seq, Claim.from_domain)


async def dispute_list(
    info: Info, p: Page, *, award: int | None, open_only: bool
) -> Connection[Dispute]:
    """Disputes in log order, optionally of one award and only those not ruled on."""
    async with info.context.read() as conn:
        found = await store.disputes_page(conn, p.window, award=award, open_only=open_only)
    return from_rows(p, found, lambda dispute: dispute.seq, Dispute.from_domain)
