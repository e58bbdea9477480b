"""Test support: a running ledger on any backend with a steward, and a statement factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from ledger.authoring import StatementFactory
from ledger.bootstrap import admit, initialise
from ledger.encoding import utc_now
from ledger.note import NoteSigner
from ledger.sequencer import Handler, Receipt
from ledger.service import Ledger
from ledger.signing import Keypair
from ledger.sql import SqlLogStore, make_engine
from ledger.store import LogStore

ORIGIN = "test.coopledger.example/log"


@dataclass
class World:
    """A ledger with its log key, steward key and a statement factory."""

    ledger: Ledger
    store: LogStore
    log_signer: NoteSigner
    steward: Keypair
    factory: StatementFactory

    async def admit(
        self, member: str, *, kind: str = "sme", borough: str = "Croydon", roles: Sequence[str] = ()
    ) -> Keypair:
        """Admit a member with a fresh key and return the key."""
        keypair = Keypair.generate()
        await admit(
            self.ledger,
            steward=self.steward,
            member=member,
            keypair=keypair,
            member_kind=kind,
            borough=borough,
            roles=roles,
        )
        return keypair

    async def submit(
        self, keypair: Keypair, kind: str, body: dict[str, object], **kwargs: object
    ) -> Receipt:
        """Sign and submit a statement."""
        return await self.ledger.submit(self.factory.sign(keypair, kind, body, **kwargs))  # type: ignore[arg-type]


def make_store(database_url: str) -> SqlLogStore:
    """A store on the given (migrated) database URL."""
    return SqlLogStore(make_engine(database_url))


@asynccontextmanager
async def running_ledger(
    database_url: str,
    *,
    handlers: Sequence[Handler] = (),
    clock: Callable[[], datetime] = utc_now,
    initialise_log: bool = True,
) -> AsyncIterator[World]:
    """Open a ledger on ``database_url``, initialised with a steward."""
    store = make_store(database_url)
    log_signer = NoteSigner.generate(ORIGIN)
    steward = Keypair.generate()
    try:
        async with Ledger(
            store, origin=ORIGIN, log_signer=log_signer, handlers=handlers, clock=clock
        ) as ledger:
            if initialise_log:
                await initialise(
                    ledger, steward=steward, steward_id="steward", log_signer=log_signer
                )
            yield World(ledger, store, log_signer, steward, StatementFactory(ORIGIN, clock))
    finally:
        await store.close()
