"""Root fields about credits: awards, claims, disputes, sessions and rule table versions."""

from __future__ import annotations

from api.graphql.context import Info
from api.graphql.lists import award_list, claim_list, dispute_list
from api.graphql.pagination import Connection, Page, from_rows, relay
from api.graphql.types_credits import Award, Claim, Dispute, RuleTable, Session
from ledger.credits import store


@relay("award")
async def awards(
    info: Info,
    member: str | None = None,
    activity: str | None = None,
    *,
    p: Page,
) -> Connection[Award]:
    """Awards in log order, optionally to one member and for one activity."""
    await info.context.log_reader()
    return await award_list(info, p, member=member, activity=activity)


@relay("claim")
async def claims(
    info: Info,
    member: str | None = None,
    status: str | None = None,
    counterparty: str | None = None,
    *,
    p: Page,
) -> Connection[Claim]:
    """Claims in log order; filter by claimant, status (open, awarded, declined), counterparty."""
    await info.context.log_reader()
    return await claim_list(info, p, member=member, status=status, counterparty=counterparty)


@relay("dispute")
async def disputes(
    info: Info,
    award: int | None = None,
    open_only: bool = False,
    *,
    p: Page,
) -> Connection[Dispute]:
    """Disputes in log order, optionally of one award and only those not yet ruled on."""
    await info.context.log_reader()
    return await dispute_list(info, p, award=award, open_only=open_only)


async def award(info: Info, seq: int) -> Award | None:
    """The award made at entry ``seq``."""
    await info.context.log_reader()
    record = await info.context.loaders.award.load(seq)
    return None if record is None else Award.from_domain(record)


async def claim(info: Info, seq: int) -> Claim | None:
    """The claim made at entry ``seq``."""
    async with info.context.log_read() as conn:
        record = await store.claim(conn, seq)
    return None if record is None else Claim.from_domain(record)


async def session(info: Info, seq: int) -> Session | None:
    """The session register recorded at entry ``seq``."""
    async with info.context.log_read() as conn:
        record = await store.session(conn, seq)
    return None if record is None else Session.from_domain(record)


async def rule_table(info: Info, version: int | None = None) -> RuleTable | None:
    """Rule table ``version``, or the one in force."""
    async with info.context.log_read() as conn:
        table = await store.rule_table(conn, version)
    return None if table is None else RuleTable.from_domain(table)


@relay("rules")
async def rule_tables(
    info: Info,
    *,
    p: Page,
) -> Connection[RuleTable]:
    """Every adopted version of the rule table, oldest first."""
    async with info.context.log_read() as conn:
        found = await store.rule_tables_page(conn, p.window)
    return from_rows(p, found, lambda table: table.version, RuleTable.from_domain)
