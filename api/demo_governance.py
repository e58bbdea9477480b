"""The demo's governance: working groups and convenors, terms of reference adopted by consent,
a hidden ranked-choice vote on priorities, and a proposal with a vote changed before close."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from api.demo import DemoContext, DemoEvent, DemoTable
from api.runtime import seal_key_store
from governance import client, drafts, reports
from governance.bodies import GroupBody, JoinRequestBody, RequestBody, RoleBody
from ledger.errors import LedgerError
from ledger.sql import SqlLogStore

CONVENORS = {
    "business-services": "sutton-books",
    "health-social-care": "merton-care",
    "arts-creative": "richmond-studio",
    "built-environment": "kingston-retrofit",
    "markets-data-trust": "south-data-coop",
}
"""Who convenes each working group in the demo."""

EXTRA_MEMBERS = {"built-environment": ["croydon-print", "south-data-coop"]}
OBSERVERS = {"markets-data-trust": ["student-consultant-1"]}


class _Gov:
    """Governance acts as named demo members."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        store = ctx.ledger.store
        if not isinstance(store, SqlLogStore):
            raise TypeError("governance needs an SQL store")
        self.engine = store.engine
        self.seal_keys = seal_key_store(ctx.config)

    async def open(
        self, opener: str, group: str, *, closes_in: timedelta = timedelta(days=7), **fields: Any
    ) -> int:
        now = self.ctx.ledger.clock()
        async with self.engine.begin() as conn:
            body = await drafts.open_body(
                conn,
                self.ctx.ledger.registry,
                group=group,
                opens_at=now,
                closes_at=now + closes_in,
                seal_keys=self.seal_keys,
                **fields,
            )
        return await self.ctx.submit(opener, "governance.proposal.opened", body)

    async def open_sample(
        self, listed_as: str, *, options: bool = False, **fields: Any
    ) -> tuple[dict[str, Any], str, int]:
        """Open the community's first sample proposal listed with the method ``listed_as``, as
        its group's convenor, under its title (and with its options, if ``options``); returns
        the sample, the convenor and the proposal's seq."""
        sample = next(p for p in self.ctx.community["sample_proposals"] if p["method"] == listed_as)
        convenor = CONVENORS[sample["group"]]
        if options:
            fields["options"] = sample["options"]
        seq = await self.open(convenor, sample["group"], title=sample["title"], **fields)
        return sample, convenor, seq

    async def vote(self, handle: str, proposal: int, ballot: dict[str, Any]) -> int:
        member = self.ctx.members[handle].member
        async with self.engine.connect() as conn:
            body = await drafts.vote_body(conn, proposal=proposal, member=member, ballot=ballot)
        return await self.ctx.submit(handle, "governance.vote.cast", body)

    async def finish(self, convenor: str, proposal: int, statement: str) -> int:
        """Close (everyone has voted) and record the decision; returns the decision's seq."""
        async with self.engine.connect() as conn:
            close = await drafts.close_body(
                conn, proposal=proposal, reason="all_voted", seal_keys=self.seal_keys
            )
        await self.ctx.submit(convenor, "governance.proposal.closed", close)
        async with self.engine.begin() as conn:
            decision = await drafts.decision_body(
                conn,
                proposal=proposal,
                statement_text=statement,
                review_on=date.today() + timedelta(days=182),
            )
        return await self.ctx.submit(convenor, "governance.decision.recorded", decision)


class WorkingGroups:
    """The board creates the five working groups; members join; each gets a convenor."""

    title = "groups"
    progress = "forming the working groups"

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Create each group, file and approve join requests, appoint its convenor."""
        events = []
        for group in ctx.community["working_groups"]:
            slug = group["slug"]
            body = GroupBody(group=slug, name=group["name"]).to_json()
            seq = await ctx.submit("steward", "governance.group.created", body)
            joiners = [(m.handle, "member") for m in ctx.members_of(slug)]
            joiners += [(h, "member") for h in EXTRA_MEMBERS.get(slug, [])]
            joiners += [(h, "observer") for h in OBSERVERS.get(slug, [])]
            for handle, wanted in joiners:
                request = JoinRequestBody(group=slug, role=wanted).to_json()
                asked = await ctx.submit(handle, "governance.group.join_requested", request)
                approve = RequestBody(request=asked).to_json()
                await ctx.submit("steward", "governance.group.join_approved", approve)
            convenor = ctx.members[CONVENORS[slug]].member
            appoint = RoleBody(group=slug, member=convenor, role="convenor").to_json()
            await ctx.submit("steward", "governance.group.role_set", appoint)
            what = f"{group['name']}: {len(joiners)} joined; convenor {CONVENORS[slug]}"
            events.append(DemoEvent(self.title, what, seq))
        return events


class TermsOfReference:
    """Each group adopts the model terms of reference by consent."""

    title = "terms"
    progress = "adopting the terms of reference"

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Open a consent proposal per group; every member agrees; close and decide."""
        gov = _Gov(ctx)
        text = "\n".join(ctx.community["terms_of_reference_model"]) + "\n"
        events = []
        for slug, convenor in CONVENORS.items():
            proposal = await gov.open(
                convenor,
                slug,
                title="Adopt the model terms of reference",
                body_text="We adopt the co-op's model terms of reference, version 1.",
                method="consent",
                quorum=Fraction(1, 2),
                action=client.adopt_terms(group=slug, version=1, text=text),
                terms_text=text,
            )
            voters = [m.handle for m in ctx.members_of(slug)]
            voters += EXTRA_MEMBERS.get(slug, [])
            for handle in voters:
                await gov.vote(handle, proposal, client.motion_ballot("agree"))
            seq = await gov.finish(convenor, proposal, "Terms of reference adopted by consent.")
            events.append(DemoEvent(self.title, f"{slug}: model terms adopted by consent", seq))
        return events


class Priorities:
    """A hidden ranked-choice vote on next quarter's priorities; an observer is refused."""

    title = "priorities"
    progress = "the sealed vote on priorities"

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Sealed IRV ballots, an observer's refused ballot, then close, reveal and decide."""
        gov = _Gov(ctx)
        sample, convenor, proposal = await gov.open_sample(
            "ranked_choice",
            body_text="Rank the four candidate priorities for next quarter.",
            method="irv",
            options=True,
            quorum=Fraction(1, 2),
            hidden=True,
        )
        events = [DemoEvent(self.title, f"{sample['title']}: opened, ballots sealed", proposal)]
        for handle, ranking in (
            ("sutton-books", [1, 0, 2, 3]),
            ("south-data-coop", [0, 1, 2, 3]),
            ("anchor-university", [1, 2, 0, 3]),
        ):
            await gov.vote(handle, proposal, client.ranked_ballot(ranking))
        try:
            await gov.vote("student-consultant-1", proposal, client.ranked_ballot([2, 1, 0, 3]))
        except LedgerError as e:
            events.append(DemoEvent(self.title, f"observer's ballot: refused, {e}"))
        seq = await gov.finish(convenor, proposal, "We will prioritise Meet-the-Buyer events.")
        events.append(DemoEvent(self.title, "closed; sealing key published; decision", seq))
        return events


class ChangedVote:
    """A proposal in which one member changes their vote before close."""

    title = "proposal"
    progress = "a proposal with a changed vote"

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Disagree, then agree: the later ballot counts and both stay on the log."""
        gov = _Gov(ctx)
        sample, convenor, proposal = await gov.open_sample(
            "consent",
            body_text="Ask the council to split the retrofit framework into smaller lots.",
            method="proposal",
            quorum=Fraction(1, 2),
            threshold=Fraction(1, 2),
        )
        first = await gov.vote("croydon-print", proposal, client.motion_ballot("disagree"))
        await gov.vote("kingston-retrofit", proposal, client.motion_ballot("agree"))
        await gov.vote("south-data-coop", proposal, client.motion_ballot("abstain"))
        changed = await gov.vote("croydon-print", proposal, client.motion_ballot("agree"))
        seq = await gov.finish(convenor, proposal, "Agreed: we will ask for smaller lots.")
        return [
            DemoEvent(self.title, f"{sample['title']}: opened", proposal),
            DemoEvent(self.title, f"croydon-print votes disagree (entry {first})", first),
            DemoEvent(self.title, "croydon-print changes its vote to agree", changed),
            DemoEvent(self.title, "closed; decision recorded", seq),
        ]


class OpenVote:
    """A ranked-choice vote left open, with a live count, for a newcomer to vote in from the
    web pages as a demo member."""

    title = "open vote"
    progress = "a ranked-choice vote left open"
    group = "business-services"
    options = (
        "Bid-writing clinics",
        "Cash-flow and pricing surgeries",
        "Social value reporting for suppliers",
    )

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Open an IRV proposal for 14 days; the convenor votes; it stays open."""
        gov = _Gov(ctx)
        proposal = await gov.open(
            CONVENORS[self.group],
            self.group,
            title="Next quarter's workshop series",
            body_text="Rank the workshop series the group should run next quarter.",
            method="irv",
            options=list(self.options),
            quorum=Fraction(1, 2),
            closes_in=timedelta(days=14),
        )
        await gov.vote(CONVENORS[self.group], proposal, client.ranked_ballot([0, 2, 1]))
        text = "Next quarter's workshop series: open for 14 days (vote at /proposals/"
        return [DemoEvent(self.title, f"{text}{proposal})", proposal)]


async def decision_table(ctx: DemoContext) -> DemoTable:
    """Every decided proposal: outcome, winner, transcript hash and review date."""
    gov = _Gov(ctx)
    rows = []
    size = await ctx.ledger.store.size()
    async with gov.engine.connect() as conn:
        for row in await ctx.ledger.store.entries_of_kinds({"governance.proposal.opened"}, 0):
            record = await reports.proposal(conn, row.seq)
            if record.result is None or row.seq >= size:
                continue
            opening = record.opening
            winner = record.result.winner
            shown = "" if winner is None else opening.options[winner]
            rows.append(
                [
                    str(row.seq),
                    opening.group,
                    opening.title,
                    opening.method,
                    record.result.outcome,
                    shown,
                    (record.transcript_sha256 or "")[:16],
                    str(record.review_on),
                ]
            )
    columns = ["entry", "group", "proposal", "method", "outcome", "winner", "transcript", "review"]
    return DemoTable("decisions", columns, rows)
