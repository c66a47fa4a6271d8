"""Background tasks the bot starts on its own (reply recovery, the stop on SIGTERM): kept and watched.

asyncio keeps only a weak reference to a task, so a task nobody holds can vanish mid-run, and an exception in a
task nobody awaits is reported only when it is garbage-collected, if at all. :class:`Background` holds each task
until it ends and logs how it failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ("Background",)

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; its failure is logged, never lost."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("Background task %s failed", task.get_name(), exc_info=exc)

    async def cancel_all(self) -> None:
        """Cancel what is still running and wait for it to end."""
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
