"""``Ledger.submit``, the one path into the log: envelope, signature, gates, sequencer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.authoring import StatementFactory
from ledger.encoding import utc_now
from ledger.errors import (
    InvalidSignatureError,
    ReplayedNonceError,
    StatementError,
    UnknownKeyError,
    WrongOriginError,
)
from ledger.signing import Keypair
from ledger.statement import SignedStatement
from tests.support import World, running_ledger

ADMISSION = {"member_kind": "sme", "borough": "Sutton", "roles": []}


class Counting:
    """A gate that counts what it admitted and got back, and refuses when told to."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.admitted: list[str] = []
        self.returned_nonces: list[str] = []

    def admit(self, signed: SignedStatement) -> None:
        if self.refuse:
            raise StatementError("refused by the gate")
        self.admitted.append(signed.statement.nonce)

    def returned(self, signed: SignedStatement) -> None:
        self.returned_nonces.append(signed.statement.nonce)


def _admission(world: World, member: str) -> SignedStatement:
    body = {"member": member, "public_key": Keypair.generate().public_key_b64, **ADMISSION}
    return world.factory.sign(world.steward, "member.admitted", body)


async def test_gates_see_only_statements_whose_envelope_and_signature_check(
    sqlite_url_migrated: str,
) -> None:
    async with running_ledger(sqlite_url_migrated) as world:
        gate = Counting()
        world.ledger.gates.append(gate)
        other = StatementFactory("elsewhere.example/log")
        body = {"member": "x-1", "public_key": Keypair.generate().public_key_b64, **ADMISSION}
        with pytest.raises(WrongOriginError):
            await world.ledger.submit(other.sign(world.steward, "member.admitted", body))
        good = _admission(world, "good-1")
        forged = SignedStatement.create(good.statement, bytes(64))
        with pytest.raises(InvalidSignatureError):
            await world.ledger.submit(forged)
        with pytest.raises(UnknownKeyError):
            await world.ledger.submit(
                world.factory.sign(Keypair.generate(), "member.admitted", body)
            )
        assert gate.admitted == []
        await world.ledger.submit(good)
        assert gate.admitted == [good.statement.nonce]


async def test_a_resent_statement_is_handed_back_to_every_gate(sqlite_url_migrated: str) -> None:
    async with running_ledger(sqlite_url_migrated) as world:
        first, second = Counting(), Counting()
        world.ledger.gates.extend([first, second])
        signed = _admission(world, "once-1")
        receipt = await world.ledger.submit(signed)
        assert (await world.ledger.submit(signed)).entry.seq == receipt.entry.seq
        reused = world.factory.sign(
            world.steward,
            "member.admitted",
            _admission(world, "other-1").statement.body,
            nonce=signed.statement.nonce,
        )
        with pytest.raises(ReplayedNonceError):
            await world.ledger.submit(reused)
        nonce = signed.statement.nonce
        assert first.returned_nonces == second.returned_nonces == [nonce, nonce]


async def test_a_gate_that_refuses_undoes_the_gates_before_it(sqlite_url_migrated: str) -> None:
    async with running_ledger(sqlite_url_migrated) as world:
        first, refusing = Counting(), Counting(refuse=True)
        world.ledger.gates.extend([first, refusing])
        signed = _admission(world, "refused-1")
        size = world.ledger.registry.size
        with pytest.raises(StatementError, match="refused by the gate"):
            await world.ledger.submit(signed)
        assert first.returned_nonces == [signed.statement.nonce]
        assert world.ledger.registry.size == size


async def test_without_gates_the_envelope_is_still_checked_once_before_sequencing(
    sqlite_url_migrated: str,
) -> None:
    async with running_ledger(sqlite_url_migrated) as world:
        old = world.factory.sign(
            world.steward,
            "member.admitted",
            {"member": "late-1", "public_key": Keypair.generate().public_key_b64, **ADMISSION},
            issued_at=utc_now() - timedelta(hours=2),
        )
        with pytest.raises(StatementError, match="issued_at"):
            await world.ledger.submit(old)
