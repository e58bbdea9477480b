"""Witness cosignatures: C2SP tlog-cosignature v1.0.1, ``cosignature/v1`` with Ed25519.

A cosignature is a signed-note signature line added to a checkpoint by a witness::

    — <witness name> base64(4-byte key ID || 8-byte big-endian timestamp || 64-byte signature)

The signature is over ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint's
note body (with its final newline, without signature lines). The key ID is
SHA-256(name || 0x0A || 0x04 || public key)[:4], so a log's own key and a witness key never
share an ID even when they share a name. Keys are written as signed-note vkeys with type
byte 0x04, ``<name>+<hex key ID>+base64(0x04 || public key)``, and signer keys as
``PRIVATE+KEY+<name>+<hex key ID>+base64(0x04 || seed)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from ledger.errors import InvalidCheckpointError
from ledger.note import (
    MAX_SIGNATURES,
    SIGNATURE_PREFIX,
    SIGNATURE_SIZE,
    NamedKey,
    NamedSigner,
    NoteKeyID,
    b64encode,
    decode_note,
    key_id_of,
    parse_signature_line,
    split_note,
)

SIG_TYPE_COSIGNATURE_V1 = 0x04
"""The signed-note signature type byte of an Ed25519 ``cosignature/v1`` key."""

HEADER = b"cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
TIMESTAMP_SIZE = 8


def cosigner_key_id(name: str, public_key: bytes) -> NoteKeyID:
    """SHA-256(name || 0x0A || 0x04 || public key)[:4], as a big-endian uint32."""
    return key_id_of(name, public_key, SIG_TYPE_COSIGNATURE_V1)


def cosigned_message(body: str, timestamp: int) -> bytes:
    """What a witness signs: the header line, the time line, then the checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"a cosignature timestamp is 0 to 2^63-1, not {timestamp}")
    return HEADER + b"time %d\n" % timestamp + body.encode()


@dataclass(frozen=True)
class Cosignature:
    """One verified cosignature: whose, when, and its signature line (with newline)."""

    witness: CosignerVerifier
    timestamp: int
    line: str


class CosignerVerifier(NamedKey):
    """A witness's public key (type 0x04): a name and 32 Ed25519 bytes."""

    SIG_TYPE = SIG_TYPE_COSIGNATURE_V1
    WHAT = "witness key"
    SIGNER_WHAT = "witness signer key"

    def verify(self, body: str, timestamp: int, signature: bytes) -> None:
        """Check a cosignature of ``body`` at ``timestamp``; ``InvalidCheckpointError`` if bad."""
        if len(signature) != SIGNATURE_SIZE:
            raise InvalidCheckpointError(f"cosignature by {self.name} has the wrong length")
        try:
            VerifyKey(self.public_key).verify(cosigned_message(body, timestamp), signature)
        except (BadSignatureError, ValueError) as e:
            raise InvalidCheckpointError(f"cosignature by {self.name} does not verify") from e


class Cosigner(NamedSigner[CosignerVerifier]):
    """A witness's signing key. Its ``repr`` never shows the secret."""

    __slots__ = ()
    VERIFIER = CosignerVerifier

    def cosign(self, body: str, timestamp: int) -> str:
        """The signature line (ending in a newline) cosigning checkpoint ``body``."""
        signature = self.sign(cosigned_message(body, timestamp))
        raw = self.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(raw)}\n"


def open_cosignatures(
    note: str | bytes, witnesses: Sequence[CosignerVerifier]
) -> tuple[str, list[Cosignature]]:
    """The note's body and the cosignatures in it by ``witnesses``, each verified.

    Lines by other keys (the log's own signature among them) are ignored, as signed-note
    verifiers do. A line that names a known witness and does not verify, or whose time is not
    a valid timestamp, refuses the whole note (``InvalidCheckpointError``). One witness's
    repeated lines count once: the first that verifies is kept.
    """
    body, lines = split_note(decode_note(note))
    known = {(w.name, w.key_id): w for w in witnesses}
    found: dict[CosignerVerifier, Cosignature] = {}
    for line in lines:
        name, key_id, raw = parse_signature_line(line)
        witness = known.get((name, key_id))
        if witness is None:
            continue
        if len(raw) != TIMESTAMP_SIZE + SIGNATURE_SIZE:
            raise InvalidCheckpointError(f"cosignature by {name} has the wrong length")
        timestamp = int.from_bytes(raw[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            raise InvalidCheckpointError(f"cosignature by {name} has a timestamp past 2^63-1")
        witness.verify(body, timestamp, raw[TIMESTAMP_SIZE:])
        found.setdefault(witness, Cosignature(witness, timestamp, line + "\n"))
    return body, list(found.values())


def with_cosignatures(note: str, lines: Iterable[str]) -> str:
    """``note`` with the signature ``lines`` appended, leaving out lines it already holds.

    Raises ``InvalidCheckpointError`` if the result would hold more than ``MAX_SIGNATURES``.
    """
    held = set(note.splitlines(keepends=True))
    extra = [line for line in dict.fromkeys(lines) if line not in held]
    merged = note + "".join(extra)
    if len(split_note(merged)[1]) > MAX_SIGNATURES:
        raise InvalidCheckpointError(f"a note holds at most {MAX_SIGNATURES} signatures")
    return merged
