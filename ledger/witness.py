"""A transparency log witness: C2SP tlog-witness v1.0.0 ``add-checkpoint``, without HTTP.

A request body is an ``old <size>`` line, up to 63 base64 consistency proof lines, an empty
line and a signed checkpoint. The witness checks it against the latest checkpoint it cosigned
for that origin and, if it extends it, stores the new checkpoint durably and answers with its
cosignature (C2SP tlog-cosignature v1.0.1, ``ledger.cosignature``). Each refusal is a
``WitnessError`` naming the HTTP answer the spec gives it (``api.witness_app`` maps them).

Requests for one origin are serialised by a lock, so checking the old size and storing the new
checkpoint are one atomic step: the witness never cosigns two inconsistent checkpoints.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.checkpoint import MAX_TREE_SIZE, Checkpoint, open_checkpoint, parse_checkpoint_body
from ledger.cosignature import Cosigner
from ledger.errors import (
    BadWitnessRequestError,
    InconsistentCheckpointError,
    InvalidCheckpointError,
    InvalidProofError,
    SizeConflictError,
    UnknownLogError,
    UntrustedCheckpointError,
)
from ledger.merkle import verify_consistency
from ledger.note import (
    NoteVerifier,
    b64decode,
    b64encode,
    decode_note,
    parse_signature_line,
    split_note,
)
from ledger.witness_state import Cosigned, StateDirectory

MAX_REQUEST_SIZE = 64 * 1024
"""Largest ``add-checkpoint`` body accepted, in bytes."""

MAX_PROOF_LINES = 63
"""tlog-witness: a client MUST NOT send more than 63 consistency proof lines."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""RFC 6962 §2.1: the root of the empty tree."""

_OLD_LINE = re.compile("old (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed ``add-checkpoint`` body: the old size, the proof and the signed note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The ``add-checkpoint`` body ``parse_add_checkpoint`` reads: what a log sends."""
    lines = [f"old {old_size}", *(b64encode(h) for h in proof)]
    return ("".join(f"{line}\n" for line in lines) + "\n" + note).encode()


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse an ``add-checkpoint`` body (tlog-witness v1.0.0, "add-checkpoint").

    1. At most ``MAX_REQUEST_SIZE`` bytes, valid UTF-8.
    2. An old size line ``old <size>``: ASCII decimal, no leading zero, at most 2^64-1.
    3. Zero to 63 lines, each the canonical standard base64 of a 32-byte hash.
    4. An empty line, then a signed note (its text, a blank line, signature lines).

    Raises ``BadWitnessRequestError`` naming the fault otherwise.
    """
    if len(body) > MAX_REQUEST_SIZE:
        raise BadWitnessRequestError(f"request body is larger than {MAX_REQUEST_SIZE} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadWitnessRequestError("request body is not valid UTF-8") from e
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise BadWitnessRequestError("no empty line after the old size and proof lines")
    old_line, *proof_lines = head.split("\n")
    old = _OLD_LINE.fullmatch(old_line)
    if old is None or int(old[1]) > MAX_TREE_SIZE:
        raise BadWitnessRequestError("the first line must be 'old <size>' in decimal")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise BadWitnessRequestError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    return AddCheckpoint(int(old[1]), tuple(map(_proof_hash, proof_lines)), note)


def _proof_hash(line: str) -> bytes:
    try:
        digest = b64decode(line)
    except ValueError as e:
        raise BadWitnessRequestError("a proof line is not canonical base64") from e
    if len(digest) != len(EMPTY_ROOT):
        raise BadWitnessRequestError(f"a proof line is not a {len(EMPTY_ROOT)}-byte hash")
    return digest


def parse_checkpoint_note(note: str) -> Checkpoint:
    """The checkpoint in a signed note, checking its form but no signature.

    The note's text must be the checkpoint's canonical encoding, so that the bytes cosigned
    are the bytes the log signed. Raises ``BadWitnessRequestError`` if the note or its
    signature lines are malformed or its text is not a checkpoint.
    """
    try:
        text, lines = split_note(decode_note(note))
        for line in lines:
            parse_signature_line(line)
        checkpoint = parse_checkpoint_body(text)
    except InvalidCheckpointError as e:
        raise BadWitnessRequestError(str(e)) from e
    if checkpoint.body() != text:  # what is cosigned is exactly what the log signed
        raise BadWitnessRequestError("checkpoint: the text is not in canonical form")
    return checkpoint


def check_extends(latest: Cosigned | None, request: AddCheckpoint, checkpoint: Checkpoint) -> None:
    """Check that ``checkpoint`` may be cosigned after ``latest`` (tlog-witness v1.0.0).

    1. The old size is at most the checkpoint's size (else ``BadWitnessRequestError``).
    2. The old size is the size last cosigned, or 0 if none (else ``SizeConflictError``).
    3. A checkpoint of size 0 has the empty tree's root (else ``InconsistentCheckpointError``).
    4. From old size 0 the proof is empty (else ``InconsistentCheckpointError``).
    5. At the same size, the root is the one cosigned (else ``SizeConflictError``) and the
       proof empty; otherwise the proof is an RFC 6962 consistency proof from the cosigned
       root (else ``InconsistentCheckpointError``).
    """
    old = request.old_size
    if old > checkpoint.size:
        raise BadWitnessRequestError(
            f"old size {old} is larger than the checkpoint's size {checkpoint.size}"
        )
    known = latest.size if latest is not None else 0
    if old != known:
        raise SizeConflictError(f"the latest cosigned size is {known}, not {old}", size=known)
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        raise InconsistentCheckpointError("a checkpoint of size 0 must have the empty root")
    if latest is None or old == 0:
        if request.proof:
            raise InconsistentCheckpointError("the proof from old size 0 must be empty")
        return
    if old == checkpoint.size and checkpoint.root != latest.root:
        raise SizeConflictError(f"a different root for the cosigned size {old}", size=known)
    try:
        verify_consistency(
            size1=old,
            size2=checkpoint.size,
            root1=latest.root,
            root2=checkpoint.root,
            path=request.proof,
        )
    except InvalidProofError as e:
        raise InconsistentCheckpointError(f"consistency proof does not verify: {e}") from e


def trusted_logs(verifiers: Sequence[NoteVerifier]) -> dict[str, tuple[NoteVerifier, ...]]:
    """The log keys by origin: a key's name is the origin it signs for."""
    logs: dict[str, tuple[NoteVerifier, ...]] = {}
    for verifier in verifiers:
        held = logs.get(verifier.name, ())
        if verifier not in held:
            logs[verifier.name] = (*held, verifier)
    return logs


class Witness:
    """A witness: its cosigning key, the log keys it trusts and its state directory.

    ``add_checkpoint`` is safe to call from several threads at once; calls for the same
    origin run one at a time.
    """

    def __init__(
        self,
        cosigner: Cosigner,
        logs: Sequence[NoteVerifier],
        state: StateDirectory,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not logs:
            raise ValueError("a witness needs at least one log key")
        self.cosigner = cosigner
        self.logs = trusted_logs(logs)
        self._state = state
        self._clock = clock
        self._locks = {origin: threading.Lock() for origin in self.logs}
        self._latest: dict[str, Cosigned | None] = {}

    def latest(self, origin: str) -> Cosigned | None:
        """The latest checkpoint cosigned for a trusted ``origin``, or ``None``."""
        with self._locks[origin]:
            return self._load(origin)

    def add_checkpoint(self, body: bytes) -> str:
        """Answer an ``add-checkpoint`` body with the cosignature line (ending in a newline).

        The new checkpoint is stored durably before this returns. Raises, storing nothing:
        ``BadWitnessRequestError`` (400), ``UnknownLogError`` (404),
        ``UntrustedCheckpointError`` (403), ``SizeConflictError`` (409, with the size last
        cosigned), ``InconsistentCheckpointError`` (422), or ``WitnessStateError`` if the
        state cannot be read.
        """
        request = parse_add_checkpoint(body)
        checkpoint = parse_checkpoint_note(request.note)
        verifiers = self.logs.get(checkpoint.origin)
        if verifiers is None:
            raise UnknownLogError(f"no trusted key for the origin {checkpoint.origin!r}")
        try:
            open_checkpoint(request.note, verifiers)
        except InvalidCheckpointError as e:
            raise UntrustedCheckpointError(str(e)) from e
        with self._locks[checkpoint.origin]:
            latest = self._load(checkpoint.origin)
            check_extends(latest, request, checkpoint)
            line = self.cosigner.cosign(checkpoint.body(), int(self._clock()))
            cosigned = Cosigned(
                checkpoint.size, checkpoint.root, _stored_note(request.note, verifiers, line)
            )
            self._state.save(checkpoint.origin, cosigned)
            self._latest[checkpoint.origin] = cosigned
        return line

    def _load(self, origin: str) -> Cosigned | None:
        if origin not in self._latest:
            self._latest[origin] = self._state.load(origin)
        return self._latest[origin]


def _stored_note(note: str, verifiers: Sequence[NoteVerifier], cosignature: str) -> str:
    """The note kept as state: the text, the trusted log's signatures and the cosignature."""
    text, lines = split_note(note)
    trusted = {(v.name, v.key_id) for v in verifiers}
    kept = [line + "\n" for line in lines if parse_signature_line(line)[:2] in trusted]
    return text + "\n" + "".join(kept) + cosignature
