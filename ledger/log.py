"""Reading the log as an auditor does: checkpoints, entries and RFC 9162 proofs from storage.

Every root or proof costs one batched read of O(log n) stored subtree hashes, and nothing
else: a tree size is within the log exactly when the complete subtrees that make up its root
are stored (the last of them ends at that size), so the read itself tells a size beyond the
log; only then is the log's size read, to tell that from a store missing a node.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import OutOfRangeError, StoreError
from ledger.store import CheckpointRow, EntryRow, LogReader
from ledger.tree import (
    NodeHashes,
    NodeID,
    consistency_nodes,
    consistency_proof,
    inclusion_nodes,
    inclusion_proof,
    root_at,
    root_nodes,
)

MAX_ENTRIES_PER_READ = 1000


@dataclass(frozen=True)
class InclusionProof:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` with ``root``."""

    index: int
    size: int
    leaf_hash: bytes
    path: list[bytes]
    root: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    """RFC 9162 consistency proof between the trees of sizes ``first`` and ``second``."""

    first: int
    second: int
    path: list[bytes]
    first_root: bytes
    second_root: bytes


class LogView:
    """Proofs and roots at any past size, read from a ``LogReader``."""

    def __init__(self, reader: LogReader) -> None:
        self.reader = reader

    async def latest_checkpoint(self) -> CheckpointRow:
        """The newest signed checkpoint; raises ``OutOfRangeError`` before ``init``."""
        checkpoint = await self.reader.checkpoint()
        if checkpoint is None:
            raise OutOfRangeError("the log has no checkpoint yet; run init")
        return checkpoint

    async def _check_size(self, size: int) -> None:
        if size < 0 or size > await self.reader.size():
            raise OutOfRangeError(f"tree size {size} is beyond the log")

    async def _nodes(self, size: int, ids: list[NodeID]) -> NodeHashes:
        """The stored hashes of ``ids``, all of which lie within the tree of ``size``.

        Raises ``OutOfRangeError`` if ``size`` is beyond the log and ``StoreError`` if the
        store lacks a node it should hold.
        """
        if size < 0:
            raise OutOfRangeError(f"tree size {size} is negative")
        nodes = await self.reader.nodes(ids)
        if len(nodes) < len(set(ids)):
            await self._check_size(size)
            missing = sorted(set(ids) - nodes.keys())
            raise StoreError(f"the store lacks tree nodes {missing[:3]} of size {size}")
        return nodes

    async def root(self, size: int) -> bytes:
        """The RFC 9162 root of the first ``size`` entries."""
        return root_at(size, await self._nodes(size, root_nodes(size)))

    async def entries(self, start: int, end: int) -> list[EntryRow]:
        """Entries ``start <= seq < end``; at most ``MAX_ENTRIES_PER_READ``, within the log."""
        if start < 0 or end < start:
            raise OutOfRangeError("need 0 <= start <= end")
        if end - start > MAX_ENTRIES_PER_READ:
            raise OutOfRangeError(f"at most {MAX_ENTRIES_PER_READ} entries per read")
        size = await self.reader.size()
        if start > size:
            raise OutOfRangeError(f"start {start} is beyond the log's size {size}")
        return await self.reader.entries(start, min(end, size))

    async def inclusion(self, index: int, size: int) -> InclusionProof:
        """Inclusion proof of entry ``index`` in the tree of ``size``."""
        if not 0 <= index < size:
            await self._check_size(size)
            raise OutOfRangeError(f"index {index} is not in a tree of size {size}")
        ids = inclusion_nodes(index, size) + root_nodes(size) + [(0, index)]
        nodes = await self._nodes(size, ids)
        return InclusionProof(
            index=index,
            size=size,
            leaf_hash=nodes[(0, index)],
            path=inclusion_proof(index, size, nodes),
            root=root_at(size, nodes),
        )

    async def consistency(self, first: int, second: int) -> ConsistencyProof:
        """Consistency proof between the trees of sizes ``first <= second``."""
        if not 0 <= first <= second:
            await self._check_size(second)
            raise OutOfRangeError(f"need 0 <= first <= second, got {first} and {second}")
        ids = consistency_nodes(first, second) + root_nodes(first) + root_nodes(second)
        nodes = await self._nodes(second, ids)
        return ConsistencyProof(
            first=first,
            second=second,
            path=consistency_proof(first, second, nodes),
            first_root=root_at(first, nodes),
            second_root=root_at(second, nodes),
        )
