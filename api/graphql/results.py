"""Success types of mutations, one per ``Act.answer``: the receipt, and what the act changed
(read after commit). Each is made from one row of ``ANSWERS``, not written out by hand.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import strawberry
from strawberry.types.private import StrawberryPrivate

from api.graphql.context import Info
from api.graphql.types_credits import Award, Claim, Dispute, RuleTable, Session
from api.graphql.types_governance import JoinRequest, Proposal, WorkingGroup
from api.graphql.types_log import Receipt
from api.graphql.types_members import Member
from governance import store as governance_store
from ledger.credits import store

Load = Callable[[Info, Any], Awaitable[Any]]


def _read(query: Callable[[Any, Any], Awaitable[Any]]) -> Load:
    """Load through ``query(conn, subject)`` on a short connection of the request's own."""

    async def load(info: Info, subject: Any) -> Any:
        async with info.context.read() as conn:
            return await query(conn, subject)

    return load


async def _member(info: Info, member: str) -> Any:
    registry = await info.context.state.registry.current(fresh=True)
    record = registry.members.get(member)
    return None if record is None else (record, registry)


@dataclass(frozen=True)
class Answer:
    """One success type: its name and description, the field it answers with, the private
    field holding the act's subject (and that subject's type), and how the node is read."""

    name: str
    description: str
    field: str
    node: type[Any]
    subject: str | None
    subject_type: type[Any]
    load: Load

    def make(self) -> type[Any]:
        """The Strawberry type: ``receipt``, then ``field`` resolved from the subject."""
        node, load, subject = self.node, self.load, self.subject

        async def resolve(root: Any, info: Info) -> Any:
            key = root.receipt.seq if subject is None else getattr(root, subject)
            found = await load(info, key)
            if found is None:
                return None
            return node.from_domain(*found) if isinstance(found, tuple) else node.from_domain(found)

        resolve.__annotations__ = {"root": Any, "info": Info, "return": Optional[node]}  # noqa: UP045
        annotations: dict[str, Any] = {"receipt": Receipt}
        if subject is not None:
            annotations[subject] = Annotated[self.subject_type, StrawberryPrivate()]
        body = {"__annotations__": annotations, self.field: strawberry.field(resolve)}
        return strawberry.type(type(self.name, (), body), description=self.description)


ANSWERS: dict[str, Answer] = {
    "claim": Answer(
        "ClaimAccepted",
        "A claim was made or closed.",
        "claim",
        Claim,
        "claim_seq",
        int,
        _read(store.claim),
    ),
    "award": Answer(
        "AwardAccepted",
        "An award was made, reversed or adjusted.",
        "award",
        Award,
        "award_seq",
        int,
        _read(store.award),
    ),
    "dispute": Answer(
        "DisputeAccepted",
        "A dispute was opened or ruled on.",
        "dispute",
        Dispute,
        "dispute_seq",
        int,
        _read(store.dispute),
    ),
    "session": Answer(
        "SessionAccepted",
        "A session register was recorded.",
        "session",
        Session,
        None,
        int,
        _read(store.session),
    ),
    "rule_table": Answer(
        "RuleTableAccepted",
        "A rule table version was adopted.",
        "rule_table",
        RuleTable,
        "version",
        int,
        _read(store.rule_table),
    ),
    "member": Answer(
        "MemberAccepted",
        "A member was admitted, or a key rotated or revoked.",
        "member",
        Member,
        "member_id",
        str,
        _member,
    ),
    "group": Answer(
        "GroupAccepted",
        "A working group was created or its membership changed.",
        "group",
        WorkingGroup,
        "slug",
        str,
        _read(governance_store.group),
    ),
    "join_request": Answer(
        "JoinRequestAccepted",
        "A join request was approved or declined.",
        "request",
        JoinRequest,
        "request_seq",
        int,
        _read(governance_store.request),
    ),
    "proposal": Answer(
        "ProposalAccepted",
        "A proposal was opened, voted on, closed or decided.",
        "proposal",
        Proposal,
        "proposal_seq",
        int,
        _read(governance_store.proposal),
    ),
}
"""Every success type, by the ``Act.answer`` that names it."""

TYPES: dict[str, type[Any]] = {answer: row.make() for answer, row in ANSWERS.items()}
"""The Strawberry success type of each answer."""
