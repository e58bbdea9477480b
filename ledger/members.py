"""Members and their keys: the registry every signature is checked against.

The registry is a projection of the ``log.initialised`` and ``member.*`` entries. It is small
(one record per member and key, never per entry), so every process keeps it in memory and
catches up from the log under the writer lock. The sequencer changes it in place while a
batch is checked; if that batch's commit fails, the sequencer drops the registry and
rebuilds it from the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.errors import (
    ConflictError,
    MalformedStatementError,
    NotAuthorisedError,
    NotFoundError,
    RevokedKeyError,
    UnknownKeyError,
)
from ledger.fields import MEMBER_ID, SLUG, Declared, parse, text, texts
from ledger.signing import KeyID, decode_public_key, key_id_of
from ledger.statement import Entry, SignedStatement

MEMBER_KINDS = frozenset(
    {"log.initialised", "member.admitted", "member.key_rotated", "member.key_revoked"}
)
BOARD = "board"
ROLES = frozenset({BOARD})


@dataclass(frozen=True)
class AdmittedBody(Declared):
    """``member.admitted``: a member's id, first public key, kind, borough and roles."""

    member: str = text(MEMBER_ID)
    public_key: str = text()
    member_kind: str = text(SLUG)
    borough: str = text(max_length=80)
    roles: tuple[str, ...] = texts(max_items=len(ROLES))

    def validate(self, kind: str) -> None:
        decode_public_key(self.public_key)
        for role in self.roles:
            if role not in ROLES:
                raise MalformedStatementError(f"unknown role {role!r}; roles are {sorted(ROLES)}")


@dataclass(frozen=True)
class InitialisedBody(AdmittedBody):
    """``log.initialised`` (entry 0): the first steward, and the log's verifier key."""

    log_key: str = text(max_length=1000)


@dataclass(frozen=True)
class KeyRotatedBody(Declared):
    """``member.key_rotated``: the member's new public key (signed with the current one)."""

    member: str = text(MEMBER_ID)
    public_key: str = text()


@dataclass(frozen=True)
class KeyRevokedBody(Declared):
    """``member.key_revoked``: a key retired by the board, maybe with a replacement."""

    member: str = text(MEMBER_ID)
    key_id: str = text()
    replacement: str | None = text(optional=True)


@dataclass
class KeyRecord:
    """A member's public key and whether it may still sign."""

    key_id: KeyID
    member: str
    public_key: bytes
    added_seq: int
    retired_seq: int | None = None

    @property
    def active(self) -> bool:
        """Whether the key may sign new statements."""
        return self.retired_seq is None


@dataclass
class MemberRecord:
    """A member's public record: id, kind, borough, roles and keys (never a name)."""

    member: str
    member_kind: str
    borough: str
    roles: frozenset[str]
    admitted_seq: int
    keys: list[KeyID] = field(default_factory=list)

    @property
    def is_board(self) -> bool:
        """Whether the member sits on the board (a steward)."""
        return BOARD in self.roles


@dataclass
class Registry:
    """Members and keys as of some log size."""

    members: dict[str, MemberRecord] = field(default_factory=dict)
    keys: dict[KeyID, KeyRecord] = field(default_factory=dict)
    log_key: str | None = None
    size: int = 0

    def key(self, key_id: str) -> KeyRecord:
        """The active key ``key_id``; raises ``UnknownKeyError`` or ``RevokedKeyError``."""
        record = self.keys.get(KeyID(key_id))
        if record is None:
            raise UnknownKeyError(f"key {key_id} is not registered")
        if not record.active:
            raise RevokedKeyError(f"key {key_id} was retired at entry {record.retired_seq}")
        return record

    def member(self, member: str) -> MemberRecord:
        """The member ``member``; raises ``NotFoundError``."""
        record = self.members.get(member)
        if record is None:
            raise NotFoundError(f"{member!r} is not a member")
        return record

    def signer(self, key: KeyRecord) -> MemberRecord:
        """The member who holds ``key``."""
        return self.members[key.member]

    def check(self, signed: SignedStatement, key: KeyRecord | None) -> None:
        """Check a ``log.initialised`` or ``member.*`` statement against the registry.

        Raises ``MalformedStatementError`` for a bad body, ``NotAuthorisedError`` when the
        signer may not make it, ``ConflictError``/``NotFoundError`` for the wrong state.
        """
        kind = signed.statement.kind
        value = signed.statement.body
        if kind == "log.initialised":
            self._check_initialised(signed, parse(InitialisedBody, kind, value))
            return
        if key is None:
            raise UnknownKeyError(f"key {signed.statement.key_id} is not registered")
        if kind == "member.admitted":
            self._require_board(key)
            admitted = parse(AdmittedBody, kind, value)
            if admitted.member in self.members:
                raise ConflictError(f"{admitted.member!r} is a member already")
            self._require_new_key(decode_public_key(admitted.public_key))
        elif kind == "member.key_rotated":
            rotated = parse(KeyRotatedBody, kind, value)
            if rotated.member != key.member:
                raise NotAuthorisedError("a key is rotated only by a key of the same member")
            self._require_new_key(decode_public_key(rotated.public_key))
        elif kind == "member.key_revoked":
            self._require_board(key)
            self._check_revoked(parse(KeyRevokedBody, kind, value))

    def _check_initialised(self, signed: SignedStatement, body: InitialisedBody) -> None:
        if self.size != 0 or self.members:
            raise ConflictError("log.initialised is only ever entry 0")
        public_key = decode_public_key(body.public_key)
        if key_id_of(public_key) != signed.statement.key_id:
            raise NotAuthorisedError("log.initialised must be signed by the steward key it names")
        if BOARD not in body.roles:
            raise MalformedStatementError("the first steward must have the board role")
        signed.verify_with(public_key)

    def _check_revoked(self, body: KeyRevokedBody) -> None:
        member = self.member(body.member)
        target = self.keys.get(KeyID(body.key_id))
        if target is None or target.member != member.member:
            raise NotFoundError(f"{member.member} has no key {body.key_id}")
        if not target.active:
            raise ConflictError(f"key {target.key_id} is already retired")
        if body.replacement is not None:
            self._require_new_key(decode_public_key(body.replacement))

    def _require_board(self, key: KeyRecord) -> None:
        if not self.signer(key).is_board:
            raise NotAuthorisedError("only a board member (steward) may do this")

    def _require_new_key(self, public_key: bytes) -> None:
        if key_id_of(public_key) in self.keys:
            raise ConflictError("that public key is registered already")

    def apply(self, entry: Entry) -> None:
        """Fold an accepted entry of a member kind into the registry."""
        kind = entry.statement.kind
        body = entry.statement.body
        if kind in ("log.initialised", "member.admitted"):
            self._admit(entry, body)
            if kind == "log.initialised":
                self.log_key = str(body["log_key"])
        elif kind == "member.key_rotated":
            self._retire(entry.statement.key_id, entry.seq)
            self._add_key(str(body["member"]), str(body["public_key"]), entry.seq)
        elif kind == "member.key_revoked":
            self._retire(KeyID(str(body["key_id"])), entry.seq)
            if "replacement" in body:
                self._add_key(str(body["member"]), str(body["replacement"]), entry.seq)

    def _admit(self, entry: Entry, body: Mapping[str, Any]) -> None:
        member = str(body["member"])
        self.members[member] = MemberRecord(
            member=member,
            member_kind=str(body["member_kind"]),
            borough=str(body["borough"]),
            roles=frozenset(str(r) for r in body["roles"]),
            admitted_seq=entry.seq,
        )
        self._add_key(member, str(body["public_key"]), entry.seq)

    def _retire(self, key_id: KeyID, seq: int) -> None:
        self.keys[key_id].retired_seq = seq

    def _add_key(self, member: str, public_key_b64: str, seq: int) -> None:
        public_key = decode_public_key(public_key_b64)
        key_id = key_id_of(public_key)
        self.keys[key_id] = KeyRecord(
            key_id=key_id, member=member, public_key=public_key, added_seq=seq
        )
        self.members[member].keys.append(key_id)
