"""Files written all or nothing: a temporary file beside the target, fsync, rename over the
target, fsync the folder, so a crash leaves the old bytes or the new ones, never a mixture.

The temporary file is named ``.<name>.<random>.tmp``: two writers never share one, and a
reader that cleans up after a crash can find them by the pattern ``.*.tmp``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TMP_SUFFIX = ".tmp"


def write_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``, flushed to disk, leaving the folder's fsync to the
    caller (``fsync_directory``) so that many files can share one. Raises ``OSError`` and
    leaves ``path`` as it was if anything fails."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` durably: ``write_file``, then the folder's fsync."""
    write_file(path, data, mode=mode)
    fsync_directory(path.parent)


def fsync_directory(*folders: Path) -> None:
    """Make the renames and new names in ``folders`` durable."""
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_directory(path: Path, mode: int = 0o700) -> None:
    """Create ``path`` if it is missing, durably: its parent is fsynced after."""
    try:
        path.mkdir(mode=mode)
    except FileExistsError:
        return
    fsync_directory(path.parent)
