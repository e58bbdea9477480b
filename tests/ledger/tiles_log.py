"""A log grown fast for the tile tests: filler entries appended through the store itself.

Tiles do not read what an entry says, so after ``init`` (or on an empty database) rows of a
filler kind are appended straight through the store's transaction with their tree nodes
(``Frontier``) and one signed checkpoint per batch: 65,536+ entries in seconds.
"""

from __future__ import annotations

import hashlib

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.note import NoteSigner
from ledger.sql import SqlLogStore, make_engine
from ledger.store import CheckpointRow, EntryRow
from ledger.tree import Frontier

BATCH = 10_000


def _leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def _filler(seq: int) -> bytes:
    return b'{"filler":%d,"pad":"%s"}' % (seq, b"x" * (seq * 37 % 1500))


async def grow(url: str, signer: NoteSigner, size: int) -> None:
    """Append filler entries (and their nodes, and a checkpoint per batch) up to ``size``."""
    store = SqlLogStore(make_engine(url))
    try:
        start = await store.size()
        frontier = Frontier.load(start, await store.nodes(Frontier.nodes_for(start)))
        while frontier.size < size:
            async with store.transaction() as tx:
                rows, nodes = [], []
                for seq in range(frontier.size, min(size, frontier.size + BATCH)):
                    data = _filler(seq)
                    nodes.extend(frontier.append(_leaf(data)))
                    key_id = f"{seq:016x}"
                    rows.append(EntryRow(seq, _leaf(data), data, "test.filler", key_id, "n", "-"))
                tx.append(rows, nodes)
                body = Checkpoint(origin=signer.name, size=frontier.size, root=frontier.root())
                tx.add_checkpoint(
                    CheckpointRow(body.size, body.root, sign_checkpoint(body, signer))
                )
    finally:
        await store.close()
