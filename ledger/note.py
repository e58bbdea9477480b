"""C2SP signed notes with Ed25519 keys (c2sp.org/signed-note, as golang.org/x/mod/sumdb/note).

A signed note is a text ending in a newline, a blank line, and one or more signature lines::

    <text, ending in "\\n">
    <blank line>
    — <key name> base64(4-byte key ID || 64-byte Ed25519 signature of the text)

Keys are written in the Go ``note`` package's text forms: a verifier key
``<name>+<hex key ID>+base64(0x01 || public key)`` and a signer key
``PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 || seed)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Generic, NewType, Self, TypeVar, cast

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ledger.errors import InvalidCheckpointError, InvalidSignatureError, KeyFileError

NoteKeyID = NewType("NoteKeyID", int)
K = TypeVar("K", bound="NamedKey")
"""A signed-note key ID: the first 4 bytes of a SHA-256, as a big-endian uint32."""

SIG_TYPE_ED25519 = 0x01
"""The signed-note signature type byte of Ed25519 (c2sp.org/signed-note, "Signature types")."""

MAX_SIGNATURES = 100
"""Most signature lines accepted in one note; the spec requires at least 16 (as Go: 100)."""

PUBLIC_KEY_SIZE = 32
SEED_SIZE = 32
SIGNATURE_SIZE = 64

SIGNATURE_PREFIX = "\u2014 "
"""Em dash (U+2014) and space: the start of every signature line."""

SKEY_PREFIX = "PRIVATE+KEY+"

# Unicode White_Space (what Go's unicode.IsSpace reports): key names must avoid all of it.
_WHITE_SPACE = frozenset(
    chr(c)
    for c in (
        *range(0x09, 0x0E),
        0x20,
        0x85,
        0xA0,
        0x1680,
        *range(0x2000, 0x200B),
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
    )
)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX_ID = re.compile("[0-9a-fA-F]{8}")


def is_valid_key_name(name: str) -> bool:
    """Whether ``name`` may name a key: non-empty UTF-8 with no Unicode space and no ``+``.

    Control characters are refused too: a name holding one could never appear in a note.
    """
    return (
        bool(name)
        and "+" not in name
        and not _WHITE_SPACE.intersection(name)
        and _CONTROL.search(name) is None
        and _encodes_as_utf8(name)
    )


def key_id_of(name: str, public_key: bytes, sig_type: int) -> NoteKeyID:
    """A signed-note key ID: SHA-256(name || 0x0A || type byte || public key)[:4]."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return NoteKeyID(int.from_bytes(digest[:4], "big"))


def note_key_id(name: str, public_key: bytes) -> NoteKeyID:
    """The key ID of an Ed25519 note key: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return key_id_of(name, public_key, SIG_TYPE_ED25519)


@dataclass(frozen=True)
class NamedKey:
    """A named Ed25519 public key of a signed-note signature type; its key ID is derived.

    Subclasses set ``SIG_TYPE`` (the vkey's type byte, part of the key ID), and ``WHAT`` and
    ``SIGNER_WHAT`` (how errors name the public and the secret key).
    """

    SIG_TYPE: ClassVar[int] = SIG_TYPE_ED25519
    WHAT: ClassVar[str] = "verifier key"
    SIGNER_WHAT: ClassVar[str] = "signer key"

    name: str
    public_key: bytes = field(repr=False)
    key_id: NoteKeyID = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise ValueError(f"invalid key name {self.name!r}")
        if len(self.public_key) != PUBLIC_KEY_SIZE:
            raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")
        object.__setattr__(self, "public_key", bytes(self.public_key))
        object.__setattr__(self, "key_id", key_id_of(self.name, self.public_key, self.SIG_TYPE))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey()!r})"

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        """Parse ``<name>+<hex key ID>+base64(type || public key)``.

        Checks the name rules, that the hex ID is 8 digits, the type byte is ``SIG_TYPE``, the
        key is 32 bytes, and the stated ID is the one computed from name and key. Raises
        ``KeyFileError`` otherwise.
        """
        name, key_id, key = parse_key_string(vkey, cls.WHAT, cls.SIG_TYPE)
        if key_id != key_id_of(name, key, cls.SIG_TYPE):
            raise KeyFileError(f"{cls.WHAT}: key ID does not match the name and public key")
        return cls(name, key)

    def vkey(self) -> str:
        """The verifier key string, as ``from_vkey`` reads it."""
        return format_key_string(self.name, self.key_id, self.public_key, self.SIG_TYPE)


class NoteVerifier(NamedKey):
    """A log's note key (type 0x01): it signs checkpoints as signed notes."""

    def verify(self, *, message: bytes, signature: bytes) -> None:
        """Check a 64-byte Ed25519 ``signature`` of ``message``.

        Returns ``None``; raises ``InvalidSignatureError`` if it does not verify.
        """
        if len(signature) != SIGNATURE_SIZE:
            raise InvalidSignatureError(f"an Ed25519 signature is {SIGNATURE_SIZE} bytes")
        try:
            VerifyKey(self.public_key).verify(message, signature)
        except BadSignatureError as e:
            raise InvalidSignatureError(f"signature by {self.name} does not verify") from e


class NamedSigner(Generic[K]):
    """A named Ed25519 signing key whose public half is a ``K``. Its ``repr`` hides the secret."""

    __slots__ = ("_key", "_verifier")
    VERIFIER: ClassVar[type[NamedKey]] = NamedKey

    def __init__(self, name: str, signing_key: SigningKey) -> None:
        """Raises ``ValueError`` if ``name`` breaks the key-name rules."""
        self._key = signing_key
        self._verifier = cast(K, self.VERIFIER(name, bytes(signing_key.verify_key)))

    @classmethod
    def generate(cls, name: str) -> Self:
        """A fresh random key named ``name``."""
        return cls(name, SigningKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        """Parse ``PRIVATE+KEY+<name>+<hex key ID>+base64(type || 32-byte seed)``.

        Checks the prefix, the name rules, the type byte, the seed length and that the stated
        ID is the one computed from the derived public key. Raises ``KeyFileError`` otherwise.
        """
        what = cls.VERIFIER.SIGNER_WHAT
        if not skey.startswith(SKEY_PREFIX):
            raise KeyFileError(f"{what}: must start with {SKEY_PREFIX!r}")
        body = skey[len(SKEY_PREFIX) :]
        name, key_id, seed = parse_key_string(body, what, cls.VERIFIER.SIG_TYPE)
        signer = cls(name, SigningKey(seed))
        if key_id != signer.key_id:
            raise KeyFileError(f"{what}: key ID does not match the name and public key")
        return signer

    def skey(self) -> str:
        """The signer key string, as ``from_skey`` reads it. Keep it secret."""
        v = self._verifier
        return SKEY_PREFIX + format_key_string(v.name, v.key_id, bytes(self._key), v.SIG_TYPE)

    @property
    def name(self) -> str:
        """The key name."""
        return self._verifier.name

    @property
    def key_id(self) -> NoteKeyID:
        """The key ID."""
        return self._verifier.key_id

    @property
    def verifier(self) -> K:
        """The matching public key (name and public key)."""
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._key.sign(message).signature

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, key_id={self.key_id:08x})"


class NoteSigner(NamedSigner[NoteVerifier]):
    """A log's note signing key (type 0x01)."""

    __slots__ = ()
    VERIFIER = NoteVerifier


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Sign ``text`` with each signer: text, a blank line, one signature line per signer.

    The text must end in a newline and hold no control character but newline (it may hold
    blank lines: a reader splits at the *last* one). Raises ``InvalidCheckpointError`` for
    such a text, ``ValueError`` for no signers, too many, or one key twice.
    """
    _check_note_chars(text)
    if not text.endswith("\n"):
        raise InvalidCheckpointError("malformed note: text must end in a newline")
    if not 0 < len(signers) <= MAX_SIGNATURES:
        raise ValueError(f"a note needs 1 to {MAX_SIGNATURES} signers")
    if len({(s.name, s.key_id) for s in signers}) != len(signers):
        raise ValueError("the same key is given twice")
    message = text.encode()
    return text + "\n" + "".join(_signature_line(s, message) for s in signers)


def _signature_line(signer: NoteSigner, message: bytes) -> str:
    """``— <name> base64(key ID || signature)`` and a newline."""
    encoded = b64encode(signer.key_id.to_bytes(4, "big") + signer.sign(message))
    return f"{SIGNATURE_PREFIX}{signer.name} {encoded}\n"


def open_note(
    note: str | bytes, verifiers: Sequence[NoteVerifier]
) -> tuple[str, list[NoteVerifier]]:
    """Open a signed note; return its text and the known verifiers whose signature verified.

    Follows c2sp.org/signed-note:

    1. The note is valid UTF-8 with no control character other than newline.
    2. The text ends at the last blank line; one or more signature lines follow, each
       ``— <name> <base64>\\n`` with a valid key name and canonical standard base64 of a
       4-byte key ID and a signature. At most ``MAX_SIGNATURES`` lines.
    3. A line whose (name, key ID) is not among ``verifiers`` is ignored, even if it shares
       the name or the ID (but not both) with a known key.
    4. A line from a known key must verify; every such line is checked, repeats included.
    5. At least one known key's signature must verify.

    Raises ``InvalidCheckpointError``, with a message naming the fault, otherwise.
    """
    text, lines = split_note(decode_note(note))
    parsed = [parse_signature_line(line) for line in lines]
    known = _index_verifiers(verifiers)
    message = text.encode()
    verified: list[NoteVerifier] = []
    checked: set[tuple[NoteVerifier, bytes]] = set()
    for name, key_id, signature in parsed:
        if (name, key_id) not in known:
            continue  # step 3
        verifier = known[name, key_id]
        if verifier is None:
            raise InvalidCheckpointError(f"ambiguous known key {name}+{key_id:08x}")
        if (verifier, signature) not in checked:
            _verify_line(verifier, message, signature)
            checked.add((verifier, signature))
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        raise InvalidCheckpointError("note has no verified signature from a known key")
    return text, verified


def decode_note(note: str | bytes) -> str:
    """Step 1: the note as text, checking UTF-8 and control characters."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidCheckpointError("malformed note: not valid UTF-8") from e
    _check_note_chars(note)
    return note


def _check_note_chars(text: str) -> None:
    """Raise ``InvalidCheckpointError`` unless ``text`` is UTF-8 with no control but newline."""
    if not _encodes_as_utf8(text):
        raise InvalidCheckpointError("malformed note: not valid UTF-8")
    if _CONTROL.search(text) is not None:
        raise InvalidCheckpointError("malformed note: control character other than newline")


def split_note(note: str) -> tuple[str, list[str]]:
    """Step 2: split at the last blank line into the text and its signature lines."""
    before, blank, block = note.rpartition("\n\n")
    if not blank:
        raise InvalidCheckpointError("malformed note: no blank line before the signatures")
    if not block.endswith("\n"):
        raise InvalidCheckpointError("malformed note: signature block must end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidCheckpointError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return before + "\n", lines


def parse_signature_line(line: str) -> tuple[str, NoteKeyID, bytes]:
    """Step 2: one signature line as (key name, key ID, signature bytes)."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise InvalidCheckpointError(f"malformed note: not a signature line: {line[:80]!r}")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or not is_valid_key_name(name):
        raise InvalidCheckpointError(f"malformed note: bad key name in {line[:80]!r}")
    try:
        raw = b64decode(encoded)
    except ValueError as e:
        raise InvalidCheckpointError(f"malformed note: bad signature base64 by {name}") from e
    if len(raw) < 5:
        raise InvalidCheckpointError(f"malformed note: signature by {name} is too short")
    return name, NoteKeyID(int.from_bytes(raw[:4], "big")), raw[4:]


def _index_verifiers(
    verifiers: Sequence[NoteVerifier],
) -> dict[tuple[str, NoteKeyID], NoteVerifier | None]:
    """Map (name, key ID) to its verifier, or to ``None`` where two keys share both."""
    index: dict[tuple[str, NoteKeyID], NoteVerifier | None] = {}
    for verifier in verifiers:
        pair = (verifier.name, verifier.key_id)
        if pair in index and index[pair] != verifier:
            index[pair] = None
        else:
            index.setdefault(pair, verifier)
    return index


def _verify_line(verifier: NoteVerifier, message: bytes, signature: bytes) -> None:
    """Step 4: a known key's signature must verify, else the whole note is refused."""
    try:
        verifier.verify(message=message, signature=signature)
    except InvalidSignatureError as e:
        raise InvalidCheckpointError(
            f"signature by known key {verifier.name}+{verifier.key_id:08x} does not verify"
        ) from e


def parse_key_string(
    text: str, what: str, sig_type: int = SIG_TYPE_ED25519
) -> tuple[str, NoteKeyID, bytes]:
    """Split ``<name>+<hex ID>+base64(type || 32 bytes)``; raise ``KeyFileError`` if malformed."""
    name, _, rest = text.partition("+")
    hex_id, plus, encoded = rest.partition("+")
    if not plus or _HEX_ID.fullmatch(hex_id) is None or not is_valid_key_name(name):
        raise KeyFileError(f"{what}: expected <name>+<8 hex digits>+<base64>")
    try:
        raw = b64decode(encoded)
    except ValueError as e:
        raise KeyFileError(f"{what}: key data is not canonical base64") from e
    if raw[:1] != bytes([sig_type]):
        raise KeyFileError(f"{what}: unknown signature type (want 0x{sig_type:02x})")
    if len(raw) != 1 + PUBLIC_KEY_SIZE:
        raise KeyFileError(f"{what}: Ed25519 key data must be {PUBLIC_KEY_SIZE} bytes")
    return name, NoteKeyID(int(hex_id, 16)), raw[1:]


def format_key_string(
    name: str, key_id: NoteKeyID, key: bytes, sig_type: int = SIG_TYPE_ED25519
) -> str:
    """``<name>+<hex ID>+base64(type || key)``, as ``parse_key_string`` reads it."""
    return f"{name}+{key_id:08x}+{b64encode(bytes([sig_type]) + key)}"


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode canonical standard base64 (RFC 4648 §4, zero pad bits); raise ``ValueError``."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as e:
        raise ValueError("not standard base64") from e
    if b64encode(raw) != text:
        raise ValueError("not canonical base64")
    return raw


def _encodes_as_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
