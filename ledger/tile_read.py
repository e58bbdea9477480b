"""Reading C2SP tiles and entry bundles from a log store, one bounded query per tile.

A hash tile is one range read of the stored nodes at its tree level
(``LogReader.node_range``), an entry bundle one range read of the entries' bytes
(``LogReader.entry_bodies``). A tile the tree does not (yet) hold comes back short, and is
answered as absent without asking the log's size. A tile of a given width never changes
(a partial tile is the prefix of the full one to come), so a bounded in-memory cache keeps
the most recently read ones: the tiles of the latest checkpoint that every client following
the log asks for, and as many full ones as fit.
"""

from __future__ import annotations

from collections import OrderedDict

from ledger.store import LogReader
from ledger.tiles import TileID, bundle

MAX_STORED_INDEX = 2**63 - 1
"""The database's largest integer: a tile reaching past it lies beyond any tree."""


class TileReader:
    """Tiles of the log behind ``reader``; ``cache_bytes`` bounds the tiles kept in memory."""

    def __init__(self, reader: LogReader, *, cache_bytes: int = 0) -> None:
        self.reader = reader
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[TileID, bytes] = OrderedDict()
        self._cached = 0

    async def read(self, tile: TileID) -> bytes | None:
        """The bytes of ``tile``, or ``None`` if the log is not yet as large as the tile needs.

        A hash tile is its hashes concatenated (32 bytes each); a bundle, its entries each
        after a big-endian uint16 length (``ledger.tiles.bundle``).
        """
        cached = self._cache.get(tile)
        if cached is not None:
            self._cache.move_to_end(tile)
            return cached
        if tile.end > MAX_STORED_INDEX:
            return None
        data = await self._load(tile)
        if data is not None:
            self._keep(tile, data)
        return data

    async def _load(self, tile: TileID) -> bytes | None:
        end = tile.first + tile.width
        if tile.is_bundle:
            bodies = await self.reader.entry_bodies(tile.first, end)
            return bundle(bodies) if len(bodies) == tile.width else None
        hashes = await self.reader.node_range(tile.tree_level, tile.first, end)
        return b"".join(hashes) if len(hashes) == tile.width else None

    def _keep(self, tile: TileID, data: bytes) -> None:
        if tile in self._cache or len(data) > self.cache_bytes:
            return
        self._cache[tile] = data
        self._cached += len(data)
        while self._cached > self.cache_bytes:
            _, dropped = self._cache.popitem(last=False)
            self._cached -= len(dropped)
