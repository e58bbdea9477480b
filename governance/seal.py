"""Sealed ballots: PyNaCl ``SealedBox`` to a per-proposal X25519 key, and where the keys live.

A hidden proposal's opener asks the server for a fresh public key (``SealKeyStore.create``)
and writes it into the opening entry. Members seal their ballots to it; the plaintext is the
RFC 8785 canonical JSON of ``{"ballot": {...}, "member": id, "proposal": seq}``, so a
ciphertext copied from another voter or proposal opens as spoiled. The closing entry publishes
the private key (``SealKeyStore.private_key``), and from then on anyone can open every ballot.

Private keys are kept like the log key: one file per proposal key, mode 0600, in a directory
of mode 0700, never logged and never shown by ``repr``.
"""

from __future__ import annotations

import hmac
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from governance.bodies import SEAL_KEY_BYTES
from governance.errors import SealKeyError, SealMismatchError, SpoiledBallotError
from ledger.encoding import b64decode, b64encode, canonical_json, parse_canonical
from ledger.errors import MalformedStatementError

SEAL_KEY_TYPE: Final = "coopledger-seal-x25519-v1"


def public_key_of(private_key: bytes) -> bytes:
    """The X25519 public key of a 32-byte private key."""
    return bytes(PrivateKey(private_key).public_key)


def check_key_pair(*, private_key: bytes, public_key: bytes) -> None:
    """Raise ``SealMismatchError`` unless ``private_key`` is the private half of ``public_key``."""
    if len(private_key) != SEAL_KEY_BYTES or not hmac.compare_digest(
        public_key_of(private_key), public_key
    ):
        raise SealMismatchError("the private seal key is not the one the proposal opened with")


def _plaintext(proposal: int, member: str, ballot: Mapping[str, Any]) -> bytes:
    return canonical_json({"ballot": dict(ballot), "member": member, "proposal": proposal})


def seal_ballot(
    *, public_key: bytes, proposal: int, member: str, ballot: Mapping[str, Any]
) -> bytes:
    """Encrypt ``ballot`` for the proposal's key, bound to the proposal and the voter."""
    box = SealedBox(PublicKey(public_key))
    return bytes(box.encrypt(_plaintext(proposal, member, ballot)))


def open_ballot(
    *, private_key: bytes, sealed: bytes, proposal: int, member: str
) -> Mapping[str, Any]:
    """Decrypt a sealed ballot and return the ballot inside.

    Raises ``SpoiledBallotError`` if it does not decrypt with ``private_key``, is not
    canonical JSON of the sealed shape, or is bound to another proposal or member (the
    proposal must be the JSON integer ``proposal``: ``true`` is not 1).
    """
    try:
        plaintext = SealedBox(PrivateKey(private_key)).decrypt(sealed)
    except CryptoError as e:
        raise SpoiledBallotError(
            "the sealed ballot does not decrypt with the proposal key", reason="not_decryptable"
        ) from e
    try:
        value = parse_canonical(plaintext)
    except MalformedStatementError as e:
        raise SpoiledBallotError(
            f"the sealed ballot is not canonical JSON: {e}", reason="not_canonical_json"
        ) from e
    if set(value) != {"ballot", "member", "proposal"} or not isinstance(value["ballot"], dict):
        raise SpoiledBallotError(
            "the sealed ballot is not {ballot, member, proposal}", reason="wrong_shape"
        )
    bound = (value["proposal"], value["member"])
    if type(value["proposal"]) is not int or bound != (proposal, member):
        raise SpoiledBallotError(
            "the sealed ballot was sealed for another proposal or voter",
            reason="wrong_binding",
            opened=value["ballot"],
        )
    ballot: Mapping[str, Any] = value["ballot"]
    return ballot


class SealKeyStore:
    """A directory of per-proposal X25519 key files, ``<public key hex>.seal``, mode 0600."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"SealKeyStore({str(self.directory)!r})"

    def _path(self, public_key: bytes) -> Path:
        return self.directory / f"{public_key.hex()}.seal"

    def create(self) -> bytes:
        """Make a fresh key pair, keep the private half in a new file; return the public half.

        Raises ``SealKeyError`` if the file cannot be created without overwriting.
        """
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        private = PrivateKey.generate()
        public = bytes(private.public_key)
        document = {
            "type": SEAL_KEY_TYPE,
            "public_key": b64encode(public),
            "private_key": b64encode(bytes(private)),
        }
        try:
            fd = os.open(self._path(public), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as e:
            raise SealKeyError(f"cannot create a seal key file in {self.directory}: {e}") from e
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(document) + "\n")
        return public

    def private_key(self, public_key: bytes) -> bytes:
        """The private half of ``public_key``, read from its file.

        Raises ``SealKeyError`` if there is no such file, it is readable by group or others,
        or it does not hold the private half of ``public_key``.
        """
        path = self._path(public_key)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError as e:
            raise SealKeyError(f"no seal key file for {public_key.hex()}") from e
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SealKeyError(f"{path} is readable by others; chmod 600 it")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("type") != SEAL_KEY_TYPE:
                raise SealKeyError(f"{path} is not a {SEAL_KEY_TYPE} file")
            private = b64decode(document["private_key"], length=SEAL_KEY_BYTES, what="key")
        except (ValueError, KeyError, TypeError, AttributeError, MalformedStatementError) as e:
            raise SealKeyError(f"{path} is not a valid seal key file") from e
        try:
            check_key_pair(private_key=private, public_key=public_key)
        except SealMismatchError as e:
            raise SealKeyError(f"{path} does not hold the private half of its key") from e
        return private
