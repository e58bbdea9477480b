"""Submitting a signed statement from a mutation: parse, check kind, rate-limit, sequence.

Authorisation is the domain's: the sequencer's handlers refuse a statement its signer may
not make. A refusal comes back as a member of the mutation's result union; anything else
propagates and is masked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from api.graphql.context import Info
from api.graphql.inputs import SignedStatementInput
from api.graphql.refusals import Refusal, refusal
from api.graphql.types_log import Receipt
from ledger.errors import LedgerError, MalformedStatementError
from ledger.sequencer import Receipt as DomainReceipt
from ledger.statement import SignedStatement

S = TypeVar("S")


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
        receipt: DomainReceipt = await info.context.state.ledger.submit(signed)
    except LedgerError as e:
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
