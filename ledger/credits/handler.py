"""``CreditsHandler``: the sequencer's handler for every ``credit.*`` statement kind."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ledger.credits import store
from ledger.credits.acts import CREDIT_ACTS_BY_KIND
from ledger.credits.checks import Policy, Scope
from ledger.credits.gates import ConvenorGate, DecisionGate
from ledger.members import KeyRecord
from ledger.sequencer import Context
from ledger.sql import Connection
from ledger.statement import Entry, SignedStatement


class CreditsHandler:
    """Checks credit statements against the rules and projects the accepted ones.

    ``decisions`` says whether a governance decision adopted a new rule table (default:
    never); ``convenors`` says who convenes a working group (default: board members).
    """

    kinds = frozenset(CREDIT_ACTS_BY_KIND)

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
        scope = Scope(ctx, store.connection(ctx), ctx.registry.signer(key), self.policy)
        await CREDIT_ACTS_BY_KIND[kind].check(scope, signed.statement.body)

    async def apply(self, ctx: Context, entry: Entry, key: KeyRecord) -> None:
        """Project an accepted credit entry in the transaction that appends it."""
        act = CREDIT_ACTS_BY_KIND[entry.statement.kind]
        await act.apply(ctx, store.connection(ctx), entry, key.member)

    async def reset(self, conn: Connection) -> None:
        """Delete every credit projection row, before ``apply`` replays the whole log."""
        await store.reset(conn)

    async def dump(self, conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
        """Every credit projection row, table by table (to compare with a replay)."""
        return await store.dump(conn)

    async def check_kept(self, conn: Connection) -> list[str]:
        """Nothing: every credit table is a projection, rebuilt by a replay."""
        return []
