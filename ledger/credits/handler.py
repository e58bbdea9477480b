"""``CreditsHandler``: the sequencer's handler for every ``credit.*`` statement kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.credits import sql
from ledger.credits.checks import (
    check_award,
    check_claim,
    check_decline,
    check_rules_adopted,
    check_session,
)
from ledger.credits.corrections import (
    check_adjustment,
    check_dispute,
    check_resolution,
    check_reversal,
)
from ledger.credits.gates import ConvenorGate, DecisionGate
from ledger.credits.projection import APPLY
from ledger.credits.scope import Policy, Scope, connection
from ledger.members import KeyRecord
from ledger.sequencer import Context
from ledger.statement import CREDIT_KINDS, Entry, SignedStatement

Check = Callable[[Scope, Mapping[str, Any]], Awaitable[None]]

CHECKS: dict[str, Check] = {
    "credit.rules_adopted": check_rules_adopted,
    "credit.session_recorded": check_session,
    "credit.claimed": check_claim,
    "credit.awarded": check_award,
    "credit.declined": check_decline,
    "credit.reversed": check_reversal,
    "credit.adjusted": check_adjustment,
    "credit.disputed": check_dispute,
    "credit.dispute_resolved": check_resolution,
}


class CreditsHandler:
    """Checks credit statements against the rules and projects the accepted ones.

    ``decisions`` says whether a governance decision adopted a new rule table (default:
    never); ``convenors`` says who convenes a working group (default: board members).
    """

    kinds = CREDIT_KINDS

    def __init__(
        self,
        *,
        decisions: DecisionGate | None = None,
        convenors: ConvenorGate | None = None,
        policy: Policy | None = None,
    ) -> None:
        policy = policy or Policy()
        if decisions is not None:
            policy = replace(policy, decisions=decisions)
        if convenors is not None:
            policy = replace(policy, convenors=convenors)
        self.policy = policy

    async def check(self, ctx: Context, signed: SignedStatement, key: KeyRecord) -> None:
        """Refuse ``signed`` if a credit rule forbids it; reads projections, writes nothing.

        Raises the ``StatementError``/``RuleError`` subclasses listed in
        ``ledger.credits.errors``.
        """
        kind = signed.statement.kind
        scope = Scope(ctx, connection(ctx), ctx.registry.signer(key), self.policy)
        await CHECKS[kind](scope, signed.statement.body)

    async def apply(self, ctx: Context, entry: Entry, key: KeyRecord) -> None:
        """Project an accepted credit entry in the transaction that appends it."""
        await APPLY[entry.statement.kind](ctx, connection(ctx), entry, key.member)

    async def reset(self, conn: AsyncConnection) -> None:
        """Delete every credit projection row, before ``apply`` replays the whole log."""
        await sql.reset(conn)

    async def dump(self, conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
        """Every credit projection row, table by table (to compare with a replay)."""
        return await sql.dump(conn)
