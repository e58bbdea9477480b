"""Statement bodies declared once: a frozen dataclass per body, a field spec on each field.

A body type is a frozen dataclass whose fields are made by the spec functions below
(``text``, ``integer``, ``boolean``, ``one_of``, ``calendar_date``, ``time``, ``texts``,
``integers``, ``base64``, ``json_object``, ``nested``; ``spec`` for any other ``Spec``).
From that one declaration ``parse`` reads and checks a body (each refusal names the field
and what was wrong), ``to_json`` writes the body a client signs and ``json_schema``
describes it. A rule that spans fields is the body type's ``validate(self, kind)`` method,
run after the fields are read.

A field made with ``optional=True`` may be absent (``None``, and left out by ``to_json``);
one made with ``nullable=True`` is always present and may be ``null``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from ledger.encoding import JSONValue, b64decode, b64encode, format_time, parse_time
from ledger.errors import MalformedStatementError

MEMBER_ID = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

T = TypeVar("T")
Json = dict[str, JSONValue]
_SPEC = "spec"


def fail(kind: str, name: str, what: str) -> MalformedStatementError:
    """The refusal ``"<kind>: <name> <what>"``."""
    return MalformedStatementError(f"{kind}: {name} {what}")


def inner(kind: str, name: str) -> str:
    """How refusals name an object inside a body: ``"<statement kind> <name>"``."""
    return f"{kind.split()[0]} {name}"


class Declared:
    """Base of a body type: ``to_json`` as a method."""

    def to_json(self) -> Json:
        """The JSON object of this body, as signed."""
        return to_json(self)


class Spec:
    """How one field is read from JSON, written back and described in a JSON Schema."""

    def read(self, kind: str, name: str, value: Any) -> Any:
        raise NotImplementedError

    def write(self, value: Any) -> JSONValue:
        return value

    def schema(self) -> Json:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Spec):
    """A non-empty string, at most ``max_length`` long, matching ``pattern`` if given."""

    pattern: re.Pattern[str] | None = None
    max_length: int = 200
    line: bool = False
    """Refuse a value that is not one printable line."""

    def read(self, kind: str, name: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise fail(kind, name, "must be a non-empty string")
        if len(value) > self.max_length:
            raise fail(kind, name, f"must be at most {self.max_length} characters")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise fail(kind, name, f"has the wrong form ({self.pattern.pattern})")
        if self.line and not value.isprintable():
            raise fail(kind, name, "must be one plain line")
        return value

    def schema(self) -> Json:
        found: Json = {"type": "string", "minLength": 1, "maxLength": self.max_length}
        if self.pattern is not None:
            found["pattern"] = f"^{self.pattern.pattern}$"
        return found


@dataclass(frozen=True)
class Integer(Spec):
    """An integer (booleans refused) within the bounds given."""

    minimum: int | None = None
    maximum: int | None = None

    def read(self, kind: str, name: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(kind, name, "must be an integer")
        if self.minimum is not None and value < self.minimum:
            raise fail(kind, name, f"must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise fail(kind, name, f"must be at most {self.maximum}")
        return value

    def schema(self) -> Json:
        found: Json = {"type": "integer"}
        if self.minimum is not None:
            found["minimum"] = self.minimum
        if self.maximum is not None:
            found["maximum"] = self.maximum
        return found


@dataclass(frozen=True)
class Boolean(Spec):
    """``true`` or ``false``."""

    def read(self, kind: str, name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise fail(kind, name, "must be true or false")
        return value

    def schema(self) -> Json:
        return {"type": "boolean"}


@dataclass(frozen=True)
class OneOf(Spec):
    """A string from a closed set."""

    choices: Collection[str]

    def read(self, kind: str, name: str, value: Any) -> str:
        if value not in self.choices:
            raise fail(kind, name, f"must be one of {sorted(self.choices)}")
        return str(value)

    def schema(self) -> Json:
        return {"enum": sorted(self.choices)}


@dataclass(frozen=True)
class CalendarDate(Spec):
    """A ``YYYY-MM-DD`` calendar date, read as a ``date``."""

    def read(self, kind: str, name: str, value: Any) -> date:
        text = Text(_DATE, max_length=10).read(kind, name, value)
        try:
            return date.fromisoformat(text)
        except ValueError as e:
            raise fail(kind, name, "is not a calendar date") from e

    def write(self, value: Any) -> JSONValue:
        return str(value.isoformat())

    def schema(self) -> Json:
        return {"type": "string", "format": "date", "pattern": f"^{_DATE.pattern}$"}


@dataclass(frozen=True)
class Time(Spec):
    """An RFC 3339 UTC time, read as a ``datetime``."""

    def read(self, kind: str, name: str, value: Any) -> datetime:
        return parse_time(Text(max_length=40).read(kind, name, value), what=name)

    def write(self, value: Any) -> JSONValue:
        return format_time(value)

    def schema(self) -> Json:
        return {"type": "string", "format": "date-time", "maxLength": 40, "pattern": "Z$"}


@dataclass(frozen=True)
class Texts(Spec):
    """A list of strings (each matching ``pattern`` if given), read as a tuple."""

    pattern: re.Pattern[str] | None = None
    min_items: int = 0
    max_items: int = 1000
    unique: bool = True

    def read(self, kind: str, name: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise fail(kind, name, "must be a list")
        if not self.min_items <= len(value) <= self.max_items:
            raise fail(kind, name, f"must have {self.min_items} to {self.max_items} items")
        for item in value:
            if not isinstance(item, str) or (
                self.pattern is not None and not self.pattern.fullmatch(item)
            ):
                raise fail(kind, name, "has an item of the wrong form")
        if self.unique and len(set(value)) != len(value):
            raise fail(kind, name, "has duplicate items")
        return tuple(value)

    def write(self, value: Any) -> JSONValue:
        return list(value)

    def schema(self) -> Json:
        item: Json = {"type": "string"}
        if self.pattern is not None:
            item["pattern"] = f"^{self.pattern.pattern}$"
        found: Json = {
            "type": "array",
            "items": item,
            "minItems": self.min_items,
            "maxItems": self.max_items,
        }
        if self.unique:
            found["uniqueItems"] = True
        return found


@dataclass(frozen=True)
class Integers(Spec):
    """A list of integers of at least ``minimum``, read as a tuple."""

    minimum: int = 0

    def read(self, kind: str, name: str, value: Any) -> tuple[int, ...]:
        if not isinstance(value, list) or not all(
            type(n) is int and self.minimum <= n for n in value
        ):
            raise fail(kind, name, f"must be a list of integers >= {self.minimum}")
        return tuple(value)

    def write(self, value: Any) -> JSONValue:
        return list(value)

    def schema(self) -> Json:
        return {"type": "array", "items": {"type": "integer", "minimum": self.minimum}}


@dataclass(frozen=True)
class Base64(Spec):
    """Canonical standard base64 (of ``length`` bytes if given), read as ``bytes``."""

    length: int | None = None
    max_length: int = 200
    what: str | None = None
    """How a refusal names the value (the field's name by default)."""

    def read(self, kind: str, name: str, value: Any) -> bytes:
        text = Text(max_length=self.max_length).read(kind, name, value)
        return b64decode(text, length=self.length, what=self.what or name)

    def write(self, value: Any) -> JSONValue:
        return b64encode(value)

    def schema(self) -> Json:
        return {"type": "string", "contentEncoding": "base64", "maxLength": self.max_length}


@dataclass(frozen=True)
class JsonObject(Spec):
    """Any JSON object, read as a ``dict``."""

    def read(self, kind: str, name: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise fail(kind, name, "must be an object")
        return dict(value)

    def write(self, value: Any) -> JSONValue:
        return dict(value)

    def schema(self) -> Json:
        return {"type": "object"}


@dataclass(frozen=True)
class Nested(Spec):
    """An object of another body type, read under the kind ``inner(kind, name)``."""

    body: type

    def read(self, kind: str, name: str, value: Any) -> Any:
        return parse(self.body, inner(kind, name), JsonObject().read(kind, name, value))

    def write(self, value: Any) -> JSONValue:
        return to_json(value)

    def schema(self) -> Json:
        return json_schema(self.body)


@dataclass(frozen=True)
class Tagged(Spec):
    """An object whose ``tag`` field names its body type (each type declares ``tag``)."""

    types: tuple[type, ...]
    tag: str = "type"

    def read(self, kind: str, name: str, value: Any) -> Any:
        fields = JsonObject().read(kind, name, value)
        by_tag = {t.tag: t for t in self.types}  # type: ignore[attr-defined]
        within = inner(kind, name)
        chosen = by_tag[OneOf(by_tag.keys()).read(within, self.tag, fields.pop(self.tag, None))]
        return parse(chosen, within, fields)

    def write(self, value: Any) -> JSONValue:
        return {self.tag: type(value).tag, **to_json(value)}

    def schema(self) -> Json:
        variants = []
        for body in self.types:
            variant = json_schema(body)
            variant["properties"] = {self.tag: {"const": body.tag}, **variant["properties"]}  # type: ignore[attr-defined]
            variant["required"] = [self.tag, *variant["required"]]
            variants.append(variant)
        return {"oneOf": variants}


def spec(kind: Spec, *, optional: bool = False, nullable: bool = False, key: str = "") -> Any:
    """A dataclass field read and written by ``kind``; ``key`` names it in the JSON if the
    attribute is named otherwise."""
    metadata = {_SPEC: kind, "optional": optional, "nullable": nullable, "key": key}
    if optional:
        return dataclasses.field(default=None, metadata=metadata)
    return dataclasses.field(metadata=metadata)


def _field_of(kind: Callable[..., Spec]) -> Callable[..., Any]:
    def make(
        *args: Any, optional: bool = False, nullable: bool = False, key: str = "", **kw: Any
    ) -> Any:
        return spec(kind(*args, **kw), optional=optional, nullable=nullable, key=key)

    make.__doc__ = kind.__doc__
    return make


text = _field_of(Text)
integer = _field_of(Integer)
boolean = _field_of(Boolean)
one_of = _field_of(OneOf)
calendar_date = _field_of(CalendarDate)
time = _field_of(Time)
texts = _field_of(Texts)
integers = _field_of(Integers)
base64 = _field_of(Base64)
json_object = _field_of(JsonObject)
nested = _field_of(Nested)


_FIELDS: dict[type, list[tuple[str, dataclasses.Field[Any]]]] = {}


def _fields(body: type) -> list[tuple[str, dataclasses.Field[Any]]]:
    """Each field of ``body`` with its JSON key (worked out once per body type)."""
    if body not in _FIELDS:
        _FIELDS[body] = [(f.metadata["key"] or f.name, f) for f in dataclasses.fields(body)]
    return _FIELDS[body]


def parse(body: type[T], kind: str, value: Mapping[str, Any]) -> T:
    """Read ``value`` as a ``body``: refuse a missing or extra field, then read each field in
    order, then run ``validate``; raises ``MalformedStatementError``."""
    fields = _fields(body)
    required = {key for key, f in fields if not f.metadata["optional"]}
    keys = set(value)
    if missing := required - keys:
        raise MalformedStatementError(f"{kind} body is missing {sorted(missing)}")
    if extra := keys - {key for key, _ in fields}:
        raise MalformedStatementError(f"{kind} body has unexpected {sorted(extra)}")
    read: dict[str, Any] = {}
    for key, f in fields:
        item = value.get(key)
        absent = key not in value or (item is None and f.metadata["nullable"])
        read[f.name] = None if absent else f.metadata[_SPEC].read(kind, key, item)
    parsed = body(**read)
    validate = getattr(parsed, "validate", None)
    if validate is not None:
        validate(kind)
    return parsed


def to_json(body: Any) -> Json:
    """The JSON object of a body, as signed: optional fields that are ``None`` left out."""
    found: Json = {}
    for key, f in _fields(type(body)):
        value = getattr(body, f.name)
        if value is not None:
            found[key] = f.metadata[_SPEC].write(value)
        elif f.metadata["nullable"]:
            found[key] = None
    return found


def json_schema(body: type) -> Json:
    """A JSON Schema (2020-12) of ``body``: every field typed, no field beyond them."""
    properties: Json = {}
    for key, f in _fields(body):
        schema = f.metadata[_SPEC].schema()
        properties[key] = (
            {"anyOf": [schema, {"type": "null"}]} if f.metadata["nullable"] else schema
        )
    return {
        "type": "object",
        "properties": properties,
        "required": [key for key, f in _fields(body) if not f.metadata["optional"]],
        "additionalProperties": False,
    }
