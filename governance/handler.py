"""``GovernanceHandler``: the sequencer's handler for every ``governance.*`` statement kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from governance import sql
from governance.checks_groups import (
    check_group_created,
    check_join_approved,
    check_join_declined,
    check_join_requested,
    check_left,
    check_role_set,
)
from governance.checks_proposals import (
    OPEN_PROPOSALS,
    check_cast,
    check_closed,
    check_decided,
    check_opened,
)
from governance.projection import APPLY, ballot_row
from governance.scope import Scope, connection
from ledger.members import KeyRecord
from ledger.sequencer import Context
from ledger.statement import GOVERNANCE_KINDS, Entry, SignedStatement

Check = Callable[[Scope, Mapping[str, Any]], Awaitable[None]]

CHECKS: dict[str, Check] = {
    "governance.group.created": check_group_created,
    "governance.group.join_requested": check_join_requested,
    "governance.group.join_approved": check_join_approved,
    "governance.group.join_declined": check_join_declined,
    "governance.group.left": check_left,
    "governance.group.role_set": check_role_set,
    "governance.proposal.opened": check_opened,
    "governance.vote.cast": check_cast,
    "governance.proposal.closed": check_closed,
    "governance.decision.recorded": check_decided,
}


_ENDS_VOTING = frozenset({"governance.proposal.closed", "governance.decision.recorded"})
_CAST = "governance.vote.cast"
_BALLOTS = "governance.ballots"
"""``Context.scratch`` key: this batch's ballots, written together by a deferred write."""


async def _write_ballots(ctx: Context) -> None:
    await sql.insert_ballots(connection(ctx), ctx.scratch.pop(_BALLOTS))


class GovernanceHandler:
    """Checks governance statements against the rules and projects the accepted ones."""

    kinds = GOVERNANCE_KINDS

    async def check(self, ctx: Context, signed: SignedStatement, key: KeyRecord) -> None:
        """Refuse ``signed`` if a governance rule forbids it; reads projections, writes nothing.

        Raises the ``StatementError``/``RuleError`` subclasses of ``governance.errors`` and
        ``ledger.errors`` that each check names.
        """
        if signed.statement.kind != _CAST:  # only votes leave the ballots table as it stands
            await ctx.flush()
        scope = Scope(ctx, connection(ctx), ctx.registry.signer(key))
        await CHECKS[signed.statement.kind](scope, signed.statement.body)

    async def apply(self, ctx: Context, entry: Entry, key: KeyRecord) -> None:
        """Project an accepted governance entry in the transaction that appends it.

        Ballots, which come in bulk, are written together when the batch ends (or before any
        other governance statement is checked or projected).
        """
        if entry.statement.kind == _CAST:
            ctx.scratch.setdefault(_BALLOTS, []).append(ballot_row(entry, key.member))
            ctx.defer(_BALLOTS, partial(_write_ballots, ctx))
            return
        await ctx.flush()
        if entry.statement.kind in _ENDS_VOTING:
            ctx.scratch.get(OPEN_PROPOSALS, {}).pop(entry.statement.body.get("proposal"), None)
        await APPLY[entry.statement.kind](connection(ctx), entry, key.member)

    async def reset(self, conn: AsyncConnection) -> None:
        """Delete every governance projection row (texts stay), before a replay of the log."""
        await sql.reset(conn)

    async def dump(self, conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
        """Every governance projection row, table by table (to compare with a replay)."""
        return await sql.dump(conn)
