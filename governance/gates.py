"""Governance's answers to the credit hooks (``ledger.credits.gates``), from its projections.

Plug them into credits with
``CreditsHandler(decisions=GovernanceDecisions(), convenors=GroupConvenors())`` and run the
``GovernanceHandler`` in the same ledger, so the projections they read are current.
"""

from __future__ import annotations

from governance import store
from governance.actions import AdoptRuleTable
from governance.bodies import ASSEMBLY
from governance.scope import is_convenor, require_group
from ledger.errors import NotFoundError
from ledger.sequencer import Context


class GovernanceDecisions:
    """A rule table version is adopted only by a passed assembly decision naming its digest."""

    async def passed_rule_table_decision(
        self, ctx: Context, seq: int, version: int, digest: str
    ) -> bool:
        """True if entry ``seq`` records a passed assembly decision whose proposal adopts rule
        table ``version`` with exactly this ``RuleTable.digest()``."""
        record = await store.passed_rule_table(store.connection(ctx), seq)
        if record is None:
            return False
        action = record.opening.action
        return (
            isinstance(action, AdoptRuleTable)
            and action.version == version
            and action.digest == digest
        )


class GroupConvenors:
    """A group's convenor convenes it; board members convene every group."""

    async def is_convenor(self, ctx: Context, member: str, group: str | None) -> bool:
        """True if ``member`` is on the board or convenes ``group`` (``None``: any group)."""
        return await is_convenor(store.connection(ctx), ctx.registry, member, group)

    async def require_group(self, ctx: Context, group: str) -> None:
        """Raise ``NotFoundError`` unless ``group`` is a working group (not the assembly)."""
        if group == ASSEMBLY:
            raise NotFoundError("the assembly is not a working group: name one, or none")
        await require_group(store.connection(ctx), group)
