from __future__ import annotations

import asyncio

import pytest

from bot.ratelimit import BACKGROUND, INTERACTIVE, RateLimiter
from tests.helpers import FakeClock, max_in_any_window


async def run_many(limiter: RateLimiter, clock: FakeClock, n: int, priority: int = INTERACTIVE) -> list[float]:
    sent: list[float] = []

    async def one():
        await limiter.acquire(priority)
        sent.append(clock())

    await asyncio.gather(*(one() for _ in range(n)))
    return sent


async def test_never_more_than_rate_in_any_window():
    clock = FakeClock()
    limiter = RateLimiter(25, clock=clock, sleep=clock.sleep, margin=0.05)
    sent = await run_many(limiter, clock, 200)
    assert len(sent) == 200
    assert max_in_any_window(sent, 1.0) == 25
    # The margin is held: the 26th request goes no sooner than 1.05 s after the 1st.
    assert max_in_any_window(sent, 1.05) == 25
    # ...and the limiter is not needlessly slow: 200 requests in 8 windows of 1.05 s (7 waits).
    assert sent[-1] - sent[0] == pytest.approx(7 * 1.05)


async def test_first_come_first_served():
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    order: list[int] = []

    async def one(i: int):
        await limiter.acquire()
        order.append(i)

    tasks = []
    for i in range(10):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0)  # arrive in order
    await asyncio.gather(*tasks)
    assert order == list(range(10))


async def test_interactive_goes_before_background():
    clock = FakeClock()
    limiter = RateLimiter(1, clock=clock, sleep=clock.sleep)
    order: list[str] = []

    async def one(name: str, priority: int):
        await limiter.acquire(priority)
        order.append(name)

    await limiter.acquire()  # the window is now full
    tasks = [asyncio.create_task(one(f"poll{i}", BACKGROUND)) for i in range(3)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(one("staff", INTERACTIVE)))
    await asyncio.gather(*tasks)
    assert order[0] == "staff"
    assert order[1:] == ["poll0", "poll1", "poll2"]


async def test_pause_holds_everyone():
    clock = FakeClock()
    limiter = RateLimiter(25, clock=clock, sleep=clock.sleep)
    start = clock()
    limiter.pause(2.0)
    sent = await run_many(limiter, clock, 3)
    assert all(t >= start + 2.0 for t in sent)


async def test_cancelled_waiter_leaves_the_queue():
    clock = FakeClock()
    limiter = RateLimiter(1, clock=clock, sleep=asyncio.sleep)  # real sleep so the waiter really waits
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert limiter.waiting == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.waiting == 0
    clock.advance(2)
    await asyncio.wait_for(limiter.acquire(), 1)


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_window_helper():
    assert max_in_any_window([0, 0.5, 0.99, 1.0, 1.5], 1.0) == 3
    assert max_in_any_window([], 1.0) == 0
