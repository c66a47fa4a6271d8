"""A fake on its own thread and event loop, so the code under test and the fake do not queue behind each other.

The benchmarks host the fake Series and the fake Discord this way: each server stamps a request when it arrives on
*its* loop (``time.monotonic()`` in the fake Series, ``time.perf_counter()`` in the fake Discord), the way a remote
server would, however busy the bot's loop is. A fake's state is only ever touched on its own loop, through
:meth:`ServerThread.call` (or :meth:`ServerThread.submit` for a coroutine such as ``fake.start()`` or one of the
fake Discord's ``wait_*`` helpers)::

    server = ServerThread("fake-discord")
    fake = FakeDiscord(token="t")
    guild = server.call_sync(fake.add_guild, "Staff HQ")
    url = server.run_sync(fake.start())
    ...                                              # the bot, on the caller's loop, talks to url
    count = await server.call(lambda: len(fake.requests))
    server.run_sync(fake.close())
    server.stop()
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ("ServerThread",)

T = TypeVar("T")


class ServerThread:
    """An asyncio loop in a daemon thread. Start servers on it and run callables on it from anywhere."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server loop and await its result from another loop."""
        return await asyncio.wrap_future(self.submit(coro))

    def run_sync(self, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        """Run a coroutine on the server loop and block until it finishes (setup and teardown only)."""
        return self.submit(coro).result(timeout)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` on the server loop (where the server's state lives) and await its result."""

        async def wrapper() -> T:
            return fn(*args, **kwargs)

        return await asyncio.wrap_future(self.submit(wrapper()))

    def call_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        async def wrapper() -> T:
            return fn(*args, **kwargs)

        return self.run_sync(wrapper())

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
