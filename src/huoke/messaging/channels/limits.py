"""Holding a provider's send rate: an asyncio token bucket.

Providers cap how fast a bank may call them (an SMS gateway at a few hundred messages a second, WeChat per
minute). ``RateLimiter`` lets a burst through at once, then spaces calls out evenly at the configured rate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    """A token bucket of BURST tokens refilled at RATE_PER_SECOND, read on a monotonic clock.

    Every ``acquire`` takes one token at once, letting the balance go below zero, and the caller sleeps
    exactly as long as the refill of its deficit takes. Waiters therefore queue in arrival order without a
    lock and without polling. A cancelled waiter gives its token back.
    """

    def __init__(
        self,
        rate_per_second: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError(f"rate_per_second must be above 0, not {rate_per_second}")
        self.rate = float(rate_per_second)
        self.burst = max(1, burst if burst is not None else int(rate_per_second))
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._updated = clock()

    async def acquire(self) -> None:
        """Wait until one more call is allowed."""
        self._refill()
        self._tokens -= 1.0
        if self._tokens >= 0:
            return
        try:
            await self._sleep(-self._tokens / self.rate)
        except asyncio.CancelledError:
            self._tokens += 1.0
            raise

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
