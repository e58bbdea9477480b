"""What a passed decision does: nothing, adopt a credit rule table, adopt terms of reference,
or elect a convenor. Pure: the ``action`` object of an opening body, read and checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, cast

from governance.bodies import ASSEMBLY
from governance.errors import ProposalRulesError
from ledger.encoding import JSONValue
from ledger.fields import HEX_SHA256, MEMBER_ID, SLUG, Declared, Tagged, integer, text

KIND: Final = "governance.proposal.opened"
MOTION_METHODS: Final = frozenset({"proposal", "consent"})


@dataclass(frozen=True)
class NoAction(Declared):
    """A decision that changes nothing by itself."""

    tag: ClassVar[str] = "none"


@dataclass(frozen=True)
class AdoptRuleTable(Declared):
    """Adopt credit rule table ``version``: exactly the table whose digest is ``digest``."""

    tag: ClassVar[str] = "adopt_rule_table"
    version: int = integer(minimum=2)
    digest: str = text(HEX_SHA256, max_length=64)


@dataclass(frozen=True)
class AdoptTerms(Declared):
    """Adopt version ``version`` of ``group``'s terms of reference: the text hashing to
    ``sha256``."""

    tag: ClassVar[str] = "adopt_terms"
    group: str = text(SLUG, max_length=64)
    version: int = integer(minimum=1)
    sha256: str = text(HEX_SHA256, max_length=64)


@dataclass(frozen=True)
class ElectConvenor(Declared):
    """Make ``member`` the convenor of ``group``."""

    tag: ClassVar[str] = "elect_convenor"
    group: str = text(SLUG, max_length=64)
    member: str = text(MEMBER_ID)


Action = NoAction | AdoptRuleTable | AdoptTerms | ElectConvenor
ACTION = Tagged((NoAction, AdoptRuleTable, AdoptTerms, ElectConvenor))
"""The ``action`` field of an opening: an object whose ``type`` names the action."""


def action_json(action: Action) -> dict[str, JSONValue]:
    """The ``action`` object of an opening body."""
    return {"type": action.tag, **action.to_json()}


def parse_action(value: Mapping[str, Any]) -> Action:
    """Read an ``action``; raises ``MalformedStatementError`` for an unknown type or field."""
    return cast(Action, ACTION.read(KIND, "action", value))


def check_action(group: str, method: str, action: Action) -> None:
    """Raise ``ProposalRulesError`` unless ``action`` may follow from this group's vote.

    An action needs a yes-or-no motion (a proposal or consent vote). The credit rule table is
    the whole co-op's, so only the assembly adopts it; a working group adopts its own terms of
    reference and elects its own convenor.
    """
    if isinstance(action, NoAction):
        return
    if method not in MOTION_METHODS:
        raise ProposalRulesError("a decision with an action needs a proposal or consent vote")
    if isinstance(action, AdoptRuleTable) and group != ASSEMBLY:
        raise ProposalRulesError("only the assembly adopts a credit rule table")
    if isinstance(action, AdoptTerms | ElectConvenor) and action.group != group:
        raise ProposalRulesError(f"a vote of {group} decides only for {group}")
    if isinstance(action, ElectConvenor) and group == ASSEMBLY:
        raise ProposalRulesError("the board convenes the assembly; it elects no convenor")
