"""What every credit check needs: the signer, the connection, the policy, cached rule tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ledger.credits import store
from ledger.credits.bodies import AwardBody
from ledger.credits.caps import Cap, caps_for, month_of
from ledger.credits.errors import NoRuleTableError, OutOfWindowError
from ledger.credits.gates import BoardConvenors, ConvenorGate, DecisionGate, NoDecisions
from ledger.credits.rules import Rule, RuleTable
from ledger.errors import NotFoundError, StoreError
from ledger.members import MemberRecord
from ledger.sequencer import Context
from ledger.sql import Connection

_TABLES = "credits.rule_tables"
_CURRENT = 0


@dataclass(frozen=True)
class Policy:
    """The gates governance provides and the time limits of the credit rules."""

    decisions: DecisionGate = field(default_factory=NoDecisions)
    convenors: ConvenorGate = field(default_factory=BoardConvenors)
    claim_window: timedelta = timedelta(days=90)
    dispute_window: timedelta = timedelta(days=14)


@dataclass(frozen=True)
class Scope:
    """One statement being checked: its context, SQL connection, signer and the policy."""

    ctx: Context
    conn: Connection
    signer: MemberRecord
    policy: Policy

    @property
    def me(self) -> str:
        """The signer's member id."""
        return self.signer.member


def connection(ctx: Context) -> Connection:
    """The SQL connection of the batch; raises ``StoreError`` on a store without SQL."""
    conn = ctx.tx.connection
    if not isinstance(conn, Connection):
        raise StoreError("credits need an SQL store (SQLite or PostgreSQL)")
    return conn


def _cache(ctx: Context) -> dict[int, RuleTable]:
    cache: dict[int, RuleTable] = ctx.scratch.setdefault(_TABLES, {})
    return cache


async def rule_table(ctx: Context, conn: Connection, version: int | None = None) -> RuleTable:
    """Rule table ``version`` (``None``: the one in force), cached for the batch.

    Raises ``NoRuleTableError`` before any table is adopted, ``NotFoundError`` for a version
    never adopted.
    """
    cache = _cache(ctx)
    key = _CURRENT if version is None else version
    if key not in cache:
        table = await store.rule_table(conn, version)
        if table is None and version is None:
            raise NoRuleTableError("no credit rule table has been adopted yet")
        if table is None:
            raise NotFoundError(f"rule table version {version} was never adopted")
        cache[key] = table
    return cache[key]


def remember_table(ctx: Context, table: RuleTable) -> None:
    """Make ``table`` the one in force for the rest of the batch."""
    cache = _cache(ctx)
    cache[_CURRENT] = cache[table.version] = table


def check_activity_date(scope: Scope, day: date, name: str) -> None:
    """Refuse an activity date after the log's date or more than the claim window before it.

    Raises ``OutOfWindowError``.
    """
    today = scope.ctx.now.date()
    if day > today:
        raise OutOfWindowError(f"{name} {day} is after today ({today})")
    if today - day > scope.policy.claim_window:
        raise OutOfWindowError(
            f"{name} {day} is more than {scope.policy.claim_window.days} days before today "
            f"({today}); claims and registers must be made within that time"
        )


@dataclass(frozen=True)
class Basis:
    """What an award rests on: a claim, or one attendee's line in a session register."""

    kind: str
    seq: int
    member: str
    activity: str
    rule_version: int
    quantity: int
    day: date
    counterparty: str | None
    bid: str | None
    group: str | None


async def load_basis(conn: Connection, award: AwardBody) -> Basis | None:
    """The claim or session an award names, as a ``Basis`` (``None`` if there is none).

    For a session the member is the award's member (the check makes sure they attended).
    """
    if award.basis == "claim":
        claim = await store.claim(conn, award.basis_seq)
        if claim is None:
            return None
        return Basis(
            kind="claim",
            seq=claim.seq,
            member=claim.member,
            activity=claim.activity,
            rule_version=claim.rule_version,
            quantity=claim.quantity,
            day=claim.done_on,
            counterparty=claim.counterparty,
            bid=claim.bid,
            group=claim.group,
        )
    session = await store.session(conn, award.basis_seq)
    if session is None:
        return None
    return Basis(
        kind="session",
        seq=session.seq,
        member=award.member,
        activity=session.activity,
        rule_version=session.rule_version,
        quantity=1,
        day=session.held_on,
        counterparty=None,
        bid=None,
        group=session.group,
    )


async def caps_of(scope: Scope, *, table: RuleTable, rule: Rule, basis: Basis) -> list[Cap]:
    """The caps of ``table`` that a new award to ``basis.member`` counts against, with the
    credits already used under each (``caps.check_caps`` refuses an award over one)."""
    month = month_of(basis.day)
    used = await store.usage(
        scope.conn,
        member=basis.member,
        activity=rule.activity,
        month=month,
        counterparty=basis.counterparty,
        bid=basis.bid,
    )
    return caps_for(
        rule=rule,
        monthly_cap=table.monthly_cap_per_member,
        usage=used,
        member=basis.member,
        month=month,
        counterparty=basis.counterparty,
        bid=basis.bid,
    )
