"""Recount every decision from the log alone, and compare it with what the decision recorded.

Pure: reads only the member entries (to know whose key signed a ballot),
``governance.proposal.opened``, ``governance.vote.cast``,
``governance.proposal.closed`` and ``governance.decision.recorded`` entries, in log order.
For each decision it counts the proposal's ballots (``governance.tally.proposal_count``) and
compares the result and the transcript hash. It also reports ballots the log should never have
accepted: a voter outside the frozen electorate, a ballot before opening, after the closing time
or after the close, and a published seal key that is not the proposal's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from governance.bodies import Result, parse_close, parse_decision, parse_vote
from governance.errors import RecountError, SealMismatchError
from governance.opening import Opening, parse_opening
from governance.seal import check_key_pair
from governance.tally.proposal_count import CastBallot, Count, count_proposal
from ledger.encoding import parse_time
from ledger.errors import LedgerError
from ledger.members import MEMBER_KINDS, Registry
from ledger.statement import Entry

OPENED = "governance.proposal.opened"
CAST = "governance.vote.cast"
CLOSED = "governance.proposal.closed"
DECIDED = "governance.decision.recorded"
RECOUNT_KINDS = frozenset({OPENED, CAST, CLOSED, DECIDED})


@dataclass(frozen=True)
class Recounted:
    """One decision: what it recorded, what the recount gives, and ``fault`` if they differ."""

    proposal: int
    decision: int
    recorded: Result
    recorded_sha256: str
    count: Count | None
    fault: str | None

    @property
    def ok(self) -> bool:
        """Whether the recount agrees with the decision."""
        return self.fault is None


@dataclass(frozen=True)
class RecountReport:
    """Every decision recounted, and every fault found in log order."""

    decisions: tuple[Recounted, ...]
    faults: tuple[str, ...]

    def check(self) -> None:
        """Return ``None`` if every decision recounts the same; else raise ``RecountError``
        naming the first fault."""
        if self.faults:
            raise RecountError(self.faults[0])


@dataclass
class _Proposal:
    seq: int
    opening: Opening
    seed: bytes
    ballots: list[CastBallot] = field(default_factory=list)
    closed: int | None = None
    private_key: bytes | None = None
    decided: int | None = None


@dataclass
class _Walk:
    proposals: dict[int, _Proposal] = field(default_factory=dict)
    decisions: list[Recounted] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    registry: Registry = field(default_factory=Registry)


def recount(entries: Iterable[Entry]) -> RecountReport:
    """Recount every decision in ``entries`` (the whole log, in order); see module docstring.

    Never raises for a bad log: every problem becomes a fault in the report.
    """
    walk = _Walk()
    for entry in entries:
        kind = entry.statement.kind
        step = _STEPS.get(kind)
        if step is None:
            continue
        try:
            step(walk, entry)
        except (LedgerError, KeyError, ValueError) as e:
            walk.faults.append(f"entry {entry.seq} ({kind}): {e}")
    return RecountReport(tuple(walk.decisions), tuple(walk.faults))


def _proposal(walk: _Walk, seq: int) -> _Proposal:
    proposal = walk.proposals.get(seq)
    if proposal is None:
        raise KeyError(f"no proposal was opened at entry {seq}")
    return proposal


def _opened(walk: _Walk, entry: Entry) -> None:
    opening = parse_opening(entry.statement.body)
    walk.proposals[entry.seq] = _Proposal(entry.seq, opening, entry.leaf_hash)


def _cast(walk: _Walk, entry: Entry) -> None:
    vote = parse_vote(entry.statement.body)
    proposal = _proposal(walk, vote.proposal)
    member = walk.registry.keys[entry.statement.key_id].member
    at = parse_time(entry.logged_at)
    if proposal.closed is not None:
        raise ValueError(f"ballot after the close at entry {proposal.closed}")
    if not proposal.opening.opens_at <= at < proposal.opening.closes_at:
        raise ValueError("ballot outside the voting window")
    if member not in proposal.opening.electorate:
        raise ValueError(f"{member} is not in the electorate")
    proposal.ballots.append(CastBallot(entry.seq, member, vote.ballot, vote.sealed))


def _closed(walk: _Walk, entry: Entry) -> None:
    close = parse_close(entry.statement.body)
    proposal = _proposal(walk, close.proposal)
    if proposal.closed is not None:
        raise ValueError(f"proposal {proposal.seq} was closed already")
    proposal.closed = entry.seq
    if proposal.opening.seal_key is not None:
        if close.seal_private_key is None:
            raise SealMismatchError("a hidden proposal closed without its private key")
        check_key_pair(private_key=close.seal_private_key, public_key=proposal.opening.seal_key)
        proposal.private_key = close.seal_private_key


def _decided(walk: _Walk, entry: Entry) -> None:
    decision = parse_decision(entry.statement.body)
    proposal = _proposal(walk, decision.proposal)
    if proposal.closed is None or proposal.decided is not None:
        raise ValueError(f"proposal {proposal.seq} is not closed, or decided already")
    proposal.decided = entry.seq
    count = count_proposal(
        proposal.opening,
        proposal=proposal.seq,
        seed=proposal.seed,
        ballots=proposal.ballots,
        private_key=proposal.private_key,
    )
    fault = None
    if count.result != decision.result:
        fault = f"records {decision.result.to_json()}, the recount gives {count.result.to_json()}"
    elif count.transcript_sha256 != decision.transcript_sha256:
        fault = f"records transcript {decision.transcript_sha256}, the recount gives " + (
            count.transcript_sha256
        )
    walk.decisions.append(
        Recounted(
            proposal.seq, entry.seq, decision.result, decision.transcript_sha256, count, fault
        )
    )
    if fault is not None:
        walk.faults.append(f"entry {entry.seq} (decision on proposal {proposal.seq}) {fault}")


def _member(walk: _Walk, entry: Entry) -> None:
    walk.registry.apply(entry)


_STEPS: dict[str, Callable[[_Walk, Entry], None]] = {
    **dict.fromkeys(MEMBER_KINDS, _member),
    OPENED: _opened,
    CAST: _cast,
    CLOSED: _closed,
    DECIDED: _decided,
}
