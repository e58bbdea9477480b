"""GraphQL types of members: public fields, keys, personal data (guarded), credits views."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.context import Info
from api.graphql.fields import copy_fields, field
from api.graphql.lists import award_list, claim_list
from api.graphql.loaders import PageSpec
from api.graphql.pagination import Connection, Page, paged, relay
from api.graphql.types_credits import Award, Claim, StatementLine
from api.graphql.types_governance import Membership
from ledger.encoding import b64encode, utc_now
from ledger.members import KeyRecord, MemberRecord, Registry


@strawberry.type(description="A member's Ed25519 key.")
class Key:
    key_id: str
    public_key: str = strawberry.field(description="Standard base64 of the 32-byte key.")
    added_seq: int
    retired_seq: int | None
    active: bool

    @classmethod
    def from_domain(cls, record: KeyRecord) -> Key:
        return copy_fields(cls, record, public_key=b64encode(record.public_key))


@strawberry.type(description="A member's name and e-mail: off the log, erasable.")
class PersonalData:
    name: str | None
    email: str | None


@strawberry.type(description="A member of the co-op: the public fields (never a name).")
class Member:
    id: str
    kind: str = strawberry.field(description="sme, anchor, student, ...")
    borough: str
    roles: list[str] = strawberry.field(description="Ledger roles: board, or none.")
    admitted_seq: int
    keys: list[Key]

    @classmethod
    def from_domain(cls, record: MemberRecord, registry: Registry) -> Member:
        return cls(
            id=record.member,
            kind=record.member_kind,
            borough=record.borough,
            roles=sorted(record.roles),
            admitted_seq=record.admitted_seq,
            keys=[Key.from_domain(registry.keys[key]) for key in record.keys],
        )

    @field(description="The member's public handle (null once erased).")
    async def handle(self, info: Info) -> str | None:
        found = await info.context.loaders.personal.load(self.id)
        return None if found is None else found.handle

    @field(description="Whether the board erased this member's personal data.")
    async def erased(self, info: Info) -> bool:
        found = await info.context.loaders.personal.load(self.id)
        return found is not None and found.erased_at is not None

    @field(description="Name and e-mail: for the member themself and the board.")
    async def personal(self, info: Info) -> PersonalData | None:
        (await info.context.viewer()).require_personal(self.id)
        found = await info.context.loaders.personal.load(self.id)
        if found is None or found.erased_at is not None:
            return None
        return PersonalData(name=found.name, email=found.email)

    @field(description="Working groups and the member's role in each.")
    async def groups(self, info: Info) -> list[Membership]:
        found = await info.context.loaders.groups_of.load(self.id)
        return [Membership.from_domain(m) for m in found]

    @field(description="Lifetime balance: awards, plus adjustments, minus reversals.")
    async def balance(self, info: Info) -> int:
        return await info.context.loaders.balance(self.id)

    @field(description="Net credits for activities in the 365 days ending on `on`.")
    async def standing(self, info: Info, on: date | None = None) -> int:
        day = on or utc_now().date()
        return await info.context.loaders.standing.load((self.id, day))

    @field(description="Every line of the member's credits, with running balance.")
    @relay("line")
    async def statement(
        self,
        info: Info,
        *,
        p: Page,
    ) -> Connection[StatementLine]:
        spec = PageSpec(p.size, p.forward, p.int_key(p.after), p.int_key(p.before))
        found = await info.context.loaders.statement(self.id, spec)
        return paged(p, found.lines, lambda line: line.seq, StatementLine.from_domain, found.more)

    @field(description="Awards to this member, in log order.")
    @relay("award")
    async def awards(
        self,
        info: Info,
        *,
        p: Page,
    ) -> Connection[Award]:
        return await award_list(info, p, member=self.id, activity=None)

    @field(description="Claims by this member, in log order.")
    @relay("claim")
    async def claims(
        self,
        info: Info,
        status: str | None = None,
        *,
        p: Page,
    ) -> Connection[Claim]:
        return await claim_list(info, p, member=self.id, status=status, counterparty=None)
