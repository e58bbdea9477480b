"""An async client of the GraphQL API: holds a member's key, signs statements, checks proofs.

::

    async with CoopClient.from_key_file("http://127.0.0.1:8000", Path("me.key")) as client:
        await client.login()
        seq = await client.claim(activity="mentoring.hour", quantity=2, evidence=b"notes",
                                 done_on=date.today(), counterparty="m-1234567890")
        proof = await client.prove(seq)      # checked against a signed checkpoint

Every act raises ``Refused`` (with the API's ``code``) when the ledger refuses it, and
``ApiError`` for any other failure the API reports.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from api.client_core import ApiError, ClientCore, Refused, act_document, graphql_input
from governance import client as governance
from governance.bodies import GroupBody, JoinRequestBody, LeaveBody, RequestBody, RoleBody, VoteBody
from ledger.credits import client as credits
from ledger.credits.bodies import ClaimBody, DeclineBody, DisputeBody, ReversalBody, SessionBody
from ledger.credits.rules import RuleTable
from ledger.encoding import format_time

__all__ = ["ApiError", "CoopClient", "Refused", "act_document", "graphql_input"]

DRAFT = "{ __typename ... on Draft { kind body } ... on Refusal { code message } }"


class CoopClient(ClientCore):
    """A member's session with one server: every credit and governance act, signed here."""

    # -- credit acts ----------------------------------------------------------------------

    async def adopt_rules(self, table: RuleTable) -> int:
        """The board adopts ``table`` (v1 at start; later versions name a decision)."""
        return await self.act(
            "adoptRuleTable",
            "RuleTableAccepted",
            "credit.rules_adopted",
            table.to_json(),
        )

    async def claim(
        self,
        *,
        activity: str,
        quantity: int,
        done_on: date,
        evidence: bytes | None = None,
        evidence_sha256: str | None = None,
        counterparty: str | None = None,
        bid: str | None = None,
        group: str | None = None,
    ) -> int:
        """Claim credit; the evidence file stays here, only its SHA-256 is signed."""
        digest = evidence_sha256 or credits.evidence_digest(evidence or b"")
        body = ClaimBody(
            activity=activity,
            quantity=quantity,
            evidence_sha256=digest,
            done_on=done_on,
            counterparty=counterparty,
            bid=bid,
            group=group,
        ).to_json()
        return await self.act("claimCredit", "ClaimAccepted", "credit.claimed", body)

    async def confirm(self, claim: int) -> int:
        """Confirm (award) claim ``claim`` as its counterparty, convenor or board approver."""
        data = await self.graphql(
            "query($s: Int!) { claim(seq: $s) { seq member activity ruleVersion quantity } }",
            {"s": claim},
        )
        found = data["claim"]
        if found is None:
            raise ApiError("not_found", f"there is no claim at entry {claim}")
        table = await self.rule_table(int(found["ruleVersion"]))
        body = {
            "member": found["member"],
            "credits": table.rule(found["activity"]).amount(int(found["quantity"])),
            "activity": found["activity"],
            "rule_version": table.version,
            "quantity": int(found["quantity"]),
            "basis": {"claim": claim},
        }
        return await self.act("awardCredit", "AwardAccepted", "credit.awarded", body)

    async def decline(self, claim: int, reason: str) -> int:
        """Decline a claim (approver), or withdraw one's own (``reason="withdrawn"``)."""
        body = DeclineBody(claim=claim, reason=reason).to_json()
        return await self.act("declineClaim", "ClaimAccepted", "credit.declined", body)

    async def record_session(
        self, *, activity: str, held_on: date, attendees: list[str], title: str, group: str | None
    ) -> int:
        """Record a session register (a convenor or the board)."""
        body = SessionBody(
            activity=activity, held_on=held_on, attendees=tuple(attendees), title=title, group=group
        ).to_json()
        return await self.act("recordSession", "SessionAccepted", "credit.session_recorded", body)

    async def record_register(
        self, *, activity: str, held_on: date, attendees: list[str], title: str, group: str | None
    ) -> tuple[int, list[int]]:
        """Record a session register and award every attendee, the awards sent together so
        they land in one batch. Returns the session's entry and the awards' entries."""
        table = await self.rule_table()
        session = await self.record_session(
            activity=activity, held_on=held_on, attendees=attendees, title=title, group=group
        )
        body = SessionBody(
            activity=activity, held_on=held_on, attendees=tuple(attendees), title=title, group=group
        ).to_json()
        awards = credits.awards_for_session(session_seq=session, session_body=body, table=table)
        results = await asyncio.gather(
            *(self.act("awardCredit", "AwardAccepted", "credit.awarded", a) for a in awards)
        )
        return session, list(results)

    async def dispute(self, award: int, reason: str) -> int:
        """Dispute an award within its window."""
        body = DisputeBody(award=award, reason=reason).to_json()
        return await self.act("disputeAward", "DisputeAccepted", "credit.disputed", body)

    async def reverse(self, award: int, credits_back: int, reason: str) -> int:
        """Reverse what remains of an award (a board member not involved in it)."""
        body = ReversalBody(award=award, credits=credits_back, reason=reason).to_json()
        return await self.act("reverseAward", "AwardAccepted", "credit.reversed", body)

    # -- governance acts ------------------------------------------------------------------

    async def _draft(self, mutation: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run a prepare mutation (logging in first, and again if the token has expired);
        the body to sign."""
        if self.token is None:
            await self.login()
        for attempt in range(2):
            sent = self.token
            data = await self.graphql(mutation, variables)
            result: dict[str, Any] = next(iter(data.values()))
            if result["__typename"] == "Draft":
                return result
            if result["code"] != "unauthenticated" or attempt or self.keypair is None:
                break
            await self.login_again(sent)
        raise ApiError(str(result["code"]), str(result["message"]))

    async def _submit_draft(self, field: str, draft: Mapping[str, Any]) -> int:
        return await self.act(field, "ProposalAccepted", str(draft["kind"]), draft["body"])

    async def propose(
        self,
        *,
        group: str,
        title: str,
        text: str,
        method: str,
        closes_at: datetime,
        options: Sequence[str] = (),
        hidden: bool = False,
        **rules: Any,
    ) -> int:
        """Open a proposal (its convenor or the board): the server stores the text, freezes
        the electorate, makes a seal key if ``hidden``; this client signs the opening.

        ``rules`` are further ``ProposalDraftInput`` fields (``quorum="1/2"``, ``dots=5``, ...).
        """
        draft = {
            "group": group,
            "title": title,
            "bodyText": text,
            "method": method,
            "closesAt": format_time(closes_at),
            "options": list(options),
            "hidden": hidden,
            **rules,
        }
        prepared = await self._draft(
            f"mutation($d: ProposalDraftInput!) {{ prepareProposal(draft: $d) {DRAFT} }}",
            {"d": draft},
        )
        return await self._submit_draft("openProposal", prepared)

    async def proposal_options(self, proposal: int) -> list[str]:
        """The options of the proposal at entry ``proposal`` (none for a motion)."""
        data = await self.graphql(
            "query($p: Int!) { proposal(seq: $p) { options } }", {"p": proposal}
        )
        if data["proposal"] is None:
            raise ApiError("not_found", f"there is no proposal at entry {proposal}")
        return [str(option) for option in data["proposal"]["options"]]

    async def vote(self, proposal: int, ballot: Mapping[str, Any]) -> int:
        """Cast (or replace) a ballot; sealed here to the proposal's key when it is hidden."""
        data = await self.graphql(
            "query($p: Int!) { proposal(seq: $p) { sealKey } }", {"p": proposal}
        )
        if data["proposal"] is None:
            raise ApiError("not_found", f"there is no proposal at entry {proposal}")
        key = data["proposal"]["sealKey"]
        if key is None:
            body = VoteBody(proposal=proposal, ballot=ballot).to_json()
        else:
            body = governance.cast_sealed_vote(
                proposal=proposal,
                member=await self.me(),
                ballot=ballot,
                seal_key=base64.b64decode(key),
            )
        return await self.act("castVote", "ProposalAccepted", "governance.vote.cast", body)

    async def close(self, proposal: int, reason: str = "closing_time") -> int:
        """Close a proposal (its convenor or the board); a hidden one publishes its key."""
        prepared = await self._draft(
            f"mutation($p: Int!, $r: String!) {{ prepareClose(proposal: $p, reason: $r) {DRAFT} }}",
            {"p": proposal, "r": reason},
        )
        return await self._submit_draft("closeProposal", prepared)

    async def decide(self, proposal: int, statement: str, review_on: date) -> int:
        """Record the decision of a closed proposal, counted by the server, checked by the
        ledger against its own recount."""
        prepared = await self._draft(
            "mutation($p: Int!, $t: String!, $r: Date!) { prepareDecision(proposal: $p, "
            f"statementText: $t, reviewOn: $r) {DRAFT} }}",
            {"p": proposal, "t": statement, "r": review_on.isoformat()},
        )
        return await self._submit_draft("recordDecision", prepared)

    async def create_group(self, slug: str, name: str) -> int:
        """Create a working group (the board)."""
        body = GroupBody(group=slug, name=name).to_json()
        return await self.act("createGroup", "GroupAccepted", "governance.group.created", body)

    async def set_role(self, group: str, member: str, role: str) -> int:
        """Set a member's role in a group (the board; a convenor moves member/observer)."""
        body = RoleBody(group=group, member=member, role=role).to_json()
        return await self.act("setRole", "GroupAccepted", "governance.group.role_set", body)

    async def join(self, group: str, role: str = "member") -> int:
        """Ask to join a group as ``member`` or ``observer``."""
        body = JoinRequestBody(group=group, role=role).to_json()
        return await self.act(
            "requestToJoin", "GroupAccepted", "governance.group.join_requested", body
        )

    async def approve_join(self, request: int) -> int:
        """Approve a join request (the group's convenor or the board)."""
        body = RequestBody(request=request).to_json()
        return await self.act(
            "approveJoin", "JoinRequestAccepted", "governance.group.join_approved", body
        )

    async def decline_join(self, request: int) -> int:
        """Decline a join request (the group's convenor or the board), or withdraw your own."""
        body = RequestBody(request=request).to_json()
        return await self.act(
            "declineJoin", "JoinRequestAccepted", "governance.group.join_declined", body
        )

    async def leave(self, group: str) -> int:
        """Leave a working group."""
        body = LeaveBody(group=group).to_json()
        return await self.act("leaveGroup", "GroupAccepted", "governance.group.left", body)

    async def admit(
        self,
        *,
        member: str,
        public_key: str,
        kind: str,
        borough: str,
        name: str | None = None,
        email: str | None = None,
        handle: str | None = None,
    ) -> int:
        """Admit a member (the board); handle, name and e-mail go to the erasable directory."""
        body = {
            "member": member,
            "public_key": public_key,
            "member_kind": kind,
            "borough": borough,
            "roles": [],
        }
        signed = await self.sign("member.admitted", body)
        data = await self.graphql(
            "mutation($s: SignedStatementInput!, $p: PersonalDataInput) { "
            "admitMember(statement: $s, personal: $p) { __typename "
            "... on Refusal { code message } ... on MemberAccepted { receipt { seq } } } }",
            {"s": graphql_input(signed), "p": {"handle": handle, "name": name, "email": email}},
        )
        result = data["admitMember"]
        if result["__typename"] != "MemberAccepted":
            raise Refused(str(result["code"]), str(result["message"]))
        return int(result["receipt"]["seq"])
