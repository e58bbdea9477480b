"""Submitting a signed statement from a mutation: parse, check kind, rate-limit, sequence.

Authorisation is the domain's: the sequencer's handlers refuse a statement its signer may
not make. A refusal comes back as a member of the mutation's result union; anything else
propagates and is masked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from api.errors import RateLimitedError
from api.graphql.context import Info
from api.graphql.inputs import SignedStatementInput
from api.graphql.refusals import Refusal, refusal
from api.graphql.types_log import Receipt
from governance.errors import GovernanceError
from ledger.errors import LedgerError, MalformedStatementError, UnknownKeyError
from ledger.members import Registry
from ledger.sequencer import Receipt as DomainReceipt
from ledger.statement import SignedStatement

S = TypeVar("S")


async def _key(info: Info, signed: SignedStatement) -> bytes:
    """The signer's public key, from a registry caught up if the key is new to this process."""
    key_id = signed.statement.key_id
    registry: Registry = await info.context.registry()
    if key_id not in registry.keys:
        registry = await info.context.state.registry.current(fresh=True)
    if key_id not in registry.keys:
        raise UnknownKeyError(f"key {key_id} is not registered")
    return registry.keys[key_id].public_key


async def _admit(info: Info, signed: SignedStatement) -> None:
    """Charge the signer's rate limit, once the signature shows the signer is who it says."""
    signed.verify_with(await _key(info, signed))
    wait = info.context.state.limiter.take(signed.statement.key_id)
    if wait > 0:
        raise RateLimitedError(
            f"too many statements by key {signed.statement.key_id}; retry in {wait:.1f} s",
            retry_after=wait,
        )


async def submit(
    info: Info,
    statement: SignedStatementInput,
    kind: str,
    allowed: tuple[type[Exception], ...],
    success: Callable[[Receipt, SignedStatement], S],
) -> S | Refusal:
    """Submit ``statement`` (which must be of ``kind``); ``success`` builds the answer."""
    try:
        signed = statement.to_domain()
        if signed.statement.kind != kind:
            raise MalformedStatementError(
                f"this mutation takes {kind} statements, not {signed.statement.kind}"
            )
        await _admit(info, signed)
        receipt: DomainReceipt = await info.context.state.ledger.submit(signed)
    except (LedgerError, GovernanceError) as e:
        try:
            return refusal(e, allowed)
        except LookupError:
            raise e from None
    return success(Receipt.from_domain(receipt), signed)


def body_int(signed: SignedStatement, name: str) -> int:
    """An integer field of an accepted statement's body (the handler checked it)."""
    value: Any = signed.statement.body[name]
    return int(value)


def body_str(signed: SignedStatement, name: str) -> str:
    """A string field of an accepted statement's body (the handler checked it)."""
    return str(signed.statement.body[name])
