"""GraphQL types of contribution credits: statement lines, awards, claims, disputes, rules."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.fields import RecordType, copy_fields, field, record_type
from api.graphql.types_log import Entry
from ledger.credits.records import AwardRecord, ClaimRecord, DisputeRecord, SessionRecord
from ledger.credits.records import StatementLine as DomainLine
from ledger.credits.rules import Rule as DomainRule
from ledger.credits.rules import RuleTable as DomainTable


async def _entry(info: Info, seq: int) -> Entry | None:
    row = await info.context.loaders.entry.load(seq)
    return None if row is None else Entry.from_domain(row)


@strawberry.type(description="One line of a member's statement, with the running balance.")
class StatementLine:
    seq: int = strawberry.field(description="The entry of the award, reversal or adjustment.")
    kind: str = strawberry.field(description="awarded, reversed or adjusted.")
    award: int = strawberry.field(description="The entry of the award this line is about.")
    activity_on: str
    logged_at: str
    activity: str
    rule_version: int
    quantity: int
    approver: str = strawberry.field(description="Who signed: the approver or board member.")
    credits: int = strawberry.field(description="The change to the balance.")
    reason: str | None
    balance: int = strawberry.field(description="The balance after this line.")

    @classmethod
    def from_domain(cls, line: DomainLine) -> StatementLine:
        return copy_fields(cls, line, activity_on=line.activity_on.isoformat())


@record_type(DisputeRecord, "A dispute of an award and, once ruled on, its outcome.")
class Dispute(RecordType):
    pass


@record_type(
    AwardRecord,
    "Credits granted on a claim or a session register.",
    {
        "credits": "Credits as awarded.",
        "net": "Credits after reversals and adjustments.",
        "basis": "claim or session.",
    },
)
class Award(RecordType):
    seq: int

    @field(description="Disputes of this award, oldest first.")
    async def disputes(self, info: Info) -> list[Dispute]:
        return [Dispute.from_domain(d) for d in await info.context.loaders.disputes.load(self.seq)]

    @field(description="The log entry of this award.")
    async def entry(self, info: Info) -> Entry | None:
        return await _entry(info, self.seq)


@record_type(
    ClaimRecord,
    "A member's claim for a contribution and where it stands.",
    {
        "status": "open, awarded or declined.",
        "closed_by": "The award or decline that closed it.",
    },
)
class Claim(RecordType):
    seq: int
    status: str
    closed_by: int | None

    @field(description="The award that confirmed this claim, if any.")
    async def award(self, info: Info) -> Award | None:
        if self.status != "awarded" or self.closed_by is None:
            return None
        record = await info.context.loaders.award.load(self.closed_by)
        return None if record is None else Award.from_domain(record)

    @field(description="The log entry of this claim.")
    async def entry(self, info: Info) -> Entry | None:
        return await _entry(info, self.seq)


@record_type(SessionRecord, "A session register: who attended, recorded by the organiser.")
class Session(RecordType):
    pass


@strawberry.type(description="Caps of one activity, in credits (null: no such cap).")
class Caps:
    per_member_month: int | None
    per_pair_month: int | None
    per_bid: int | None


@strawberry.type(description="One activity of a rule table.")
class Rule:
    activity: str
    label: str
    credits: int = strawberry.field(description="Credits per unit.")
    evidence: str
    approver: str = strawberry.field(description="organiser, counterparty, convenor or board.")
    caps: Caps

    @classmethod
    def from_domain(cls, rule: DomainRule) -> Rule:
        return copy_fields(cls, rule, caps=copy_fields(Caps, rule.caps))


@strawberry.type(description="A version of the credit rule table.")
class RuleTable:
    version: int
    monthly_cap_per_member: int
    decision: int | None = strawberry.field(description="The decision that adopted it.")
    digest: str = strawberry.field(description="What a decision adopting it names.")
    rules: list[Rule]
    body: JSON = strawberry.field(description="The credit.rules_adopted body, as signed.")

    @classmethod
    def from_domain(cls, table: DomainTable) -> RuleTable:
        return copy_fields(
            cls,
            table,
            digest=table.digest(),
            rules=[Rule.from_domain(rule) for rule in table.rules.values()],
            body=JSON(table.to_json()),
        )
