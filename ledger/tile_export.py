"""Exporting the log as static C2SP tiles: a folder that a static host or CDN serves as is.

The folder holds ``checkpoint`` and ``tile/...`` (``ledger.tiles``), the very bytes the
server's tile endpoints answer. Each file is written to a temporary name, flushed to disk
and renamed into place; the checkpoint last, once every tile it needs is durable, so a
reader of the folder never meets a checkpoint whose tiles are missing. An export into a
folder that holds an earlier export of the same log writes only the tiles added since.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path

from ledger.atomic import fsync_directory, write_file
from ledger.checkpoint import verify_checkpoint
from ledger.errors import InvalidCheckpointError, TileExportError
from ledger.log import LogView
from ledger.note import NoteVerifier
from ledger.store import LogReader
from ledger.tile_read import TileReader
from ledger.tiles import new_tiles

CHECKPOINT = "checkpoint"


@dataclass(frozen=True)
class TileExport:
    """What an export did: the tree size exported, the size found there before, files written."""

    size: int
    previous: int
    written: int


async def export_tiles(
    reader: LogReader, out: Path, *, verifier: NoteVerifier, origin: str
) -> TileExport:
    """Write the tiles of the log's latest checkpoint, and that checkpoint, under ``out``.

    ``out`` may be absent or empty, or hold an earlier export of this log: its checkpoint
    must verify with ``verifier``, name ``origin``, be no larger than the latest and have
    this log's root at its size. Raises ``TileExportError`` otherwise, writing nothing, and
    ``OutOfRangeError`` for a log with no checkpoint yet.
    """
    view = LogView(reader)
    latest = await view.latest_checkpoint()
    previous = await _previous_size(view, out, verifier, origin, latest.size)
    tiles = TileReader(reader)
    folders: set[Path] = set()
    written = 0
    for tile in new_tiles(previous, latest.size):
        data = await tiles.read(tile)
        if data is None:  # the checkpoint's tiles are stored before it is
            raise TileExportError(f"the store lacks {tile.path()} of size {latest.size}")
        folders.update(_write_file(out, tile.path(), data))
        written += 1
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        fsync_directory(folder)
    checkpoint_path = out / CHECKPOINT
    if not checkpoint_path.exists() or checkpoint_path.read_text("utf-8") != latest.note:
        fsync_directory(*_write_file(out, CHECKPOINT, latest.note.encode("utf-8")))
        written += 1
    return TileExport(size=latest.size, previous=previous, written=written)


async def _previous_size(
    view: LogView, out: Path, verifier: NoteVerifier, origin: str, size: int
) -> int:
    """The tree size of the export already in ``out`` (0 for none), checked to be this log's."""
    if not out.exists():
        return 0
    if not out.is_dir():
        raise TileExportError(f"{out} is not a folder")
    path = out / CHECKPOINT
    if not path.is_file():
        if any(out.iterdir()):
            raise TileExportError(f"{out} is not empty and holds no tile export (no checkpoint)")
        return 0
    try:
        old = verify_checkpoint(path.read_bytes(), verifier, origin=origin)
    except InvalidCheckpointError as e:
        raise TileExportError(f"{out} holds the export of another log ({e})") from e
    if old.size > size:
        raise TileExportError(
            f"{out} holds an export of size {old.size}, larger than this log's {size}"
        )
    if not hmac.compare_digest(await view.root(old.size), old.root):
        raise TileExportError(
            f"{out} holds a checkpoint of size {old.size} whose root is not this log's"
        )
    return old.size


def _write_file(out: Path, relative: str, data: bytes) -> list[Path]:
    """Write ``out/relative`` atomically; return the folders whose entries changed."""
    path = out / relative
    created = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, data, mode=0o644)
    return [path.parent, *(folder.parent for folder in created)]
