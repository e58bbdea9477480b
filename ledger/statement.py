"""Statements (what a member signs) and entries (what the log appends), byte for byte."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn

from ledger.encoding import (
    C_CANONICAL_ENCODE,
    MAX_SAFE_INTEGER,
    JSONError,
    JSONValue,
    b64decode,
    b64encode,
    canonical_json,
    format_time,
    load_json,
    parse_canonical,
    parse_time,
)
from ledger.errors import (
    MalformedStatementError,
    StaleStatementError,
    UnknownKindError,
    WrongOriginError,
)
from ledger.merkle import hash_leaf
from ledger.signing import SIGNATURE_SIZE, STATEMENT_DOMAIN, KeyID, Keypair, verify

MAX_STATEMENT_BYTES = 16 * 1024
"""The largest canonical statement accepted, in bytes."""

LEDGER_KINDS = frozenset(
    {
        "log.initialised",
        "member.admitted",
        "member.key_rotated",
        "member.key_revoked",
    }
)
CREDIT_KINDS = frozenset(
    {
        "credit.rules_adopted",
        "credit.session_recorded",
        "credit.claimed",
        "credit.declined",
        "credit.awarded",
        "credit.reversed",
        "credit.adjusted",
        "credit.disputed",
        "credit.dispute_resolved",
    }
)
GOVERNANCE_KINDS = frozenset(
    {
        "governance.group.created",
        "governance.group.join_requested",
        "governance.group.join_approved",
        "governance.group.join_declined",
        "governance.group.left",
        "governance.group.role_set",
        "governance.proposal.opened",
        "governance.vote.cast",
        "governance.proposal.closed",
        "governance.decision.recorded",
    }
)
KINDS = LEDGER_KINDS | CREDIT_KINDS | GOVERNANCE_KINDS
"""The closed list of statement kinds; anything else is refused."""

_FIELDS = frozenset({"origin", "kind", "body", "nonce", "issued_at", "key_id"})
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_KEY_ID_RE = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Statement:
    """An act by one key: canonical JSON of these six fields is what gets signed."""

    origin: str
    kind: str
    body: Mapping[str, JSONValue]
    nonce: str
    issued_at: str
    key_id: KeyID

    def to_json(self) -> dict[str, JSONValue]:
        """The statement as a JSON object."""
        return {
            "origin": self.origin,
            "kind": self.kind,
            "body": dict(self.body),
            "nonce": self.nonce,
            "issued_at": self.issued_at,
            "key_id": self.key_id,
        }

    def canonical_bytes(self) -> bytes:
        """RFC 8785 canonical JSON of the statement."""
        return canonical_json(self.to_json())

    def signing_message(self) -> bytes:
        """The exact message a member signs: the domain prefix, then the canonical bytes."""
        return STATEMENT_DOMAIN + self.canonical_bytes()

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Statement:
        """Build a statement from a JSON object, checking its shape (not its signature).

        Raises ``MalformedStatementError`` for missing, extra or mistyped fields and
        ``UnknownKindError`` for a kind outside the closed list.
        """
        if not isinstance(value, Mapping):
            raise MalformedStatementError("statement must be a JSON object")
        missing, extra = _FIELDS - value.keys(), value.keys() - _FIELDS
        if missing or extra:
            raise MalformedStatementError(
                f"statement fields wrong: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        for name in ("origin", "kind", "nonce", "issued_at", "key_id"):
            if not isinstance(value[name], str):
                raise MalformedStatementError(f"{name} must be a string")
        if value["kind"] not in KINDS:
            raise UnknownKindError(f"unknown statement kind {value['kind']!r}")
        if not isinstance(value["body"], Mapping):
            raise MalformedStatementError("body must be a JSON object")
        if not _NONCE_RE.fullmatch(value["nonce"]):
            raise MalformedStatementError("nonce must be 16-64 characters of [A-Za-z0-9_-]")
        if not _KEY_ID_RE.fullmatch(value["key_id"]):
            raise MalformedStatementError("key_id must be 16 lowercase hex digits")
        parse_time(value["issued_at"], what="issued_at")
        return cls(
            origin=value["origin"],
            kind=value["kind"],
            body=dict(value["body"]),
            nonce=value["nonce"],
            issued_at=value["issued_at"],
            key_id=KeyID(value["key_id"]),
        )


@dataclass(frozen=True)
class SignedStatement:
    """A statement with its Ed25519 signature over ``signing_message()``."""

    statement: Statement
    signature: bytes
    canonical: bytes
    verified_key: bytes | None = field(default=None, init=False, compare=False, repr=False)
    """The public key this signature was last found good for, by ``verify_with``."""

    @classmethod
    def create(cls, statement: Statement, signature: bytes) -> SignedStatement:
        """Pair a statement with a signature, refusing oversize statements and bad values."""
        canonical = statement.canonical_bytes()
        if len(canonical) > MAX_STATEMENT_BYTES:
            raise MalformedStatementError(
                f"statement is {len(canonical)} bytes; the limit is {MAX_STATEMENT_BYTES}"
            )
        if len(signature) != SIGNATURE_SIZE:
            raise MalformedStatementError(f"signature must be {SIGNATURE_SIZE} bytes")
        return cls(statement=statement, signature=signature, canonical=canonical)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> SignedStatement:
        """Parse a submission ``{"statement": {...}, "signature": base64}``."""
        if not isinstance(value, Mapping) or set(value.keys()) != {"statement", "signature"}:
            raise MalformedStatementError('a submission is {"statement": ..., "signature": ...}')
        if not isinstance(value["signature"], str):
            raise MalformedStatementError("signature must be a base64 string")
        signature = b64decode(value["signature"], length=SIGNATURE_SIZE, what="signature")
        return cls.create(Statement.from_json(value["statement"]), signature)

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedStatement:
        """Parse a JSON submission from raw bytes; the statement is re-canonicalised."""
        if len(data) > 2 * MAX_STATEMENT_BYTES:
            raise MalformedStatementError("submission is too large")
        try:
            value = load_json(data)
        except JSONError as e:
            raise MalformedStatementError(f"submission is not valid JSON: {e}") from e
        return cls.from_json(value)

    def to_json(self) -> dict[str, JSONValue]:
        """The submission form."""
        return {"statement": self.statement.to_json(), "signature": b64encode(self.signature)}

    def verify_with(self, public_key: bytes) -> None:
        """Check the signature against ``public_key``; raises ``InvalidSignatureError``.

        A signature found good for a key is not checked again for that key (the API checks
        it before charging the signer's rate limit, the sequencer when it appends).
        """
        if self.verified_key == public_key:
            return
        verify(
            public_key=public_key,
            signature=self.signature,
            message=STATEMENT_DOMAIN + self.canonical,
        )
        object.__setattr__(self, "verified_key", public_key)

    def check_envelope(self, *, origin: str, now: datetime, window: timedelta) -> None:
        """Check the origin and that ``issued_at`` lies within ``window`` of ``now``.

        Raises ``WrongOriginError`` or ``StaleStatementError``.
        """
        if self.statement.origin != origin:
            raise WrongOriginError(
                f"statement is for origin {self.statement.origin!r}, this log is {origin!r}"
            )
        issued = parse_time(self.statement.issued_at, what="issued_at")
        if abs(now - issued) > window:
            raise StaleStatementError(
                f"issued_at {self.statement.issued_at} is more than {window} from the log's clock"
            )


def sign_statement(
    keypair: Keypair,
    *,
    origin: str,
    kind: str,
    body: Mapping[str, JSONValue],
    nonce: str,
    issued_at: datetime,
) -> SignedStatement:
    """Build and sign a statement with ``keypair`` (the client side of intake)."""
    statement = Statement.from_json(
        {
            "origin": origin,
            "kind": kind,
            "body": dict(body),
            "nonce": nonce,
            "issued_at": format_time(issued_at),
            "key_id": keypair.key_id,
        }
    )
    return SignedStatement.create(statement, keypair.sign(statement.signing_message()))


@dataclass(frozen=True)
class Entry:
    """One leaf of the log: canonical JSON of seq, logged_at, statement and signature."""

    seq: int
    logged_at: str
    signed: SignedStatement
    data: bytes

    @property
    def statement(self) -> Statement:
        """The signed statement inside this entry."""
        return self.signed.statement

    @property
    def leaf_hash(self) -> bytes:
        """SHA-256(0x00 || entry bytes), RFC 9162 §2.1.1."""
        return hash_leaf(self.data)

    @classmethod
    def build(cls, *, seq: int, logged_at: datetime | str, signed: SignedStatement) -> Entry:
        """Make the entry for ``signed`` at sequence number ``seq``; ``logged_at`` is a time,
        or one already written by ``format_time`` (a batch's entries share it).

        The bytes are spliced from the statement's canonical bytes in RFC 8785 key order
        (logged_at, seq, signature, statement), which equals canonicalising the whole entry:
        every spliced value is ASCII with nothing to escape.
        """
        stamp = logged_at if isinstance(logged_at, str) else format_time(logged_at)
        data = b"".join(
            (
                b'{"logged_at":"',
                stamp.encode("ascii"),
                b'","seq":',
                str(seq).encode("ascii"),
                b',"signature":"',
                b64encode(signed.signature).encode("ascii"),
                b'","statement":',
                signed.canonical,
                b"}",
            )
        )
        return cls(seq=seq, logged_at=stamp, signed=signed, data=data)

    @classmethod
    def parse(cls, data: bytes) -> Entry:
        """Parse exact entry bytes; refuses anything not canonical or not of the entry's shape.

        1. The bytes must be RFC 8785 canonical JSON of an object (``_canonical_entry``).
        2. It has exactly seq, logged_at, signature and statement, with seq a non-negative
           integer, logged_at an RFC 3339 UTC time and the statement well-formed.
        3. In canonical form ``statement`` is the last key and a nested object is encoded
           as it is alone, so the statement's canonical bytes are the slice of the entry
           between ``"statement":`` and the closing brace: taken, not re-encoded.

        Raises ``MalformedStatementError`` (or another ``StatementError``) otherwise.
        """
        value = _canonical_entry(data)
        if value.keys() != _ENTRY_FIELDS:
            raise MalformedStatementError(
                "entry fields must be seq, logged_at, statement, signature"
            )
        seq, stamp, signature = value["seq"], value["logged_at"], value["signature"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise MalformedStatementError("entry seq must be a non-negative integer")
        if not isinstance(stamp, str):
            raise MalformedStatementError("logged_at must be a string")
        parse_time(stamp, what="logged_at")
        if not isinstance(signature, str):
            raise MalformedStatementError("signature must be a base64 string")
        raw_signature = b64decode(signature, length=SIGNATURE_SIZE, what="signature")
        statement = Statement.from_json(value["statement"])
        # logged_at and signature are ASCII with nothing to escape (checked just above).
        prefix = f'{{"logged_at":"{stamp}","seq":{seq},"signature":"{signature}","statement":'
        canonical = data[len(prefix) : -1]
        if not data.startswith(prefix.encode("ascii")):  # cannot happen once canonical
            raise MalformedStatementError("entry bytes are not in canonical order")
        if len(canonical) > MAX_STATEMENT_BYTES:
            raise MalformedStatementError(
                f"statement is {len(canonical)} bytes; the limit is {MAX_STATEMENT_BYTES}"
            )
        signed = SignedStatement(statement=statement, signature=raw_signature, canonical=canonical)
        return cls(seq=seq, logged_at=stamp, signed=signed, data=data)


_ENTRY_FIELDS = frozenset({"seq", "logged_at", "statement", "signature"})


class _Undecided(Exception):
    """The fast path cannot decide; RFC 8785 re-encoding will."""


def _undecided(_text: str) -> NoReturn:
    raise _Undecided


def _exact_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise _Undecided
    return value


_C_DECODE = json.JSONDecoder(
    parse_float=_undecided, parse_constant=_undecided, parse_int=_exact_int
).decode


def _canonical_entry(data: bytes) -> dict[str, Any]:
    """The JSON object ``data`` encodes, if ``data`` is its RFC 8785 canonical form.

    Fast path, for ASCII bytes: decode with the C parser (floats, NaN, Infinity and integers
    beyond +/-(2**53 - 1) are left undecided) and re-encode with the C encoder, sorted keys,
    no whitespace, no ASCII escaping. For such a value (objects, arrays, strings, integers,
    true, false, null) that encoder writes exactly what RFC 8785 writes:

    - keys sort by UTF-16 code units in RFC 8785 and by code points here: the same order
      for ASCII keys, and every string in a value decoded from ASCII bytes that re-encodes
      to those same ASCII bytes is ASCII;
    - strings escape ``"``, ``\\``, and the controls U+0000-U+001F, the five with short
      forms as ``\\b \\t \\n \\f \\r`` and the rest as ``\\u00xx`` in lowercase hex,
      and nothing else (not ``/``, not U+007F), in both;
    - an integer within +/-(2**53 - 1) is its plain decimal digits in both (ECMAScript's
      number formatting has no exponent below 10**21).

    So the bytes are canonical exactly when they equal the re-encoding; duplicate keys,
    whitespace, escapes that need none and any other variant fail that comparison. Anything
    else (non-ASCII bytes, a mismatch, an undecided number) goes to ``parse_canonical``,
    which decides with the ``rfc8785`` package and raises ``MalformedStatementError``.
    """
    if data.isascii():
        text = data.decode("ascii")
        try:
            value = _C_DECODE(text)
        except (ValueError, RecursionError, _Undecided):
            value = None
        if type(value) is dict and C_CANONICAL_ENCODE(value) == text:
            return value
    try:
        return parse_canonical(data)
    except (ValueError, RecursionError) as e:  # e.g. integers of thousands of digits
        raise MalformedStatementError(f"entry is not valid JSON: {e}") from e
