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
    """One success type: the ``Act.answer`` it serves and its description, the node it
    answers with, the private field holding the act's subject (and that subject's type), and
    how the node is read. The type is ``<Answer>Accepted`` (``rule_table``:
    ``RuleTableAccepted``), and its field is named as the answer unless ``field`` says."""

    answer: str
    description: str
    node: type[Any]
    subject: str | None
    subject_type: type[Any]
    load: Load
    field: str | None = None

    @property
    def name(self) -> str:
        """The GraphQL type's name."""
        return "".join(word.title() for word in self.answer.split("_")) + "Accepted"

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
        body = {
            "__annotations__": annotations,
            self.field or self.answer: strawberry.field(resolve),
        }
        return strawberry.type(type(self.name, (), body), description=self.description)


ANSWERS: dict[str, Answer] = {
    answer.answer: answer
    for answer in (
        Answer("claim", "A claim was made or closed.", Claim, "claim_seq", int, _read(store.claim)),
        Answer(
            "award",
            "An award was made, reversed or adjusted.",
            Award,
            "award_seq",
            int,
            _read(store.award),
        ),
        Answer(
            "dispute",
            "A dispute was opened or ruled on.",
            Dispute,
            "dispute_seq",
            int,
            _read(store.dispute),
        ),
        Answer(
            "session", "A session register was recorded.", Session, None, int, _read(store.session)
        ),
        Answer(
            "rule_table",
            "A rule table version was adopted.",
            RuleTable,
            "version",
            int,
            _read(store.rule_table),
        ),
        Answer(
            "member",
            "A member was admitted, or a key rotated or revoked.",
            Member,
            "member_id",
            str,
            _member,
        ),
        Answer(
            "group",
            "A working group was created or its membership changed.",
            WorkingGroup,
            "slug",
            str,
            _read(governance_store.group),
        ),
        Answer(
            "join_request",
            "A join request was approved or declined.",
            JoinRequest,
            "request_seq",
            int,
            _read(governance_store.request),
            field="request",
        ),
        Answer(
            "proposal",
            "A proposal was opened, voted on, closed or decided.",
            Proposal,
            "proposal_seq",
            int,
            _read(governance_store.proposal),
        ),
    )
}
"""Every success type, by the ``Act.answer`` that names it."""

TYPES: dict[str, type[Any]] = {answer: row.make() for answer, row in ANSWERS.items()}
"""The Strawberry success type of each answer."""
