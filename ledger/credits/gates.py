"""Hooks through which governance tells credits who convenes and what was decided.

Governance plugs its own implementations in; until then a new rule table version is always
refused, and board members act as convenors of every group.
"""

from __future__ import annotations

from typing import Protocol

from ledger.sequencer import Context


class DecisionGate(Protocol):
    """Whether a passed governance decision adopts a rule table version."""

    async def passed_rule_table_decision(
        self, ctx: Context, seq: int, version: int, digest: str
    ) -> bool:
        """True if entry ``seq`` is a passed decision adopting rule table ``version``.

        ``digest`` is ``RuleTable.digest()`` of the proposed table, so a decision adopts one
        exact table, not any table with that version number.
        """


class ConvenorGate(Protocol):
    """Which working groups there are, and whether a member may approve, or record
    registers, for one."""

    async def is_convenor(self, ctx: Context, member: str, group: str | None) -> bool:
        """True if ``member`` convenes ``group`` (``None``: no group named)."""

    async def require_group(self, ctx: Context, group: str) -> None:
        """Raise ``NotFoundError`` unless a claim or register may name ``group``."""


class NoDecisions:
    """The default gate: no decision has been passed, so only version 1 can be adopted."""

    async def passed_rule_table_decision(
        self, ctx: Context, seq: int, version: int, digest: str
    ) -> bool:
        """Always False."""
        return False


class BoardConvenors:
    """The default gate: board members convene every group."""

    async def is_convenor(self, ctx: Context, member: str, group: str | None) -> bool:
        """True for a member with the board role."""
        record = ctx.registry.members.get(member)
        return record is not None and record.is_board

    async def require_group(self, ctx: Context, group: str) -> None:
        """Without governance there is no list of groups: any group name is taken."""
