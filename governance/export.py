"""Exports of a proposal: ballots as CSV, ranked ballots as BLT, the transcript as JSON.

Pure: takes the values ``governance.reports`` reads. A hidden proposal's ballots are exported
only once it is closed (its key published); before that ``ResultsHiddenError`` is raised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from governance.errors import InvalidRulesError, ResultsHiddenError
from governance.records import BallotRecord, ProposalRecord
from governance.tally.proposal_count import Count
from ledger.encoding import canonical_json

RANKED_METHODS = frozenset({"irv", "schulze"})
CSV_COLUMNS = ("proposal", "seq", "member", "logged_at", "status", "ballot", "spoiled")


def _status(ballot: BallotRecord) -> str:
    if ballot.superseded_by is not None:
        return "superseded"
    return "spoiled" if ballot.spoiled is not None else "counted"


def ballots_csv(record: ProposalRecord, ballots: Sequence[BallotRecord]) -> str:
    """One row per logged ballot, superseded ones included, in log order.

    Columns: proposal, seq, member, logged_at, status (``counted``, ``superseded`` or
    ``spoiled``), ballot (canonical JSON), spoiled (the reason). Raises ``ResultsHiddenError``
    for a hidden proposal that is still open.
    """
    if record.opening.hidden and record.seal_private_key is None:
        raise ResultsHiddenError(f"proposal {record.seq} hides its ballots until it closes")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for ballot in ballots:
        content = "" if ballot.ballot is None else canonical_json(ballot.ballot).decode()
        writer.writerow(
            [
                record.seq,
                ballot.seq,
                ballot.member,
                ballot.logged_at,
                _status(ballot),
                content,
                ballot.spoiled or "",
            ]
        )
    return out.getvalue()


def _quoted(text: str) -> str:
    """A BLT string: double-quoted; BLT has no escapes, so a double quote becomes a single."""
    return '"' + text.replace('"', "'") + '"'


def ballots_blt(record: ProposalRecord, count: Count) -> str:
    """The counted ranked ballots in BLT, the ballot format of OpenSTV (and Loomio exports).

    ::

        <candidates> <seats>          one seat
        1 <c1> <c2> ... 0             one line per counted ballot, candidates numbered from 1,
        ...                           most preferred first, in member order
        0                             end of ballots
        "<candidate 1>"               one line per option, in option order
        ...
        "<title>"

    Spoiled and superseded ballots are left out. Raises ``InvalidRulesError`` for a proposal
    that is not ranked.
    """
    opening = record.opening
    if opening.method not in RANKED_METHODS:
        raise InvalidRulesError(
            f"BLT holds ranked ballots; proposal {record.seq} is {opening.method}"
        )
    lines = [f"{len(opening.options)} 1"]
    for counted in count.counted:
        ranking = [str(option + 1) for option in counted.ballot["ranking"]]
        lines.append(" ".join(["1", *ranking, "0"]))
    lines.append("0")
    lines.extend(_quoted(option) for option in opening.options)
    lines.append(_quoted(opening.title))
    return "\n".join(lines) + "\n"


def transcript_json(count: Count) -> bytes:
    """The transcript's canonical JSON: its SHA-256 is the decision's ``transcript_sha256``."""
    return count.transcript_bytes
