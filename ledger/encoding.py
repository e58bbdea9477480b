"""Canonical JSON (RFC 8785), base64 and RFC 3339 time: the byte-level encodings of the log."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785

from ledger.errors import MalformedStatementError

JSONValue = Any
"""A JSON value restricted to objects, arrays, strings, integers, booleans and null."""

MAX_SAFE_INTEGER = 2**53 - 1
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")


C_CANONICAL_ENCODE = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
).encode
"""The C encoder, written the way RFC 8785 writes a value whose strings are all ASCII and
whose numbers are integers within +/-(2**53 - 1) (``ledger.statement._canonical_entry``
gives the argument)."""


def canonical_json(value: JSONValue) -> bytes:
    """Return the RFC 8785 canonical bytes of ``value``.

    Raises ``MalformedStatementError`` for floats, integers beyond +/-(2**53 - 1), non-string
    keys, strings holding a lone surrogate and any other value JSON cannot carry exactly.
    Once those are refused, a value whose C encoding is ASCII (every key and string ASCII)
    is written by the C encoder; anything else by the ``rfc8785`` package.
    """
    _refuse_floats(value)
    try:
        text = C_CANONICAL_ENCODE(value)
    except (TypeError, ValueError):  # a Mapping that is not a dict, say: rfc8785 decides
        text = ""
    if text and text.isascii():
        return text.encode("ascii")
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise MalformedStatementError(f"cannot canonicalise: {e}") from e
    except UnicodeEncodeError as e:  # a lone surrogate, as JSON's \ud800 escape gives
        raise MalformedStatementError(
            f"a string holds the lone surrogate U+{ord(e.object[e.start]):04X}, not Unicode text"
        ) from e


def parse_canonical(data: bytes) -> dict[str, JSONValue]:
    """Parse ``data`` as a JSON object that must already be in canonical form.

    Refuses invalid UTF-8, duplicate keys, floats, NaN/Infinity, non-object documents and any
    bytes that differ from their own canonical re-encoding, so one value has one encoding.
    """
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_unique_keys,
            parse_float=_refuse_float_literal,
            parse_constant=_refuse_float_literal,
        )
    except UnicodeDecodeError as e:
        raise MalformedStatementError("statement is not valid UTF-8") from e
    except JSONError as e:
        raise MalformedStatementError(str(e)) from e
    except json.JSONDecodeError as e:
        raise MalformedStatementError(f"statement is not valid JSON: {e.msg}") from e
    if not isinstance(value, dict):
        raise MalformedStatementError("statement must be a JSON object")
    if canonical_json(value) != data:
        raise MalformedStatementError("statement bytes are not RFC 8785 canonical JSON")
    return value


MAX_JSON_DEPTH = 32
"""The deepest nesting of arrays and objects ``load_json`` reads."""
MAX_NUMBER_CHARS = 40
"""The longest number literal ``load_json`` reads, in characters."""

_JSON_STRING = re.compile(r'"[^"]*"')
"""A JSON string, once its escaped backslashes and quotes are taken out."""
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class JSONError(ValueError):
    """Bytes that are not a JSON text within ``load_json``'s bounds; the message says why."""


def load_json(
    data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, max_number: int = MAX_NUMBER_CHARS
) -> JSONValue:
    """Parse untrusted JSON within bounds; raise ``JSONError`` naming what is wrong.

    The bounds come before the parser: invalid UTF-8, nesting deeper than ``max_depth`` (the
    parser recurses per level), a number literal longer than ``max_number`` characters
    (Python's int of thousands of digits is quadratic, and refused past 4,300), NaN and
    Infinity, a float that overflows, and duplicate keys (another parser may keep the other
    value) are each refused with a plain message.
    """
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise JSONError(f"not valid UTF-8 (byte {e.start})") from e
    _check_depth(data, max_depth)

    def number(text: str) -> int | float:
        if len(text) > max_number:
            raise JSONError(f"a number of {len(text)} characters (at most {max_number})")
        value = json.loads(text)
        if isinstance(value, float) and not math.isfinite(value):
            raise JSONError(f"the number {text} is out of range")
        return value  # type: ignore[no-any-return]

    def constant(text: str) -> None:
        raise JSONError(f"{text} is not JSON")

    try:
        return json.loads(
            data,
            object_pairs_hook=_unique_keys,
            parse_int=number,
            parse_float=number,
            parse_constant=constant,
        )
    except json.JSONDecodeError as e:
        raise JSONError(f"{e.msg} (line {e.lineno}, column {e.colno})") from e
    except RecursionError as e:  # cannot happen within max_depth; kept as a backstop
        raise JSONError("nested too deeply") from e


def _check_depth(text: str, max_depth: int) -> None:
    """Refuse text whose arrays and objects nest deeper than ``max_depth`` (strings aside)."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot nest deeper than it has brackets, in strings or not
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _JSON_STRING.sub("", unescaped)):
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONError(f"arrays and objects nest deeper than {max_depth} levels")
        else:
            depth -= 1


def _unique_keys(pairs: list[tuple[str, JSONValue]]) -> dict[str, JSONValue]:
    result: dict[str, JSONValue] = {}
    for key, item in pairs:
        if key in result:
            raise JSONError(f"duplicate key {key!r}")
        result[key] = item
    return result


def _refuse_float_literal(text: str) -> None:
    raise MalformedStatementError(f"numbers must be integers, got {text}")


def _refuse_floats(value: JSONValue) -> None:
    if isinstance(value, float):
        raise MalformedStatementError(f"numbers must be integers, got {value!r}")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise MalformedStatementError(f"integer {value} is outside +/-(2**53 - 1)")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise MalformedStatementError("object keys must be strings")
            _refuse_floats(item)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)
        return
    raise MalformedStatementError(f"{type(value).__name__} is not a JSON value")


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 §4)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, *, length: int | None = None, what: str = "value") -> bytes:
    """Decode strict standard base64; refuse other alphabets, bad padding or a wrong length."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise MalformedStatementError(f"{what} is not standard base64") from e
    if b64encode(data) != text:
        raise MalformedStatementError(f"{what} is not canonical base64")
    if length is not None and len(data) != length:
        raise MalformedStatementError(f"{what} must be {length} bytes, got {len(data)}")
    return data


def format_time(moment: datetime) -> str:
    """Write ``moment`` as an RFC 3339 UTC string with microseconds dropped when zero."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, *, what: str = "time") -> datetime:
    """Parse an RFC 3339 UTC time ending in ``Z`` (up to microseconds); refuse other forms."""
    if not isinstance(text, str) or not _TIME_RE.fullmatch(text):
        raise MalformedStatementError(
            f"{what} must be an RFC 3339 UTC time like 2026-01-31T09:00:00Z"
        )
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise MalformedStatementError(f"{what} is not a valid date and time") from e


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
