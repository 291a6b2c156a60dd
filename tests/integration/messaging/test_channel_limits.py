"""Holding a provider's rate and concurrency: the token bucket on a fake clock, then with real sends."""

from __future__ import annotations

import asyncio
import time

import pytest

from huoke.messaging.channels.config import SmsConfig
from huoke.messaging.channels.limits import RateLimiter
from huoke.messaging.channels.sms_gateway import SmsGatewayAdapter
from huoke.messaging.sending import AsyncSender
from tests.support.providers import SmsGatewayServer, outbound

ENV_NAME = "HUOKE_TEST_SMS_SECRET"


class FakeClock:
    """Time that moves only when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake_at = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, wake_at)


def acquire_times(limiter: RateLimiter, clock: FakeClock, count: int) -> list[float]:
    async def one() -> float:
        await limiter.acquire()
        return clock.now

    async def go() -> list[float]:
        return [await one() for _ in range(count)]

    return asyncio.run(go())


def test_a_burst_passes_at_once_then_calls_are_spaced_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, 3, clock=clock, sleep=clock.sleep)

    times = acquire_times(limiter, clock, 6)

    assert times[:3] == [0.0, 0.0, 0.0]
    assert times[3:] == pytest.approx([0.1, 0.2, 0.3])


def test_an_idle_bucket_refills_up_to_its_burst_only() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, 2, clock=clock, sleep=clock.sleep)
    acquire_times(limiter, clock, 2)
    clock.now = 100.0  # a long pause earns at most BURST tokens

    times = acquire_times(limiter, clock, 4)

    assert times == pytest.approx([100.0, 100.0, 100.2, 100.4])


def test_concurrent_waiters_are_served_in_order_without_polling() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4, 1, clock=clock, sleep=clock.sleep)

    async def go() -> None:
        await asyncio.gather(*(limiter.acquire() for _ in range(5)))

    asyncio.run(go())

    # One sleep per waiter beyond the burst, each exactly its place in the queue: no busy loop.
    assert clock.sleeps == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_a_cancelled_waiter_gives_its_turn_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(20, 1, clock=clock, sleep=clock.sleep)

    async def go() -> None:
        await limiter.acquire()
        waiter = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)  # the waiter takes its place in the queue and sleeps
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        await limiter.acquire()

    asyncio.run(go())

    assert clock.sleeps == pytest.approx([0.05, 0.05])  # the next caller waits one slot, not two


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate_per_second"):
        RateLimiter(0)


def test_real_sends_through_the_dispatchers_sender_hold_the_rate_and_the_concurrency() -> None:
    with SmsGatewayServer(b"k", delay_ms=20) as gateway:
        config = SmsConfig(base_url=gateway.url, secret_env=ENV_NAME, rate_per_second=50, concurrency=3)
        sender = AsyncSender({"sms": SmsGatewayAdapter(config, secret=b"k")})
        try:
            started = time.monotonic()
            attempts = sender.send([outbound("sms", message_id=f"m-{i}") for i in range(40)])
            elapsed = time.monotonic() - started
        finally:
            sender.close()

    assert [attempt.outcome.kind for attempt in attempts] == ["sent"] * 40
    assert len(gateway.accepted) == 40
    assert gateway.max_in_flight <= 3
    # A burst of 50 tokens would let all 40 through at once; the concurrency of 3 with a 20 ms provider
    # caps it near 150/s instead. Generous bounds: never faster than the concurrency allows.
    assert elapsed >= 40 / 3 * 0.02 * 0.9
    assert elapsed < 10


def test_real_sends_hold_a_rate_below_what_the_provider_could_take() -> None:
    with SmsGatewayServer(b"k") as gateway:
        config = SmsConfig(base_url=gateway.url, secret_env=ENV_NAME, rate_per_second=40, concurrency=16)
        adapter = SmsGatewayAdapter(config, secret=b"k")
        limiter = RateLimiter(40, 1)

        async def go() -> float:
            started = time.monotonic()

            async def one(i: int) -> None:
                await limiter.acquire()
                await adapter.send(outbound("sms", message_id=f"m-{i}"))

            try:
                await asyncio.gather(*(one(i) for i in range(21)))
            finally:
                await adapter.aclose()
            return time.monotonic() - started

        elapsed = asyncio.run(go())

    assert len(gateway.accepted) == 21
    assert 0.45 <= elapsed < 5  # 20 intervals of 25 ms after the first token: at least 0.5 s (timer slack)
