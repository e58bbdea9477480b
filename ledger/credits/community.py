"""The packaged demo community: origin, working groups, members and rule table version 1."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from ledger.credits.rules import RuleTable, rule_table_from_community
from ledger.errors import MalformedStatementError


def load_community() -> dict[str, Any]:
    """The packaged demo community (a copy of the project's shared community data)."""
    text = resources.files("ledger").joinpath("data/community.json").read_text(encoding="utf-8")
    community: dict[str, Any] = json.loads(text)
    return community


def default_rule_table() -> RuleTable:
    """Rule table version 1 from the packaged community file."""
    return rule_table_from_community(load_community())


def rule_table_from_file(path: Path) -> RuleTable:
    """Rule table version 1 from a community-format JSON file (``rule_table`` and
    ``monthly_cap_per_member``); raises ``MalformedStatementError`` if it is not one."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise MalformedStatementError(f"cannot read a rule table from {path}: {e}") from e
    return rule_table_from_community(value)
