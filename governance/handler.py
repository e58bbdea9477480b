"""``GovernanceHandler``: the sequencer's handler for every ``governance.*`` statement kind."""

from __future__ import annotations

from functools import partial
from typing import Any

from governance import store
from governance.acts import GOVERNANCE_ACTS_BY_KIND, VOTE
from governance.checks import OPEN_PROPOSALS
from governance.projection import ballot_row
from governance.scope import Scope
from ledger.members import KeyRecord
from ledger.sequencer import Context
from ledger.sql import Connection
from ledger.statement import Entry, SignedStatement

_ENDS_VOTING = frozenset({"governance.proposal.closed", "governance.decision.recorded"})
_BALLOTS = "governance.ballots"
"""``Context.scratch`` key: this batch's ballots, written together by a deferred write."""


async def _write_ballots(ctx: Context) -> None:
    await store.insert_ballots(store.connection(ctx), ctx.scratch.pop(_BALLOTS))


class GovernanceHandler:
    """Checks governance statements against the rules and projects the accepted ones."""

    kinds = frozenset(GOVERNANCE_ACTS_BY_KIND)

    async def check(self, ctx: Context, signed: SignedStatement, key: KeyRecord) -> None:
        """Refuse ``signed`` if a governance rule forbids it; reads projections, writes nothing.

        Raises the ``StatementError``/``RuleError`` subclasses of ``governance.errors`` and
        ``ledger.errors`` that each check names.
        """
        if signed.statement.kind != VOTE:  # only votes leave the ballots table as it stands
            await ctx.flush()
        scope = Scope(ctx, store.connection(ctx), ctx.registry.signer(key))
        await GOVERNANCE_ACTS_BY_KIND[signed.statement.kind].check(scope, signed.statement.body)

    async def apply(self, ctx: Context, entry: Entry, key: KeyRecord) -> None:
        """Project an accepted governance entry in the transaction that appends it.

        Ballots, which come in bulk, are written together when the batch ends (or before any
        other governance statement is checked or projected).
        """
        if entry.statement.kind == VOTE:
            ctx.scratch.setdefault(_BALLOTS, []).append(ballot_row(entry, key.member))
            ctx.defer(_BALLOTS, partial(_write_ballots, ctx))
            return
        await ctx.flush()
        if entry.statement.kind in _ENDS_VOTING:
            ctx.scratch.get(OPEN_PROPOSALS, {}).pop(entry.statement.body.get("proposal"), None)
        apply = GOVERNANCE_ACTS_BY_KIND[entry.statement.kind].apply
        if apply is not None:  # a vote's is None: its ballot was kept for the batch above
            await apply(store.connection(ctx), entry, key.member)

    async def reset(self, conn: Connection) -> None:
        """Delete every governance projection row (texts stay), before a replay of the log."""
        await store.reset(conn)

    async def dump(self, conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
        """Every governance projection row, table by table (to compare with a replay)."""
        return await store.dump(conn)

    async def check_kept(self, conn: Connection) -> list[str]:
        """Each kept text that does not hash to the SHA-256 the log names it by."""
        return [
            f"governance_texts: the text kept as {digest} does not hash to it"
            for digest in await store.mismatched_texts(conn)
        ]
