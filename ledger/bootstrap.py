"""The first entries of a new log: the steward's ``log.initialised`` and member admissions."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.authoring import StatementFactory
from ledger.encoding import JSONValue
from ledger.note import NoteSigner
from ledger.sequencer import Receipt
from ledger.service import Ledger
from ledger.signing import Keypair


def admission(
    member: str, public_key: str, *, member_kind: str, borough: str, roles: Sequence[str] = ()
) -> dict[str, JSONValue]:
    """The body of a ``member.admitted`` statement (``log.initialised`` adds the log key)."""
    return {
        "member": member,
        "public_key": public_key,
        "member_kind": member_kind,
        "borough": borough,
        "roles": list(roles),
    }


async def _steward_signs(
    ledger: Ledger, steward: Keypair, kind: str, body: dict[str, JSONValue]
) -> Receipt:
    factory = StatementFactory(ledger.origin, ledger.clock)
    return await ledger.submit(factory.sign(steward, kind, body))


async def initialise(
    ledger: Ledger,
    *,
    steward: Keypair,
    steward_id: str,
    log_signer: NoteSigner,
    borough: str = "-",
) -> Receipt:
    """Append entry 0: the steward (a board member) and the log's verifier key."""
    steward_entry = admission(
        steward_id, steward.public_key_b64, member_kind="steward", borough=borough, roles=["board"]
    )
    body = {**steward_entry, "log_key": log_signer.verifier.vkey()}
    return await _steward_signs(ledger, steward, "log.initialised", body)


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
    body = admission(
        member, keypair.public_key_b64, member_kind=member_kind, borough=borough, roles=roles
    )
    return await _steward_signs(ledger, steward, "member.admitted", body)
