"""RFC 9162 roots and proofs computed from stored hashes of complete subtrees, and the frontier."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TypeAlias

from ledger.errors import OutOfRangeError
from ledger.merkle import EMPTY_ROOT, HASH_SIZE, hash_children

NodeID: TypeAlias = tuple[int, int]
"""(level, index): the complete subtree over leaves [index * 2**level, (index + 1) * 2**level).

Level 0 holds the leaf hashes; node (level, i) hashes nodes (level - 1, 2i) and (level - 1, 2i + 1).
"""

NodeHashes: TypeAlias = Mapping[NodeID, bytes]
"""Stored hashes, at least for the ids that the matching ``*_nodes`` function listed."""

_Layout: TypeAlias = list[list[NodeID]]
"""A proof as stored nodes: each element is the MTH of these consecutive complete subtrees."""


def _split(n: int) -> int:
    """Return k, the largest power of two smaller than n, for n > 1 (RFC 9162 §2.1.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_nodes(start: int, end: int) -> list[NodeID]:
    """Return the complete subtrees that make up leaves [start, end), left to right.

    One subtree per set bit of end - start, largest first, which is how RFC 9162 §2.1.1
    splits a range. `start` must be aligned to the largest piece, as every range met in
    the RFC's recursion is.
    """
    nodes: list[NodeID] = []
    width = end - start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def _fold(ids: list[NodeID], nodes: NodeHashes) -> bytes:
    """Return the MTH of consecutive complete subtrees, hashing from right to left."""
    result = nodes[ids[-1]]
    for node_id in reversed(ids[:-1]):
        result = hash_children(nodes[node_id], result)
    return result


def _unique(layout: Iterable[list[NodeID]]) -> list[NodeID]:
    """Return the ids of a layout in order, each once."""
    return list(dict.fromkeys(node_id for ids in layout for node_id in ids))


def _check_size(size: int) -> None:
    """Raise `OutOfRangeError` if `size` is negative."""
    if size < 0:
        raise OutOfRangeError(f"tree size {size} is negative")


def root_nodes(size: int) -> list[NodeID]:
    """Return the complete subtrees whose hashes make up the root of a tree of `size`.

    One per set bit of `size`, left to right; none for size 0. Raises `OutOfRangeError`
    if size is negative.
    """
    _check_size(size)
    return _range_nodes(0, size)


def root_at(size: int, nodes: NodeHashes) -> bytes:
    """Return the RFC 9162 root of the tree of `size` from the hashes of `root_nodes(size)`.

    Size 0 gives `EMPTY_ROOT`. Raises `OutOfRangeError` if size is negative and `KeyError`
    if `nodes` lacks a listed id.
    """
    ids = root_nodes(size)
    return _fold(ids, nodes) if ids else EMPTY_ROOT


def _inclusion_layout(index: int, size: int) -> _Layout:
    """Return PATH(index, D[size]) (RFC 9162 §2.1.3.1) as stored nodes, leaf end first.

    Walks from the root down: each step keeps the half holding the leaf and records the
    other half. Only the first right half recorded can be incomplete (it ends at `size`).
    """
    if not 0 <= index < size:
        raise OutOfRangeError(f"leaf index {index} is outside a tree of size {size}")
    layout: _Layout = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            layout.append(_range_nodes(start + k, end))
            end = start + k
        else:
            layout.append(_range_nodes(start, start + k))
            start += k
    layout.reverse()
    return layout


def inclusion_nodes(index: int, size: int) -> list[NodeID]:
    """Return the stored nodes an inclusion proof for leaf `index` in a tree of `size` needs.

    At most about 2 * log2(size) ids. Raises `OutOfRangeError` unless 0 <= index < size.
    """
    return _unique(_inclusion_layout(index, size))


def inclusion_proof(index: int, size: int, nodes: NodeHashes) -> list[bytes]:
    """Return the RFC 9162 inclusion proof for leaf `index` in the tree of `size`.

    `nodes` must hold the hashes of `inclusion_nodes(index, size)`. Raises
    `OutOfRangeError` unless 0 <= index < size, and `KeyError` if a listed id is missing.
    """
    return [_fold(ids, nodes) for ids in _inclusion_layout(index, size)]


def _consistency_layout(size1: int, size2: int) -> _Layout:
    """Return PROOF(size1, D[size2]) (RFC 9162 §2.1.4.1) as stored nodes, bottom first.

    SUBPROOF(m, D[start:end], b) walked from the root down, with m = size1 - start, so that
    m == n exactly when size1 == end. `whole` is the RFC's b.
    """
    if size1 < 0 or size1 > size2:
        raise OutOfRangeError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == 0:
        raise OutOfRangeError("a consistency proof from the empty tree is meaningless")
    layout: _Layout = []
    start, end, whole = 0, size2, True
    while size1 != end:
        k = _split(end - start)
        if size1 - start <= k:
            layout.append(_range_nodes(start + k, end))
            end = start + k
        else:
            layout.append(_range_nodes(start, start + k))
            start, whole = start + k, False
    if not whole:
        layout.append(_range_nodes(start, end))
    layout.reverse()
    return layout


def consistency_nodes(size1: int, size2: int) -> list[NodeID]:
    """Return the stored nodes a consistency proof from `size1` to `size2` needs.

    At most about 2 * log2(size2) ids; none when size1 == size2. Raises `OutOfRangeError`
    unless 0 < size1 <= size2 (a proof from the empty tree is meaningless).
    """
    return _unique(_consistency_layout(size1, size2))


def consistency_proof(size1: int, size2: int, nodes: NodeHashes) -> list[bytes]:
    """Return the RFC 9162 consistency proof from the tree of `size1` to the tree of `size2`.

    `nodes` must hold the hashes of `consistency_nodes(size1, size2)`. Raises
    `OutOfRangeError` unless 0 < size1 <= size2, and `KeyError` if a listed id is missing.
    """
    return [_fold(ids, nodes) for ids in _consistency_layout(size1, size2)]


_sha256 = hashlib.sha256


class Frontier:
    """The right edge of the tree (a compact range): the hashes of `root_nodes(size)`.

    Enough to append leaves and compute the root without reading anything else. `append`
    returns every complete node it creates, for the store to keep.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int, hashes: list[bytes]) -> None:
        """Build a frontier from the hashes of `root_nodes(size)`, left to right.

        Raises `OutOfRangeError` if size is negative and `ValueError` if the number of
        hashes is not the number of set bits of size. Prefer `empty` and `load`.
        """
        _check_size(size)
        if len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes")
        self._size = size
        self._hashes = hashes

    @classmethod
    def empty(cls) -> Frontier:
        """Return the frontier of the empty tree."""
        return cls(0, [])

    @staticmethod
    def nodes_for(size: int) -> list[NodeID]:
        """Return the stored nodes `load` needs to rebuild the frontier of `size`.

        Raises `OutOfRangeError` if size is negative.
        """
        return root_nodes(size)

    @classmethod
    def load(cls, size: int, nodes: NodeHashes) -> Frontier:
        """Rebuild the frontier of `size` from the hashes of `nodes_for(size)`.

        Raises `OutOfRangeError` if size is negative and `KeyError` if a listed id is missing.
        """
        return cls(size, [nodes[node_id] for node_id in root_nodes(size)])

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> list[tuple[NodeID, bytes]]:
        """Append a leaf hash; return every complete node this creates, leaf (0, index) first.

        Raises `ValueError` if `leaf_hash` is not 32 bytes.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes")
        hashes = self._hashes
        index = n = self._size
        level = 0
        node = leaf_hash
        created = [((0, index), leaf_hash)]
        while n & 1:
            n >>= 1
            level += 1
            node = _sha256(b"\x01" + hashes.pop() + node).digest()
            created.append(((level, n), node))
        hashes.append(node)
        self._size = index + 1
        return created

    def root(self) -> bytes:
        """Return the RFC 9162 root of the tree so far (`EMPTY_ROOT` when empty)."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        result = hashes[-1]
        for node in reversed(hashes[:-1]):
            result = hash_children(node, result)
        return result

    def hashes(self) -> tuple[bytes, ...]:
        """Return the hashes of `root_nodes(size)`, left to right (what `__init__` takes)."""
        return tuple(self._hashes)

    def copy(self) -> Frontier:
        """Return an independent copy; appending to one does not change the other."""
        return Frontier(self._size, list(self._hashes))

    def __repr__(self) -> str:
        return f"Frontier(size={self._size})"
