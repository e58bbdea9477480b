"""Root fields about governance: working groups, proposals and who may vote."""

from __future__ import annotations

from api.graphql.context import Info
from api.graphql.pagination import Connection, Page, from_list_by_position, from_rows, relay
from api.graphql.types_governance import Proposal, WorkingGroup
from governance import reports, store


@relay("group")
async def groups(
    info: Info,
    *,
    p: Page,
) -> Connection[WorkingGroup]:
    """Working groups in the order they were created."""
    async with info.context.log_read() as conn:
        found = await store.groups_page(conn, p.window)
    return from_rows(p, found, lambda g: g.created_seq, WorkingGroup.from_domain)


async def group(info: Info, slug: str) -> WorkingGroup | None:
    """The working group ``slug``."""
    async with info.context.log_read() as conn:
        record = await store.group(conn, slug)
    return None if record is None else WorkingGroup.from_domain(record)


@relay("proposal")
async def proposals(
    info: Info,
    group: str | None = None,
    status: str | None = None,
    *,
    p: Page,
) -> Connection[Proposal]:
    """Proposals in log order; filter by group (``assembly`` too) and status."""
    async with info.context.log_read() as conn:
        found = await store.proposals_page(conn, p.window, group=group, status=status)
    return from_rows(p, found, lambda r: r.seq, Proposal.from_domain)


async def proposal(info: Info, seq: int) -> Proposal | None:
    """The proposal opened at entry ``seq``."""
    await info.context.log_reader()
    record = await info.context.loaders.proposal.load(seq)
    return None if record is None else Proposal.from_domain(record)


@relay("elector")
async def electorate(
    info: Info,
    group: str,
    *,
    p: Page,
) -> Connection[str]:
    """Who would vote on a proposal opened in ``group`` now, by member id."""
    await info.context.log_reader()
    registry = await info.context.registry()
    async with info.context.read() as conn:
        voters = await reports.electorate_now(conn, registry, group)
    return from_list_by_position(p, voters, lambda voter: voter)
