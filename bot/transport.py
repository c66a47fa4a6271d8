"""One JSON request to a helper service (Roblox, Bloxlink, RoVer), inside a hard time budget.

These services help, but the core never depends on them: a call made while a Discord interaction waits must
give up well before Discord's 3 seconds, and then the caller carries on without the answer. So, unlike
``bot/api.py`` (Series, which the bot cannot work without), every call here has a *budget* (``deadline``,
seconds) that covers everything: waiting in the limiter, each attempt, each pause. Within it:

- every attempt waits on the service's own :class:`RateLimiter` (never the Series one, so a slow helper
  cannot hold up staff replies);
- a 429 pauses that limiter for every caller for ``Retry-After`` seconds, and is retried at most
  ``max_rate_limit_retries`` times, and only if the pause fits in what is left of the budget: otherwise the
  call gives up at once rather than waiting in vain;
- Discord-style ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset-After`` pauses the limiter before the
  429 comes (RoVer sends them);
- a 5xx or a broken connection is retried once after a short pause, if the budget allows;
- the budget is enforced on the event loop's clock (``asyncio.timeout``); decisions such as "is there time to
  wait out this pause?" use the injected ``clock``, the limiter's, so tests are exact and never sleep.

Failures raise the client's own subclass of :class:`ServiceUnavailable`, with a message safe to show staff.
Answers that are not failures (2xx and 4xx) come back as an :class:`Answer` for the client to interpret.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .headers import retry_after
from .ratelimit import INTERACTIVE, RateLimiter

__all__ = ("Answer", "BudgetedTransport", "ServiceUnavailable")

log = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """A helper service could not answer in time: timeouts, 5xx, connection errors, 429 after the retries.

    ``message`` is safe to show staff. ``retry_after`` is set when the service asked the bot to wait.
    """

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r})"


@dataclass(frozen=True, slots=True)
class Answer:
    """A 2xx or 4xx answer: the status, the decoded JSON (None if the body was empty or not JSON), headers."""

    status: int
    payload: Any
    headers: Mapping[str, str]


class _Transient(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class BudgetedTransport:
    """Rate-limited, retried, time-boxed JSON requests to one service, named ``service`` in every message."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        service: str,
        limiter: RateLimiter,
        timeout: float,
        unavailable: type[ServiceUnavailable] = ServiceUnavailable,
        max_rate_limit_retries: int = 2,
        transient_retries: int = 1,
        retry_pause: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._session = session
        self.service = service
        self.limiter = limiter
        self.timeout = timeout
        self.unavailable = unavailable
        self.max_rate_limit_retries = max_rate_limit_retries
        self.transient_retries = transient_retries
        self.retry_pause = retry_pause
        self._clock = clock
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"<BudgetedTransport {self.service} timeout={self.timeout:g}s {self.limiter!r}>"

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        deadline: float | None = None,
        priority: int = INTERACTIVE,
    ) -> Answer:
        """Send one request within ``deadline`` seconds (default: ``timeout``); see the module docstring."""
        budget = self.timeout if deadline is None else deadline
        if budget <= 0:
            raise ValueError("deadline must be positive")
        ends = self._clock() + budget
        path = urlsplit(url).path  # for logs: ids, never keys (keys travel in headers)
        try:
            async with asyncio.timeout(budget):
                return await self._attempts(method, url, path, headers, json_body, params, ends, priority)
        except TimeoutError:
            log.info("%s %s %s: no answer within %gs", self.service, method, path, budget)
            raise self.unavailable(f"{self.service} did not answer within {budget:g} seconds.") from None

    async def _attempts(
        self,
        method: str,
        url: str,
        path: str,
        headers: Mapping[str, str] | None,
        json_body: Any,
        params: Mapping[str, str] | None,
        ends: float,
        priority: int,
    ) -> Answer:
        rate_limited = 0
        transient = self.transient_retries
        while True:
            wait = self.limiter.delay()
            if self._clock() + wait > ends:
                raise self.unavailable(self._busy(wait), retry_after=wait)
            await self.limiter.acquire(priority)
            if self._clock() > ends:  # the queue ate the budget
                raise self.unavailable(self._busy(None))
            try:
                answer = await self._send(method, url, headers, json_body, params)
            except _Transient as exc:
                if transient > 0 and self._clock() + self.retry_pause < ends:
                    transient -= 1
                    log.warning("%s %s %s failed (%s); retrying once", self.service, method, path, exc.message)
                    await self._sleep(self.retry_pause)
                    continue
                log.warning("%s %s %s failed: %s", self.service, method, path, exc.message)
                raise self.unavailable(exc.message, status=exc.status) from None
            self._respect_rate_headers(answer.headers, path)
            if answer.status != 429:
                return answer
            pause = retry_after(answer.headers.get("Retry-After") or answer.headers.get("X-RateLimit-Reset-After"))
            self.limiter.pause(pause)
            if rate_limited >= self.max_rate_limit_retries or self._clock() + pause > ends:
                log.warning(
                    "%s rate limit on %s %s; giving up (asked to wait %.2fs)", self.service, method, path, pause
                )
                raise self.unavailable(
                    f"{self.service} is receiving too many requests; try again in {math.ceil(pause)} seconds.",
                    status=429,
                    retry_after=pause,
                )
            rate_limited += 1
            log.warning("%s rate limit on %s %s; pausing every request %.2fs", self.service, method, path, pause)

    async def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        json_body: Any,
        params: Mapping[str, str] | None,
    ) -> Answer:
        all_headers = {"Accept": "application/json", **(headers or {})}
        try:
            async with self._session.request(method, url, json=json_body, params=params, headers=all_headers) as resp:
                body = await resp.read()
                status = resp.status
                resp_headers = resp.headers
        except aiohttp.ClientConnectorError:
            raise _Transient(f"Could not connect to {self.service}.") from None
        except (aiohttp.ClientError, TimeoutError):
            # TimeoutError here is aiohttp's own (the session's timeout); the budget's own expiry is a
            # cancellation inside this call and is turned into TimeoutError only by asyncio.timeout above.
            raise _Transient(f"The connection to {self.service} broke before it answered.") from None
        if status >= 500:
            raise _Transient(f"{self.service} had a problem (HTTP {status}).", status)
        try:
            payload = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            if 200 <= status < 300:
                raise self.unavailable(
                    f"{self.service} sent an answer the bot could not read (HTTP {status}).", status=status
                ) from None
            payload = None
        return Answer(status, payload, resp_headers)

    def _respect_rate_headers(self, headers: Mapping[str, str], path: str) -> None:
        remaining = headers.get("X-RateLimit-Remaining")
        reset_after = headers.get("X-RateLimit-Reset-After")
        if remaining is None or reset_after is None:
            return
        try:
            exhausted = float(remaining) <= 0
        except ValueError:
            return
        if exhausted:
            pause = retry_after(reset_after)
            log.info("%s: no requests left in this window (%s); pausing %.2fs", self.service, path, pause)
            self.limiter.pause(pause)

    def _busy(self, wait: float | None) -> str:
        if wait is None or wait <= 0:
            return f"{self.service} is busy right now; try again in a few seconds."
        return f"{self.service} is busy right now; try again in {math.ceil(wait)} seconds."
