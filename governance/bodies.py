"""Checked reads of the governance statement bodies (all but the opening), one dataclass each.

Pure: every parser raises ``MalformedStatementError`` naming the field that is wrong. The
opening of a proposal, which carries the frozen rules, is read by ``governance.opening``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from governance.tally.base import Json
from ledger.credits.bodies import parse_date
from ledger.encoding import b64decode
from ledger.errors import MalformedStatementError
from ledger.fields import HEX_SHA256, MEMBER_ID, SLUG, Body

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
_SEQ = {"minimum": 0}


@dataclass(frozen=True)
class GroupBody:
    """``governance.group.created``: a working group with its slug and display name."""

    group: str
    name: str


@dataclass(frozen=True)
class JoinRequestBody:
    """``governance.group.join_requested``: the signer asks to join as member or observer."""

    group: str
    role: str


@dataclass(frozen=True)
class RequestBody:
    """``governance.group.join_approved`` / ``join_declined``: the request's entry seq."""

    request: int


@dataclass(frozen=True)
class LeaveBody:
    """``governance.group.left``: the signer leaves the group."""

    group: str


@dataclass(frozen=True)
class RoleBody:
    """``governance.group.role_set``: a member's role in a group is set."""

    group: str
    member: str
    role: str


@dataclass(frozen=True)
class VoteBody:
    """``governance.vote.cast``: exactly one of a plain ``ballot`` or a ``sealed`` ciphertext."""

    proposal: int
    ballot: Mapping[str, Any] | None
    sealed: bytes | None


@dataclass(frozen=True)
class CloseBody:
    """``governance.proposal.closed``: why it closed; a hidden proposal's private seal key."""

    proposal: int
    reason: str
    seal_private_key: bytes | None


@dataclass(frozen=True)
class Result:
    """The headline of a count, as a decision records it on the log."""

    outcome: str
    winner: int | None
    passed: bool | None
    counts: tuple[int, ...]
    ballots: int
    spoiled: int

    def to_json(self) -> dict[str, Json]:
        """The ``result`` object of a ``governance.decision.recorded`` body."""
        return {
            "outcome": self.outcome,
            "winner": self.winner,
            "passed": self.passed,
            "counts": list(self.counts),
            "ballots": self.ballots,
            "spoiled": self.spoiled,
        }


@dataclass(frozen=True)
class DecisionBody:
    """``governance.decision.recorded``: result, transcript hash, outcome statement, review."""

    proposal: int
    result: Result
    transcript_sha256: str
    statement_sha256: str
    review_on: date


def text_digest(text: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of ``text``: how the log names an off-log text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _group(body: Body) -> str:
    return body.str("group", pattern=SLUG, max_length=64)


def parse_group(value: Mapping[str, Any]) -> GroupBody:
    """Read a group creation; the slug ``assembly`` is reserved."""
    body = Body("governance.group.created", value).only({"group", "name"})
    group = _group(body)
    if group == ASSEMBLY:
        raise MalformedStatementError("governance.group.created: 'assembly' is reserved")
    name = body.str("name", max_length=120)
    if not name.isprintable():
        raise MalformedStatementError("governance.group.created: name must be one plain line")
    return GroupBody(group, name)


def parse_join_request(value: Mapping[str, Any]) -> JoinRequestBody:
    """Read a join request: the group and the role asked for (member or observer)."""
    body = Body("governance.group.join_requested", value).only({"group", "role"})
    return JoinRequestBody(_group(body), body.one_of("role", JOIN_ROLES))


def parse_request_ref(kind: str, value: Mapping[str, Any]) -> RequestBody:
    """Read an approval or a decline of a join request."""
    body = Body(kind, value).only({"request"})
    return RequestBody(body.int("request", **_SEQ))


def parse_leave(value: Mapping[str, Any]) -> LeaveBody:
    """Read a leave."""
    return LeaveBody(_group(Body("governance.group.left", value).only({"group"})))


def parse_role(value: Mapping[str, Any]) -> RoleBody:
    """Read a role change: group, member and the new role."""
    body = Body("governance.group.role_set", value).only({"group", "member", "role"})
    return RoleBody(_group(body), body.str("member", pattern=MEMBER_ID), body.one_of("role", ROLES))


def parse_vote(value: Mapping[str, Any]) -> VoteBody:
    """Read a vote: ``{"proposal", "ballot": {...}}`` or ``{"proposal", "sealed": base64}``.

    The ballot's content is checked against the method later, by the proposal's rules.
    """
    body = Body("governance.vote.cast", value).only({"proposal"}, {"ballot", "sealed"})
    proposal = body.int("proposal", **_SEQ)
    if body.has("ballot") == body.has("sealed"):
        raise MalformedStatementError("governance.vote.cast: give exactly one of ballot, sealed")
    if body.has("ballot"):
        return VoteBody(proposal, dict(body.object("ballot")), None)
    sealed = b64decode(
        body.str("sealed", max_length=4 * MAX_SEALED_BYTES // 3 + 4), what="sealed ballot"
    )
    if not MIN_SEALED_BYTES <= len(sealed) <= MAX_SEALED_BYTES:
        raise MalformedStatementError(
            f"governance.vote.cast: a sealed ballot is {MIN_SEALED_BYTES} to "
            f"{MAX_SEALED_BYTES} bytes, not {len(sealed)}"
        )
    return VoteBody(proposal, None, sealed)


def parse_close(value: Mapping[str, Any]) -> CloseBody:
    """Read a close: the proposal, the reason, and (hidden proposals) the private seal key."""
    body = Body("governance.proposal.closed", value)
    body.only({"proposal", "reason"}, {"seal_private_key"})
    key = None
    if body.has("seal_private_key"):
        key = b64decode(
            body.str("seal_private_key"), length=SEAL_KEY_BYTES, what="seal_private_key"
        )
    return CloseBody(body.int("proposal", **_SEQ), body.one_of("reason", CLOSE_REASONS), key)


def parse_decision(value: Mapping[str, Any]) -> DecisionBody:
    """Read a decision: the proposal, its result, the hashes and the review date."""
    kind = "governance.decision.recorded"
    body = Body(kind, value).only(
        {"proposal", "result", "transcript_sha256", "statement_sha256", "review_on"}
    )
    return DecisionBody(
        proposal=body.int("proposal", **_SEQ),
        result=parse_result(body.object("result")),
        transcript_sha256=body.str("transcript_sha256", pattern=HEX_SHA256, max_length=64),
        statement_sha256=body.str("statement_sha256", pattern=HEX_SHA256, max_length=64),
        review_on=parse_date(body, "review_on"),
    )


def parse_result(value: Mapping[str, Any]) -> Result:
    """Read a decision's ``result``: outcome, winner, passed, counts, ballots, spoiled."""
    kind = "governance.decision.recorded result"
    body = Body(kind, value).only({"outcome", "winner", "passed", "counts", "ballots", "spoiled"})
    winner = value.get("winner")
    if winner is not None:
        winner = body.int("winner", minimum=0)
    passed = value.get("passed")
    if passed is not None:
        passed = body.bool("passed")
    counts = value.get("counts")
    if not isinstance(counts, list) or not all(type(n) is int and 0 <= n for n in counts):
        raise MalformedStatementError(f"{kind}: counts must be a list of integers >= 0")
    return Result(
        outcome=body.one_of("outcome", OUTCOMES),
        winner=winner,
        passed=passed,
        counts=tuple(counts),
        ballots=body.int("ballots", minimum=0),
        spoiled=body.int("spoiled", minimum=0),
    )
