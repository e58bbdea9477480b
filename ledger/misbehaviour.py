"""Misbehaviour proofs: self-contained evidence that a log signed two inconsistent checkpoints.

A proof (docs/formats.md §12) holds the log's verifier key, two checkpoint notes signed by
it for the same origin, and, when their sizes differ, the hashes of the larger tree that
RFC 9162 §2.1.4.2 folds into both roots. Those hashes lead to the larger checkpoint's root,
so they also fix the root of its first ``size1`` leaves; when that root is not the smaller
checkpoint's, no consistency proof can exist between the two and the log forked. Equal sizes
need no hashes: two roots for one size are a fork. Checked with no network.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.checkpoint import Checkpoint, verify_checkpoint
from ledger.errors import LedgerError, MisbehaviourError
from ledger.merkle import HASH_SIZE, consistency_roots
from ledger.note import NoteVerifier

HEADER = "coopledger/misbehaviour/v1"
"""The first line of every proof."""

MAX_BYTES = 65_536
"""The largest proof read: two notes of 16 signature lines and 128 hashes fit easily."""

MAX_NODES = 128
"""More hashes than any consistency path between two uint64 tree sizes needs."""

_SIZE = "(0|[1-9][0-9]{0,19})"
_LOG = re.compile(r"log (\S{1,400})")
_SIZES = re.compile(f"sizes {_SIZE} {_SIZE}")
_SIGNATURE = "\u2014 "


@dataclass(frozen=True)
class MisbehaviourProof:
    """The parts of a proof: ``first`` is the note of the smaller (or equal) tree size."""

    log_key: str
    first: str
    second: str
    size1: int
    size2: int
    nodes: tuple[bytes, ...] = ()

    def render(self) -> str:
        """The proof's text, byte for byte as docs/formats.md §12 writes it."""
        hashes = "".join(base64.b64encode(n).decode("ascii") + "\n" for n in self.nodes)
        head = f"{HEADER}\nlog {self.log_key}\nsizes {self.size1} {self.size2}\n"
        return f"{head}{hashes}\n{self.first}\n{self.second}"


@dataclass(frozen=True)
class Fork:
    """What a proof shows: the log's two checkpoints, and the root the larger one fixes for
    the smaller one's size (``None`` when the sizes are equal)."""

    first: Checkpoint
    second: Checkpoint
    prefix_root: bytes | None

    def summary(self) -> str:
        """One line naming the log, both sizes and roots."""
        a, b = self.first, self.second
        said = f"log {a.origin} signed checkpoint {a.size} (root {a.root.hex()})"
        if self.prefix_root is None:
            return f"{said} and checkpoint {b.size} with another root ({b.root.hex()})"
        return (
            f"{said} and checkpoint {b.size} (root {b.root.hex()}), whose first {a.size} "
            f"entries have root {self.prefix_root.hex()}: no consistency proof can exist"
        )


def fork_nodes(size1: int, path: Sequence[bytes], prefix_root: bytes) -> tuple[bytes, ...]:
    """The hashes a proof carries for sizes ``size1 < size2``: the larger tree's consistency
    path (RFC 9162 §2.1.4.1), after the root of its first ``size1`` leaves when ``size1`` is
    a power of two (the node a consistency proof leaves out, as its verifier holds it)."""
    return (prefix_root, *path) if size1 & (size1 - 1) == 0 else tuple(path)


def make_proof(
    verifier: NoteVerifier, note1: str, note2: str, nodes: Sequence[bytes] = ()
) -> MisbehaviourProof:
    """A proof from two notes (smaller size first) and, for different sizes, ``fork_nodes``.

    Raises ``MisbehaviourError`` if a note does not verify under ``verifier``.
    """
    a, b = _open(note1, verifier, None), _open(note2, verifier, None)
    return MisbehaviourProof(verifier.vkey(), note1, note2, a.size, b.size, tuple(nodes))


def parse_proof(text: str | bytes) -> MisbehaviourProof:
    """Read a proof's text; raises ``MisbehaviourError`` if it is not exactly in the format."""
    if len(text) > MAX_BYTES:
        raise MisbehaviourError(f"a misbehaviour proof is at most {MAX_BYTES} bytes")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MisbehaviourError("a misbehaviour proof is UTF-8 text") from e
    head, sep, rest = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) < 3 or lines[0] != HEADER:
        raise MisbehaviourError(f"not a misbehaviour proof: its first line must be {HEADER}")
    log, sizes = _LOG.fullmatch(lines[1]), _SIZES.fullmatch(lines[2])
    if log is None or sizes is None:
        raise MisbehaviourError("a misbehaviour proof names its log key and two sizes")
    if len(lines) - 3 > MAX_NODES:
        raise MisbehaviourError(f"a misbehaviour proof carries at most {MAX_NODES} hashes")
    nodes = tuple(_hash(line) for line in lines[3:])
    first, second = _split_notes(rest)
    proof = MisbehaviourProof(
        log.group(1), first, second, int(sizes.group(1)), int(sizes.group(2)), nodes
    )
    if proof.render() != text:
        raise MisbehaviourError("a misbehaviour proof must be written exactly as specified")
    return proof


def _hash(line: str) -> bytes:
    try:
        node = base64.b64decode(line, validate=True)
    except binascii.Error as e:
        raise MisbehaviourError(f"not a base64 hash: {line[:60]!r}") from e
    if len(node) != HASH_SIZE or base64.b64encode(node).decode("ascii") != line:
        raise MisbehaviourError(f"not the base64 of a {HASH_SIZE}-byte hash: {line[:60]!r}")
    return node


def _split_notes(rest: str) -> tuple[str, str]:
    """The first note runs to the end of its signature lines; an empty line; the second."""
    lines = rest.split("\n")
    if "" not in lines:
        raise MisbehaviourError("a misbehaviour proof holds two signed checkpoint notes")
    end = lines.index("") + 1
    while end < len(lines) and lines[end].startswith(_SIGNATURE):
        end += 1
    if end >= len(lines) or lines[end] != "":
        raise MisbehaviourError("a misbehaviour proof holds two notes, an empty line between")
    return "\n".join(lines[:end]) + "\n", "\n".join(lines[end + 1 :])


def _open(note: str, verifier: NoteVerifier, origin: str | None) -> Checkpoint:
    try:
        return verify_checkpoint(note, verifier, origin=origin)
    except LedgerError as e:
        raise MisbehaviourError(f"a checkpoint of the proof does not verify: {e}") from e


def verify_proof(proof: MisbehaviourProof, verifier: NoteVerifier | None = None) -> Fork:
    """Check that ``proof`` shows the log of ``verifier`` (default: the key the proof names)
    signing two inconsistent checkpoints; return the fork.

    1. The proof's key is ``verifier``'s; both notes verify under it, for one origin, at
       the sizes the proof names, smaller first.
    2. Equal sizes: no hashes, and two different roots.
    3. Sizes ``size1 < size2``: the hashes, folded by RFC 9162 §2.1.4.2 (``consistency_roots``),
       lead to the second root, and to a root for ``size1`` that is not the first root.

    Raises ``MisbehaviourError`` if any step fails: the proof then shows no misbehaviour.
    """
    try:
        named = NoteVerifier.from_vkey(proof.log_key)
    except LedgerError as e:
        raise MisbehaviourError(f"the proof's log key is not a verifier key: {e}") from e
    if verifier is not None and verifier.vkey() != named.vkey():
        raise MisbehaviourError(f"the proof is about log key {named.vkey()}, not the one given")
    a = _open(proof.first, named, None)
    b = _open(proof.second, named, a.origin)
    if (a.size, b.size) != (proof.size1, proof.size2) or a.size > b.size:
        raise MisbehaviourError("the proof's sizes are not its checkpoints' sizes, smaller first")
    if a.size == b.size:
        if proof.nodes:
            raise MisbehaviourError("checkpoints of one size need no hashes")
        if hmac.compare_digest(a.root, b.root):
            raise MisbehaviourError("the two checkpoints are the same tree: no misbehaviour")
        return Fork(a, b, None)
    if a.size == 0:
        raise MisbehaviourError("every tree is consistent with the empty tree: no misbehaviour")
    try:
        prefix, root = consistency_roots(size1=a.size, size2=b.size, nodes=proof.nodes)
    except LedgerError as e:
        raise MisbehaviourError(f"the proof's hashes are not a consistency path: {e}") from e
    if not hmac.compare_digest(root, b.root):
        raise MisbehaviourError(f"the proof's hashes do not lead to the root of size {b.size}")
    if hmac.compare_digest(prefix, a.root):
        raise MisbehaviourError("the two checkpoints are consistent: no misbehaviour")
    return Fork(a, b, prefix)
