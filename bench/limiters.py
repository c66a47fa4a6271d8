"""The limiters the throughput benchmark drives the real ``SeriesClient`` with.

``SeriesClient`` uses exactly two methods of its limiter: ``await acquire(priority)`` before each send and
``pause(seconds)`` after a 429 (with the server's ``Retry-After``). Ours is ``bot.ratelimit.RateLimiter``; the
two baselines below expose the same two methods. Both baselines **honour** ``pause`` the way ours does (every
caller waits until the pause ends), so the client behaves identically around them and only the admission rule
differs. Neither baseline has priorities: a BACKGROUND caller competes with INTERACTIVE ones on equal terms.

:class:`TimedLimiter` wraps any of them and records, for every ``acquire``, when it was called and when it
returned: the difference is the wait in the limiter queue.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Protocol

from aiolimiter import AsyncLimiter

__all__ = ("FixedWindowLimiter", "LeakyBucketLimiter", "Limiter", "TimedLimiter")


class Limiter(Protocol):
    async def acquire(self, priority: int = 0) -> None: ...

    def pause(self, seconds: float) -> None: ...


class _Pausable:
    def __init__(self) -> None:
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def _wait_pause(self) -> None:
        while (delay := self._paused_until - time.monotonic()) > 0:  # noqa: ASYNC110 - the pause can grow
            await asyncio.sleep(delay)


class FixedWindowLimiter(_Pausable):
    """At most ``rate`` per calendar-aligned window: the counter resets at every whole second of the wall clock.

    The classic naive limiter. It lets ``rate`` requests through at the end of one second and ``rate`` more at
    the start of the next, so a sliding-window server sees up to twice the rate across a boundary.
    """

    def __init__(self, rate: int, period: float = 1.0) -> None:
        super().__init__()
        self.rate = rate
        self.period = period
        self._window = -1
        self._count = 0

    async def acquire(self, priority: int = 0) -> None:
        while True:
            await self._wait_pause()
            now = time.time()
            window = math.floor(now / self.period)
            if window != self._window:
                self._window, self._count = window, 0
            if self._count < self.rate:
                self._count += 1
                return
            await asyncio.sleep((window + 1) * self.period - now)


class LeakyBucketLimiter(_Pausable):
    """``aiolimiter.AsyncLimiter(rate, period)``: a leaky bucket of capacity ``rate`` draining ``rate`` per period."""

    def __init__(self, rate: int, period: float = 1.0) -> None:
        super().__init__()
        self._bucket = AsyncLimiter(rate, period)

    async def acquire(self, priority: int = 0) -> None:
        await self._wait_pause()
        await self._bucket.acquire()


@dataclass(slots=True)
class Acquire:
    priority: int
    called: float
    returned: float

    @property
    def wait(self) -> float:
        return self.returned - self.called


@dataclass
class TimedLimiter:
    """Delegates to ``inner`` and records every acquire (``time.monotonic()``, the fake server's clock too)."""

    inner: Limiter
    acquires: list[Acquire] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)

    async def acquire(self, priority: int = 0) -> None:
        called = time.monotonic()
        await self.inner.acquire(priority)
        self.acquires.append(Acquire(priority, called, time.monotonic()))

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.inner.pause(seconds)

    @property
    def waiting(self) -> int:
        return int(getattr(self.inner, "waiting", 0))
