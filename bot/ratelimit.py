"""The one rate limiter every Series request passes through.

Series documents "25 requests per second per API key" and nothing else (docs/series-api.md#rate-limit). We take the
strictest reading: never more than ``rate`` requests in *any* one-second window. A token bucket with a burst
of ``rate`` can pass almost twice that across a window boundary, so this is a sliding log instead: a request
may be sent once the ``rate``-th most recent send is older than ``period + margin``. The margin covers clock
skew and network jitter between us and Series: a sent request holds its slot a little longer than a second
(30 ms by default: 25 / 1.03 s = 24.3 requests a second at most, sustained; a rare 429 beyond that is paused
and retried). A larger margin buys jitter headroom at the cost of throughput.

Callers are served in order of (priority, arrival): staff actions (``INTERACTIVE``) go before the feed poller
(``BACKGROUND``), and within a priority it is first come, first served. A 429 from Series pauses everyone.

The clock and the sleep function are injected so the tests never wait on the wall clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ("BACKGROUND", "INTERACTIVE", "RateLimiter")

INTERACTIVE = 0
BACKGROUND = 10


class RateLimiter:
    """At most ``rate`` acquisitions in any ``period``-second window, with priorities and a global pause."""

    def __init__(
        self,
        rate: int,
        period: float = 1.0,
        *,
        margin: float = 0.03,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.rate = rate
        self.period = period
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque(maxlen=rate)
        self._paused_until = 0.0
        self._queue: list[tuple[int, int]] = []
        self._counter = itertools.count()
        self._wakers: dict[tuple[int, int], asyncio.Future[None]] = {}

    def __repr__(self) -> str:
        return f"<RateLimiter rate={self.rate}/{self.period}s waiting={len(self._queue)}>"

    @property
    def waiting(self) -> int:
        """How many callers are queued."""
        return len(self._queue)

    def delay(self) -> float:
        """Seconds until the next request may be sent (0 if it may go now)."""
        now = self._clock()
        delay = self._paused_until - now
        if len(self._sent) >= self.rate:
            delay = max(delay, self._sent[0] + self.period + self.margin - now)
        return max(delay, 0.0)

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (after a 429)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._wake(self._head())

    async def acquire(self, priority: int = INTERACTIVE) -> None:
        """Wait for a slot; the request must be sent right after this returns."""
        me = (priority, next(self._counter))
        previous_head = self._head()
        heapq.heappush(self._queue, me)
        if previous_head is not None and self._head() == me:
            self._wake(previous_head)  # it was timing its turn; it isn't next any more
        try:
            while True:
                if self._queue[0] != me:
                    await self._wait(me, None)
                    continue
                delay = self.delay()
                if delay <= 0:
                    heapq.heappop(self._queue)
                    self._sent.append(self._clock())
                    self._wake(self._head())
                    return
                await self._wait(me, delay)
        except BaseException:
            if me in self._queue:
                was_head = self._queue[0] == me
                self._queue.remove(me)
                heapq.heapify(self._queue)
                if was_head:
                    self._wake(self._head())
            raise

    def _head(self) -> tuple[int, int] | None:
        return self._queue[0] if self._queue else None

    def _wake(self, who: tuple[int, int] | None) -> None:
        waker = self._wakers.get(who) if who is not None else None
        if waker is not None and not waker.done():
            waker.set_result(None)

    async def _wait(self, me: tuple[int, int], seconds: float | None) -> None:
        """Sleep until woken (this caller became next, or the pause changed), or for ``seconds``."""
        waker = asyncio.get_running_loop().create_future()
        self._wakers[me] = waker
        sleeper = None
        try:
            if seconds is None:
                await waker
            else:
                sleeper = asyncio.ensure_future(self._sleep(seconds))
                await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            del self._wakers[me]
            if sleeper is not None and not sleeper.done():
                sleeper.cancel()
