"""The first entries of a new log: the steward's ``log.initialised`` and member admissions."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.authoring import StatementFactory
from ledger.note import NoteSigner
from ledger.sequencer import Receipt
from ledger.service import Ledger
from ledger.signing import Keypair


async def initialise(
    ledger: Ledger,
    *,
    steward: Keypair,
    steward_id: str,
    log_signer: NoteSigner,
    borough: str = "-",
) -> Receipt:
    """Append entry 0: the steward (a board member) and the log's verifier key."""
    factory = StatementFactory(ledger.origin, ledger.clock)
    return await ledger.submit(
        factory.sign(
            steward,
            "log.initialised",
            {
                "member": steward_id,
                "public_key": steward.public_key_b64,
                "member_kind": "steward",
                "borough": borough,
                "roles": ["board"],
                "log_key": log_signer.verifier.vkey(),
            },
        )
    )


async def admit(
    ledger: Ledger,
    *,
    steward: Keypair,
    member: str,
    keypair: Keypair,
    member_kind: str,
    borough: str,
    roles: Sequence[str] = (),
) -> Receipt:
    """Have the steward admit ``member`` with ``keypair``'s public key."""
    factory = StatementFactory(ledger.origin, ledger.clock)
    return await ledger.submit(
        factory.sign(
            steward,
            "member.admitted",
            {
                "member": member,
                "public_key": keypair.public_key_b64,
                "member_kind": member_kind,
                "borough": borough,
                "roles": list(roles),
            },
        )
    )
