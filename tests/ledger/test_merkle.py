"""Tests for ledger.merkle: known answers, every small proof, tampering, and pymerkle as oracle."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidProofError, OutOfRangeError
from ledger.merkle import (
    EMPTY_ROOT,
    consistency_path,
    hash_children,
    hash_leaf,
    inclusion_path,
    root,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)
from tests.support import LEAF_HASHES, VECTORS

EXHAUSTIVE = 64  # every proof of every tree up to this size, with the O(n) reference generators
LARGEST = 300  # hypothesis samples trees up to this size


def leaves(n: int) -> list[bytes]:
    """Return the leaf hashes of a tree of n distinct entries."""
    return [hash_leaf(i.to_bytes(4, "big")) for i in range(n)]


@cache
def tree_leaves(n: int) -> tuple[bytes, ...]:
    """Cached `leaves(n)`, for hypothesis examples."""
    return tuple(leaves(n))


@cache
def tree_root(n: int) -> bytes:
    """Cached root of `tree_leaves(n)`."""
    return root(tree_leaves(n))


def flip(data: bytes, position: int) -> bytes:
    """Return data with one bit of the byte at `position` (mod its length) flipped."""
    i = position % len(data)
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


def flip_in(path: Sequence[bytes], i: int, position: int) -> list[bytes]:
    """Return path with a bit of the byte at `position` of element `i` flipped."""
    return [*path[:i], flip(path[i], position), *path[i + 1 :]]


def misshapen(path: list[bytes]) -> list[list[bytes]]:
    """Return path with a hash added at either end, its last repeated, or either end cut."""
    extra = hash_leaf(b"extra")
    if not path:
        return [[extra]]
    return [[*path, extra], [extra, *path], [*path, path[-1]], path[:-1], path[1:]]


def assert_refused(
    verify: Callable[..., None], cases: list[dict[str, Any]], match: str | None = None
) -> None:
    """Every one of `cases`, passed to `verify` as keywords, raises `InvalidProofError`."""
    for case in cases:
        with pytest.raises(InvalidProofError, match=match):
            verify(**case)


# --- Known answers -------------------------------------------------------------------------------


def test_vectors_file_names_its_sources() -> None:
    assert set(VECTORS["sources"]) >= {"leaves", "roots", "node_hashes", "inclusion", "consistency"}


def test_hashes_of_the_empty_tree_leaves_and_nodes() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT.hex() == VECTORS["roots"]["0"]
    assert hash_leaf(b"x") == hashlib.sha256(b"\x00x").digest()
    assert hash_children(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()


def test_leaf_hashes_match_vectors() -> None:
    assert [hash_leaf(bytes.fromhex(d)) for d in VECTORS["leaves"]] == LEAF_HASHES


@pytest.mark.parametrize("size", range(9))
def test_roots_match_vectors(size: int) -> None:
    assert root(LEAF_HASHES[:size]).hex() == VECTORS["roots"][str(size)]


def test_root_is_the_top_node_of_the_vectors() -> None:
    assert root(LEAF_HASHES).hex() == VECTORS["node_hashes"]["3"][0]


@pytest.mark.parametrize("vector", VECTORS["inclusion"], ids=lambda v: v["source"])
def test_inclusion_vectors(vector: dict[str, Any]) -> None:
    index, size = vector["leaf_index"], vector["tree_size"]
    leaf_hash, expected_root = bytes.fromhex(vector["leaf_hash"]), bytes.fromhex(vector["root"])
    path = [bytes.fromhex(h) for h in vector["path"]]

    assert leaf_hash == LEAF_HASHES[index]
    assert root(LEAF_HASHES[:size]) == expected_root
    assert inclusion_path(LEAF_HASHES[:size], index) == path
    verify_inclusion(leaf_hash=leaf_hash, index=index, size=size, path=path, root=expected_root)
    assert root_from_inclusion(leaf_hash=leaf_hash, index=index, size=size, path=path) == (
        expected_root
    )


@pytest.mark.parametrize("vector", VECTORS["consistency"], ids=lambda v: v["source"])
def test_consistency_vectors(vector: dict[str, Any]) -> None:
    size1, size2 = vector["size1"], vector["size2"]
    root1, root2 = bytes.fromhex(vector["root1"]), bytes.fromhex(vector["root2"])
    path = [bytes.fromhex(h) for h in vector["path"]]

    assert (root(LEAF_HASHES[:size1]), root(LEAF_HASHES[:size2])) == (root1, root2)
    assert consistency_path(LEAF_HASHES[:size2], size1) == path
    verify_consistency(size1=size1, size2=size2, root1=root1, root2=root2, path=path)


# --- Every proof of every small tree verifies ----------------------------------------------------


def test_every_inclusion_proof_verifies() -> None:
    hashes = leaves(EXHAUSTIVE)
    for size in range(1, EXHAUSTIVE + 1):
        tree, tree_root = hashes[:size], root(hashes[:size])
        for index in range(size):
            path = inclusion_path(tree, index)
            verify_inclusion(
                leaf_hash=tree[index], index=index, size=size, path=path, root=tree_root
            )


def test_every_consistency_proof_verifies() -> None:
    hashes = leaves(EXHAUSTIVE)
    roots = [root(hashes[:size]) for size in range(EXHAUSTIVE + 1)]
    for size2 in range(1, EXHAUSTIVE + 1):
        for size1 in range(1, size2 + 1):
            path = consistency_path(hashes[:size2], size1)
            verify_consistency(
                size1=size1, size2=size2, root1=roots[size1], root2=roots[size2], path=path
            )


# --- Tampering is refused ------------------------------------------------------------------------


@st.composite
def inclusions(draw: st.DrawFn) -> tuple[int, int]:
    """Draw (index, size) with 0 <= index < size <= LARGEST."""
    size = draw(st.integers(1, LARGEST))
    return draw(st.integers(0, size - 1)), size


@st.composite
def consistencies(draw: st.DrawFn) -> tuple[int, int]:
    """Draw (size1, size2) with 0 < size1 < size2 <= LARGEST."""
    size2 = draw(st.integers(2, LARGEST))
    return draw(st.integers(1, size2 - 1)), size2


@given(inclusions(), st.data())
@settings(max_examples=150)
def test_inclusion_proof_verifies_and_any_changed_byte_is_refused(
    case: tuple[int, int], data: st.DataObject
) -> None:
    index, size = case
    tree, good_root = tree_leaves(size), tree_root(size)
    path = inclusion_path(tree, index)
    good: dict[str, Any] = {
        "leaf_hash": tree[index],
        "index": index,
        "size": size,
        "path": path,
        "root": good_root,
    }
    verify_inclusion(**good)

    position = data.draw(st.integers(0, 31), label="byte")
    bad_leaf = {**good, "leaf_hash": flip(tree[index], position)}
    bad_root = {**good, "root": flip(good_root, position)}
    tampered = [bad_leaf, bad_root]
    if path:
        i = data.draw(st.integers(0, len(path) - 1), label="path element")
        tampered.append({**good, "path": flip_in(path, i, position)})
    assert_refused(verify_inclusion, tampered)


@given(inclusions(), st.data())
@settings(max_examples=150)
def test_inclusion_proof_for_a_changed_index_or_size_is_refused(
    case: tuple[int, int], data: st.DataObject
) -> None:
    index, size = case
    tree = tree_leaves(size)
    path = inclusion_path(tree, index)

    other_index = data.draw(st.integers(-1, size).filter(lambda i: i != index), label="index")
    with pytest.raises(InvalidProofError):
        verify_inclusion(
            leaf_hash=tree[index], index=other_index, size=size, path=path, root=tree_root(size)
        )

    # Against the true root of another size, the proof passes only if it is that size's proof.
    other_size = data.draw(st.integers(index + 1, LARGEST).filter(lambda s: s != size))
    if inclusion_path(tree_leaves(other_size), index) != path:
        with pytest.raises(InvalidProofError):
            verify_inclusion(
                leaf_hash=tree[index],
                index=index,
                size=other_size,
                path=path,
                root=tree_root(other_size),
            )


@given(inclusions())
@settings(max_examples=100)
def test_truncated_or_extended_inclusion_path_is_refused(case: tuple[int, int]) -> None:
    index, size = case
    tree = tree_leaves(size)
    good = {"leaf_hash": tree[index], "index": index, "size": size, "root": tree_root(size)}
    bad = [{**good, "path": path} for path in misshapen(inclusion_path(tree, index))]
    assert_refused(verify_inclusion, bad, match="path has")


@given(consistencies(), st.data())
@settings(max_examples=150)
def test_consistency_proof_verifies_and_any_changed_byte_is_refused(
    case: tuple[int, int], data: st.DataObject
) -> None:
    size1, size2 = case
    path = consistency_path(tree_leaves(size2), size1)
    good: dict[str, Any] = {
        "size1": size1,
        "size2": size2,
        "root1": tree_root(size1),
        "root2": tree_root(size2),
        "path": path,
    }
    verify_consistency(**good)

    position = data.draw(st.integers(0, 31), label="byte")
    i = data.draw(st.integers(0, len(path) - 1), label="path element")
    tampered = [
        {**good, "root1": flip(tree_root(size1), position)},
        {**good, "root2": flip(tree_root(size2), position)},
        {**good, "path": flip_in(path, i, position)},
    ]
    assert_refused(verify_consistency, tampered)


@given(consistencies(), st.data())
@settings(max_examples=150)
def test_consistency_proof_for_changed_sizes_is_refused(
    case: tuple[int, int], data: st.DataObject
) -> None:
    size1, size2 = case
    path = consistency_path(tree_leaves(size2), size1)
    other1 = data.draw(st.integers(1, size2).filter(lambda s: s != size1), label="size1")
    other2 = data.draw(st.integers(size1, LARGEST).filter(lambda s: s != size2), label="size2")
    # Against the true roots of other sizes, the proof passes only if it is their proof.
    for new1, new2 in [(other1, size2), (size1, other2)]:
        if new1 < new2 and consistency_path(tree_leaves(new2), new1) == path:
            continue
        with pytest.raises(InvalidProofError):
            verify_consistency(
                size1=new1, size2=new2, root1=tree_root(new1), root2=tree_root(new2), path=path
            )


@given(consistencies())
@settings(max_examples=100)
def test_truncated_or_extended_consistency_path_is_refused(case: tuple[int, int]) -> None:
    size1, size2 = case
    good = {"size1": size1, "size2": size2, "root1": tree_root(size1), "root2": tree_root(size2)}
    bad = [
        {**good, "path": path} for path in misshapen(consistency_path(tree_leaves(size2), size1))
    ]
    assert_refused(verify_consistency, bad)


# --- Edge cases and malformed input --------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (5, 5), (8, 5), (-1, 5)])
def test_inclusion_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(InvalidProofError, match="outside"):
        verify_inclusion(leaf_hash=LEAF_HASHES[0], index=index, size=size, path=[], root=EMPTY_ROOT)
    if size:
        with pytest.raises(OutOfRangeError):
            inclusion_path(LEAF_HASHES[:size], index)


def test_inclusion_single_leaf_tree() -> None:
    verify_inclusion(leaf_hash=LEAF_HASHES[0], index=0, size=1, path=[], root=LEAF_HASHES[0])
    with pytest.raises(InvalidProofError):
        verify_inclusion(leaf_hash=LEAF_HASHES[0], index=0, size=1, path=[], root=LEAF_HASHES[1])


def good_inclusion() -> dict[str, Any]:
    """Return the arguments of a valid inclusion proof (leaf 5 of 8)."""
    path = inclusion_path(LEAF_HASHES, 5)
    return {
        "leaf_hash": LEAF_HASHES[5],
        "index": 5,
        "size": 8,
        "path": path,
        "root": root(LEAF_HASHES),
    }


@pytest.mark.parametrize("field", ["leaf_hash", "root", "path"])
@pytest.mark.parametrize("length", [0, 31, 33])
def test_inclusion_hashes_of_the_wrong_size_are_refused(field: str, length: int) -> None:
    args = good_inclusion()
    bad = bytes(length)
    args[field] = [*args["path"][:-1], bad] if field == "path" else bad
    with pytest.raises(InvalidProofError, match="32 bytes"):
        verify_inclusion(**args)


def test_inclusion_path_element_that_is_not_bytes_is_refused() -> None:
    args = good_inclusion()
    args["path"] = [*args["path"][:-1], args["path"][-1].hex()[:32]]
    with pytest.raises(InvalidProofError, match="32 bytes"):
        verify_inclusion(**args)


def test_consistency_between_equal_sizes() -> None:
    r = root(LEAF_HASHES)
    verify_consistency(size1=8, size2=8, root1=r, root2=r, path=[])
    assert consistency_path(LEAF_HASHES, 8) == []
    with pytest.raises(InvalidProofError, match="path has 1"):
        verify_consistency(size1=8, size2=8, root1=r, root2=r, path=[r])
    with pytest.raises(InvalidProofError, match="different roots"):
        verify_consistency(size1=8, size2=8, root1=r, root2=flip(r, 0), path=[])


def test_consistency_from_the_empty_tree_is_refused() -> None:
    # transparency-dev/merkle: "consistency proof from empty tree is meaningless".
    for size2 in (0, 1, 8):
        with pytest.raises(InvalidProofError, match="empty tree"):
            verify_consistency(
                size1=0, size2=size2, root1=EMPTY_ROOT, root2=root(LEAF_HASHES[:size2]), path=[]
            )
    with pytest.raises(OutOfRangeError):
        consistency_path(LEAF_HASHES, 0)


@pytest.mark.parametrize(("size1", "size2"), [(5, 4), (-1, 4), (9, 8)])
def test_consistency_with_sizes_out_of_order_is_refused(size1: int, size2: int) -> None:
    r = root(LEAF_HASHES)
    with pytest.raises(InvalidProofError, match="no consistency proof"):
        verify_consistency(size1=size1, size2=size2, root1=r, root2=r, path=[])
    with pytest.raises(OutOfRangeError):
        consistency_path(LEAF_HASHES[:size2], size1)


def test_consistency_with_an_empty_path_is_refused() -> None:
    with pytest.raises(InvalidProofError, match="path has 0 hashes"):
        verify_consistency(
            size1=4, size2=8, root1=root(LEAF_HASHES[:4]), root2=root(LEAF_HASHES), path=[]
        )


@pytest.mark.parametrize("field", ["root1", "root2", "path"])
def test_consistency_hashes_of_the_wrong_size_are_refused(field: str) -> None:
    args: dict[str, Any] = {
        "size1": 6,
        "size2": 8,
        "root1": root(LEAF_HASHES[:6]),
        "root2": root(LEAF_HASHES),
        "path": consistency_path(LEAF_HASHES, 6),
    }
    args[field] = [*args["path"][:-1], bytes(31)] if field == "path" else bytes(31)
    with pytest.raises(InvalidProofError, match="32 bytes"):
        verify_consistency(**args)


def test_second_preimage_of_an_interior_node_as_a_leaf_is_refused() -> None:
    # Present the two children of the left half of a 4-leaf tree as if they were leaf data:
    # domain separation (0x00 leaves, 0x01 nodes) makes the forged leaf hash differ.
    four = LEAF_HASHES[:4]
    path = [hash_children(*four[2:])]
    node = hash_children(four[0], four[1])
    assert root_from_inclusion(leaf_hash=node, index=0, size=2, path=path) == root(four)
    with pytest.raises(InvalidProofError):
        verify_inclusion(
            leaf_hash=hash_leaf(four[0] + four[1]), index=0, size=2, path=path, root=root(four)
        )


# --- pymerkle as an independent oracle -----------------------------------------------------------


@pytest.fixture(scope="module")
def oracle() -> tuple[pymerkle.InmemoryTree, list[bytes]]:
    """A pymerkle tree of 100 entries (RFC 9162 prefixes, SHA-256) and our leaf hashes."""
    entries = [f"entry {i}".encode() * (i % 4) for i in range(100)]
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in entries:
        tree.append_entry(entry)
    return tree, [hash_leaf(entry) for entry in entries]


def test_roots_equal_pymerkle(oracle: tuple[pymerkle.InmemoryTree, list[bytes]]) -> None:
    tree, hashes = oracle
    for size in range(len(hashes) + 1):
        assert root(hashes[:size]) == tree.get_root(size)


def test_inclusion_paths_equal_pymerkle(oracle: tuple[pymerkle.InmemoryTree, list[bytes]]) -> None:
    # pymerkle counts leaves from 1 and puts the leaf hash itself first in its path.
    tree, hashes = oracle
    for size in range(1, len(hashes) + 1):
        for index in range(size):
            proof = tree.prove_inclusion(index + 1, size)
            assert proof.path == [hashes[index], *inclusion_path(hashes[:size], index)]


def test_consistency_agrees_with_pymerkle(
    oracle: tuple[pymerkle.InmemoryTree, list[bytes]],
) -> None:
    # pymerkle's consistency paths are not RFC 9162's (it splits differently when size1 is
    # the left subtree's width, and orders hashes its own way), so compare what they prove:
    # its proof must verify against our roots, and ours must verify too.
    tree, hashes = oracle
    for size2 in range(1, len(hashes) + 1, 7):
        for size1 in range(1, size2 + 1):
            root1, root2 = root(hashes[:size1]), root(hashes[:size2])
            tree.prove_consistency(size1, size2).verify(root1, root2)
            path = consistency_path(hashes[:size2], size1)
            verify_consistency(size1=size1, size2=size2, root1=root1, root2=root2, path=path)
