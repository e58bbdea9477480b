"""The audit's view of a server: its transparency endpoints, as an audit ``Source``.

The server serves only its latest checkpoint, so the audit covers the checkpoint served
first; at the end it spot-checks served inclusion proofs against the rebuilt tree and checks
that the checkpoint served then is consistent with the first one. An audit that requires
witnesses (K of the given cosigner keys) covers the server's latest witnessed checkpoint
instead (``/log/checkpoint/witnessed``) and refuses it unless K of those keys cosigned it.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from typing import Any

import httpx

from ledger.audit_chunk import Fault, NoteRow, Row, checkpoint_fault, entry_fault
from ledger.audit_state import AuditState
from ledger.checkpoint import verify_checkpoint
from ledger.cosignature import CosignerVerifier
from ledger.errors import AuditError, InvalidProofError, LedgerError
from ledger.merkle import verify_consistency, verify_inclusion
from ledger.note import NoteVerifier
from ledger.witnessing import require_cosignatures

PAGE = 1000
"""Entries per request: the most the server gives at once."""


def _hashes(value: Any) -> list[bytes] | None:
    """Hex strings as bytes; ``None`` unless it is a list of hex strings."""
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        return None
    try:
        return [bytes.fromhex(h) for h in value]
    except ValueError:
        return None


class HttpSource:
    """Reads ``/log/*`` from ``base_url`` with ``client``; with a ``quorum``, the head must
    carry cosignatures by that many of ``witnesses``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        witnesses: Sequence[CosignerVerifier] = (),
        quorum: int = 0,
    ) -> None:
        self.client = client
        self.base = base_url.rstrip("/")
        self.witnesses = list(witnesses)
        self.quorum = quorum
        self._head: NoteRow | None = None

    def shared_entries(self) -> None:
        """Entries come over HTTP only."""
        return None

    async def _get(self, path: str, **params: int) -> httpx.Response:
        response = await self.client.get(f"{self.base}{path}", params=params)
        if response.status_code != 200:
            raise AuditError(f"GET {path} {params} answered {response.status_code}")
        return response

    async def _json(self, path: str, **params: int) -> Any:
        try:
            return (await self._get(path, **params)).json()
        except ValueError as e:
            raise AuditError(f"GET {path} did not answer JSON") from e

    async def key(self) -> NoteVerifier:
        """The log key the server names (an auditor should pin it instead)."""
        return NoteVerifier.from_vkey((await self._get("/log/key")).text.strip())

    async def _checkpoint(
        self, verifier: NoteVerifier, origin: str, note: str | None = None
    ) -> NoteRow:
        if note is None:
            note = (await self._get("/log/checkpoint")).text
        try:
            checkpoint = verify_checkpoint(note, verifier, origin=origin)
        except LedgerError as e:
            raise AuditError(f"checkpoint (latest served): {e}") from e
        return NoteRow(checkpoint.size, checkpoint.root, note)

    async def head(self, verifier: NoteVerifier, origin: str) -> NoteRow:
        if not self.quorum:
            self._head = await self._checkpoint(verifier, origin)
            return self._head
        answer = await self.client.get(f"{self.base}/log/checkpoint/witnessed")
        note = answer.text if answer.status_code == 200 else None  # else: the latest
        head = await self._checkpoint(verifier, origin, note)
        try:
            require_cosignatures(head.note, self.witnesses, self.quorum)
        except LedgerError as e:
            raise AuditError(f"checkpoint {head.size}: {e}") from e
        self._head = head
        return head

    async def entries(self, start: int, end: int) -> list[Row]:
        pages = await asyncio.gather(
            *(
                self._json("/log/entries", start=s, end=min(s + PAGE, end))
                for s in range(start, end, PAGE)
            )
        )
        try:
            return [
                Row(int(item["index"]), base64.b64decode(item["entry"], validate=True))
                for page in pages
                for item in page["entries"]
            ]
        except (KeyError, TypeError, ValueError) as e:
            raise AuditError(f"entries {start} to {end}: malformed answer ({e!r})") from e

    async def checkpoints(self, first: int, last: int) -> list[NoteRow]:
        head = self._head
        return [head] if head is not None and first <= head.size <= last else []

    async def consistency(self, pairs: Sequence[tuple[int, int]]) -> list[list[bytes] | None]:
        proofs: list[list[bytes] | None] = []
        for a, b in pairs:
            answer = await self._json("/log/proof/consistency", first=a, second=b)
            proofs.append(_hashes(answer.get("path")))
        return proofs

    async def tail(self, state: AuditState) -> Fault | None:
        head = state.head
        fault = await self._check_inclusion(state, head)
        if fault is not None:
            return fault
        latest = await self._checkpoint(state.verifier, state.origin)
        if latest.size < head.size:
            return checkpoint_fault(latest.size, f"served after checkpoint {head.size}")
        if latest.size == head.size:
            if latest.root != head.root:
                return checkpoint_fault(latest.size, "a second root for the same size")
            return None
        answer = await self._json("/log/proof/consistency", first=head.size, second=latest.size)
        path = _hashes(answer.get("path"))
        try:
            if path is None:
                raise InvalidProofError("malformed proof")
            verify_consistency(
                size1=head.size, size2=latest.size, root1=head.root, root2=latest.root, path=path
            )
        except InvalidProofError as e:
            return checkpoint_fault(latest.size, f"not consistent with {head.size}: {e}")
        state.checkpoints += 1
        return None

    async def _check_inclusion(self, state: AuditState, head: NoteRow) -> Fault | None:
        """The served inclusion proofs of the first and last entry lead to the head's root."""
        for index, leaf in ((0, state.first_leaf), (head.size - 1, state.last_leaf)):
            if leaf is None:
                continue
            answer = await self._json("/log/proof/inclusion", index=index, size=head.size)
            path = _hashes(answer.get("path"))
            try:
                if path is None:
                    raise InvalidProofError("malformed proof")
                verify_inclusion(
                    leaf_hash=leaf, index=index, size=head.size, path=path, root=head.root
                )
            except InvalidProofError as e:
                return entry_fault(index, f"the served inclusion proof fails: {e}")
        return None
