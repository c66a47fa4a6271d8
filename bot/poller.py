"""Finding out what changed in Series. Series pushes nothing to API clients (docs/series-api.md#polling-not-push), so
we poll.

One poll walks the list pages of the active statuses (``open``, ``in-progress``; 10 tickets a page) and fetches
a ticket's details only when its ``UpdatedAt`` differs from the one last handled, so its cost grows with the
number of *changed* tickets, not with all of them. A ticket that was active and has left the active lists
(resolved, closed, or moved between lists mid-walk) is fetched once, so its card can say so; a reopened ticket
is back in the lists with a new ``UpdatedAt``. Every request runs at ``BACKGROUND`` priority: staff go first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .api import SeriesClient, SeriesNotFound
from .cache import TicketCache
from .models import ACTIVE_STATUSES, Ticket
from .ratelimit import BACKGROUND
from .repositories import FeedRepo

__all__ = ("PollResult", "Poller")

log = logging.getLogger(__name__)

MAX_PAGES = 2000  # 20,000 active tickets: a guard against a list that never ends, not a real limit


@dataclass(slots=True)
class PollResult:
    changed: list[Ticket] = field(default_factory=list)  # full details, oldest first
    list_calls: int = 0
    detail_calls: int = 0
    active: int = 0


class Poller:
    def __init__(self, *, api: SeriesClient, feed: FeedRepo, cache: TicketCache) -> None:
        self.api = api
        self.feed = feed
        self.cache = cache

    async def poll(self, *, details: bool = True) -> PollResult:
        """Walk the active lists; with ``details``, fetch every ticket that changed since it was last handled.

        The caller marks each changed ticket as handled (``FeedRepo.mark_seen``) once it has acted on it, so a
        crash in the middle of a poll means those tickets are simply fetched again next time.
        """
        result = PollResult()
        listed: dict[str, Ticket] = {}
        for status in ACTIVE_STATUSES:
            page = 1
            while True:
                batch = await self.api.list_tickets(page=page, status=status, priority=BACKGROUND)
                result.list_calls += 1
                for ticket in batch.tickets:
                    listed[ticket.id] = ticket
                if not batch.has_next or not batch.tickets or page >= max(batch.total_pages, 1) or page >= MAX_PAGES:
                    break
                page += 1
        result.active = len(listed)
        for ticket in listed.values():
            cached = self.cache.get(ticket.id)
            if cached is None or cached.updated_at != ticket.updated_at:
                self.cache.put(ticket)
        if not details:
            return result

        seen = await self.feed.seen()
        wanted = [
            t.id
            for t in sorted(listed.values(), key=lambda t: (t.created_at, t.id))
            if t.id not in seen or seen[t.id].updated_at != t.updated_at
        ]
        wanted += [tid for tid, s in seen.items() if s.status in ACTIVE_STATUSES and tid not in listed]
        for ticket_id in wanted:
            try:
                ticket = await self.api.get_ticket(ticket_id, priority=BACKGROUND)
            except SeriesNotFound:
                # Deleted on Series (there is no documented delete, but be ready): stop tracking it.
                log.info("Ticket %s is gone from Series; no longer tracked", ticket_id)
                await self.feed.mark_seen(ticket_id=ticket_id, updated_at="", status="gone", department="")
                self.cache.discard(ticket_id)
                continue
            finally:
                result.detail_calls += 1
            self.cache.put(ticket)
            result.changed.append(ticket)
        return result
