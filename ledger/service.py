"""The ledger service: statement intake in front of the sequencer, and the log's reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import TracebackType

from ledger.encoding import utc_now
from ledger.log import LogView
from ledger.members import MEMBER_KINDS, KeyRecord, Registry
from ledger.note import NoteSigner
from ledger.sequencer import Context, Handler, Receipt, Sequencer
from ledger.statement import Entry, SignedStatement
from ledger.store import LogStore

DEFAULT_WINDOW = timedelta(minutes=10)
"""How far ``issued_at`` may be from the log's clock."""


class MembersHandler:
    """Checks and projects ``log.initialised`` and ``member.*`` statements."""

    kinds = MEMBER_KINDS

    async def check(self, ctx: Context, signed: SignedStatement, key: KeyRecord) -> None:
        """Refuse a member statement the registry does not allow."""
        ctx.registry.check(signed, None if signed.statement.kind == "log.initialised" else key)

    async def apply(self, ctx: Context, entry: Entry, key: KeyRecord) -> None:
        """Fold the entry into the batch's registry."""
        ctx.registry.apply(entry)


class Ledger:
    """A running log: ``submit`` appends signed statements, ``view`` answers auditors.

    Use as ``async with Ledger(...) as ledger:``; the sequencer runs while it is open.
    """

    def __init__(
        self,
        store: LogStore,
        *,
        origin: str,
        log_signer: NoteSigner,
        handlers: Sequence[Handler] = (),
        clock: Callable[[], datetime] = utc_now,
        window: timedelta = DEFAULT_WINDOW,
    ) -> None:
        self.store = store
        self.origin = origin
        self.clock = clock
        self.window = window
        self.view = LogView(store)
        self.sequencer = Sequencer(
            store,
            origin=origin,
            log_signer=log_signer,
            handlers=[MembersHandler(), *handlers],
            clock=clock,
        )

    @property
    def registry(self) -> Registry:
        """Members and keys as of the last batch this process committed or saw."""
        return self.sequencer.registry

    async def __aenter__(self) -> Ledger:
        await self.sequencer.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.sequencer.stop()

    async def submit(self, signed: SignedStatement) -> Receipt:
        """Check the envelope (origin, time window), then sequence the statement.

        Returns once the entry is durable. Raises a ``StatementError`` or ``RuleError``
        subclass, with nothing appended, when the statement is refused.
        """
        signed.check_envelope(origin=self.origin, now=self.clock(), window=self.window)
        return await self.sequencer.submit(signed)
