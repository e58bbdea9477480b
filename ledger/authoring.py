"""Authoring statements: a fresh nonce, the clock, the signature (what a member's client does;
the demo, the benchmarks and the tests write statements the same way)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime

from ledger.encoding import JSONValue, utc_now
from ledger.signing import Keypair
from ledger.statement import SignedStatement, sign_statement


def new_nonce() -> str:
    """A fresh random nonce (22 url-safe characters, 128 bits)."""
    return secrets.token_urlsafe(16)


class StatementFactory:
    """Signs statements for one origin with fresh nonces and the current time."""

    def __init__(self, origin: str, clock: Callable[[], datetime] = utc_now) -> None:
        self.origin = origin
        self.clock = clock

    def sign(
        self,
        keypair: Keypair,
        kind: str,
        body: Mapping[str, JSONValue],
        *,
        nonce: str | None = None,
        issued_at: datetime | None = None,
    ) -> SignedStatement:
        """A statement of ``kind`` with ``body``, signed by ``keypair``."""
        return sign_statement(
            keypair,
            origin=self.origin,
            kind=kind,
            body=body,
            nonce=nonce or new_nonce(),
            issued_at=issued_at or self.clock(),
        )
