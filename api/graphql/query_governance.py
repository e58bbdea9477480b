"""Root fields about governance: working groups, proposals and who may vote."""

from __future__ import annotations

from sqlalchemy import select

from api.graphql import reads
from api.graphql.context import Info
from api.graphql.pagination import Connection, Page, from_list, from_query, relay
from api.graphql.types_governance import Proposal, WorkingGroup
from governance import reports, store
from governance.records import GroupRecord
from governance.store import groups as groups_table
from governance.store import proposal_record
from governance.store import proposals as proposals_table


@relay("group")
async def groups(
    info: Info,
    *,
    p: Page,
) -> Connection[WorkingGroup]:
    """Working groups in the order they were created."""
    await info.context.log_reader()
    query = select(groups_table)
    async with info.context.read() as conn:
        return await from_query(
            conn,
            p,
            query,
            groups_table.c.created_seq,
            lambda row: WorkingGroup.from_domain(GroupRecord(row.slug, row.name, row.created_seq)),
        )


async def group(info: Info, slug: str) -> WorkingGroup | None:
    """The working group ``slug``."""
    await info.context.log_reader()
    async with info.context.read() as conn:
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
    await info.context.log_reader()
    async with info.context.read() as conn:
        return await from_query(
            conn,
            p,
            reads.proposals_query(group, status),
            proposals_table.c.seq,
            lambda row: Proposal.from_domain(proposal_record(row)),
        )


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
    numbered = list(enumerate(voters))
    return from_list(p, numbered, lambda item: item[0], lambda item: item[1])
