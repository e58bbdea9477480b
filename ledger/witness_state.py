"""A witness's state directory: per log origin, the latest checkpoint it cosigned.

Layout of the directory (docs/formats.md §8)::

    DIR/lock                  held with an exclusive fcntl.flock by the serving process
    DIR/logs/<sha256(origin) in hex>
                              the latest cosigned checkpoint as a signed note: the log's
                              verified signatures, then the witness's cosignature

Each log file is replaced atomically (temporary file, fsync, rename, fsync of the directory),
so after a crash it holds either the old checkpoint or the new one, never a mix.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ledger.atomic import TMP_SUFFIX, make_directory, write_atomically
from ledger.checkpoint import parse_checkpoint_body
from ledger.errors import InvalidCheckpointError, WitnessStateError
from ledger.note import decode_note, split_note

LOCK_FILE = "lock"
LOGS_DIR = "logs"


@dataclass(frozen=True)
class Cosigned:
    """The latest checkpoint a witness cosigned for one origin: size, root and signed note."""

    size: int
    root: bytes
    note: str


def log_file_name(origin: str) -> str:
    """The file of an origin's state: lowercase hex SHA-256 of the origin line."""
    return hashlib.sha256(origin.encode()).hexdigest()


class StateDirectory:
    """An open state directory, locked for this process until ``close``.

    Raises ``WitnessStateError`` if another process holds the lock or the directory cannot be
    made. Leftover temporary files of an interrupted write are removed.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._logs = root / LOGS_DIR
        try:
            make_directory(root)
            self._lock_fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise WitnessStateError(f"cannot open the state directory {root}: {e}") from e
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            os.close(self._lock_fd)
            raise WitnessStateError(f"{root} is in use by another witness process") from e
        make_directory(self._logs)
        for leftover in self._logs.glob(f".*{TMP_SUFFIX}"):
            leftover.unlink()

    def load(self, origin: str) -> Cosigned | None:
        """The latest checkpoint cosigned for ``origin``, or ``None`` if there is none.

        Raises ``WitnessStateError`` if the file is unreadable, is not a checkpoint note, or
        names another origin.
        """
        path = self._logs / log_file_name(origin)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise WitnessStateError(f"cannot read {path}: {e}") from e
        try:
            note = decode_note(data)
            checkpoint = parse_checkpoint_body(split_note(note)[0])
        except InvalidCheckpointError as e:
            raise WitnessStateError(f"{path} is not a checkpoint note: {e}") from e
        if checkpoint.origin != origin:
            raise WitnessStateError(f"{path} holds the state of another origin")
        return Cosigned(checkpoint.size, checkpoint.root, note)

    def save(self, origin: str, cosigned: Cosigned) -> None:
        """Replace ``origin``'s state by ``cosigned``, durably, before returning."""
        write_atomically(self._logs / log_file_name(origin), cosigned.note.encode(), mode=0o644)

    def close(self) -> None:
        """Release the lock."""
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> StateDirectory:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
