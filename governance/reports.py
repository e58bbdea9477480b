"""Reads for members, convenors, the API and the CLI: proposals, results, reminders, exports,
and the recount of a whole store for the audit.

Every function takes an open SQL connection (or a log reader) and writes nothing. A hidden
proposal's ballots and results are refused with ``ResultsHiddenError`` until it closes.
"""

from __future__ import annotations

from governance import export, store
from governance.errors import ResultsHiddenError
from governance.records import OPEN, ProposalRecord, TermsRecord
from governance.reminders import Reminder, agree_votes_needed, not_voted
from governance.scope import count_of, electorate, load_proposal
from governance.tally import Json
from governance.tally.proposal_count import Count
from governance.tally.recount_log import OPENED, RECOUNT_KINDS, RecountReport, recount
from ledger.members import MEMBER_KINDS, Registry
from ledger.sql import Connection, entries_at
from ledger.statement import Entry
from ledger.store import LogReader


async def electorate_now(conn: Connection, registry: Registry, group: str) -> list[str]:
    """Who would be in the electorate of a proposal opened in ``group`` now, sorted."""
    return await electorate(conn, registry, group)


async def proposal(conn: Connection, seq: int) -> ProposalRecord:
    """The proposal opened at ``seq``; raises ``NotFoundError``."""
    return await load_proposal(conn, seq)


def _require_visible(record: ProposalRecord) -> None:
    if record.opening.hidden and record.seal_private_key is None:
        raise ResultsHiddenError(
            f"proposal {record.seq} hides its results until it closes; who has voted is shown "
            "by reminders"
        )


async def results(conn: Connection, seq: int) -> Count:
    """The count of proposal ``seq``: provisional while open, final once closed.

    Raises ``NotFoundError``, or ``ResultsHiddenError`` for a hidden proposal still open.
    """
    record = await load_proposal(conn, seq)
    _require_visible(record)
    return await count_of(conn, record)


async def reminders(conn: Connection, seq: int) -> Reminder:
    """Who in the electorate of proposal ``seq`` has not voted, and (an open motion whose
    results are not hidden) how many more agree votes it needs. Raises ``NotFoundError``."""
    record = await load_proposal(conn, seq)
    opening = record.opening
    voters = await store.voters(conn, seq)
    missing = not_voted(opening.electorate, voters)
    needed = None
    visible = not opening.hidden or record.seal_private_key is not None
    if visible and record.status == OPEN and opening.method in ("proposal", "consent"):
        count = await count_of(conn, record)
        needed = agree_votes_needed(
            opening.method,
            opening.tally_rules(record.seed),
            [c.ballot for c in count.counted],
            len(missing),
        )
    return Reminder(seq, len(opening.electorate), len(voters), missing, needed)


async def ballots_csv(conn: Connection, seq: int) -> str:
    """Every ballot of proposal ``seq`` as CSV (``governance.export.ballots_csv``)."""
    record = await load_proposal(conn, seq)
    return export.ballots_csv(record, await store.ballots_of(conn, seq))


async def ballots_blt(conn: Connection, seq: int) -> str:
    """The counted ranked ballots of proposal ``seq`` as BLT (``governance.export``)."""
    record = await load_proposal(conn, seq)
    _require_visible(record)
    return export.ballots_blt(record, await count_of(conn, record))


async def transcript_json(conn: Connection, seq: int) -> bytes:
    """The transcript of proposal ``seq`` as canonical JSON (hidden ones once closed)."""
    return export.transcript_json(await results(conn, seq))


async def transcript(conn: Connection, seq: int) -> dict[str, Json]:
    """The transcript of proposal ``seq`` as a JSON object."""
    return dict((await results(conn, seq)).transcript)


async def terms(conn: Connection, group: str) -> tuple[TermsRecord, str | None] | None:
    """The terms of reference of ``group`` in force, with their text if it is still kept."""
    record = await store.current_terms(conn, group)
    if record is None:
        return None
    return record, await store.load_text(conn, record.sha256)


async def recount_store(reader: LogReader) -> RecountReport:
    """Recount every decision in the log ``reader`` holds (``governance.tally.recount_log``),
    reading only the member and governance entries the recount needs."""
    rows = await reader.entries_of_kinds(MEMBER_KINDS | RECOUNT_KINDS, 0)
    return recount(Entry.parse(row.data) for row in rows)


async def recount_since(conn: Connection, reader: LogReader, since: int) -> RecountReport:
    """Recount the proposals that the entries from ``since`` on open, vote in, close or
    decide (every proposal when ``since`` is 0), each from its own entries: the opening, the
    ballots and the close and decision the projections name, and the new entries.

    For an audit that remembers: proposals no new entry touches were recounted by the run
    that downloaded their entries. ``conn`` reads the projections of ``reader``'s log.
    """
    if since == 0:
        return await recount_store(reader)
    new = [Entry.parse(row.data) for row in await reader.entries_of_kinds(RECOUNT_KINDS, since)]
    touched = {e.seq if e.statement.kind == OPENED else _proposal_of(e) for e in new}
    if not touched:
        return RecountReport((), ())
    known = {e.seq: e for e in new}
    seqs = set(touched)
    for record in (await store.proposals_at(conn, touched)).values():
        seqs |= {s for s in (record.closed_by, record.decided_by) if s is not None}
    for ballots in (await store.ballots_of_proposals(conn, touched)).values():
        seqs |= {b.seq for b in ballots}
    rows = [
        *await reader.entries_of_kinds(MEMBER_KINDS, 0),
        *(await entries_at(conn, seqs - known.keys())).values(),
    ]
    entries = {**known, **{row.seq: Entry.parse(row.data) for row in rows}}
    return recount(entries[seq] for seq in sorted(entries))


def _proposal_of(entry: Entry) -> int:
    proposal = entry.statement.body.get("proposal")
    return proposal if isinstance(proposal, int) else -1
