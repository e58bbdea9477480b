"""Mutation rates: a token bucket per signing key, a gate on the ledger's intake."""

from __future__ import annotations

import time
from dataclasses import dataclass

from api.errors import RateLimitedError
from ledger.statement import SignedStatement

_PRUNE_EVERY = 10_000


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """A token bucket per key: ``rate`` per second on average, bursts of up to ``burst``.

    Kept in the memory of one process; with several processes behind a proxy, each allows
    this rate, so a key's limit is at most the number of processes times ``rate``.
    """

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._calls = 0

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one token of ``key``; return 0, or the seconds to wait if there is none."""
        now = time.monotonic() if now is None else now
        self._calls += 1
        if self._calls % _PRUNE_EVERY == 0:
            self._prune(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def give_back(self, key: str) -> None:
        """Return a token ``take`` spent on something that turned out not to be ``key``'s."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(float(self.burst), bucket.tokens + 1)

    def admit(self, signed: SignedStatement) -> None:
        """Charge ``signed`` to its signer (``ledger.service.Gate``); raises
        ``RateLimitedError`` when the signer has no allowance left."""
        key_id = signed.statement.key_id
        wait = self.take(key_id)
        if wait > 0:
            raise RateLimitedError(
                f"too many statements by key {key_id}; retry in {wait:.1f} s", retry_after=wait
            )

    def returned(self, signed: SignedStatement) -> None:
        """Give back the charge of a statement the ledger found sent before."""
        self.give_back(signed.statement.key_id)

    def _prune(self, now: float) -> None:
        full = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.stamp < full}
