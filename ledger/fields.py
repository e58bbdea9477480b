"""Checked reads of statement bodies: each refusal names the field and what was wrong."""

from __future__ import annotations

import builtins
import re
from collections.abc import Collection, Mapping
from typing import Any

from ledger.encoding import JSONValue
from ledger.errors import MalformedStatementError

MEMBER_ID = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


class Body:
    """A statement body with typed accessors that raise ``MalformedStatementError``."""

    def __init__(self, kind: builtins.str, value: Mapping[builtins.str, JSONValue]) -> None:
        self.kind = kind
        self.value = value

    def only(
        self, required: Collection[builtins.str], optional: Collection[builtins.str] = ()
    ) -> Body:
        """Refuse missing required fields and any field not named."""
        keys = set(self.value)
        missing = set(required) - keys
        extra = keys - set(required) - set(optional)
        if missing:
            raise MalformedStatementError(f"{self.kind} body is missing {sorted(missing)}")
        if extra:
            raise MalformedStatementError(f"{self.kind} body has unexpected {sorted(extra)}")
        return self

    def has(self, name: builtins.str) -> builtins.bool:
        """Whether the optional field ``name`` is present."""
        return name in self.value

    def _fail(self, name: builtins.str, what: builtins.str) -> MalformedStatementError:
        return MalformedStatementError(f"{self.kind}: {name} {what}")

    def str(
        self,
        name: builtins.str,
        *,
        pattern: re.Pattern[builtins.str] | None = None,
        max_length: builtins.int = 200,
    ) -> builtins.str:
        """A string field, optionally matching ``pattern``, at most ``max_length`` long."""
        value = self.value.get(name)
        if not isinstance(value, str) or not value:
            raise self._fail(name, "must be a non-empty string")
        if len(value) > max_length:
            raise self._fail(name, f"must be at most {max_length} characters")
        if pattern is not None and not pattern.fullmatch(value):
            raise self._fail(name, f"has the wrong form ({pattern.pattern})")
        return value

    def int(
        self,
        name: builtins.str,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
    ) -> builtins.int:
        """An integer field (booleans refused) within the bounds given."""
        value = self.value.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(name, "must be an integer")
        if minimum is not None and value < minimum:
            raise self._fail(name, f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise self._fail(name, f"must be at most {maximum}")
        return value

    def bool(self, name: builtins.str) -> builtins.bool:
        """A boolean field."""
        value = self.value.get(name)
        if not isinstance(value, bool):
            raise self._fail(name, "must be true or false")
        return value

    def one_of(self, name: builtins.str, choices: Collection[builtins.str]) -> builtins.str:
        """A string field from a closed set."""
        value = self.value.get(name)
        if value not in choices:
            raise self._fail(name, f"must be one of {sorted(choices)}")
        return str(value)

    def str_list(
        self,
        name: builtins.str,
        *,
        pattern: re.Pattern[builtins.str] | None = None,
        min_items: builtins.int = 0,
        max_items: builtins.int = 1000,
        unique: builtins.bool = True,
    ) -> list[builtins.str]:
        """A list of strings (optionally each matching ``pattern``), without duplicates."""
        value = self.value.get(name)
        if not isinstance(value, list):
            raise self._fail(name, "must be a list")
        if not min_items <= len(value) <= max_items:
            raise self._fail(name, f"must have {min_items} to {max_items} items")
        for item in value:
            if not isinstance(item, str) or (pattern is not None and not pattern.fullmatch(item)):
                raise self._fail(name, "has an item of the wrong form")
        if unique and len(set(value)) != len(value):
            raise self._fail(name, "has duplicate items")
        return list(value)

    def object(self, name: builtins.str) -> Mapping[builtins.str, Any]:
        """A JSON object field."""
        value = self.value.get(name)
        if not isinstance(value, Mapping):
            raise self._fail(name, "must be an object")
        return value
