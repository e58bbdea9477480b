"""Projected governance state as frozen values: what queries return, never ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from governance.bodies import Result
from governance.opening import Opening
from governance.tally.proposal_count import CastBallot

OPEN: Final = "open"
CLOSED: Final = "closed"
DECIDED: Final = "decided"

REQUEST_OPEN: Final = "open"
APPROVED: Final = "approved"
DECLINED: Final = "declined"
WITHDRAWN: Final = "withdrawn"


@dataclass(frozen=True)
class GroupRecord:
    """A working group (the assembly is implicit and has no record)."""

    group: str
    name: str
    created_seq: int


@dataclass(frozen=True)
class MembershipRecord:
    """A member's role in a group, since entry ``since_seq``."""

    group: str
    member: str
    role: str
    since_seq: int


@dataclass(frozen=True)
class RequestRecord:
    """A join request and what became of it."""

    seq: int
    group: str
    member: str
    role: str
    status: str
    closed_by: int | None


@dataclass(frozen=True)
class TermsRecord:
    """A version of a group's terms of reference, adopted by the decision at ``decision``."""

    group: str
    version: int
    sha256: str
    decision: int


@dataclass(frozen=True)
class ProposalRecord:
    """A proposal: its frozen opening, and its close and decision once they happen."""

    seq: int
    opener: str
    opening: Opening
    seed: bytes
    status: str
    logged_at: str
    closed_by: int | None = None
    close_reason: str | None = None
    seal_private_key: bytes | None = None
    decided_by: int | None = None
    result: Result | None = None
    transcript_sha256: str | None = None
    statement_sha256: str | None = None
    review_on: date | None = None

    @property
    def group(self) -> str:
        """The group that votes."""
        return self.opening.group


@dataclass(frozen=True)
class BallotRecord:
    """A logged ballot. ``ballot`` is ``None`` for a sealed ballot until its proposal closes."""

    seq: int
    proposal: int
    member: str
    ballot: Mapping[str, Any] | None
    sealed: bytes | None
    superseded_by: int | None
    spoiled: str | None
    logged_at: str

    def cast(self) -> CastBallot:
        """The ballot as logged, for counting (a sealed one stays sealed)."""
        plain = None if self.sealed is not None else self.ballot
        return CastBallot(self.seq, self.member, plain, self.sealed)
