"""C2SP tlog-checkpoints: a log's tree head as a signed note (c2sp.org/tlog-checkpoint).

The note text is exactly::

    <origin>\\n
    <tree size, decimal>\\n
    <base64 of the 32-byte RFC 6962 root hash>\\n
    [<extension line>\\n ...]
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.errors import InvalidCheckpointError
from ledger.note import NoteSigner, NoteVerifier, open_note, sign_note

HASH_SIZE = 32
"""Bytes in a root hash (SHA-256, RFC 9162 §2.1)."""

MAX_TREE_SIZE = 2**64 - 1
"""Largest tree size accepted: sizes are uint64 in every implementation we interoperate with."""

_SIZE = re.compile("0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x1f]")


@dataclass(frozen=True)
class Checkpoint:
    """A log's origin, tree size and root hash, plus opaque extension lines.

    Construction checks the fields can be written as a note text (see ``parse_checkpoint_body``)
    and raises ``InvalidCheckpointError`` otherwise.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", bytes(self.root))
        object.__setattr__(self, "extensions", tuple(self.extensions))
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise InvalidCheckpointError(f"checkpoint: tree size must be 0..{MAX_TREE_SIZE}")
        if len(self.root) != HASH_SIZE:
            raise InvalidCheckpointError(f"checkpoint: root hash must be {HASH_SIZE} bytes")
        for line in self.extensions:
            _check_line(line, "extension line")

    def body(self) -> str:
        """The note text: origin, size and base64 root, then any extension lines, each + ``\\n``."""
        root = base64.b64encode(self.root).decode("ascii")
        lines = (self.origin, str(self.size), root, *self.extensions)
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse a checkpoint note text, following c2sp.org/tlog-checkpoint, "Note text".

    Checks that the text is at least three non-empty lines, each ending in a newline, and:

    1. the origin is non-empty;
    2. the tree size is ASCII decimal with no sign and no leading zero (``0`` alone for an
       empty tree), at most 2**64 - 1;
    3. the root hash is canonical standard base64 of exactly 32 bytes;
    4. extension lines, if any, are non-empty.

    No line may hold a control character. Raises ``InvalidCheckpointError`` otherwise.
    """
    if not text.endswith("\n"):
        raise InvalidCheckpointError("checkpoint: text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise InvalidCheckpointError("checkpoint: needs origin, size and root hash lines")
    origin, size, root, *extensions = lines
    if _SIZE.fullmatch(size) is None:
        raise InvalidCheckpointError(f"checkpoint: tree size {size[:30]!r} is not canonical")
    return Checkpoint(origin, int(size), _decode_root(root), tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a signed note, signed by the log's ``signer``."""
    return sign_note(checkpoint.body(), [signer])


def open_checkpoint(
    note: str | bytes, verifiers: Sequence[NoteVerifier]
) -> tuple[Checkpoint, list[NoteVerifier]]:
    """Open a signed checkpoint; return it and the known verifiers whose signature verified.

    Signatures by keys not in ``verifiers`` (witnesses, rotated keys) are ignored. Raises
    ``InvalidCheckpointError`` if the note is malformed, a known key's signature fails, no
    known key signed, or the text is not a checkpoint.
    """
    text, verified = open_note(note, verifiers)
    return parse_checkpoint_body(text), verified


def verify_checkpoint(
    note: str | bytes, verifier: NoteVerifier, *, origin: str | None = None
) -> Checkpoint:
    """Open a checkpoint that must carry a valid signature by the log key ``verifier``.

    Other signatures are ignored. If ``origin`` is given, the checkpoint's origin must equal
    it. Raises ``InvalidCheckpointError`` otherwise (see ``open_checkpoint``).
    """
    checkpoint, _ = open_checkpoint(note, [verifier])
    if origin is not None and checkpoint.origin != origin:
        raise InvalidCheckpointError(
            f"checkpoint: origin {checkpoint.origin!r} is not the expected {origin!r}"
        )
    return checkpoint


def _check_line(line: str, what: str) -> None:
    if not line:
        raise InvalidCheckpointError(f"checkpoint: {what} must be non-empty")
    if _CONTROL.search(line) is not None:
        raise InvalidCheckpointError(f"checkpoint: {what} holds a newline or control character")
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidCheckpointError(f"checkpoint: {what} is not valid UTF-8") from e


def _decode_root(text: str) -> bytes:
    try:
        root = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as e:
        raise InvalidCheckpointError("checkpoint: root hash is not standard base64") from e
    if base64.b64encode(root).decode("ascii") != text:
        raise InvalidCheckpointError("checkpoint: root hash is not canonical base64")
    if len(root) != HASH_SIZE:
        raise InvalidCheckpointError(f"checkpoint: root hash must be {HASH_SIZE} bytes")
    return root
