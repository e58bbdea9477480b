"""Tests for ledger.tree: proofs from stored complete subtrees equal the RFC 9162 reference."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.errors import OutOfRangeError
from ledger.tree import (
    Frontier,
    NodeHashes,
    NodeID,
    consistency_nodes,
    consistency_proof,
    inclusion_nodes,
    inclusion_proof,
    root_at,
    root_nodes,
)
from tests.support import LEAF_HASHES, VECTORS

EXHAUSTIVE = 300  # every proof of every tree up to this size is checked against the verifiers
REFERENCE = 64  # every proof up to this size is compared with the O(n) reference generators
LARGEST = 2000  # hypothesis samples trees up to this size


def build(leaf_hashes: list[bytes]) -> dict[NodeID, bytes]:
    """Append the leaf hashes to a frontier; return every complete node it created."""
    frontier = Frontier.empty()
    nodes: dict[NodeID, bytes] = {}
    for leaf_hash in leaf_hashes:
        nodes.update(frontier.append(leaf_hash))
    return nodes


HASHES = [merkle.hash_leaf(i.to_bytes(4, "big")) for i in range(LARGEST)]
NODES = build(HASHES)
ROOTS = [merkle.root(HASHES[:size]) for size in range(EXHAUSTIVE + 1)]


def only(ids: list[NodeID]) -> NodeHashes:
    """Return the stored hashes of exactly these ids, as a store's batched query would."""
    assert len(set(ids)) == len(ids), "ids are listed once each"
    return {node_id: NODES[node_id] for node_id in ids}


def bound(size: int) -> int:
    """The most node ids any root or proof of a tree of `size` may request."""
    return 2 * math.ceil(math.log2(size)) + 2


def assert_complete_subtrees(ids: list[NodeID], size: int) -> None:
    """Assert every id names a complete subtree of the tree of `size`."""
    for level, index in ids:
        assert level >= 0
        assert index >= 0
        assert (index + 1) << level <= size


# --- Known answers -------------------------------------------------------------------------------


def test_frontier_creates_exactly_the_vector_nodes() -> None:
    expected = {
        (int(level), index): bytes.fromhex(h)
        for level, hashes in VECTORS["node_hashes"].items()
        for index, h in enumerate(hashes)
    }
    assert build(LEAF_HASHES) == expected


def test_roots_match_vectors() -> None:
    nodes, frontier = build(LEAF_HASHES), Frontier.empty()
    for size in range(len(LEAF_HASHES) + 1):
        expected = VECTORS["roots"][str(size)]
        assert root_at(size, nodes).hex() == expected
        assert frontier.root().hex() == expected
        if size < len(LEAF_HASHES):
            frontier.append(LEAF_HASHES[size])


@pytest.mark.parametrize("vector", VECTORS["inclusion"], ids=lambda v: v["source"])
def test_inclusion_vectors(vector: dict[str, Any]) -> None:
    index, size = vector["leaf_index"], vector["tree_size"]
    nodes = build(LEAF_HASHES)
    proof = inclusion_proof(index, size, {i: nodes[i] for i in inclusion_nodes(index, size)})
    assert [h.hex() for h in proof] == vector["path"]


@pytest.mark.parametrize("vector", VECTORS["consistency"], ids=lambda v: v["source"])
def test_consistency_vectors(vector: dict[str, Any]) -> None:
    size1, size2 = vector["size1"], vector["size2"]
    nodes = build(LEAF_HASHES)
    ids = consistency_nodes(size1, size2)
    proof = consistency_proof(size1, size2, {i: nodes[i] for i in ids})
    assert [h.hex() for h in proof] == vector["path"]


# --- Equal to the reference, and verifying -------------------------------------------------------


def test_every_small_proof_equals_the_reference() -> None:
    for size in range(1, REFERENCE + 1):
        tree = HASHES[:size]
        assert root_at(size, only(root_nodes(size))) == merkle.root(tree)
        for index in range(size):
            proof = inclusion_proof(index, size, only(inclusion_nodes(index, size)))
            assert proof == merkle.inclusion_path(tree, index)
        for size1 in range(1, size + 1):
            proof = consistency_proof(size1, size, only(consistency_nodes(size1, size)))
            assert proof == merkle.consistency_path(tree, size1)


def test_every_inclusion_proof_verifies() -> None:
    for size in range(1, EXHAUSTIVE + 1):
        assert root_at(size, NODES) == ROOTS[size]
        for index in range(size):
            merkle.verify_inclusion(
                leaf_hash=HASHES[index],
                index=index,
                size=size,
                path=inclusion_proof(index, size, NODES),
                root=ROOTS[size],
            )


def test_every_consistency_proof_verifies() -> None:
    for size2 in range(1, EXHAUSTIVE + 1):
        for size1 in range(1, size2 + 1):
            merkle.verify_consistency(
                size1=size1,
                size2=size2,
                root1=ROOTS[size1],
                root2=ROOTS[size2],
                path=consistency_proof(size1, size2, NODES),
            )


@st.composite
def sizes_and_index(draw: st.DrawFn) -> tuple[int, int, int]:
    """Draw (size1, index, size) with 0 < size1 <= size <= LARGEST and 0 <= index < size."""
    size = draw(st.integers(1, LARGEST))
    return draw(st.integers(1, size)), draw(st.integers(0, size - 1)), size


@given(sizes_and_index())
@settings(max_examples=60, deadline=None)
def test_larger_proofs_equal_the_reference(case: tuple[int, int, int]) -> None:
    size1, index, size = case
    tree = HASHES[:size]
    assert root_at(size, only(root_nodes(size))) == merkle.root(tree)
    assert inclusion_proof(index, size, only(inclusion_nodes(index, size))) == (
        merkle.inclusion_path(tree, index)
    )
    assert consistency_proof(size1, size, only(consistency_nodes(size1, size))) == (
        merkle.consistency_path(tree, size1)
    )


# --- O(log n) node ids, all of them complete subtrees --------------------------------------------


def test_every_small_tree_requests_few_complete_nodes() -> None:
    for size in range(1, EXHAUSTIVE + 1):
        ids = root_nodes(size)
        assert len(ids) == size.bit_count()
        assert_complete_subtrees(ids, size)
        for index in range(size):
            ids = inclusion_nodes(index, size)
            assert len(ids) <= bound(size)
            assert_complete_subtrees(ids, size)
        for size1 in range(1, size + 1):
            ids = consistency_nodes(size1, size)
            assert len(ids) <= bound(size)
            assert_complete_subtrees(ids, size)


@given(st.integers(1, 2**64), st.data())
def test_huge_trees_request_few_complete_nodes(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    size1 = data.draw(st.integers(1, size), label="size1")
    for ids in (root_nodes(size), inclusion_nodes(index, size), consistency_nodes(size1, size)):
        assert len(ids) <= bound(size)
        assert len(set(ids)) == len(ids)
        assert_complete_subtrees(ids, size)


def test_nothing_to_fetch_for_trivial_proofs() -> None:
    assert root_nodes(0) == []
    assert root_at(0, {}) == merkle.EMPTY_ROOT
    assert inclusion_nodes(0, 1) == []
    assert consistency_nodes(5, 5) == []
    assert consistency_proof(5, 5, {}) == []


def test_missing_node_is_a_key_error() -> None:
    ids = inclusion_nodes(3, 7)
    with pytest.raises(KeyError):
        inclusion_proof(3, 7, only(ids[:-1]))


# --- Refused ranges ------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (6, 5), (-1, 5), (0, -1)])
def test_inclusion_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(OutOfRangeError):
        inclusion_nodes(index, size)
    with pytest.raises(OutOfRangeError):
        inclusion_proof(index, size, NODES)


@pytest.mark.parametrize(("size1", "size2"), [(6, 5), (-1, 5), (0, 5), (0, 0), (1, -1)])
def test_consistency_outside_the_tree_is_refused(size1: int, size2: int) -> None:
    with pytest.raises(OutOfRangeError):
        consistency_nodes(size1, size2)
    with pytest.raises(OutOfRangeError):
        consistency_proof(size1, size2, NODES)


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(OutOfRangeError):
        root_nodes(-1)
    with pytest.raises(OutOfRangeError):
        root_at(-1, NODES)
    with pytest.raises(OutOfRangeError):
        Frontier.nodes_for(-1)
    with pytest.raises(OutOfRangeError):
        Frontier.load(-1, NODES)


# --- Frontier ------------------------------------------------------------------------------------


def test_frontier_creates_every_complete_node_once() -> None:
    frontier, seen = Frontier.empty(), []
    for index, leaf_hash in enumerate(HASHES[:300]):
        created = frontier.append(leaf_hash)
        assert created[0] == ((0, index), leaf_hash)
        seen += created
    ids = [node_id for node_id, _ in seen]
    assert len(set(ids)) == len(ids)
    complete = {(level, i) for level in range(9) for i in range(300 >> level)}
    assert set(ids) == complete
    for (level, i), node in seen:
        assert node == merkle.root(HASHES[i << level : (i + 1) << level])
    assert frontier.size == 300
    assert frontier.root() == ROOTS[300]


@given(st.integers(0, 600), st.integers(1, 80))
@settings(max_examples=60)
def test_loaded_frontier_continues_like_an_uninterrupted_one(size: int, more: int) -> None:
    uninterrupted = Frontier.empty()
    for leaf_hash in HASHES[:size]:
        uninterrupted.append(leaf_hash)
    loaded = Frontier.load(size, only(Frontier.nodes_for(size)))
    assert (loaded.size, loaded.root()) == (size, uninterrupted.root())
    for leaf_hash in HASHES[size : size + more]:
        assert loaded.append(leaf_hash) == uninterrupted.append(leaf_hash)
        assert loaded.root() == uninterrupted.root()
    assert loaded.root() == merkle.root(HASHES[: size + more])


def test_copy_is_independent() -> None:
    frontier = Frontier.load(5, NODES)
    copy = frontier.copy()
    copy.append(HASHES[5])
    assert (frontier.size, frontier.root()) == (5, merkle.root(HASHES[:5]))
    assert (copy.size, copy.root()) == (6, merkle.root(HASHES[:6]))
    assert repr(copy) == "Frontier(size=6)"


def test_empty_frontier() -> None:
    frontier = Frontier.empty()
    assert (frontier.size, frontier.root()) == (0, merkle.EMPTY_ROOT)
    assert Frontier.nodes_for(0) == []
    assert Frontier.load(0, {}).root() == merkle.EMPTY_ROOT


def test_frontier_refuses_bad_input() -> None:
    frontier = Frontier.empty()
    with pytest.raises(ValueError, match="32 bytes"):
        frontier.append(b"short")
    assert frontier.size == 0
    with pytest.raises(ValueError, match="2 hashes"):
        Frontier(3, [HASHES[0]])
    with pytest.raises(KeyError):
        Frontier.load(7, only(Frontier.nodes_for(6)))
