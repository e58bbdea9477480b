"""Projecting accepted governance entries into the SQL tables (``GovernanceHandler.apply``).

Every value written comes from the entry and from rows earlier entries wrote, never from the
clock, so replaying the log rebuilds the same rows. A hidden proposal's ballots are stored
sealed; only the entry that closes it (and publishes its key) writes their opened content.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from governance import bodies, store
from governance.actions import AdoptRuleTable, AdoptTerms, ElectConvenor, action_json
from governance.bodies import CONVENOR
from governance.errors import SpoiledBallotError
from governance.opening import parse_opening
from governance.records import (
    APPROVED,
    CLOSED,
    DECIDED,
    DECLINED,
    OPEN,
    REQUEST_OPEN,
    WITHDRAWN,
    ProposalRecord,
    RequestRecord,
)
from governance.tally.proposal_count import read_ballot
from ledger.encoding import b64encode, canonical_json, format_time
from ledger.errors import StoreError
from ledger.sql import Connection
from ledger.statement import Entry

Apply = Callable[[Connection, Entry, str], Awaitable[None]]


def _json(value: object) -> str:
    return canonical_json(value).decode("utf-8")


async def project_group_created(conn: Connection, entry: Entry, signer: str) -> None:
    body = bodies.parse_group(entry.statement.body)
    await store.insert_group(
        conn,
        slug=body.group,
        name=body.name,
        created_seq=entry.seq,
        logged_at=entry.logged_at,
    )


async def project_join_requested(conn: Connection, entry: Entry, signer: str) -> None:
    body = bodies.parse_join_request(entry.statement.body)
    await store.insert_join_request(
        conn,
        seq=entry.seq,
        working_group=body.group,
        member=signer,
        role=body.role,
        status=REQUEST_OPEN,
        closed_by=None,
        logged_at=entry.logged_at,
    )


async def _request(conn: Connection, entry: Entry, what: str) -> RequestRecord:
    """The join request an approval or a decline names."""
    body = bodies.parse_request_ref(entry.statement.kind, entry.statement.body)
    request = await store.request(conn, body.request)
    if request is None:
        raise StoreError(f"entry {entry.seq} {what} a request the projection lacks")
    return request


async def project_join_approved(conn: Connection, entry: Entry, signer: str) -> None:
    request = await _request(conn, entry, "approves")
    await store.close_request(conn, request=request.seq, status=APPROVED, by=entry.seq)
    await store.set_role(
        conn, group=request.group, member=request.member, role=request.role, since_seq=entry.seq
    )


async def project_join_declined(conn: Connection, entry: Entry, signer: str) -> None:
    request = await _request(conn, entry, "declines")
    status = WITHDRAWN if request.member == signer else DECLINED
    await store.close_request(conn, request=request.seq, status=status, by=entry.seq)


async def project_left(conn: Connection, entry: Entry, signer: str) -> None:
    body = bodies.parse_leave(entry.statement.body)
    await store.leave(conn, group=body.group, member=signer)


async def project_role_set(conn: Connection, entry: Entry, signer: str) -> None:
    body = bodies.parse_role(entry.statement.body)
    if body.role == CONVENOR:
        await store.demote_convenor(conn, group=body.group, seq=entry.seq)
    await store.set_role(
        conn, group=body.group, member=body.member, role=body.role, since_seq=entry.seq
    )


async def project_opened(conn: Connection, entry: Entry, signer: str) -> None:
    opening = parse_opening(entry.statement.body)
    action = opening.action
    version = action.version if isinstance(action, AdoptRuleTable | AdoptTerms) else None
    await store.insert_proposal(
        conn,
        seq=entry.seq,
        working_group=opening.group,
        opener=signer,
        title=opening.title,
        method=opening.method,
        hidden=opening.hidden,
        opening=_json(entry.statement.body),
        seed=entry.leaf_hash.hex(),
        opens_at=format_time(opening.opens_at),
        closes_at=format_time(opening.closes_at),
        action_type=str(action_json(action)["type"]),
        action_version=version,
        status=OPEN,
        logged_at=entry.logged_at,
    )


def ballot_row(entry: Entry, signer: str) -> dict[str, Any]:
    """The ``governance_ballots`` row of an accepted vote (not yet superseded)."""
    vote = bodies.parse_vote(entry.statement.body)
    return {
        "seq": entry.seq,
        "proposal": vote.proposal,
        "member": signer,
        "ballot": None if vote.ballot is None else _json(vote.ballot),
        "sealed": None if vote.sealed is None else b64encode(vote.sealed),
        "superseded_by": None,
        "spoiled": None,
        "logged_at": entry.logged_at,
    }


async def _load(conn: Connection, seq: int, entry: Entry) -> ProposalRecord:
    record = await store.proposal(conn, seq)
    if record is None:
        raise StoreError(f"entry {entry.seq} names proposal {seq}, which the projection lacks")
    return record


async def project_closed(conn: Connection, entry: Entry, signer: str) -> None:
    close = bodies.parse_close(entry.statement.body)
    record = await _load(conn, close.proposal, entry)
    key = close.seal_private_key
    await store.update_proposal(
        conn,
        record.seq,
        status=CLOSED,
        closed_by=entry.seq,
        close_reason=close.reason,
        seal_private_key=None if key is None else b64encode(key),
    )
    if key is not None:
        await _reveal(conn, record, key)


async def _reveal(conn: Connection, record: ProposalRecord, key: bytes) -> None:
    """Write the opened content of every sealed ballot, and why a spoiled one does not count."""
    rules = record.opening.tally_rules(record.seed)
    for ballot in await store.ballots_of(conn, record.seq):
        try:
            content = read_ballot(
                ballot.cast(),
                opening=record.opening,
                proposal=record.seq,
                rules=rules,
                private_key=key,
            )
        except SpoiledBallotError as e:  # shown as it opened, with why it does not count
            opened = None if e.opened is None else _json(e.opened)
            await store.reveal_ballot(conn, seq=ballot.seq, ballot=opened, spoiled=str(e))
            continue
        await store.reveal_ballot(conn, seq=ballot.seq, ballot=_json(content), spoiled=None)


async def project_decided(conn: Connection, entry: Entry, signer: str) -> None:
    decision = bodies.parse_decision(entry.statement.body)
    record = await _load(conn, decision.proposal, entry)
    result = decision.result
    await store.update_proposal(
        conn,
        record.seq,
        status=DECIDED,
        decided_by=entry.seq,
        outcome=result.outcome,
        passed=result.passed,
        result=_json(result.to_json()),
        transcript_sha256=decision.transcript_sha256,
        statement_sha256=decision.statement_sha256,
        review_on=decision.review_on.isoformat(),
    )
    if result.passed:
        await _apply_action(conn, record, entry)


async def _apply_action(conn: Connection, record: ProposalRecord, entry: Entry) -> None:
    """Carry out a passed decision's action (a rule table is adopted later, by the board)."""
    action, seq = record.opening.action, entry.seq
    if isinstance(action, AdoptTerms):
        await store.insert_terms(
            conn,
            working_group=action.group,
            version=action.version,
            sha256=action.sha256,
            decision=seq,
            logged_at=entry.logged_at,
        )
    elif isinstance(action, ElectConvenor):
        await store.demote_convenor(conn, group=action.group, seq=seq)
        await store.set_role(
            conn, group=action.group, member=action.member, role=CONVENOR, since_seq=seq
        )
