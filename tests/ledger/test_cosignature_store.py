"""Cosignatures in the store: the migration on a database in use, lines attached to the
checkpoint notes every reader gets, each witness's size, and K-of-N witnessed sizes."""

from __future__ import annotations

import pytest

from ledger.checkpoint import verify_checkpoint
from ledger.cosignature import Cosigner, open_cosignatures
from ledger.migrate import downgrade, upgrade
from ledger.sql import CosignatureStore, checkpoints, make_engine
from ledger.store import CheckpointRow
from ledger.witnessing import require_cosignatures
from tests.conftest import SQL_BACKENDS
from tests.support import ORIGIN, running_ledger

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


async def test_the_migration_adds_cosignatures_to_a_log_in_use(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await downgrade(engine, "0004")
        async with running_ledger(database_url) as world:  # appends, reads no checkpoint
            await world.admit("alice")
            log_key = world.log_signer.verifier
        async with engine.connect() as conn:
            query = checkpoints.select().order_by(checkpoints.c.size)
            before = [
                CheckpointRow(r.size, bytes(r.root), r.note) for r in await conn.execute(query)
            ]
        assert len(before) == 2
        await upgrade(engine)
        await upgrade(engine)  # again: nothing to do
        async with running_ledger(database_url, initialise_log=False) as world:
            assert await world.store.checkpoints(0, 100) == before
            latest = before[-1]
            witness = Cosigner.generate("witness.example/w1")
            body = verify_checkpoint(latest.note, log_key, origin=ORIGIN).body()
            line = witness.cosign(body, 1_700_000_000)
            await CosignatureStore(engine).add(witness.verifier.vkey(), latest.size, [(1, line)])
            served = await world.store.checkpoint()
            assert served is not None
            assert served.note == latest.note + line
    finally:
        await engine.dispose()


async def test_cosignatures_are_attached_after_the_log_signature_in_a_stable_order(
    database_url: str,
) -> None:
    async with running_ledger(database_url) as world:
        await world.admit("alice")
        first, second = await world.store.checkpoints(0, 2)
        store = CosignatureStore(world.store.engine)  # type: ignore[attr-defined]
        witnesses = sorted(
            (Cosigner.generate(f"witness.example/w{i}") for i in range(3)),
            key=lambda c: c.verifier.vkey(),
        )
        body = verify_checkpoint(second.note, world.log_signer.verifier, origin=ORIGIN).body()
        lines = {w.name: w.cosign(body, 1_700_000_000 + i) for i, w in enumerate(witnesses)}
        for witness in reversed(witnesses):  # stored in another order than served
            await store.add(witness.verifier.vkey(), second.size, [(0, lines[witness.name])])
        again = witnesses[0].cosign(body, 1_800_000_000)
        await store.add(witnesses[0].verifier.vkey(), second.size, [(0, again)])  # kept: first
        expected = second.note + "".join(lines[w.name] for w in witnesses)
        served = await world.store.checkpoint(second.size)
        assert served is not None and served.note == expected
        assert [c.note for c in await world.store.checkpoints(0, 2)] == [first.note, expected]
        assert (await world.ledger.view.latest_checkpoint()).note == expected
        verify_checkpoint(expected, world.log_signer.verifier, origin=ORIGIN)
        _, found = open_cosignatures(expected, [w.verifier for w in witnesses])
        assert len(found) == 3


async def test_a_size_is_witnessed_once_k_distinct_witnesses_cosigned_it(
    database_url: str,
) -> None:
    async with running_ledger(database_url) as world:
        for member in ("alice", "bob"):
            await world.admit(member)
        rows = await world.store.checkpoints(0, 10)
        engine = world.store.engine  # type: ignore[attr-defined]
        store = CosignatureStore(engine)
        witnesses = [Cosigner.generate(f"witness.example/w{i}") for i in range(3)]
        keys = [w.verifier.vkey() for w in witnesses]
        bodies = {
            r.size: verify_checkpoint(r.note, world.log_signer.verifier, origin=ORIGIN).body()
            for r in rows
        }
        old, new = rows[-2].size, rows[-1].size

        async def cosign(witness: Cosigner, size: int) -> None:
            line = witness.cosign(bodies[size], 1_700_000_000)
            await store.add(witness.verifier.vkey(), size, [(1_700_000_000, line)])

        assert await store.witnessed_size(keys, 2) is None
        await cosign(witnesses[0], old)
        await cosign(witnesses[0], new)
        assert await store.witnessed_size(keys, 1) == new
        assert await store.witnessed_size(keys, 2) is None
        await cosign(witnesses[1], old)
        assert await store.witnessed_size(keys, 2) == old
        assert await store.witnessed_size(keys[1:], 2) is None  # w0 no longer configured
        await cosign(witnesses[2], new)
        assert await store.witnessed_size(keys, 2) == new
        assert await store.sizes() == {keys[0]: new, keys[1]: old, keys[2]: new}
        await store.set_size(keys[1], 1)
        assert (await store.sizes())[keys[1]] == 1
        served = await world.store.checkpoint(new)
        assert served is not None
        require_cosignatures(served.note, [w.verifier for w in witnesses], 2)
