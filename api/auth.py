"""Login by Ed25519 challenge-response, HMAC-signed bearer tokens, and who may read what.

1. ``Tokens.challenge(key_id)`` issues a short-lived challenge: a payload naming the key and
   its expiry, MAC'd with the server secret (no server-side state, so any process sharing
   the secret can check it).
2. The holder of the key signs ``login_message(origin, challenge)``:
   ``b"coopledger/login/v1\\n" + origin + b"\\n" + challenge``.
3. ``Tokens.issue`` returns a bearer token ``cl1.<payload>.<mac>`` for the member or the
   registered auditor; ``Tokens.verify`` checks its MAC and expiry.

Roles are not in the token: they are read from the registry and governance on each use, so
a revoked key or a lost role takes effect at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ledger.encoding import b64decode
from ledger.errors import KeyFileError, LedgerError
from ledger.members import MemberRecord, Registry
from ledger.signing import KeyID, decode_public_key, key_id_of, verify

LOGIN_DOMAIN: Final = b"coopledger/login/v1\n"
_CHALLENGE_DOMAIN: Final = b"coopledger/challenge/v1\n"
_TOKEN_DOMAIN: Final = b"coopledger/token/v1\n"
_TOKEN_PREFIX: Final = "cl1"  # noqa: S105 (a format tag, not a secret)
SECRET_FILE: Final = "api.secret"  # noqa: S105 (a file name)
AUDITORS_FILE: Final = "auditors.json"

MEMBER: Final = "member"
BOARD: Final = "board"
CONVENOR: Final = "convenor"
OBSERVER: Final = "observer"
AUDITOR: Final = "auditor"


class AccessError(LedgerError):
    """A read or an off-log act needs a login (``unauthenticated``) or another role."""

    code = "forbidden"


class UnauthenticatedError(AccessError):
    """No valid bearer token was given."""

    code = "unauthenticated"


class LoginError(LedgerError):
    """A login challenge or its signature was refused."""

    code = "login_refused"


@dataclass(frozen=True)
class Principal:
    """Who a valid token names: a member, or a registered auditor (``auditor`` is True)."""

    subject: str
    key_id: KeyID
    auditor: bool
    expires: int


@dataclass(frozen=True)
class Auditor:
    """A registered auditor: a name and an Ed25519 public key (not a member of the co-op)."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> KeyID:
        """The key ID of the auditor's public key."""
        return key_id_of(self.public_key)


def login_message(origin: str, challenge: str) -> bytes:
    """The exact bytes a member signs to log in."""
    return LOGIN_DOMAIN + origin.encode("utf-8") + b"\n" + challenge.encode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """Issues and checks challenges and bearer tokens with one HMAC-SHA256 secret."""

    def __init__(self, secret: bytes, *, token_ttl: int, challenge_ttl: int) -> None:
        if len(secret) < 32:
            raise KeyFileError("the token secret must be at least 32 bytes")
        self._secret = secret
        self.token_ttl = token_ttl
        self.challenge_ttl = challenge_ttl

    def __repr__(self) -> str:
        return "Tokens(<secret>)"

    def _mac(self, domain: bytes, payload: str) -> str:
        digest = hmac.new(self._secret, domain + payload.encode("ascii"), hashlib.sha256)
        return _b64url(digest.digest())

    def _seal(self, domain: bytes, value: Mapping[str, Any]) -> str:
        payload = _b64url(json.dumps(value, sort_keys=True, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(domain, payload)}"

    def _open(self, domain: bytes, payload: str, mac: str, now: int) -> dict[str, Any]:
        if not (payload.isascii() and mac.isascii()):
            raise LoginError("the token or challenge is malformed")
        if not hmac.compare_digest(self._mac(domain, payload), mac):
            raise LoginError("the token or challenge was not issued by this server")
        try:
            value = json.loads(_unb64url(payload))
        except ValueError as e:
            raise LoginError("the token or challenge is malformed") from e
        if not isinstance(value, dict) or not isinstance(value.get("exp"), int):
            raise LoginError("the token or challenge is malformed")
        if value["exp"] < now:
            raise LoginError("the token or challenge has expired")
        return value

    def challenge(self, key_id: str, now: int) -> tuple[str, int]:
        """A fresh challenge for ``key_id`` and its expiry (Unix seconds)."""
        expires = now + self.challenge_ttl
        value = {"kid": key_id, "exp": expires, "n": secrets.token_urlsafe(16)}
        return self._seal(_CHALLENGE_DOMAIN, value), expires

    def check_challenge(self, challenge: str, key_id: str, now: int) -> None:
        """Refuse (``LoginError``) a challenge not issued here, expired, or for another key."""
        payload, _, mac = challenge.partition(".")
        value = self._open(_CHALLENGE_DOMAIN, payload, mac, now)
        if value.get("kid") != key_id:
            raise LoginError("the challenge was issued for another key")

    def issue(self, *, subject: str, key_id: str, auditor: bool, now: int) -> tuple[str, int]:
        """A bearer token for ``subject`` and its expiry (Unix seconds)."""
        expires = now + self.token_ttl
        value = {"sub": subject, "kid": key_id, "aud": auditor, "exp": expires, "iat": now}
        return f"{_TOKEN_PREFIX}.{self._seal(_TOKEN_DOMAIN, value)}", expires

    def verify(self, token: str, now: int) -> Principal:
        """The principal a token names; raises ``LoginError`` if it is forged or expired."""
        prefix, _, rest = token.partition(".")
        payload, _, mac = rest.partition(".")
        if prefix != _TOKEN_PREFIX:
            raise LoginError("not a coopledger token")
        value = self._open(_TOKEN_DOMAIN, payload, mac, now)
        subject, key_id = value.get("sub"), value.get("kid")
        if not isinstance(subject, str) or not isinstance(key_id, str):
            raise LoginError("the token is malformed")
        return Principal(subject, KeyID(key_id), bool(value.get("aud")), value["exp"])


def check_login_signature(
    *, public_key: bytes, origin: str, challenge: str, signature_b64: str
) -> None:
    """Refuse (``LoginError``) a signature that does not verify over the login message."""
    try:
        signature = b64decode(signature_b64, length=64, what="signature")
        verify(public_key=public_key, signature=signature, message=login_message(origin, challenge))
    except LedgerError as e:
        raise LoginError("the login signature does not verify") from e


def load_secret(configured: str | None, data_root: Path) -> bytes:
    """The token secret: ``configured`` (base64) or the data directory's ``api.secret``.

    The file is created (32 random bytes, mode 0600) if it does not exist; processes that
    share the data directory share it. Raises ``KeyFileError`` for a bad secret or a file
    others can read.
    """
    if configured is not None:
        try:
            return base64.b64decode(configured, validate=True)
        except ValueError as e:
            raise KeyFileError("COOPLEDGER_TOKEN_SECRET is not base64") from e
    path = data_root / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"{path} is readable by others; chmod 600 it")
    text = path.read_text(encoding="ascii").strip()
    try:
        secret = base64.b64decode(text, validate=True)
    except ValueError as e:
        raise KeyFileError(f"{path} does not hold a base64 secret") from e
    if len(secret) < 32:
        raise KeyFileError(f"{path} holds a secret shorter than 32 bytes")
    return secret


def load_auditors(data_root: Path) -> dict[KeyID, Auditor]:
    """Registered auditors from ``auditors.json``: ``{"auditors": [{"name", "public_key"}]}``.

    A missing file means no auditors. Raises ``KeyFileError`` for a malformed file.
    """
    path = data_root / AUDITORS_FILE
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        auditors = [
            Auditor(str(item["name"]), decode_public_key(str(item["public_key"])))
            for item in document["auditors"]
        ]
    except (ValueError, KeyError, TypeError, LedgerError) as e:
        raise KeyFileError(f"{path} is not a valid auditors file: {e}") from e
    return {auditor.key_id: auditor for auditor in auditors}


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a logged-in member, a registered auditor, or nobody (anonymous).

    ``problem`` says why a token that was given did not count (expired, forged, revoked).
    """

    member: MemberRecord | None = None
    auditor: Auditor | None = None
    key_id: KeyID | None = None
    problem: str | None = None

    @property
    def is_board(self) -> bool:
        """Whether the viewer is a board member."""
        return self.member is not None and self.member.is_board

    def require_login(self) -> None:
        """Raise ``UnauthenticatedError`` unless a member or an auditor is logged in."""
        if self.member is None and self.auditor is None:
            reason = self.problem or "this needs a login: send Authorization: Bearer <token>"
            raise UnauthenticatedError(reason)

    def require_member(self) -> MemberRecord:
        """The logged-in member; raises ``UnauthenticatedError`` or ``AccessError``."""
        self.require_login()
        if self.member is None:
            raise AccessError("only members may do this")
        return self.member

    def require_board(self) -> MemberRecord:
        """The logged-in board member; raises ``UnauthenticatedError`` or ``AccessError``."""
        member = self.require_member()
        if not member.is_board:
            raise AccessError("only a board member may do this")
        return member

    def require_personal(self, member: str) -> None:
        """Allow reading ``member``'s personal data: the member themself or the board."""
        viewer = self.require_member()
        if viewer.member != member and not viewer.is_board:
            raise AccessError("personal data is shown only to the member and the board")

    def require_log(self, private: bool) -> None:
        """With a private log, allow only members and registered auditors to read it."""
        if private:
            self.require_login()


ANONYMOUS = Viewer()


def viewer_for(
    principal: Principal, registry: Registry, auditors: Mapping[KeyID, Auditor]
) -> Viewer:
    """The viewer a verified token names, if its key still stands; else why not."""
    if principal.auditor:
        auditor = auditors.get(principal.key_id)
        if auditor is None:
            return Viewer(problem="the token's auditor is no longer registered")
        return Viewer(auditor=auditor, key_id=principal.key_id)
    key = registry.keys.get(principal.key_id)
    if key is None or not key.active or key.member != principal.subject:
        return Viewer(problem="the token's key is not an active key of that member")
    return Viewer(member=registry.members[key.member], key_id=principal.key_id)
