"""Tests for ledger.tiles: C2SP tlog-tiles paths, the tiles of a tree size, entry bundles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.tiles import (
    TileID,
    TilePathError,
    bundle,
    encode_index,
    new_tiles,
    parse_path,
    tiles_at,
)


@pytest.mark.parametrize(
    ("index", "text"),
    [(0, "000"), (67, "067"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_indices_are_written_in_groups_of_three(index: int, text: str) -> None:
    assert encode_index(index) == text
    assert parse_path(f"tile/0/{text}") == TileID(0, index)


@pytest.mark.parametrize(
    ("path", "tile"),
    [
        ("tile/0/000", TileID(0, 0)),
        ("tile/3/x001/x234/067.p/8", TileID(3, 1234067, 8)),
        ("tile/63/001.p/255", TileID(63, 1, 255)),
        ("tile/entries/x001/000.p/1", TileID(None, 1000, 1)),
        ("tile/entries/005", TileID(None, 5)),
        ("tile/0/x999/x999/x999/x999/x999/x999/999", TileID(0, 10**21 - 1)),
    ],
)
def test_canonical_paths_parse_and_are_written_back(path: str, tile: TileID) -> None:
    assert parse_path(path) == tile
    assert tile.path() == path


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",  # a level with a leading zero
        "tile/64/000",  # above level 63
        "tile/-1/000",
        "tile/0/0",  # not three digits
        "tile/0/0000",
        "tile/0/x000/067",  # a leading zero group
        "tile/0/001/067",  # a non-last group without x
        "tile/0/x001",  # the last group with x
        "tile/0/x1/000",
        "tile/0/" + "x999/" * 7 + "999",  # more digits than any tree's index
        "tile/0/" + "x999/" * 2000 + "999",
        "tile/0/000.p/0",  # widths 1 to 255 only
        "tile/0/000.p/256",
        "tile/0/000.p/010",  # a width with a leading zero
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000/",
        "tile/0/000?x",
        "tile/entry/000",
        "tile/Entries/000",
        "tile/0/\u0660\u0660\u0660",  # digits other than ASCII
        "tile/0/000\n",
        "tile/0",
        "",
    ],
)
def test_non_canonical_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_path(path)


def test_the_tiles_of_the_specs_example_size() -> None:
    # tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0 tiles, one
    # partial level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of
    # width 17, and one partial level 2 tile of width 1" (and the bundles as level 0).
    tiles = list(tiles_at(70_000))
    assert [t for t in tiles if t.level == 0 and t.is_full] == [TileID(0, i) for i in range(273)]
    assert [t for t in tiles if t.is_bundle] == [
        *(TileID(None, i) for i in range(273)),
        TileID(None, 273, 112),
    ]
    partial = [t for t in tiles if not t.is_full]
    assert partial == [
        TileID(None, 273, 112),
        TileID(0, 273, 112),
        TileID(1, 1, 17),
        TileID(2, 0, 1),
    ]
    assert TileID(1, 0) in tiles and len(tiles) == 273 * 2 + 2 + 2 + 1


def test_a_tree_of_256_is_a_full_tile_and_a_partial_tile_above() -> None:
    assert list(tiles_at(256)) == [TileID(None, 0), TileID(0, 0), TileID(1, 0, 1)]
    assert list(tiles_at(0)) == []
    assert list(tiles_at(1)) == [TileID(None, 0, 1), TileID(0, 0, 1)]


@given(st.integers(0, 300_000), st.integers(0, 300_000))
def test_new_tiles_are_what_the_larger_tree_adds(a: int, b: int) -> None:
    old, size = sorted((a, b))
    added = set(new_tiles(old, size))
    assert added == set(tiles_at(size)) - set(tiles_at(old))
    for tile in tiles_at(size):
        assert tile.end <= size  # every tile of a size lies within it
        assert tile.width < 256 or tile.end % 256 ** ((tile.level or 0) + 1) == 0


def test_new_tiles_refuse_a_smaller_size() -> None:
    with pytest.raises(ValueError, match="old <= size"):
        list(new_tiles(5, 4))


def test_a_bundle_is_length_prefixed_entries() -> None:
    assert bundle([b"ab", b"", b"x" * 300]) == b"\x00\x02ab\x00\x00\x01\x2c" + b"x" * 300
    assert bundle([b"y" * 65535])[:2] == b"\xff\xff"
    with pytest.raises(ValueError, match="65536 bytes"):
        bundle([b"z" * 65536])
