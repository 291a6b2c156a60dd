"""Sending rendered messages through the channel adapters concurrently, on one event loop of our own.

The dispatcher runs in ordinary (synchronous) worker code; the adapters are asyncio. ``AsyncSender`` owns an
event loop in a background thread, keeps the adapters' connections open between batches, and honours each
adapter's concurrency and rate. An adapter that raises or hangs counts as a transient failure.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from huoke.messaging.channels.base import ChannelAdapter
from huoke.messaging.channels.limits import RateLimiter
from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage

SEND_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Attempted:
    message: OutboundMessage
    outcome: DeliveryOutcome
    provider: str
    duration_ms: int


class AsyncSender:
    """Sends batches through ADAPTERS (one per channel) from synchronous code."""

    def __init__(self, adapters: Mapping[Channel, ChannelAdapter], *, timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        self.adapters = dict(adapters)
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="huoke-sender", daemon=True)
        self._thread.start()
        self._gates: dict[Channel, asyncio.Semaphore] = {}
        self._limits: dict[Channel, RateLimiter] = {}

    def send(self, messages: Sequence[OutboundMessage]) -> list[Attempted]:
        """Send every message (each on its channel's adapter); one result per message, in order."""
        return self.submit(messages).result()

    def submit(self, messages: Sequence[OutboundMessage]) -> Future[list[Attempted]]:
        """Start sending MESSAGES and return at once; the future holds one result per message, in order."""
        return asyncio.run_coroutine_threadsafe(self._send_all(messages), self._loop)

    def provider(self, channel: Channel) -> str:
        adapter = self.adapters.get(channel)
        return adapter.provider if adapter else "none"

    def close(self) -> None:
        if self._loop.is_closed():
            return
        closing = asyncio.run_coroutine_threadsafe(self._close_adapters(), self._loop)
        try:
            closing.result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    async def _send_all(self, messages: Sequence[OutboundMessage]) -> list[Attempted]:
        return list(await asyncio.gather(*(self._send_one(message) for message in messages)))

    async def _send_one(self, message: OutboundMessage) -> Attempted:
        adapter = self.adapters.get(message.channel)
        if adapter is None:
            outcome = DeliveryOutcome.permanent("no_channel", f"no adapter for channel {message.channel}")
            return Attempted(message, outcome, "none", 0)
        async with self._gate(message.channel, adapter):
            await self._limit(message.channel, adapter)
            started = time.perf_counter()
            outcome = await self._attempt(adapter, message)
        return Attempted(message, outcome, adapter.provider, int((time.perf_counter() - started) * 1000))

    async def _attempt(self, adapter: ChannelAdapter, message: OutboundMessage) -> DeliveryOutcome:
        try:
            return await asyncio.wait_for(adapter.send(message), timeout=self.timeout)
        except TimeoutError:
            return DeliveryOutcome.transient("timeout", f"no answer within {self.timeout:.0f} s")
        except Exception as exc:  # an adapter defect must not lose the message: retry it later
            return DeliveryOutcome.transient("adapter_error", f"{type(exc).__name__}: {exc}"[:500])

    def _gate(self, channel: Channel, adapter: ChannelAdapter) -> asyncio.Semaphore:
        if channel not in self._gates:
            self._gates[channel] = asyncio.Semaphore(max(1, adapter.concurrency))
        return self._gates[channel]

    async def _limit(self, channel: Channel, adapter: ChannelAdapter) -> None:
        if adapter.rate_per_second is None:
            return
        if channel not in self._limits:
            rate = adapter.rate_per_second
            self._limits[channel] = RateLimiter(rate, max(1, int(rate)))
        await self._limits[channel].acquire()

    async def _close_adapters(self) -> None:
        for adapter in self.adapters.values():
            await adapter.aclose()
