"""RFC 9162 §2.1 Merkle tree hashing, reference proofs and proof verification, with SHA-256."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from ledger.errors import InvalidProofError, OutOfRangeError

HASH_SIZE = 32
"""Bytes in a SHA-256 digest, and so in every leaf hash, node hash, root and path element."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() (RFC 9162 §2.1.1): the root of the empty tree."""


def hash_leaf(data: bytes) -> bytes:
    """Return the leaf hash MTH({d(0)}) = SHA-256(0x00 || data) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- Reference tree hash and proof generation (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1) --------------


def _split(n: int) -> int:
    """Return k, the largest power of two smaller than n, for n > 1 (RFC 9162 §2.1.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """Return MTH(D[start:end]) for a non-empty range, from its leaf hashes (RFC 9162 §2.1.1)."""
    if end - start == 1:
        return leaf_hashes[start]
    k = _split(end - start)
    return hash_children(
        _subtree_root(leaf_hashes, start, start + k), _subtree_root(leaf_hashes, start + k, end)
    )


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle Tree Hash of the tree with these leaf hashes (RFC 9162 §2.1.1).

    Takes leaf *hashes*, not leaf data: hash each entry with `hash_leaf` first.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def _path(leaf_hashes: Sequence[bytes], m: int, start: int, end: int) -> list[bytes]:
    """Return PATH(m, D[start:end]) (RFC 9162 §2.1.3.1)."""
    if end - start == 1:
        return []
    k = _split(end - start)
    if m < k:
        return [
            *_path(leaf_hashes, m, start, start + k),
            _subtree_root(leaf_hashes, start + k, end),
        ]
    return [
        *_path(leaf_hashes, m - k, start + k, end),
        _subtree_root(leaf_hashes, start, start + k),
    ]


def inclusion_path(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Return the inclusion proof PATH(index, D[n]) for the tree of these leaf hashes.

    A reference generator, straight from RFC 9162 §2.1.3.1; it hashes the whole tree (O(n)).
    Raises `OutOfRangeError` unless 0 <= index < len(leaf_hashes).
    """
    if not 0 <= index < len(leaf_hashes):
        raise OutOfRangeError(f"leaf index {index} is outside a tree of size {len(leaf_hashes)}")
    return _path(leaf_hashes, index, 0, len(leaf_hashes))


def _subproof(
    leaf_hashes: Sequence[bytes], m: int, start: int, end: int, whole: bool
) -> list[bytes]:
    """Return SUBPROOF(m, D[start:end], b) (RFC 9162 §2.1.4.1).

    `whole` is the RFC's b: true while D[start:start + m] is the entire first tree.
    """
    if m == end - start:
        return [] if whole else [_subtree_root(leaf_hashes, start, end)]
    k = _split(end - start)
    if m <= k:
        return [
            *_subproof(leaf_hashes, m, start, start + k, whole),
            _subtree_root(leaf_hashes, start + k, end),
        ]
    return [
        *_subproof(leaf_hashes, m - k, start + k, end, False),
        _subtree_root(leaf_hashes, start, start + k),
    ]


def consistency_path(leaf_hashes: Sequence[bytes], size1: int) -> list[bytes]:
    """Return the consistency proof PROOF(size1, D[n]) for the tree of these leaf hashes.

    A reference generator, straight from RFC 9162 §2.1.4.1; it hashes the whole tree (O(n)).
    The proof is empty when size1 == n. Raises `OutOfRangeError` unless
    0 < size1 <= len(leaf_hashes): as in transparency-dev/merkle, a proof from the empty tree
    is meaningless and is neither produced nor accepted.
    """
    size2 = len(leaf_hashes)
    if not 0 < size1 <= size2:
        raise OutOfRangeError(f"no consistency proof from size {size1} to size {size2}")
    return _subproof(leaf_hashes, size1, 0, size2, True)


# --- Verification (RFC 9162 §2.1.3.2, §2.1.4.2) --------------------------------------------------


def _check_digest(name: str, value: bytes) -> None:
    """Raise `InvalidProofError` unless `value` is a SHA-256 digest (32 bytes)."""
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InvalidProofError(f"{name} must be {HASH_SIZE} bytes")


def _check_path(path: Sequence[bytes]) -> None:
    """Raise `InvalidProofError` unless every element of `path` is a SHA-256 digest."""
    for i, node in enumerate(path):
        _check_digest(f"path[{i}]", node)


def _inclusion_path_length(index: int, size: int) -> int:
    """Return the length of PATH(index, D[size]): inner levels plus right-border levels.

    Inner levels lie below the node where the paths to `index` and `size - 1` meet; above it
    the path takes one left sibling per set bit of the remaining index (RFC 9162 §2.1.3.1).
    """
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_path_length(size1: int, size2: int) -> int:
    """Return the length of PROOF(size1, D[size2]) for 0 < size1 < size2 (RFC 9162 §2.1.4.1).

    It is the inclusion path of leaf size1 - 1 above the level of the rightmost complete
    subtree of the first tree, plus that subtree's hash unless it is the whole first tree.
    """
    shift = (size1 & -size1).bit_length() - 1
    length = _inclusion_path_length(size1 - 1, size2) - shift
    return length if size1 == 1 << shift else length + 1


def _wrong_length(got: int, want: int, what: str) -> InvalidProofError:
    """Build the error for a path of the wrong length."""
    return InvalidProofError(f"path has {got} hashes; {what} needs {want}")


def root_from_inclusion(*, leaf_hash: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """Return the root that `path` proves `leaf_hash` to be leaf `index` of a tree of `size`.

    RFC 9162 §2.1.3.2 steps 1 to 4 and the `sn` check of step 5; `verify_inclusion` compares
    the result with the root. Raises `InvalidProofError` if index is not in [0, size), if a
    hash is not 32 bytes, or if the path is too short or too long.
    """
    _check_digest("leaf hash", leaf_hash)
    _check_path(path)
    # 1. If leaf_index >= tree_size, fail. (A negative index fails too.)
    if not 0 <= index < size:
        raise InvalidProofError(f"leaf index {index} is outside a tree of size {size}")
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = index, size - 1
    # 3. Set r to hash.
    r = leaf_hash
    # 4. For each value p in the inclusion_path array:
    for p in path:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            raise _wrong_length(
                len(path), _inclusion_path_length(index, size), f"leaf {index} of {size}"
            )
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = hash_children(p, r)
            # ii. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn)
            #     is set or fn is 0.
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            # i. Set r to HASH(0x01 || r || p).
            r = hash_children(r, p)
        # c. Right-shift both fn and sn one time.
        fn, sn = fn >> 1, sn >> 1
    # 5. (first half) sn must be 0.
    if sn != 0:
        raise _wrong_length(
            len(path), _inclusion_path_length(index, size), f"leaf {index} of {size}"
        )
    return r


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> None:
    """Check that `path` proves `leaf_hash` is leaf `index` of the tree of `size` with `root`.

    RFC 9162 §2.1.3.2. Returns None; raises `InvalidProofError` if index is not in
    [0, size), if any hash is not 32 bytes, if the path has the wrong length, or if the root
    it leads to is not `root`.
    """
    _check_digest("root", root)
    computed = root_from_inclusion(leaf_hash=leaf_hash, index=index, size=size, path=path)
    # 5. (second half) r must equal root_hash.
    if not hmac.compare_digest(computed, root):
        raise InvalidProofError(f"inclusion path for leaf {index} does not lead to the root")


def _consistency_roots(
    size1: int, size2: int, root1: bytes, path: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Return (fr, sr), the first and second roots `path` leads to, for 0 < size1 < size2.

    RFC 9162 §2.1.4.2 steps 1 to 6 and the `sn` check of step 7. Raises `InvalidProofError`
    if the path is empty, too short or too long.
    """
    want = _consistency_path_length(size1, size2)
    # 1. If consistency_path is an empty array, stop and fail.
    if not path:
        raise _wrong_length(0, want, f"size {size1} to {size2}")
    # 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
    nodes = [root1, *path] if size1 & (size1 - 1) == 0 else list(path)
    wrong = _wrong_length(len(path), want, f"size {size1} to {size2}")
    return _fold_consistency(size1, size2, nodes, wrong)


def consistency_roots(*, size1: int, size2: int, nodes: Sequence[bytes]) -> tuple[bytes, bytes]:
    """Return (fr, sr), the roots of the trees of `size1` and `size2` that `nodes` lead to.

    `nodes` is the consistency path after RFC 9162 §2.1.4.2 step 2: when size1 is an exact
    power of 2 it starts with the root of the first size1 leaves, which the proof leaves
    out because a verifier holds it. Steps 3 to 6 and the `sn` check of step 7 then fold
    both roots out of the same hashes, so a path that leads to the root of size2 also fixes
    the root of its first size1 leaves. Raises `InvalidProofError` unless
    0 < size1 < size2, every node is 32 bytes and there are as many as the sizes need.
    """
    _check_path(nodes)
    if not 0 < size1 < size2:
        raise InvalidProofError(f"no consistency path from size {size1} to size {size2}")
    want = _consistency_path_length(size1, size2) + (size1 & (size1 - 1) == 0)
    if len(nodes) != want:
        raise _wrong_length(len(nodes), want, f"size {size1} to {size2}")
    wrong = _wrong_length(len(nodes), want, f"size {size1} to {size2}")
    return _fold_consistency(size1, size2, list(nodes), wrong)


def _fold_consistency(
    size1: int, size2: int, nodes: list[bytes], wrong: InvalidProofError
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 3 to 6 and the `sn` check of step 7 over `nodes`; raises
    `wrong` if the nodes are too few or too many."""
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = size1 - 1, size2 - 1
    # 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = nodes[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in nodes[1:]:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            raise wrong
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr). ii. Set sr to HASH(0x01 || c || sr).
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            # iii. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn)
            #      is set or fn is 0.
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            # i. Set sr to HASH(0x01 || sr || c).
            sr = hash_children(sr, c)
        # c. Right-shift both fn and sn one time.
        fn, sn = fn >> 1, sn >> 1
    # 7. (first part) sn must be 0.
    if sn != 0:
        raise wrong
    return fr, sr


def verify_consistency(
    *, size1: int, size2: int, root1: bytes, root2: bytes, path: Sequence[bytes]
) -> None:
    """Check that the tree of `size2` with `root2` extends the tree of `size1` with `root1`.

    RFC 9162 §2.1.4.2, with transparency-dev/merkle's edge cases: when size1 == size2 the
    path must be empty and the roots equal; a proof from size1 == 0 is meaningless and is
    refused. Returns None; raises `InvalidProofError` if size1 is not in (0, size2], if any
    hash is not 32 bytes, if the path has the wrong length, or if either root does not match.
    """
    _check_digest("root1", root1)
    _check_digest("root2", root2)
    _check_path(path)
    if not 0 <= size1 <= size2:
        raise InvalidProofError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == 0:
        raise InvalidProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if path:
            raise _wrong_length(len(path), 0, f"size {size1} to {size2}")
        if not hmac.compare_digest(root1, root2):
            raise InvalidProofError(f"two different roots for tree size {size1}")
        return
    fr, sr = _consistency_roots(size1, size2, root1, path)
    # 7. (second part) fr must equal first_hash and sr must equal second_hash.
    if not hmac.compare_digest(fr, root1):
        raise InvalidProofError(f"consistency path does not lead to the root of size {size1}")
    if not hmac.compare_digest(sr, root2):
        raise InvalidProofError(f"consistency path does not lead to the root of size {size2}")
