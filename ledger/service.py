"""The ledger service: statement intake in front of the sequencer, and the log's reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol

from ledger.encoding import utc_now
from ledger.errors import ReplayedNonceError, UnknownKeyError
from ledger.log import LogView
from ledger.members import MEMBER_KINDS, KeyRecord, Registry
from ledger.note import NoteSigner
from ledger.sequencer import Context, Handler, Receipt, Sequencer
from ledger.signing import KeyID
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


class Gate(Protocol):
    """A policy on intake, such as a rate limit: it sees a statement once its origin, time
    and signature have checked, before it is sequenced."""

    def admit(self, signed: SignedStatement) -> None:
        """Let ``signed`` through, or refuse it with a ``StatementError``."""

    def returned(self, signed: SignedStatement) -> None:
        """``signed``, admitted, was refused as sent before: undo what ``admit`` spent."""


KeyLookup = Callable[[KeyID], Awaitable[KeyRecord | None]]
"""Where intake finds a signer's key: the registry as the store holds it (several processes
may admit members), or by default the sequencer's own."""


class Ledger:
    """A running log: ``submit`` appends signed statements, ``view`` answers auditors.

    Use as ``async with Ledger(...) as ledger:``; the sequencer runs while it is open.
    ``gates`` (policies such as a rate limit) and ``keys`` may be set once it is open.
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
        self.gates: list[Gate] = []
        self.keys: KeyLookup | None = None
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
        """The one path of a statement into the log.

        1. The envelope: its origin and that ``issued_at`` is within the window.
        2. With gates: the signature, against the signer's key, then each gate in turn (a
           gate that refuses undoes nothing of its own; those before it are undone).
        3. The sequencer: the nonce, the signer's right to make it, the domain's checks;
           it returns once the entry is durable. A statement refused as sent before is
           handed back to the gates (a resent statement costs its signer nothing), and
           when those very bytes were logged, their original receipt is the answer.

        Raises a ``StatementError`` or ``RuleError`` subclass, with nothing appended, when
        the statement is refused. The signature is checked once: the sequencer skips a
        signature already found good for the key.
        """
        signed.check_envelope(origin=self.origin, now=self.clock(), window=self.window)
        if self.gates:
            signed.verify_with((await self._key(signed.statement.key_id)).public_key)
            self._admit(signed)
        try:
            return await self.sequencer.submit(signed)
        except ReplayedNonceError:
            for gate in self.gates:
                gate.returned(signed)
            original = await self._original(signed)
            if original is None:
                raise
            return original

    async def _original(self, signed: SignedStatement) -> Receipt | None:
        """The receipt of ``signed`` itself, if these very bytes were logged before (a client
        whose answer was lost sends them again); ``None`` for another statement that reused
        the nonce."""
        statement = signed.statement
        row = await self.store.entry_with_nonce(statement.key_id, statement.nonce)
        if row is None:
            return None
        entry = Entry.parse(row.data)
        if (entry.signed.canonical, entry.signed.signature) != (signed.canonical, signed.signature):
            return None
        first = await self.store.checkpoints(entry.seq + 1, 1)
        return Receipt(entry, first[0]) if first else None

    async def _key(self, key_id: KeyID) -> KeyRecord:
        record = await self.keys(key_id) if self.keys else self.registry.keys.get(key_id)
        if record is None:
            raise UnknownKeyError(f"key {key_id} is not registered")
        return record

    def _admit(self, signed: SignedStatement) -> None:
        for i, gate in enumerate(self.gates):
            try:
                gate.admit(signed)
            except Exception:
                for admitted in self.gates[:i]:
                    admitted.returned(signed)
                raise
