"""Files written all or nothing: a temporary file beside the target, fsync, rename over the
target, fsync the folder, so a crash leaves the old bytes or the new ones, never a mixture.

The temporary file is named ``.<name>.<random>.tmp``: two writers never share one, and a
reader that cleans up after a crash can find them by the pattern ``.*.tmp``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_writer(
    path: Path, *, mode: int = 0o600, sync_directory: bool = True
) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path``, flushed to disk, when the block ends without an
    exception; then the folder is fsynced too, unless ``sync_directory`` is false (so that
    many files can share one ``fsync_directory``). If the block raises, the temporary file is
    removed and ``path`` is left as it was. Raises ``OSError`` if the folder does not exist
    or cannot be written."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), mode)
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if sync_directory:
        fsync_directory(path.parent)


def write_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``, flushed to disk, leaving the folder's fsync to the
    caller (``fsync_directory``)."""
    with atomic_writer(path, mode=mode, sync_directory=False) as file:
        file.write(data)


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` durably, the folder's fsync included."""
    with atomic_writer(path, mode=mode) as file:
        file.write(data)


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
