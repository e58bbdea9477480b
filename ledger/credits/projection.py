"""Projecting accepted credit entries into the store (``CreditsHandler.apply``).

Every value written comes from the entry and from rows earlier entries wrote, never from the
clock or a gate, so replaying the log rebuilds the same rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ledger.credits import store
from ledger.credits.bodies import (
    parse_adjustment,
    parse_award,
    parse_claim,
    parse_decline,
    parse_dispute,
    parse_resolution,
    parse_reversal,
    parse_session,
)
from ledger.credits.records import (
    ADJUSTED,
    AWARDED,
    DECLINED,
    OPEN,
    REVERSED,
    AwardRecord,
    ClaimRecord,
    CorrectionRecord,
    DisputeRecord,
    SessionRecord,
    copied,
)
from ledger.credits.rules import parse_rule_table
from ledger.errors import StoreError
from ledger.sequencer import Context
from ledger.sql import Connection
from ledger.statement import Entry

Apply = Callable[[Context, Connection, Entry, str], Awaitable[None]]


async def project_rules_adopted(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    table = parse_rule_table(entry.statement.body)
    await store.insert_rule_table(conn, seq=entry.seq, table=table, logged_at=entry.logged_at)
    store.remember_table(ctx, table)


async def project_session(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    body = parse_session(entry.statement.body)
    table = await store.cached_rule_table(ctx, conn)
    given = {"seq": entry.seq, "organiser": signer, "rule_version": table.version}
    record = copied(SessionRecord, body, **given)
    await store.insert_session(conn, record, entry.logged_at)


async def project_claim(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    body = parse_claim(entry.statement.body)
    table = await store.cached_rule_table(ctx, conn)
    given = {"seq": entry.seq, "member": signer, "rule_version": table.version}
    record = copied(ClaimRecord, body, **given, status=OPEN, closed_by=None)
    await store.insert_claim(conn, record, entry.logged_at)


async def project_award(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    body = parse_award(entry.statement.body)
    basis = await store.load_basis(conn, body)
    if basis is None:
        raise StoreError(f"award {entry.seq} names a {body.basis} the projection lacks")
    record = copied(
        AwardRecord,
        body,  # member, activity, rule version, quantity and credits as awarded
        seq=entry.seq,
        net=body.credits,
        approver=signer,
        counterparty=basis.counterparty,
        bid=basis.bid,
        group=basis.group,
        activity_on=basis.day,
        basis=basis.kind,
        basis_seq=basis.seq,
        reversed_by=None,
        logged_at=entry.logged_at,
    )
    await store.insert_award(conn, record)
    if basis.kind == "claim":
        await store.close_claim(conn, claim=basis.seq, status=AWARDED, by=entry.seq)


async def project_declined(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    body = parse_decline(entry.statement.body)
    await store.close_claim(conn, claim=body.claim, status=DECLINED, by=entry.seq)


async def project_reversed(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    body = parse_reversal(entry.statement.body)
    record = CorrectionRecord(
        entry.seq, body.award, REVERSED, -body.credits, body.reason, signer, entry.logged_at
    )
    await store.insert_correction(conn, record)


async def project_adjusted(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    body = parse_adjustment(entry.statement.body)
    record = CorrectionRecord(
        entry.seq, body.award, ADJUSTED, body.credits, body.reason, signer, entry.logged_at
    )
    await store.insert_correction(conn, record)


async def project_disputed(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    body = parse_dispute(entry.statement.body)
    record = DisputeRecord(
        entry.seq, body.award, signer, body.reason, entry.logged_at, None, None, None
    )
    await store.insert_dispute(conn, record)


async def project_resolved(ctx: Context, conn: Connection, entry: Entry, signer: str) -> None:
    body = parse_resolution(entry.statement.body)
    await store.resolve_dispute(
        conn, dispute=body.dispute, by=entry.seq, outcome=body.outcome, resolver=signer
    )
