"""Mutation rates: a token bucket per signing key."""

from __future__ import annotations

import time
from dataclasses import dataclass

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

    def _prune(self, now: float) -> None:
        full = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.stamp < full}
