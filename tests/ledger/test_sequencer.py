"""Statement intake and group commit through the service layer, on every backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from ledger import statement as statement_module
from ledger.authoring import StatementFactory
from ledger.bootstrap import admission
from ledger.checkpoint import verify_checkpoint
from ledger.encoding import b64encode, utc_now
from ledger.errors import (
    ConflictError,
    InvalidSignatureError,
    MalformedStatementError,
    NotAuthorisedError,
    ReplayedNonceError,
    RevokedKeyError,
    StaleStatementError,
    UnknownKeyError,
    UnknownKindError,
    WrongOriginError,
)
from ledger.merkle import root, verify_inclusion
from ledger.service import Ledger
from ledger.signing import Keypair
from ledger.statement import MAX_STATEMENT_BYTES, Entry, SignedStatement, Statement
from tests.conftest import SQL_BACKENDS
from tests.support import ORIGIN, World, assert_consistent, make_store, running_ledger

sql_backends = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


def _admission(world: World, member: str, keypair: Keypair | None = None) -> SignedStatement:
    key = (keypair or Keypair.generate()).public_key_b64
    body = admission(member, key, member_kind="sme", borough="Sutton")
    return world.factory.sign(world.steward, "member.admitted", body)


async def _assert_refused(world: World, signed: SignedStatement, error: type[Exception]) -> None:
    before = await world.store.size()
    with pytest.raises(error):
        await world.ledger.submit(signed)
    assert await world.store.size() == before


@sql_backends
async def test_concurrent_appends_are_gap_free_and_group_committed(
    database_url: str,
) -> None:
    async with running_ledger(database_url) as world:
        receipts = await asyncio.gather(
            *(world.ledger.submit(_admission(world, f"m{i:04d}")) for i in range(300))
        )
        seqs = sorted(r.entry.seq for r in receipts)
        assert seqs == list(range(1, 301))
        checkpoint_sizes = {r.checkpoint.size for r in receipts}
        assert len(checkpoint_sizes) < 100, "appends were not grouped into batches"
        for receipt in receipts:
            assert receipt.checkpoint.size > receipt.entry.seq
        rows = await world.store.entries(0, 1000)
        assert [r.seq for r in rows] == list(range(301))
        latest = verify_checkpoint(
            (await world.ledger.view.latest_checkpoint()).note,
            world.log_signer.verifier,
            origin=ORIGIN,
        )
        assert latest.size == 301
        assert latest.root == root([r.leaf_hash for r in rows])
        for row in rows:
            assert Entry.parse(row.data).seq == row.seq


@sql_backends
async def test_every_checkpoint_is_consistent_with_the_next(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        for wave in range(4):
            await asyncio.gather(
                *(world.ledger.submit(_admission(world, f"w{wave}-{i}")) for i in range(7))
            )
        checkpoints = await world.store.checkpoints(0, 100)
        assert len(checkpoints) >= 5
        await assert_consistent(world.ledger.view, checkpoints)
        last = checkpoints[-1]
        for index in range(last.size):
            proof = await world.ledger.view.inclusion(index, last.size)
            verify_inclusion(
                leaf_hash=proof.leaf_hash,
                index=index,
                size=last.size,
                path=proof.path,
                root=last.root,
            )


@sql_backends
async def test_replayed_nonce_refused(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        signed = _admission(world, "alpha")
        await world.ledger.submit(signed)
        other = world.factory.sign(
            world.steward,
            "member.admitted",
            _admission(world, "beta").statement.body,
            nonce=signed.statement.nonce,
        )
        await _assert_refused(world, other, ReplayedNonceError)


@sql_backends
async def test_the_same_bytes_sent_again_get_their_original_receipt(
    database_url: str,
) -> None:
    """A client whose answer was lost (a kill, a dropped connection) learns its seq."""
    async with running_ledger(database_url) as world:
        signed = _admission(world, "alpha")
        first = await world.ledger.submit(signed)
        await world.ledger.submit(_admission(world, "beta"))
        size = await world.store.size()
        again = await world.ledger.submit(signed)
        assert (again.entry.seq, again.entry.data) == (first.entry.seq, first.entry.data)
        assert again.checkpoint == first.checkpoint
        assert await world.store.size() == size


@sql_backends
async def test_replay_inside_one_batch_is_appended_once(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        signed = _admission(world, "alpha")
        results = await asyncio.gather(*(world.ledger.submit(signed) for _ in range(5)))
        assert {r.entry.seq for r in results} == {1}
        assert await world.store.size() == 2
        other = world.factory.sign(
            world.steward,
            "member.admitted",
            _admission(world, "beta").statement.body,
            nonce="reused-nonce-000000",
        )
        twins = [other, other, _admission(world, "beta")]
        outcomes = await asyncio.gather(
            *(world.ledger.submit(s) for s in twins), return_exceptions=True
        )
        refused = [o for o in outcomes if isinstance(o, BaseException)]
        assert all(isinstance(r, ConflictError) for r in refused), refused
        assert await world.store.size() == 3


@sql_backends
async def test_refusals_append_nothing(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        stranger = Keypair.generate()
        await _assert_refused(world, _admission_by(world, stranger, "x1"), UnknownKeyError)
        member = await world.admit("member-a")
        await _assert_refused(world, _admission_by(world, member, "x2"), NotAuthorisedError)
        await _assert_refused(world, _admission(world, "member-a"), ConflictError)
        other = StatementFactory("another.example/log")
        await _assert_refused(
            world,
            other.sign(world.steward, "member.admitted", _admission(world, "x3").statement.body),
            WrongOriginError,
        )
        for skew in (timedelta(hours=-1), timedelta(hours=1)):
            await _assert_refused(
                world,
                world.factory.sign(
                    world.steward,
                    "member.admitted",
                    _admission(world, "x4").statement.body,
                    issued_at=utc_now() + skew,
                ),
                StaleStatementError,
            )
        bad_body = dict(_admission(world, "x5").statement.body, extra="field")
        await _assert_refused(
            world,
            world.factory.sign(world.steward, "member.admitted", bad_body),
            MalformedStatementError,
        )


def _admission_by(world: World, signer: Keypair, member: str) -> SignedStatement:
    body = _admission(world, member).statement.body
    return world.factory.sign(signer, "member.admitted", body)


@sql_backends
async def test_forged_signature_refused(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        signed = _admission(world, "alpha")
        forged_statement = Statement.from_json(
            dict(signed.statement.to_json(), body=dict(signed.statement.body, member="beta"))
        )
        forged = SignedStatement.create(forged_statement, signed.signature)
        await _assert_refused(world, forged, InvalidSignatureError)


def _count_checks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every signature check made from now on, as (public key, message)."""
    checks: list[tuple[bytes, bytes]] = []
    real = statement_module.verify

    def counted(*, public_key: bytes, signature: bytes, message: bytes) -> None:
        checks.append((public_key, message))
        real(public_key=public_key, signature=signature, message=message)

    monkeypatch.setattr(statement_module, "verify", counted)
    return checks


def test_a_signature_found_good_for_a_key_is_not_checked_again_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keypair, other = Keypair.generate(), Keypair.generate()
    signed = StatementFactory(ORIGIN).sign(keypair, "member.key_rotated", {"member": "a"})
    checks = _count_checks(monkeypatch)
    with pytest.raises(InvalidSignatureError):
        signed.verify_with(other.public_key)
    with pytest.raises(InvalidSignatureError):  # a failure is not remembered
        signed.verify_with(other.public_key)
    signed.verify_with(keypair.public_key)
    signed.verify_with(keypair.public_key)
    assert [key for key, _ in checks] == [other.public_key, other.public_key, keypair.public_key]
    with pytest.raises(InvalidSignatureError):  # nor does a success count for another key
        signed.verify_with(other.public_key)


async def test_a_statement_checked_before_submission_is_not_checked_again(
    monkeypatch: pytest.MonkeyPatch, sqlite_url_migrated: str
) -> None:
    """The API checks a signature before it charges the signer's rate limit; the sequencer
    then takes the remembered check instead of making its own."""
    async with running_ledger(sqlite_url_migrated) as world:
        first, second = _admission(world, "alpha"), _admission(world, "beta")
        first.verify_with(world.steward.public_key)
        checks = _count_checks(monkeypatch)
        await asyncio.gather(world.ledger.submit(first), world.ledger.submit(second))
        assert [message.endswith(second.canonical) for _, message in checks] == [True]


def test_malformed_submissions_refused() -> None:
    keypair = Keypair.generate()
    good = StatementFactory(ORIGIN).sign(keypair, "member.key_rotated", {"member": "a"})
    value = good.to_json()
    with pytest.raises(MalformedStatementError):
        SignedStatement.from_bytes(b"{not json")
    with pytest.raises(UnknownKindError):
        SignedStatement.from_json(dict(value, statement=dict(value["statement"], kind="x.y")))
    with pytest.raises(MalformedStatementError):
        SignedStatement.from_json(dict(value, signature=b64encode(b"short")))
    with pytest.raises(MalformedStatementError):
        SignedStatement.from_json(dict(value, statement=dict(value["statement"], nonce="n")))
    with pytest.raises(MalformedStatementError):
        SignedStatement.from_json({"statement": value["statement"]})
    with pytest.raises(MalformedStatementError, match="integers"):
        StatementFactory(ORIGIN).sign(keypair, "member.key_rotated", {"member": 1.5})
    with pytest.raises(MalformedStatementError, match="limit"):
        StatementFactory(ORIGIN).sign(
            keypair, "member.key_rotated", {"member": "a" * MAX_STATEMENT_BYTES}
        )


@sql_backends
async def test_key_rotation_and_revocation(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        old = await world.admit("member-a")
        await world.admit("member-b")
        new = Keypair.generate()
        rotate = {"member": "member-a", "public_key": new.public_key_b64}
        await world.submit(old, "member.key_rotated", rotate)
        second_rotation = {"member": "member-a", "public_key": Keypair.generate().public_key_b64}
        await _assert_refused(
            world, world.factory.sign(old, "member.key_rotated", second_rotation), RevokedKeyError
        )
        hijack = {"member": "member-b", "public_key": Keypair.generate().public_key_b64}
        await _assert_refused(
            world, world.factory.sign(new, "member.key_rotated", hijack), NotAuthorisedError
        )
        replacement = Keypair.generate()
        revoke = {
            "member": "member-a",
            "key_id": new.key_id,
            "replacement": replacement.public_key_b64,
        }
        await world.submit(world.steward, "member.key_revoked", revoke)
        await _assert_refused(
            world, world.factory.sign(new, "member.key_rotated", second_rotation), RevokedKeyError
        )
        await world.submit(replacement, "member.key_rotated", second_rotation)
        record = world.ledger.registry.member("member-a")
        assert len(record.keys) == 4
        assert [world.ledger.registry.keys[k].active for k in record.keys] == [
            False,
            False,
            False,
            True,
        ]


@sql_backends
async def test_log_initialised_only_once(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        first = (await world.store.entries(0, 1))[0]
        again = dict(Entry.parse(first.data).statement.body)
        await _assert_refused(
            world, world.factory.sign(world.steward, "log.initialised", again), ConflictError
        )


@sql_backends
async def test_restart_reloads_tree_and_registry(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        member = await world.admit("member-a")
        before = await world.ledger.view.latest_checkpoint()
        signer, steward = world.log_signer, world.steward
    store = make_store(database_url)
    try:
        async with Ledger(store, origin=ORIGIN, log_signer=signer) as ledger:
            assert ledger.registry.member("member-a").keys == [member.key_id]
            factory = StatementFactory(ORIGIN)
            rotate = {"member": "member-a", "public_key": Keypair.generate().public_key_b64}
            await ledger.submit(factory.sign(member, "member.key_rotated", rotate))
            key = Keypair.generate().public_key_b64
            admitted = admission("member-b", key, member_kind="sme", borough="Merton")
            await ledger.submit(factory.sign(steward, "member.admitted", admitted))
            after = await ledger.view.latest_checkpoint()
            await assert_consistent(ledger.view, [before, after])
    finally:
        await store.close()


@sql_backends
async def test_two_writers_on_one_database_share_one_sequence(database_url: str) -> None:
    """Two ledgers with their own engines stand for two server processes."""
    async with running_ledger(database_url) as world:
        store_b = make_store(database_url)
        try:
            async with Ledger(store_b, origin=ORIGIN, log_signer=world.log_signer) as ledger_b:
                submissions = []
                for i in range(120):
                    target = world.ledger if i % 2 else ledger_b
                    submissions.append(target.submit(_admission(world, f"p{i:03d}")))
                receipts = await asyncio.gather(*submissions)
                assert sorted(r.entry.seq for r in receipts) == list(range(1, 121))
                assert len(ledger_b.registry.members) >= 1
        finally:
            await store_b.close()
        checkpoints = await world.store.checkpoints(0, 1000)
        sizes = [c.size for c in checkpoints]
        assert sizes == sorted(set(sizes))
        rows = await world.store.entries(0, 1000)
        assert checkpoints[-1].root == root([r.leaf_hash for r in rows])
        await assert_consistent(world.ledger.view, checkpoints)


class _FaultyHandler:
    """Accepts ``credit.claimed`` unless its body says ``fail``; then its check crashes."""

    kinds = frozenset({"credit.claimed"})

    async def check(self, ctx: object, signed: SignedStatement, key: object) -> None:
        if signed.statement.body.get("fail"):
            raise RuntimeError("a bug in a check")

    async def apply(self, ctx: object, entry: Entry, key: object) -> None:
        return None


@sql_backends
async def test_a_crashing_check_fails_only_its_own_statement(database_url: str) -> None:
    async with running_ledger(database_url, handlers=[_FaultyHandler()]) as world:
        member = await world.admit("member-a")
        before = await world.store.size()
        bodies = [{"n": i, "fail": i == 3} for i in range(8)]
        results = await asyncio.gather(
            *(world.submit(member, "credit.claimed", body) for body in bodies),
            return_exceptions=True,
        )
        failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
        assert failed == [3]
        assert isinstance(results[3], RuntimeError)
        assert await world.store.size() == before + 7


@sql_backends
async def test_a_kind_without_a_handler_is_refused(database_url: str) -> None:
    async with running_ledger(database_url) as world:
        member = await world.admit("member-a")
        with pytest.raises(UnknownKindError, match=r"takes no credit\.claimed"):
            await world.submit(member, "credit.claimed", {"n": 1})
