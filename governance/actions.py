"""What a passed decision does: nothing, adopt a credit rule table, adopt terms of reference,
or elect a convenor. Pure: the ``action`` object of an opening body, read and checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from governance.bodies import ASSEMBLY
from governance.errors import ProposalRulesError
from ledger.encoding import JSONValue
from ledger.fields import HEX_SHA256, MEMBER_ID, SLUG, Body

KIND: Final = "governance.proposal.opened"
MOTION_METHODS: Final = frozenset({"proposal", "consent"})


@dataclass(frozen=True)
class NoAction:
    """A decision that changes nothing by itself."""


@dataclass(frozen=True)
class AdoptRuleTable:
    """Adopt credit rule table ``version``: exactly the table whose digest is ``digest``."""

    version: int
    digest: str


@dataclass(frozen=True)
class AdoptTerms:
    """Adopt version ``version`` of ``group``'s terms of reference: the text hashing to
    ``sha256``."""

    group: str
    version: int
    sha256: str


@dataclass(frozen=True)
class ElectConvenor:
    """Make ``member`` the convenor of ``group``."""

    group: str
    member: str


Action = NoAction | AdoptRuleTable | AdoptTerms | ElectConvenor


def action_json(action: Action) -> dict[str, JSONValue]:
    """The ``action`` object of an opening body."""
    if isinstance(action, AdoptRuleTable):
        return {"type": "adopt_rule_table", "version": action.version, "digest": action.digest}
    if isinstance(action, AdoptTerms):
        return {
            "type": "adopt_terms",
            "group": action.group,
            "version": action.version,
            "sha256": action.sha256,
        }
    if isinstance(action, ElectConvenor):
        return {"type": "elect_convenor", "group": action.group, "member": action.member}
    return {"type": "none"}


def parse_action(value: Mapping[str, Any]) -> Action:
    """Read an ``action``; raises ``MalformedStatementError`` for an unknown type or field."""
    kind = f"{KIND} action"
    body = Body(kind, value)
    action = body.one_of("type", {"none", "adopt_rule_table", "adopt_terms", "elect_convenor"})
    if action == "adopt_rule_table":
        body.only({"type", "version", "digest"})
        return AdoptRuleTable(
            body.int("version", minimum=2), body.str("digest", pattern=HEX_SHA256, max_length=64)
        )
    if action == "adopt_terms":
        body.only({"type", "group", "version", "sha256"})
        return AdoptTerms(
            body.str("group", pattern=SLUG, max_length=64),
            body.int("version", minimum=1),
            body.str("sha256", pattern=HEX_SHA256, max_length=64),
        )
    if action == "elect_convenor":
        body.only({"type", "group", "member"})
        return ElectConvenor(
            body.str("group", pattern=SLUG, max_length=64), body.str("member", pattern=MEMBER_ID)
        )
    body.only({"type"})
    return NoAction()


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
