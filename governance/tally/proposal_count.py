"""Counting one proposal from its logged ballots: pure, shared by the handler and the recount.

1. Each voter's latest ballot counts (highest entry seq); earlier ones are superseded.
2. A sealed ballot is opened with the published private key. A ballot that does not open, is
   bound to another proposal or voter, or does not fit the method is *spoiled*: it is listed
   in the transcript with the reason and counts for nothing, not even the quorum. From
   algorithm version 2 the reason is a code of ``governance.errors.SpoiledReason``; a proposal
   opened at version 1 is counted as it was, with the English message as its reason.
3. The valid ballots, in member order, are tallied by the method at the pinned algorithm
   version under the frozen rules, seeded with the opening entry's leaf hash.
4. The transcript (below) is serialised as RFC 8785 canonical JSON; its SHA-256 is what a
   decision records.

Transcript::

    {"proposal": seq, "method": str, "algorithm": str, "seed": hex,
     "electorate_size": int, "electorate_sha256": hex,
     "counted": [{"member", "seq", "ballot"}, ...],     # by member id
     "spoiled": [{"member", "seq", "reason"}, ...],      # by member id; reason a code
     "superseded": [seq, ...],                           # earlier ballots, by seq
     "tally": Tally.to_json()}
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.bodies import Result
from governance.errors import InvalidBallotError, ResultsHiddenError, SpoiledBallotError
from governance.opening import Opening
from governance.seal import open_ballot
from governance.tally import CODED_REASONS_FROM, Json, Rules, Tally, algorithm_version, get_method
from ledger.encoding import canonical_json


@dataclass(frozen=True)
class CastBallot:
    """A ballot as logged: the entry seq, the voter, and a plain ballot or a ciphertext."""

    seq: int
    member: str
    ballot: Mapping[str, Any] | None
    sealed: bytes | None


@dataclass(frozen=True)
class Counted:
    """A ballot that counted, opened if it was sealed."""

    seq: int
    member: str
    ballot: Mapping[str, Any]


@dataclass(frozen=True)
class Spoiled:
    """A latest ballot that counted for nothing, and why."""

    seq: int
    member: str
    reason: str


@dataclass(frozen=True)
class Count:
    """The count of one proposal: the tally and everything needed to check it."""

    proposal: int
    tally: Tally
    counted: tuple[Counted, ...]
    spoiled: tuple[Spoiled, ...]
    transcript: Mapping[str, Json]

    @property
    def transcript_bytes(self) -> bytes:
        """The transcript as RFC 8785 canonical JSON."""
        return canonical_json(self.transcript)

    @property
    def transcript_sha256(self) -> str:
        """Hex SHA-256 of ``transcript_bytes``: what the decision entry records."""
        return hashlib.sha256(self.transcript_bytes).hexdigest()

    @property
    def result(self) -> Result:
        """The headline a decision records."""
        return Result(
            outcome=self.tally.outcome,
            winner=self.tally.winner,
            passed=self.tally.passed,
            counts=self.tally.counts,
            ballots=self.tally.ballots,
            spoiled=len(self.spoiled),
        )


def latest_ballots(ballots: Iterable[CastBallot]) -> tuple[list[CastBallot], list[int]]:
    """Step 1: each voter's latest ballot (by member id), and the seqs of superseded ones."""
    latest: dict[str, CastBallot] = {}
    superseded: list[int] = []
    for cast in sorted(ballots, key=lambda b: b.seq):
        earlier = latest.get(cast.member)
        if earlier is not None:
            superseded.append(earlier.seq)
        latest[cast.member] = cast
    return [latest[m] for m in sorted(latest)], sorted(superseded)


def read_ballot(
    cast: CastBallot, *, opening: Opening, proposal: int, rules: Rules, private_key: bytes | None
) -> Mapping[str, Any]:
    """Step 2: the ballot inside ``cast``, checked against the method.

    Raises ``SpoiledBallotError`` for a voter outside the electorate, a sealed ballot that
    does not open, or a ballot the method refuses.
    """
    if cast.sealed is not None:
        if private_key is None:
            raise ResultsHiddenError("the proposal is hidden and its key is not published")
        ballot = open_ballot(
            private_key=private_key, sealed=cast.sealed, proposal=proposal, member=cast.member
        )
    elif cast.ballot is not None:
        ballot = cast.ballot
    else:
        raise SpoiledBallotError("the ballot is empty", reason="empty")
    if cast.member not in opening.electorate:
        raise SpoiledBallotError(
            f"{cast.member} is not in the electorate", reason="not_in_electorate", opened=ballot
        )
    try:
        get_method(opening.method).validate_ballot(ballot, rules)
    except InvalidBallotError as e:
        raise SpoiledBallotError(
            f"invalid for {opening.method}: {e}", reason="invalid_ballot", opened=ballot
        ) from e
    return ballot


def count_proposal(
    opening: Opening,
    *,
    proposal: int,
    seed: bytes,
    ballots: Iterable[CastBallot],
    private_key: bytes | None = None,
) -> Count:
    """Count the proposal opened at ``proposal`` by the steps in the module docstring.

    ``seed`` is the opening entry's leaf hash; ``ballots`` every ballot logged for it (in any
    order); ``private_key`` the published seal key of a hidden proposal. Raises
    ``ResultsHiddenError`` for a hidden proposal without its key, ``UnknownMethodError`` for an
    algorithm version this code does not run.
    """
    rules = opening.tally_rules(seed)
    method = get_method(opening.method, opening.rules.algorithm)
    legacy_reasons = algorithm_version(method.algorithm) < CODED_REASONS_FROM
    latest, superseded = latest_ballots(ballots)
    counted: list[Counted] = []
    spoiled: list[Spoiled] = []
    for cast in latest:
        try:
            ballot = read_ballot(
                cast, opening=opening, proposal=proposal, rules=rules, private_key=private_key
            )
        except SpoiledBallotError as e:
            reason = str(e) if legacy_reasons else e.reason
            spoiled.append(Spoiled(cast.seq, cast.member, reason))
            continue
        counted.append(Counted(cast.seq, cast.member, ballot))
    tally = method.tally([c.ballot for c in counted], rules)
    transcript = _transcript(opening, proposal, seed, counted, spoiled, superseded, tally)
    return Count(proposal, tally, tuple(counted), tuple(spoiled), transcript)


def _transcript(
    opening: Opening,
    proposal: int,
    seed: bytes,
    counted: Sequence[Counted],
    spoiled: Sequence[Spoiled],
    superseded: Sequence[int],
    tally: Tally,
) -> dict[str, Json]:
    return {
        "proposal": proposal,
        "method": opening.method,
        "algorithm": opening.rules.algorithm,
        "seed": seed.hex(),
        "electorate_size": len(opening.electorate),
        "electorate_sha256": opening.electorate_sha256,
        "counted": [{"member": c.member, "seq": c.seq, "ballot": dict(c.ballot)} for c in counted],
        "spoiled": [{"member": s.member, "seq": s.seq, "reason": s.reason} for s in spoiled],
        "superseded": list(superseded),
        "tally": tally.to_json(),
    }
