"""Offline proofs of one entry: C2SP tlog-proof v1 files (``c2sp.org/tlog-proof@v1``).

A proof file holds an entry's index, its RFC 9162 inclusion path and the checkpoint note the
path leads to, with whatever cosignature lines the note carries::

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <decimal>
    <base64 hash>            zero or more: the path, from the leaf's sibling up
    <empty line>
    <checkpoint note, verbatim>

Given the entry's exact bytes, the log's key and (optionally) witness keys, anyone can check
it with no network: ``verify_proof_file``. The extra line is read and ignored, as the spec
says it is not authenticated; we never write one.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.checkpoint import Checkpoint, verify_checkpoint
from ledger.cosignature import Cosignature, CosignerVerifier, open_cosignatures
from ledger.errors import InvalidProofError, LedgerError
from ledger.merkle import HASH_SIZE, hash_leaf, verify_inclusion
from ledger.note import NoteVerifier
from ledger.statement import Entry

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_BYTES = 64 * 1024
"""A proof of a tree of up to 2^64 leaves with a note of 100 signatures fits well within this."""
MAX_PATH = 64
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class ProofFile:
    """A parsed tlog-proof: leaf index, inclusion path and the checkpoint note as written."""

    index: int
    path: tuple[bytes, ...]
    note: str
    extra: bytes | None = None

    def to_bytes(self) -> bytes:
        """The file's bytes (an ``extra`` line only if the proof carries extra data)."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {base64.b64encode(self.extra).decode('ascii')}")
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(node).decode("ascii") for node in self.path)
        return ("\n".join(lines) + "\n\n" + self.note).encode("utf-8")


@dataclass(frozen=True)
class ProvenEntry:
    """What a proof file proves: the entry, the checkpoint that includes it, the witnesses."""

    entry: Entry
    checkpoint: Checkpoint
    cosignatures: list[Cosignature]

    def describe(self) -> list[str]:
        """Lines saying what the entry is: kind, seq, logged_at, and an award's member and
        credits."""
        statement = self.entry.statement
        lines = [
            f"kind       {statement.kind}",
            f"seq        {self.entry.seq}",
            f"logged_at  {self.entry.logged_at}",
        ]
        if statement.kind == "credit.awarded":
            lines.append(f"member     {statement.body.get('member')}")
            lines.append(f"credits    {statement.body.get('credits')}")
            lines.append(f"activity   {statement.body.get('activity')}")
        lines.append(
            f"in         checkpoint {self.checkpoint.size} of {self.checkpoint.origin}"
            f" (root {self.checkpoint.root.hex()})"
        )
        lines.extend(f"witness    {c.witness.name} at {c.timestamp}" for c in self.cosignatures)
        return lines


def parse_proof_file(data: bytes) -> ProofFile:
    """Read a tlog-proof v1 file; ``InvalidProofError`` naming the line that is wrong."""
    if len(data) > MAX_PROOF_BYTES:
        raise InvalidProofError(f"proof file: larger than {MAX_PROOF_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidProofError("proof file: not UTF-8") from e
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise InvalidProofError("proof file: no empty line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise InvalidProofError(f"proof file: line 1 is not {HEADER!r}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = _base64(rest.pop(0)[len("extra ") :], "extra data")
    if not rest or (found := _INDEX.fullmatch(rest[0])) is None:
        raise InvalidProofError("proof file: no 'index <decimal>' line")
    hashes = rest[1:]
    if len(hashes) > MAX_PATH:
        raise InvalidProofError(f"proof file: more than {MAX_PATH} path hashes")
    path = tuple(_hash(line, n) for n, line in enumerate(hashes, start=1))
    return ProofFile(int(found.group(1)), path, note, extra)


def _base64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as e:
        raise InvalidProofError(f"proof file: {what} is not standard base64") from e
    if base64.b64encode(raw).decode("ascii") != text:
        raise InvalidProofError(f"proof file: {what} is not canonical base64")
    return raw


def _hash(line: str, n: int) -> bytes:
    node = _base64(line, f"path hash {n}")
    if len(node) != HASH_SIZE:
        raise InvalidProofError(f"proof file: path hash {n} is not {HASH_SIZE} bytes")
    return node


def verify_proof_file(
    proof: ProofFile,
    entry_bytes: bytes,
    *,
    log_verifier: NoteVerifier,
    witnesses: Sequence[CosignerVerifier] = (),
    quorum: int = 0,
) -> ProvenEntry:
    """Check a proof of ``entry_bytes`` with no network, in this order:

    1. The checkpoint note carries a valid signature by ``log_verifier``, and its origin is
       the log key's name (``InvalidCheckpointError`` otherwise).
    2. SHA-256(0x00 || entry bytes) is leaf ``index`` of the checkpoint's tree: the path
       leads to its root (RFC 9162 §2.1.3.2; ``InvalidProofError``).
    3. The entry bytes are a canonical entry whose seq is ``index`` and whose statement names
       the checkpoint's origin (``InvalidProofError``).
    4. At least ``quorum`` of ``witnesses`` cosigned the note, each verified (C2SP
       tlog-cosignature); a bad line by a listed witness refuses the proof
       (``InvalidCheckpointError``, or ``InvalidProofError`` for too few).
    """
    checkpoint = verify_checkpoint(proof.note, log_verifier, origin=log_verifier.name)
    try:
        verify_inclusion(
            leaf_hash=hash_leaf(entry_bytes),
            index=proof.index,
            size=checkpoint.size,
            path=proof.path,
            root=checkpoint.root,
        )
    except InvalidProofError as e:
        raise InvalidProofError(f"inclusion: the entry's bytes and the path: {e}") from e
    try:
        entry = Entry.parse(entry_bytes)
    except LedgerError as e:
        raise InvalidProofError(f"entry: not a well-formed entry: {e}") from e
    if entry.seq != proof.index:
        raise InvalidProofError(f"entry: holds seq {entry.seq}, the proof is for {proof.index}")
    if entry.statement.origin != checkpoint.origin:
        raise InvalidProofError(f"entry: names origin {entry.statement.origin!r}")
    cosignatures: list[Cosignature] = []
    if witnesses or quorum:
        _, cosignatures = open_cosignatures(proof.note, witnesses)
        if len(cosignatures) < quorum:
            raise InvalidProofError(
                f"checkpoint: {len(cosignatures)} valid cosignature(s) by the given witnesses,"
                f" {quorum} required"
            )
    return ProvenEntry(entry, checkpoint, cosignatures)
