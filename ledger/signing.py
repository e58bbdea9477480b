"""Ed25519 keys, key IDs and statement signatures (PyNaCl), with domain separation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NewType

from nacl.bindings import crypto_core_ed25519_is_valid_point
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

from ledger.encoding import b64decode, b64encode
from ledger.errors import InvalidSignatureError, MalformedStatementError

KeyID = NewType("KeyID", str)
"""Lowercase hex of the first 8 bytes of SHA-256(public key)."""

STATEMENT_DOMAIN = b"coopledger/statement/v1\n"
"""Prefix of every signed statement's message, so a signature means nothing elsewhere."""

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def key_id_of(public_key: bytes) -> KeyID:
    """The key ID of a 32-byte Ed25519 public key."""
    return KeyID(hashlib.sha256(public_key).digest()[:8].hex())


def decode_public_key(text: str) -> bytes:
    """Decode a base64 Ed25519 public key; refuse (``MalformedStatementError``) anything that
    is not 32 bytes or not a usable key.

    A usable key is the canonical encoding of a point on the curve, of large prime order
    (libsodium's ``crypto_core_ed25519_is_valid_point``). The all-zero key and the other
    small-order points are refused: no honest signature can be made under them, and some
    verifiers accept forged ones (RFC 8032 §5.1.7 leaves the check to the verifier).
    """
    public_key = b64decode(text, length=PUBLIC_KEY_SIZE, what="public key")
    if not crypto_core_ed25519_is_valid_point(public_key):
        raise MalformedStatementError(
            "public key is not a usable Ed25519 key (a small-order or non-canonical point)"
        )
    return public_key


@dataclass(frozen=True, repr=False)
class Keypair:
    """An Ed25519 signing key. ``repr`` never shows the secret."""

    seed: bytes

    @classmethod
    def generate(cls) -> Keypair:
        """A fresh random key."""
        return cls(bytes(SigningKey.generate()))

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return bytes(SigningKey(self.seed).verify_key)

    @property
    def public_key_b64(self) -> str:
        """The public key as standard base64."""
        return b64encode(self.public_key)

    @property
    def key_id(self) -> KeyID:
        """The key ID of the public key."""
        return key_id_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return SigningKey(self.seed).sign(message).signature

    def __repr__(self) -> str:
        return f"Keypair(key_id={self.key_id!r})"


def verify(*, public_key: bytes, signature: bytes, message: bytes) -> None:
    """Check an Ed25519 signature; return ``None`` or raise ``InvalidSignatureError``."""
    if len(signature) != SIGNATURE_SIZE:
        raise InvalidSignatureError(f"signature must be {SIGNATURE_SIZE} bytes")
    try:
        VerifyKey(public_key).verify(message, signature)
    except (BadSignatureError, CryptoError, ValueError, TypeError) as e:
        raise InvalidSignatureError("signature does not verify") from e
