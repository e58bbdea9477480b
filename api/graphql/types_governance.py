"""GraphQL types of governance: groups, roles, terms, proposals, ballots, tallies, decisions."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.fields import RecordType, copy_fields, field, record_type
from api.graphql.pagination import (
    Connection,
    Page,
    from_list,
    from_list_by_name,
    from_rows,
    relay,
)
from governance import reports, store
from governance.actions import action_json
from governance.errors import ResultsHiddenError
from governance.records import (
    OPEN,
    BallotRecord,
    GroupRecord,
    MembershipRecord,
    ProposalRecord,
    RequestRecord,
    TermsRecord,
)
from governance.reminders import Reminder as DomainReminder
from governance.tally.proposal_count import Count, count_proposal
from ledger.encoding import b64encode, format_time


def _hidden(record: ProposalRecord) -> bool:
    return record.opening.hidden and record.seal_private_key is None


@record_type(
    MembershipRecord,
    "A member's role in a working group.",
    {"role": "convenor, member or observer."},
)
class Membership(RecordType):
    pass


@record_type(RequestRecord, "A request to join a working group and what became of it.")
class JoinRequest(RecordType):
    pass


@record_type(
    TermsRecord,
    "A version of a group's terms of reference (text off the log).",
    {"decision": "The decision that adopted this version."},
)
class Terms(RecordType):
    sha256: str

    @field(description="The text, while it is kept (null once erased).")
    async def text(self, info: Info) -> str | None:
        return await info.context.loaders.text.load(self.sha256)


@strawberry.type(description="A working group.")
class WorkingGroup:
    slug: str
    name: str
    created_seq: int

    @classmethod
    def from_domain(cls, record: GroupRecord) -> WorkingGroup:
        return cls(slug=record.group, name=record.name, created_seq=record.created_seq)

    @field(description="Everyone in the group with their role, by member id.")
    @relay("membership")
    async def members(
        self,
        info: Info,
        *,
        p: Page,
    ) -> Connection[Membership]:
        found = await info.context.loaders.members_of.load(self.slug)
        ordered = sorted(found, key=lambda m: m.member)  # as Python compares, whatever the SQL
        return from_list_by_name(p, ordered, lambda m: m.member, Membership.from_domain)

    @field(description="The convenor's member id, if the group has one.")
    async def convenor(self, info: Info) -> str | None:
        found = await info.context.loaders.members_of.load(self.slug)
        return next((m.member for m in found if m.role == "convenor"), None)

    @field(description="The terms of reference in force.")
    async def terms(self, info: Info) -> Terms | None:
        record = await info.context.loaders.terms.load(self.slug)
        return None if record is None else Terms.from_domain(record)

    @field(description="Every version of the terms of reference adopted, oldest first.")
    async def terms_versions(self, info: Info) -> list[Terms]:
        async with info.context.read() as conn:
            found = await store.terms_history(conn, self.slug)
        return [Terms.from_domain(record) for record in found]

    @field(description="Join requests still waiting for the convenor, oldest first.")
    @relay("request")
    async def open_requests(
        self,
        info: Info,
        *,
        p: Page,
    ) -> Connection[JoinRequest]:
        async with info.context.read() as conn:
            found = await store.open_requests(conn, self.slug)
        return from_list(p, found, lambda r: r.seq, JoinRequest.from_domain)


@strawberry.type(description="The counting rules frozen when the proposal opened.")
class FrozenRules:
    algorithm: str
    quorum: str = strawberry.field(description="A fraction of the electorate, 'n/d'.")
    threshold: str = strawberry.field(description="A fraction of the votes, 'n/d'.")
    tie_rule: str
    consent: bool
    min_choices: int
    max_choices: int | None
    dots: int
    max_score: int


@strawberry.type(description="The decision recorded for a closed proposal.")
class Decision:
    seq: int
    outcome: str
    winner: int | None
    passed: bool | None
    counts: list[int]
    ballots: int
    spoiled: int
    transcript_sha256: str
    statement_sha256: str
    review_on: str | None

    @field(description="The outcome statement, while it is kept.")
    async def statement(self, info: Info) -> str | None:
        return await info.context.loaders.text.load(self.statement_sha256)


@strawberry.type(description="The count of a proposal: provisional while open, final once closed.")
class Tally:
    proposal: int
    final: bool
    outcome: str
    winner: int | None
    passed: bool | None
    counts: list[int]
    ballots: int
    spoiled: int
    electorate_size: int
    quorum_met: bool
    transcript_sha256: str
    transcript: JSON = strawberry.field(description="The round-by-round transcript.")

    @classmethod
    def from_domain(cls, count: Count, *, final: bool) -> Tally:
        return copy_fields(
            cls,
            count.tally,
            proposal=count.proposal,
            final=final,
            counts=list(count.tally.counts),
            spoiled=len(count.spoiled),
            transcript_sha256=count.transcript_sha256,
            transcript=JSON(dict(count.transcript)),
        )


@strawberry.type(description="The proposal hides its ballots and results until it closes.")
class ResultsHidden:
    proposal: int
    message: str
    closes_at: str


TallyResult = Annotated[Tally | ResultsHidden, strawberry.union("TallyResult")]


@strawberry.type(description="A logged ballot; its content stays hidden until a hidden close.")
class Ballot:
    seq: int
    proposal: int
    member: str
    ballot: JSON | None = strawberry.field(description="The ballot (null: sealed, still hidden).")
    sealed: str | None = strawberry.field(description="The sealed ballot, base64.")
    superseded_by: int | None
    spoiled: str | None
    logged_at: str

    @classmethod
    def from_domain(cls, record: BallotRecord, *, hidden: bool) -> Ballot:
        content = None if hidden or record.ballot is None else JSON(dict(record.ballot))
        sealed = None if record.sealed is None else b64encode(record.sealed)
        return copy_fields(cls, record, ballot=content, sealed=sealed)


@strawberry.type(description="Who in the electorate has not voted, and what a motion needs.")
class Reminder:
    proposal: int
    electorate: int
    voted: int
    not_voted: list[str]
    agree_needed: int | None = strawberry.field(
        description="Agree votes still needed (null: not a motion, hidden, or out of reach)."
    )

    @classmethod
    def from_domain(cls, reminder: DomainReminder) -> Reminder:
        return copy_fields(cls, reminder, not_voted=list(reminder.not_voted))


@strawberry.type(description="A proposal with the rules frozen when it opened.")
class Proposal:
    record: strawberry.Private[ProposalRecord]
    seq: int
    group: str
    title: str
    opener: str
    method: str
    options: list[str]
    rules: FrozenRules
    electorate: list[str]
    electorate_sha256: str
    body_sha256: str
    opens_at: str
    closes_at: str
    hidden: bool
    seal_key: str | None = strawberry.field(description="X25519 key to seal ballots to, base64.")
    action: JSON
    status: str = strawberry.field(description="open, closed or decided.")
    logged_at: str
    closed_by: int | None
    close_reason: str | None
    opening: JSON = strawberry.field(description="The opening body exactly as logged.")

    @classmethod
    def from_domain(cls, record: ProposalRecord) -> Proposal:
        opening = record.opening
        spec = opening.rules
        rules = copy_fields(
            FrozenRules,
            spec,
            quorum=f"{spec.quorum.numerator}/{spec.quorum.denominator}",
            threshold=f"{spec.threshold.numerator}/{spec.threshold.denominator}",
        )
        return copy_fields(
            cls,
            opening,  # what the opening says, and what the log's record of it adds
            record=record,
            seq=record.seq,
            opener=record.opener,
            options=list(opening.options),
            rules=rules,
            electorate=list(opening.electorate),
            opens_at=format_time(opening.opens_at),
            closes_at=format_time(opening.closes_at),
            seal_key=None if opening.seal_key is None else b64encode(opening.seal_key),
            action=JSON(action_json(opening.action)),
            status=record.status,
            logged_at=record.logged_at,
            closed_by=record.closed_by,
            close_reason=record.close_reason,
            opening=JSON(opening.to_json()),
        )

    @field(description="The proposal's text, while it is kept.")
    async def body(self, info: Info) -> str | None:
        return await info.context.loaders.text.load(self.body_sha256)

    @field(description="How many members have voted (never how, while hidden).")
    async def voter_count(self, info: Info) -> int:
        return await info.context.loaders.voters.load(self.seq)

    @field(description="The count so far, or why it is hidden.")
    async def tally(self, info: Info) -> TallyResult:
        if _hidden(self.record):
            return ResultsHidden(
                proposal=self.seq,
                message="this proposal hides its results until it closes",
                closes_at=self.closes_at,
            )
        record = self.record
        cast = [b.cast() for b in await info.context.loaders.ballots.load(self.seq)]
        count = count_proposal(
            record.opening,
            proposal=record.seq,
            seed=record.seed,
            ballots=cast,
            private_key=record.seal_private_key,
        )
        return Tally.from_domain(count, final=record.status != OPEN)

    @field(description="The ballots cast, superseded ones included, in log order.")
    @relay("ballot")
    async def ballots(
        self,
        info: Info,
        member: str | None = None,
        *,
        p: Page,
    ) -> Connection[Ballot]:
        hidden = _hidden(self.record)
        async with info.context.read() as conn:
            found = await store.ballots_page(conn, p.window, proposal=self.seq, member=member)
        return from_rows(p, found, lambda b: b.seq, lambda b: Ballot.from_domain(b, hidden=hidden))

    @field(description="Who has not voted yet (members only).")
    async def reminder(self, info: Info) -> Reminder:
        (await info.context.viewer()).require_member()
        async with info.context.read() as conn:
            return Reminder.from_domain(await reports.reminders(conn, self.seq))

    @field(description="The published private seal key of a closed hidden proposal.")
    def seal_private_key(self) -> str | None:
        key = self.record.seal_private_key
        return None if key is None else b64encode(key)

    @field(description="The recorded decision, once there is one.")
    def decision(self) -> Decision | None:
        record = self.record
        if record.decided_by is None or record.result is None:
            return None
        result = record.result
        return Decision(
            seq=record.decided_by,
            outcome=result.outcome,
            winner=result.winner,
            passed=result.passed,
            counts=list(result.counts),
            ballots=result.ballots,
            spoiled=result.spoiled,
            transcript_sha256=record.transcript_sha256 or "",
            statement_sha256=record.statement_sha256 or "",
            review_on=None if record.review_on is None else record.review_on.isoformat(),
        )


def require_visible(record: ProposalRecord) -> None:
    """Raise ``ResultsHiddenError`` while a hidden proposal is open."""
    if _hidden(record):
        raise ResultsHiddenError(f"proposal {record.seq} hides its results until it closes")
