"""Retention: what the bot records is kept for ``DATA_RETENTION_DAYS``, then pruned, so nothing grows for ever.

Pruned, once a ticket has been resolved, closed or gone from Series for longer than that: its cards, mirrored
messages and pings, the poller's memory of it, its last state and its reminders (a reopened ticket is simply met
again). Reply texts go after the same time, and so do the recorded events behind ``/stats`` (so stats reach back
at most that far). The audit trail (who, as which Roblox id, did what, when) is kept for a year, or for the retention
if that is longer. Roblox names nobody is linked to any more go too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from .repositories import Pruned, RetentionRepo

__all__ = ("AUDIT_MIN_DAYS", "Retention")

log = logging.getLogger(__name__)

AUDIT_MIN_DAYS = 365


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Retention:
    def __init__(
        self,
        *,
        repo: RetentionRepo,
        days: int,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.repo = repo
        self.days = days
        self._now = now

    async def prune(self) -> Pruned:
        now = self._now()
        before = _iso(now - timedelta(days=self.days))
        audit_before = _iso(now - timedelta(days=max(self.days, AUDIT_MIN_DAYS)))
        pruned = await self.repo.prune(before=before, audit_before=audit_before)
        if pruned != Pruned():
            log.info(
                "Retention (%d days): pruned %d tickets, %d replies, %d audit entries, %d Roblox names, %d events",
                self.days,
                pruned.tickets,
                pruned.replies,
                pruned.audit,
                pruned.roblox_users,
                pruned.events,
            )
        return pruned
