"""Pushing checkpoints to witnesses (C2SP tlog-witness v1.0.0, the client side).

One task per configured witness, beside the sequencer: appends never wait for a witness.
Each task sleeps until a new checkpoint is committed (``notify``, the sequencer's listener)
or until ``poll`` seconds pass (checkpoints written by another process, and retries), then
sends the *latest* checkpoint, whatever came in between, so the backlog per witness is one
checkpoint, never a queue; after each push it waits ``interval`` seconds, so that a busy log
sends a witness at most a few checkpoints a second. It sends ``old <size>`` with the size the
witness last cosigned (as stored, 0 at first, with no proof) and the consistency proof from
that size:

- 200: the answer's cosignature lines by that witness are verified against its key, then
  stored with the size (``ledger.sql.CosignatureStore``); a line that fails is dropped and
  logged;
- 409 with a ``text/x.tlog.size`` body: the witness holds another size; it is stored and
  the push is made again at once from it (a few times at most);
- 400, 403, 404, 422 and other refusals: logged; that checkpoint is not sent again, the
  next one is;
- timeouts, connection errors and 5xx: logged, then tried again after a delay that doubles
  up to ``backoff_max`` seconds.

On restart each task resumes from the stored sizes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import httpx

from ledger.cosignature import open_cosignatures
from ledger.errors import LedgerError
from ledger.log import LogView
from ledger.note import NoteVerifier
from ledger.sql import CosignatureStore, SqlLogStore
from ledger.store import CheckpointRow
from ledger.witness import format_add_checkpoint
from ledger.witnessing import (
    SIZE_CONTENT_TYPE,
    Witness,
    WitnessPolicy,
    log_signed,
    parse_tree_size,
)

log = logging.getLogger(__name__)

CONFLICT_RETRIES = 3
"""How many 409 answers one push follows before it waits for the next checkpoint."""
FIRST_BACKOFF = 0.5


class _Unreachable(Exception):
    """The witness did not answer, or answered with a server error: try again later."""


@dataclass
class _Channel:
    """One witness's push state: the size it last cosigned, and a wake-up call."""

    witness: Witness
    size: int = 0
    refused: int | None = None
    """The checkpoint size the witness refused: not sent again."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class WitnessPusher:
    """Pushes the ledger's latest checkpoint to each witness of ``policy``; see the module
    docstring. Use as ``async with WitnessPusher(...) as pusher:`` and call ``notify``."""

    def __init__(
        self,
        store: SqlLogStore,
        policy: WitnessPolicy,
        log_key: NoteVerifier,
        *,
        timeout: float = 10.0,
        backoff_max: float = 60.0,
        poll: float = 5.0,
        interval: float = 0.5,
    ) -> None:
        self.store = store
        self.cosignatures = CosignatureStore(store.engine)
        self.policy = policy
        self.log_key = log_key
        self.backoff_max = backoff_max
        self.poll = poll
        self.interval = interval
        self._channels = [_Channel(w) for w in policy.witnesses]
        self._tasks: list[asyncio.Task[None]] = []
        self._client = httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self) -> WitnessPusher:
        for channel in self._channels:
            channel.wake.set()  # push once at start: resume where the stored state says
            name = f"coopledger-witness-{channel.witness.verifier.name}"
            self._tasks.append(asyncio.create_task(self._run(channel), name=name))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._client.aclose()

    def notify(self, checkpoint: CheckpointRow | None = None) -> None:
        """A new checkpoint was committed: wake every witness's task (returns at once)."""
        for channel in self._channels:
            channel.wake.set()

    async def _run(self, channel: _Channel) -> None:
        sizes = await self._stored_sizes()
        channel.size = sizes.get(channel.witness.key, 0)
        delay = FIRST_BACKOFF
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await channel.wake.wait()
            channel.wake.clear()
            try:
                await self._push(channel)
            except _Unreachable as e:
                log.warning("witness %s: %s; trying again in %.1f s", _name(channel), e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max)
                channel.wake.set()
                continue
            except Exception:  # a database outage or a bug: log it, keep the task alive
                log.exception("witness %s: the push failed", _name(channel))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            delay = FIRST_BACKOFF
            await asyncio.sleep(self.interval)  # what comes meanwhile goes in one push

    async def _stored_sizes(self) -> dict[str, int]:
        delay = FIRST_BACKOFF
        while True:
            try:
                return await self.cosignatures.sizes()
            except Exception:
                log.exception("reading the witnesses' sizes failed")
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max)

    async def _push(self, channel: _Channel) -> None:
        """Send the latest checkpoint to the channel's witness, following 409 answers."""
        latest = await self.store.checkpoint()
        if latest is None or latest.size in (channel.size, channel.refused):
            return
        note = log_signed(latest.note, self.log_key)
        for _ in range(CONFLICT_RETRIES):
            old = channel.size
            if old > latest.size:
                return  # the witness holds a newer checkpoint than this one: wait for it
            response = await self._post(channel, await self._body(old, latest.size, note))
            if response.status_code == 200:
                await self._store(channel, latest.size, note, response.content)
                return
            if response.status_code != 409 or not _is_size(response):
                channel.refused = latest.size
                log.error(
                    "witness %s refused checkpoint %d (old %d): %d %s",
                    _name(channel),
                    latest.size,
                    old,
                    response.status_code,
                    response.text[:200],
                )
                return
            size = parse_tree_size(response.content)
            if size == old or size > await self.store.size():
                channel.refused = latest.size
                log.error(
                    "witness %s answers 409 with size %d to checkpoint %d (old %d): it holds a "
                    "checkpoint of that size this log cannot prove consistent",
                    _name(channel),
                    size,
                    latest.size,
                    old,
                )
                return
            log.info("witness %s holds size %d, not %d: sending again", _name(channel), size, old)
            await self.cosignatures.set_size(channel.witness.key, size)
            channel.size = size

    async def _body(self, old: int, size: int, note: str) -> bytes:
        proof: list[bytes] = []
        if 0 < old < size:
            proof = (await LogView(self.store).consistency(old, size)).path
        return format_add_checkpoint(old, proof, note)

    async def _post(self, channel: _Channel, body: bytes) -> httpx.Response:
        try:
            response = await self._client.post(
                channel.witness.add_checkpoint_url,
                content=body,
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError as e:
            raise _Unreachable(f"{type(e).__name__}: {e}") from e
        if response.status_code >= 500:
            raise _Unreachable(f"answered {response.status_code}")
        return response

    async def _store(self, channel: _Channel, size: int, note: str, answer: bytes) -> None:
        """Verify the answer's cosignature by the witness and store it with ``size``."""
        witness = channel.witness
        try:
            _, found = open_cosignatures(note + answer.decode(), [witness.verifier])
        except (LedgerError, UnicodeDecodeError) as e:
            log.error("witness %s: cosignature of %d dropped: %s", _name(channel), size, e)
            found = []
        if not found:
            log.error("witness %s: no valid cosignature of %d in its answer", _name(channel), size)
            channel.refused = size
            return
        lines = [(c.timestamp, c.line) for c in found]
        await self.cosignatures.add(witness.key, size, lines)
        channel.size = size
        log.info("witness %s cosigned checkpoint %d", _name(channel), size)


def _is_size(response: httpx.Response) -> bool:
    media = str(response.headers.get("content-type", "")).partition(";")[0]
    return media.strip().lower() == SIZE_CONTENT_TYPE


def _name(channel: _Channel) -> str:
    return channel.witness.verifier.name


async def witnessed_checkpoint(store: SqlLogStore, policy: WitnessPolicy) -> CheckpointRow | None:
    """The latest checkpoint cosigned by at least ``policy.quorum`` of its witnesses (its
    note carries every stored cosignature), or ``None`` while there is none."""
    keys = [w.key for w in policy.witnesses]
    size = await CosignatureStore(store.engine).witnessed_size(keys, policy.quorum)
    return None if size is None else await store.checkpoint(size)
