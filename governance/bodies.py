"""The governance statement bodies (all but the opening), declared once: one dataclass each.

Pure: every parser raises ``MalformedStatementError`` naming the field that is wrong. The
opening of a proposal, which carries the frozen rules, is read by ``governance.opening``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Final

from ledger.errors import MalformedStatementError
from ledger.fields import (
    HEX_SHA256,
    MEMBER_ID,
    SLUG,
    Declared,
    base64,
    boolean,
    calendar_date,
    integer,
    integers,
    json_object,
    nested,
    one_of,
    parse,
    text,
)

ASSEMBLY: Final = "assembly"
"""The co-op-wide group of every member: implicit, never created, joined or left."""
CONVENOR: Final = "convenor"
MEMBER: Final = "member"
OBSERVER: Final = "observer"
ROLES: Final = frozenset({CONVENOR, MEMBER, OBSERVER})
JOIN_ROLES: Final = frozenset({MEMBER, OBSERVER})
VOTING_ROLES: Final = frozenset({CONVENOR, MEMBER})

CLOSING_TIME: Final = "closing_time"
ALL_VOTED: Final = "all_voted"
EARLY: Final = "early"
CLOSE_REASONS: Final = frozenset({CLOSING_TIME, ALL_VOTED, EARLY})

SEAL_KEY_BYTES: Final = 32
MAX_SEALED_BYTES: Final = 8192
MIN_SEALED_BYTES: Final = 48 + 2
"""A SealedBox adds 48 bytes (ephemeral key and MAC); the shortest plaintext is ``{}``."""
OUTCOMES: Final = frozenset(
    {"winner", "tie", "no_support", "quorum_not_met", "passed", "failed", "blocked"}
)


@dataclass(frozen=True)
class GroupBody(Declared):
    """``governance.group.created``: a working group with its slug and display name."""

    group: str = text(SLUG, max_length=64)
    name: str = text(max_length=120, line=True)

    def validate(self, kind: str) -> None:
        if self.group == ASSEMBLY:
            raise MalformedStatementError(f"{kind}: 'assembly' is reserved")


@dataclass(frozen=True)
class JoinRequestBody(Declared):
    """``governance.group.join_requested``: the signer asks to join as member or observer."""

    group: str = text(SLUG, max_length=64)
    role: str = one_of(JOIN_ROLES)


@dataclass(frozen=True)
class RequestBody(Declared):
    """``governance.group.join_approved`` / ``join_declined``: the request's entry seq."""

    request: int = integer(minimum=0)


@dataclass(frozen=True)
class LeaveBody(Declared):
    """``governance.group.left``: the signer leaves the group."""

    group: str = text(SLUG, max_length=64)


@dataclass(frozen=True)
class RoleBody(Declared):
    """``governance.group.role_set``: a member's role in a group is set."""

    group: str = text(SLUG, max_length=64)
    member: str = text(MEMBER_ID)
    role: str = one_of(ROLES)


@dataclass(frozen=True)
class VoteBody(Declared):
    """``governance.vote.cast``: exactly one of a plain ``ballot`` or a ``sealed`` ciphertext.

    The ballot's content is checked against the method later, by the proposal's rules.
    """

    proposal: int = integer(minimum=0)
    ballot: Mapping[str, Any] | None = json_object(optional=True)
    sealed: bytes | None = base64(
        max_length=4 * MAX_SEALED_BYTES // 3 + 4, what="sealed ballot", optional=True
    )

    def validate(self, kind: str) -> None:
        if (self.ballot is None) == (self.sealed is None):
            raise MalformedStatementError(f"{kind}: give exactly one of ballot, sealed")
        if self.sealed is not None and not MIN_SEALED_BYTES <= len(self.sealed) <= MAX_SEALED_BYTES:
            raise MalformedStatementError(
                f"{kind}: a sealed ballot is {MIN_SEALED_BYTES} to "
                f"{MAX_SEALED_BYTES} bytes, not {len(self.sealed)}"
            )


@dataclass(frozen=True)
class CloseBody(Declared):
    """``governance.proposal.closed``: why it closed; a hidden proposal's private seal key."""

    proposal: int = integer(minimum=0)
    reason: str = one_of(CLOSE_REASONS)
    seal_private_key: bytes | None = base64(length=SEAL_KEY_BYTES, optional=True)


@dataclass(frozen=True)
class Result(Declared):
    """The headline of a count, as a decision records it on the log (its ``result``)."""

    outcome: str = one_of(OUTCOMES)
    winner: int | None = integer(minimum=0, nullable=True)
    passed: bool | None = boolean(nullable=True)
    counts: tuple[int, ...] = integers(minimum=0)
    ballots: int = integer(minimum=0)
    spoiled: int = integer(minimum=0)


@dataclass(frozen=True)
class DecisionBody(Declared):
    """``governance.decision.recorded``: result, transcript hash, outcome statement, review."""

    proposal: int = integer(minimum=0)
    result: Result = nested(Result)
    transcript_sha256: str = text(HEX_SHA256, max_length=64)
    statement_sha256: str = text(HEX_SHA256, max_length=64)
    review_on: date = calendar_date()


def text_digest(text: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of ``text``: how the log names an off-log text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


parse_group = partial(parse, GroupBody, "governance.group.created")
parse_join_request = partial(parse, JoinRequestBody, "governance.group.join_requested")
parse_request_ref = partial(parse, RequestBody)
parse_leave = partial(parse, LeaveBody, "governance.group.left")
parse_role = partial(parse, RoleBody, "governance.group.role_set")
parse_vote = partial(parse, VoteBody, "governance.vote.cast")
parse_close = partial(parse, CloseBody, "governance.proposal.closed")
parse_decision = partial(parse, DecisionBody, "governance.decision.recorded")
parse_result = partial(parse, Result, "governance.decision.recorded result")
