"""Each failing ticket waits on its own back-off, so one bad ticket never holds up the others.

A ticket the feed could not show (Discord refused its card, its thread can't be used, Series can't give its
details) is retried at the next poll, then after two intervals, four, and so on up to :data:`MAX_DELAY`. Its
last problem is kept for ``/feed show``. The state lives in memory: after a restart every ticket gets a fresh try.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ("MAX_DELAY", "Failure", "TicketBackoff")

MAX_DELAY = 600.0


@dataclass(frozen=True, slots=True)
class Failure:
    ticket_id: str
    problem: str
    failures: int
    retry_at: float


class TicketBackoff:
    def __init__(self, *, base: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.base = base
        self._clock = clock
        self._failures: dict[str, Failure] = {}

    def __len__(self) -> int:
        return len(self._failures)

    def due(self, ticket_id: str) -> bool:
        """Whether the ticket may be tried now (it never failed, or its wait is over)."""
        failure = self._failures.get(ticket_id)
        return failure is None or self._clock() >= failure.retry_at

    def failed(self, ticket_id: str, problem: str) -> Failure:
        previous = self._failures.get(ticket_id)
        count = previous.failures + 1 if previous else 1
        # Half an interval short, so "after the next poll" is the next poll, not the one after it.
        delay = min(self.base * 2 ** (count - 1), MAX_DELAY) - self.base / 2
        failure = Failure(ticket_id, problem, count, self._clock() + delay)
        self._failures[ticket_id] = failure
        return failure

    def succeeded(self, ticket_id: str) -> bool:
        """Forget a ticket's failures; True if it had any."""
        return self._failures.pop(ticket_id, None) is not None

    def forget_all_but(self, ticket_ids: set[str]) -> None:
        """Drop tickets the feed no longer tracks (resolved, closed or gone), so this never grows."""
        for ticket_id in [t for t in self._failures if t not in ticket_ids]:
            del self._failures[ticket_id]

    def failures(self) -> list[Failure]:
        """The failing tickets, most failures first."""
        return sorted(self._failures.values(), key=lambda f: (-f.failures, f.ticket_id))
