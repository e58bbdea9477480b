"""Tests for ledger.tile_read: one query per tile, short tiles absent, a bounded cache."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pytest

from ledger.note import NoteSigner
from ledger.sql import SqlLogStore, make_engine
from ledger.tile_read import TileReader
from ledger.tiles import TileID
from ledger.tree import NodeID
from tests.conftest import SQL_BACKENDS
from tests.ledger.tiles_log import grow

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
SIZE = 256 * 4 + 3


class CountingStore(SqlLogStore):
    """The real store, counting the reads that tiles make."""

    reads = 0

    async def entry_bodies(self, start: int, end: int) -> list[bytes]:
        self.reads += 1
        return await super().entry_bodies(start, end)

    async def node_range(self, level: int, start: int, end: int) -> list[bytes]:
        self.reads += 1
        return await super().node_range(level, start, end)

    async def nodes(self, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
        raise AssertionError("a tile is read by range, not by ids")


def _mth_256(leaves: list[bytes]) -> bytes:
    layer = leaves
    while len(layer) > 1:
        layer = [
            hashlib.sha256(b"\x01" + layer[i] + layer[i + 1]).digest()
            for i in range(0, len(layer), 2)
        ]
    return layer[0]


@pytest.fixture
async def store(database_url: str) -> CountingStore:
    await grow(database_url, NoteSigner.generate("tiles.example/log"), SIZE)
    return CountingStore(make_engine(database_url))


async def test_tiles_are_one_read_each_and_absent_beyond_the_tree(store: CountingStore) -> None:
    try:
        rows = await store.entries(0, SIZE)
        leaves = [hashlib.sha256(b"\x00" + row.data).digest() for row in rows]
        store.reads = 0
        tiles = TileReader(store)
        assert await tiles.read(TileID(0, 1)) == b"".join(leaves[256:512])
        expected = [_mth_256(leaves[k * 256 : (k + 1) * 256]) for k in range(4)]
        assert await tiles.read(TileID(1, 0, 4)) == b"".join(expected)
        assert await tiles.read(TileID(1, 0, 2)) == b"".join(expected[:2])
        bundle = b"".join(len(r.data).to_bytes(2, "big") + r.data for r in rows[1024:])
        assert await tiles.read(TileID(None, 4, 3)) == bundle
        assert store.reads == 4
        for beyond in (
            TileID(0, 4),
            TileID(0, 4, 4),
            TileID(1, 0, 5),
            TileID(1, 0),
            TileID(2, 0, 1),
            TileID(None, 4),
            TileID(None, 5, 1),
        ):
            assert await tiles.read(beyond) is None, beyond
        assert await tiles.read(TileID(0, 2**60)) is None  # past the database's integers
        assert store.reads == 4 + 7
    finally:
        await store.close()


async def test_the_cache_keeps_recent_full_tiles_within_its_bound(store: CountingStore) -> None:
    try:
        tiles = TileReader(store, cache_bytes=3 * 256 * 32)
        for index in (0, 1, 2, 0):
            await tiles.read(TileID(0, index))
        assert store.reads == 3  # the second read of tile 0 came from the cache
        await tiles.read(TileID(0, 3))  # the bound: the least recently read (1) goes
        await tiles.read(TileID(0, 0))
        await tiles.read(TileID(0, 2))
        assert store.reads == 4
        await tiles.read(TileID(0, 1))
        assert store.reads == 5
        for _ in range(2):
            await tiles.read(TileID(None, 0))  # a bundle larger than the whole cache
        assert store.reads == 7
        for _ in range(2):
            await tiles.read(TileID(0, 4, 3))  # a partial tile is kept like a full one
        assert store.reads == 8
        assert await tiles.read(TileID(0, 4, 4)) is None  # and absent ones are not
        assert await tiles.read(TileID(0, 4, 4)) is None
        assert store.reads == 10
        uncached = TileReader(store)
        await uncached.read(TileID(0, 0))
        await uncached.read(TileID(0, 0))
        assert store.reads == 12
    finally:
        await store.close()
