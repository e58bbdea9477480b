"""What an audit knows as it goes, and where it reads a log from (a store or a server)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ledger.audit_chunk import Fault, NoteRow, Row, SharedEntries
from ledger.members import Registry
from ledger.note import NoteVerifier
from ledger.tree import Frontier


@dataclass
class AuditState:
    """What the audit knows so far; sources read it to finish their own checks."""

    origin: str
    verifier: NoteVerifier
    head: NoteRow
    registry: Registry = field(default_factory=Registry)
    frontier: Frontier = field(default_factory=Frontier.empty)
    previous: NoteRow | None = None
    checkpoints: int = 0
    first_leaf: bytes | None = None
    last_leaf: bytes | None = None
    replay_fault: Fault | None = None
    nonces: set[str] = field(default_factory=set)


class Source(Protocol):
    """Where a log is read from: a store, or a server's transparency endpoints."""

    async def head(self, verifier: NoteVerifier, origin: str) -> NoteRow:
        """The checkpoint whose size the audit covers."""

    async def entries(self, start: int, end: int) -> list[Row]:
        """Entries ``start <= seq < end`` as read (a missing one is a fault)."""

    async def checkpoints(self, first: int, last: int) -> list[NoteRow]:
        """The checkpoints with ``first <= size <= last``, in order."""

    async def consistency(self, pairs: Sequence[tuple[int, int]]) -> list[list[bytes] | None]:
        """A consistency path for each ``(size1, size2)``, or ``None`` if none can be had."""

    async def tail(self, state: AuditState) -> Fault | None:
        """Checks once every entry up to the head has passed."""

    def shared_entries(self) -> SharedEntries | None:
        """Where workers can read the entries themselves, if they can."""
