"""C2SP tlog-tiles v0.1.0: tile coordinates, their canonical paths and entry bundles.

A tile at level ``L`` holds up to 256 consecutive hashes of tree level ``8 * L``: hash ``i``
of tile ``N`` is the stored node ``(8 * L, N * 256 + i)`` (``ledger.tree.NodeID``), the MTH of
a full tile one level down (at level 0, a leaf hash). An entry bundle holds the entries of
the level-0 tile of the same index. Pure: paths, widths and bytes, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

TILE_HEIGHT = 8
"""Tree levels per tile level (tlog-tiles: "the entire subtree of height 8")."""
TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes in a full tile, entries in a full bundle: 256."""
MAX_LEVEL = 63
"""The highest tile level a path may name."""
MAX_ENTRY_BYTES = 0xFFFF
"""An entry in a bundle is prefixed by a big-endian uint16 length."""
ENTRIES = "entries"

_LEVEL = r"(?P<level>0|[1-9][0-9]?|entries)"
_INDEX = r"(?P<index>(?:x[0-9]{3}/){0,6}[0-9]{3})"
"""At most 7 groups: 21 digits hold every index below 2**64 (no tree is larger)."""
_WIDTH = r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
_PATH = re.compile(rf"tile/{_LEVEL}/{_INDEX}{_WIDTH}")


class TilePathError(ValueError):
    """A tile path that is not the canonical spelling of a tile (tlog-tiles, "Merkle Tree")."""


@dataclass(frozen=True)
class TileID:
    """A hash tile (``level`` 0 to 63) or, with ``level`` ``None``, an entry bundle.

    ``width`` is 256 for a full tile and 1 to 255 for a partial one.
    """

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def is_bundle(self) -> bool:
        """Whether this is an entry bundle rather than a hash tile."""
        return self.level is None

    @property
    def is_full(self) -> bool:
        """Whether this tile holds all 256 hashes (or entries): it never changes."""
        return self.width == TILE_WIDTH

    @property
    def tree_level(self) -> int:
        """The tree level of the hashes in this tile (0 for an entry bundle's leaves)."""
        return TILE_HEIGHT * (self.level or 0)

    @property
    def first(self) -> int:
        """The stored node index (at ``tree_level``) of the tile's first hash."""
        return self.index * TILE_WIDTH

    @property
    def end(self) -> int:
        """The tree size at which this tile (with its width) is complete."""
        return (self.first + self.width) << self.tree_level

    def path(self) -> str:
        """The tile's path under a log's prefix: ``tile/<L>/<N>[.p/<W>]``."""
        level = ENTRIES if self.level is None else str(self.level)
        suffix = "" if self.is_full else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{suffix}"


def encode_index(index: int) -> str:
    """``index`` as zero-padded 3-digit path elements, all but the last prefixed ``x``.

    1234067 is ``x001/x234/067``. Raises ``ValueError`` for a negative index.
    """
    if index < 0:
        raise ValueError(f"a tile index is non-negative, got {index}")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_path(path: str) -> TileID:
    """The tile that ``path`` (``tile/...``, no leading slash) names, spelled canonically.

    Refuses, with ``TilePathError``: levels outside 0 to 63 or with leading zeros, an index
    not in 3-digit groups, with a leading ``x000`` group or of more than 7 groups, widths
    outside 1 to 255 or with leading zeros, anything else in the path.
    """
    match = _PATH.fullmatch(path)
    if match is None:
        raise TilePathError(f"not a tile path: {path[:80]!r}")
    level_text, index_text, width_text = match.group("level", "index", "width")
    level = None if level_text == ENTRIES else int(level_text)
    if level is not None and level > MAX_LEVEL:
        raise TilePathError(f"tile level {level} is above {MAX_LEVEL}")
    width = TILE_WIDTH if width_text is None else int(width_text)
    if width_text is not None and width >= TILE_WIDTH:
        raise TilePathError(f"a partial tile's width is 1 to {TILE_WIDTH - 1}, got {width}")
    index = int(index_text.replace("x", "").replace("/", ""))
    if encode_index(index) != index_text:
        raise TilePathError(f"tile index {index_text!r} is not written canonically")
    return TileID(level, index, width)


def tiles_at(size: int) -> Iterator[TileID]:
    """Every tile and bundle of the tree of ``size``: full ones, then the partial ones.

    Level 0 and the bundles: ``size // 256`` full and one of width ``size % 256`` unless
    that is 0; each level above likewise from ``size // 256**L``. None for size 0.
    """
    yield from new_tiles(0, size)


def new_tiles(old: int, size: int) -> Iterator[TileID]:
    """The tiles of the tree of ``size`` that the tree of ``old <= size`` lacks.

    Full tiles completed since ``old``, and the partial tiles of ``size`` unless ``old``
    had them too (the same size). Raises ``ValueError`` unless ``0 <= old <= size``.
    """
    if not 0 <= old <= size:
        raise ValueError(f"need 0 <= old <= size, got {old} and {size}")
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        done = old >> (TILE_HEIGHT * level)
        for tile_level in (None, 0) if level == 0 else (level,):
            for index in range(done // TILE_WIDTH, count // TILE_WIDTH):
                yield TileID(tile_level, index)
            if count % TILE_WIDTH and count != done:
                yield TileID(tile_level, count // TILE_WIDTH, count % TILE_WIDTH)
        level += 1


def bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length, then its exact bytes.

    Raises ``ValueError`` for an entry longer than 65,535 bytes.
    """
    parts = []
    for data in entries:
        if len(data) > MAX_ENTRY_BYTES:
            raise ValueError(f"an entry of {len(data)} bytes does not fit an entry bundle")
        parts.append(len(data).to_bytes(2, "big"))
        parts.append(data)
    return b"".join(parts)
