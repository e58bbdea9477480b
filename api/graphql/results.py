"""Success types of mutations: the receipt, and what the act changed (read after commit)."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.types_credits import Award, Claim, Dispute, RuleTable, Session
from api.graphql.types_governance import JoinRequest, Proposal, WorkingGroup
from api.graphql.types_log import Receipt
from api.graphql.types_members import Member
from governance import queries as gov_queries
from ledger.credits import queries


@strawberry.type(description="A claim was made or closed.")
class ClaimAccepted:
    receipt: Receipt
    claim_seq: strawberry.Private[int]

    @strawberry.field
    async def claim(self, info: Info) -> Claim | None:
        async with info.context.read() as conn:
            record = await queries.claim(conn, self.claim_seq)
        return None if record is None else Claim.from_domain(record)


@strawberry.type(description="An award was made, reversed or adjusted.")
class AwardAccepted:
    receipt: Receipt
    award_seq: strawberry.Private[int]

    @strawberry.field
    async def award(self, info: Info) -> Award | None:
        async with info.context.read() as conn:
            record = await queries.award(conn, self.award_seq)
        return None if record is None else Award.from_domain(record)


@strawberry.type(description="A dispute was opened or ruled on.")
class DisputeAccepted:
    receipt: Receipt
    dispute_seq: strawberry.Private[int]

    @strawberry.field
    async def dispute(self, info: Info) -> Dispute | None:
        async with info.context.read() as conn:
            record = await queries.dispute(conn, self.dispute_seq)
        return None if record is None else Dispute.from_domain(record)


@strawberry.type(description="A session register was recorded.")
class SessionAccepted:
    receipt: Receipt

    @strawberry.field
    async def session(self, info: Info) -> Session | None:
        async with info.context.read() as conn:
            record = await queries.session(conn, self.receipt.seq)
        return None if record is None else Session.from_domain(record)


@strawberry.type(description="A rule table version was adopted.")
class RuleTableAccepted:
    receipt: Receipt
    version: strawberry.Private[int]

    @strawberry.field
    async def rule_table(self, info: Info) -> RuleTable | None:
        async with info.context.read() as conn:
            table = await queries.rule_table(conn, self.version)
        return None if table is None else RuleTable.from_domain(table)


@strawberry.type(description="A member was admitted, or a key rotated or revoked.")
class MemberAccepted:
    receipt: Receipt
    member_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member | None:
        registry = await info.context.state.registry.current(fresh=True)
        record = registry.members.get(self.member_id)
        return None if record is None else Member.from_domain(record, registry)


@strawberry.type(description="A working group was created or its membership changed.")
class GroupAccepted:
    receipt: Receipt
    slug: strawberry.Private[str]

    @strawberry.field
    async def group(self, info: Info) -> WorkingGroup | None:
        async with info.context.read() as conn:
            record = await gov_queries.group(conn, self.slug)
        return None if record is None else WorkingGroup.from_domain(record)


@strawberry.type(description="A join request was approved or declined.")
class JoinRequestAccepted:
    receipt: Receipt
    request_seq: strawberry.Private[int]

    @strawberry.field
    async def request(self, info: Info) -> JoinRequest | None:
        async with info.context.read() as conn:
            record = await gov_queries.request(conn, self.request_seq)
        return None if record is None else JoinRequest.from_domain(record)


@strawberry.type(description="A proposal was opened, voted on, closed or decided.")
class ProposalAccepted:
    receipt: Receipt
    proposal_seq: strawberry.Private[int]

    @strawberry.field
    async def proposal(self, info: Info) -> Proposal | None:
        async with info.context.read() as conn:
            record = await gov_queries.proposal(conn, self.proposal_seq)
        return None if record is None else Proposal.from_domain(record)
