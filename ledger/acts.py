"""One declaration per statement kind: who signs it, how it is checked and projected, and how
the API submits it.

Each domain declares its kinds once, in its own ``acts.py`` (the log core's member kinds
below, ``ledger.credits.acts``, ``governance.acts``); the sequencer's handlers, the GraphQL
mutations and their success types are derived from those declarations, and tests hold them
equal to the closed kind list (``ledger.statement.KINDS``) and to docs/formats.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ledger.members import AdmittedBody, InitialisedBody, KeyRevokedBody, KeyRotatedBody

CheckT = TypeVar("CheckT")
ApplyT = TypeVar("ApplyT")

ANSWERS = frozenset(
    {
        "member",
        "rule_table",
        "session",
        "claim",
        "award",
        "dispute",
        "group",
        "join_request",
        "proposal",
    }
)
"""What an accepted act's answer points at (the GraphQL ``...Accepted`` type it returns)."""


@dataclass(frozen=True)
class Act(Generic[CheckT, ApplyT]):
    """A statement kind and everything said of it once.

    ``subject`` is the body field naming what the act is about (a claim's seq, a group's
    slug), or ``None`` when it is the act's own entry (a new claim, award or proposal).
    ``mutation`` is ``None`` for a kind the API does not take (entry 0).
    ``check`` reads the state and raises a refusal, writing nothing; ``apply`` projects the
    accepted entry in the transaction that appends it (their signatures are the domain's).
    ``body`` is the body type (``ledger.fields``): its fields, their limits, its JSON Schema.
    """

    kind: str
    signer: str
    mutation: str | None
    answer: str
    subject: str | None
    check: CheckT
    apply: ApplyT
    body: type

    def __post_init__(self) -> None:
        if self.answer not in ANSWERS:
            raise ValueError(f"{self.kind}: unknown answer {self.answer!r}")


def by_kind(acts: Iterable[Act[CheckT, ApplyT]]) -> dict[str, Act[CheckT, ApplyT]]:
    """The acts by kind; raises ``ValueError`` if a kind or a mutation is declared twice."""
    found: dict[str, Act[CheckT, ApplyT]] = {}
    mutations: set[str] = set()
    for act in acts:
        if act.kind in found or act.mutation in mutations:
            raise ValueError(f"{act.kind} ({act.mutation}) is declared twice")
        found[act.kind] = act
        if act.mutation is not None:
            mutations.add(act.mutation)
    return found


MemberAct = Act[None, None]

MEMBER_ACTS: tuple[MemberAct, ...] = (
    Act(
        "log.initialised",
        signer="the first steward's own key (entry 0 only)",
        mutation=None,
        answer="member",
        subject="member",
        check=None,
        apply=None,
        body=InitialisedBody,
    ),
    Act(
        "member.admitted",
        signer="a board member",
        mutation="admitMember",
        answer="member",
        subject="member",
        check=None,
        apply=None,
        body=AdmittedBody,
    ),
    Act(
        "member.key_rotated",
        signer="the member's current key",
        mutation="rotateKey",
        answer="member",
        subject="member",
        check=None,
        apply=None,
        body=KeyRotatedBody,
    ),
    Act(
        "member.key_revoked",
        signer="a board member",
        mutation="revokeKey",
        answer="member",
        subject="member",
        check=None,
        apply=None,
        body=KeyRevokedBody,
    ),
)
"""The log core's kinds. The member registry checks and folds them all in one place
(``ledger.members.Registry.check`` and ``apply``): the audit replays it alone."""

MEMBER_ACTS_BY_KIND = by_kind(MEMBER_ACTS)
