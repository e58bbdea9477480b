"""Files written atomically: a temporary file beside the target, fsync, rename, fsync the folder.

A reader sees the old file or the whole new one, never a part, and a file that was reported
written survives a crash or a power cut.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` when the block ends without an exception.

    If the block raises, the temporary file is removed and ``path`` is left as it was.
    Raises ``OSError`` if the folder does not exist or cannot be written.
    """
    folder = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably (see ``atomic_writer``)."""
    with atomic_writer(path) as file:
        file.write(data)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
