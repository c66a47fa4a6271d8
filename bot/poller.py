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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .api import SeriesClient, SeriesError, SeriesNotFound, SeriesRateLimited, SeriesUnavailable
from .cache import TicketCache
from .models import ACTIVE_STATUSES, Ticket
from .ratelimit import BACKGROUND
from .repositories import FeedRepo

__all__ = ("PollResult", "Poller")

log = logging.getLogger(__name__)

MAX_PAGES = 2000  # 20,000 active tickets: a guard against a list that never ends, not a real limit


MAX_TRANSPORT_FAILURES = 3  # detail fetches failing in a row this way mean Series is down, not one bad ticket


@dataclass(slots=True)
class PollResult:
    changed: list[Ticket] = field(default_factory=list)  # full details, oldest first (unless handed to on_changed)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (ticket id, why) for details Series refused
    list_calls: int = 0
    detail_calls: int = 0
    active: int = 0
    listed: set[str] = field(default_factory=set)  # every active ticket id Series listed


class Poller:
    def __init__(self, *, api: SeriesClient, feed: FeedRepo, cache: TicketCache) -> None:
        self.api = api
        self.feed = feed
        self.cache = cache

    async def poll(
        self,
        *,
        details: bool = True,
        due: Callable[[str], bool] = lambda _: True,
        on_changed: Callable[[Ticket], Awaitable[object]] | None = None,
    ) -> PollResult:
        """Walk the active lists; with ``details``, fetch every ticket that changed since it was last handled.

        The caller marks each changed ticket as handled (``FeedRepo.mark_seen``) once it has acted on it, so a
        crash in the middle of a poll means those tickets are simply fetched again next time. Tickets for which
        ``due`` is false (waiting on their own back-off) are left for a later poll. One ticket Series refuses to
        give is reported in ``failed`` and the others carry on; only transport failures in a row end the poll.

        With ``on_changed``, each changed ticket is handed over as soon as it is fetched instead of being kept in
        ``changed``: a poll that learns thousands of tickets then never holds all their details at once.
        """
        result = PollResult()
        # One object per listed ticket: the cache's own when it is unchanged, so the page's copy can go at once.
        listed: dict[str, Ticket] = {}
        for status in ACTIVE_STATUSES:
            page = 1
            while True:
                batch = await self.api.list_tickets(page=page, status=status, priority=BACKGROUND)
                result.list_calls += 1
                for ticket in batch.tickets:
                    if ticket.id:  # a ticket without an id can't be fetched or acted on
                        listed[ticket.id] = self._remember(ticket)
                if not batch.has_next or not batch.tickets or page >= max(batch.total_pages, 1) or page >= MAX_PAGES:
                    break
                page += 1
        result.active = len(listed)
        result.listed = set(listed)
        await self.feed.note_listed([(t.id, t.status, t.department) for t in listed.values()])
        if not details:
            return result

        # The database answers with the few ids that need details, not a row per listed ticket.
        oldest_first = sorted(listed.values(), key=lambda t: (t.created_at, t.id))
        wanted = await self.feed.unhandled([(t.id, t.updated_at) for t in oldest_first])
        wanted += await self.feed.active_unlisted(list(listed))
        transport_failures = 0
        for ticket_id in wanted:
            if not due(ticket_id):
                continue
            result.detail_calls += 1
            try:
                ticket = await self.api.get_ticket(ticket_id, priority=BACKGROUND)
            except SeriesNotFound:
                # Deleted on Series (there is no documented delete, but be ready): stop tracking it.
                log.info("Ticket %s is gone from Series; no longer tracked", ticket_id)
                await self.feed.mark_seen(ticket_id=ticket_id, updated_at="", status="gone", department="")
                self.cache.discard(ticket_id)
                continue
            except (SeriesUnavailable, SeriesRateLimited) as exc:
                transport_failures += 1
                if transport_failures >= MAX_TRANSPORT_FAILURES:
                    raise
                result.failed.append((ticket_id, exc.message))
                continue
            except SeriesError as exc:
                result.failed.append((ticket_id, exc.message))
                continue
            transport_failures = 0
            self.cache.put(ticket)
            if on_changed is None:
                result.changed.append(ticket)
            else:
                await on_changed(ticket)
        return result

    def _remember(self, ticket: Ticket) -> Ticket:
        """Cache a listed ticket if it changed; return the object the cache holds for it."""
        cached = self.cache.get(ticket.id)
        if cached is not None and cached.updated_at == ticket.updated_at:
            return cached
        self.cache.put(ticket)
        return self.cache.get(ticket.id) or ticket
