"""Finding out what changed in Series. Series pushes nothing to API clients (docs/series-api.md#polling-not-push), so
we poll.

One poll walks the list pages of the active statuses (``open``, ``in-progress``; 10 tickets a page) and fetches
a ticket's details only when its ``UpdatedAt`` differs from the one last handled, so its cost grows with the
number of *changed* tickets, not with all of them. A ticket that was active and has left the active lists
(resolved, closed, or moved between lists mid-walk) is fetched once, so its card can say so; a reopened ticket
is back in the lists with a new ``UpdatedAt``. Every request runs at ``BACKGROUND`` priority: staff go first.

Series can still change a ticket after it has left the lists: a website reply to a resolved ticket, a resolved
ticket closed, a closed one resolved. The lists don't show those, so :class:`DoneWatch` looks at each recently
finished ticket again, less and less often, within a small budget per poll (docs/series-api.md#polling-not-push).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .api import SeriesClient, SeriesError, SeriesNotFound, SeriesRateLimited, SeriesUnavailable
from .cache import TicketCache
from .models import ACTIVE_STATUSES, Ticket
from .ratelimit import BACKGROUND
from .repositories import FeedRepo

__all__ = ("DoneWatch", "PollResult", "Poller")

log = logging.getLogger(__name__)

MAX_PAGES = 2000  # 20,000 active tickets: a guard against a list that never ends, not a real limit


MAX_TRANSPORT_FAILURES = 3  # detail fetches failing in a row this way mean Series is down, not one bad ticket


def _monotonic() -> float:
    return time.monotonic()  # looked up at each call, so a simulated clock (SimCord's) is honoured


class DoneWatch:
    """Which resolved and closed tickets to look at again, and when: ``first`` seconds after the feed last saw one
    change, then twice as long each time nothing changed, at most ``longest`` apart, for ``window`` seconds after
    it finished; never more than ``per_poll`` of them in one poll (the oldest due first). Pure bookkeeping on a
    clock; the poller does the fetching."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = _monotonic,
        first: float = 60.0,
        longest: float = 600.0,
        window: float = 3 * 86400.0,
        per_poll: int = 5,
    ) -> None:
        self.clock = clock
        self.first, self.longest, self.window, self.per_poll = first, longest, window, per_poll
        self._watched: dict[str, tuple[float, float, float, str]] = {}  # id: (due at, interval, done since, seen)

    def __len__(self) -> int:
        return len(self._watched)

    def note(self, ticket: Ticket) -> None:
        """The feed has just seen ``ticket``: watch it if it is finished (sooner again if it changed), else drop it."""
        if ticket.is_active or not ticket.id:
            self._watched.pop(ticket.id, None)
            return
        now = self.clock()
        known = self._watched.get(ticket.id)
        if known is not None and known[3] == ticket.updated_at:
            interval = min(known[1] * 2, self.longest)
            self._watched[ticket.id] = (now + interval, interval, known[2], ticket.updated_at)
        else:
            since = known[2] if known is not None else now
            self._watched[ticket.id] = (now + self.first, self.first, since, ticket.updated_at)

    def load(self, ticket_ids: list[str]) -> None:
        """After a restart: the tickets that finished recently, to look at soon (their history is unknown)."""
        now = self.clock()
        for ticket_id in ticket_ids:
            self._watched.setdefault(ticket_id, (now + self.first, self.first, now, ""))

    def due(self) -> list[str]:
        """The tickets to look at in this poll (and forget those watched long enough)."""
        now = self.clock()
        for ticket_id in [t for t, (_, _, since, _) in self._watched.items() if now - since > self.window]:
            del self._watched[ticket_id]
        ready = sorted((at, t) for t, (at, *_) in self._watched.items() if at <= now)
        return [t for _, t in ready[: self.per_poll]]

    def forget(self, ticket_id: str) -> None:
        self._watched.pop(ticket_id, None)


@dataclass(slots=True)
class PollResult:
    changed: list[Ticket] = field(default_factory=list)  # full details, oldest first (unless handed to on_changed)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (ticket id, why) for details Series refused
    list_calls: int = 0
    detail_calls: int = 0
    active: int = 0
    listed: set[str] = field(default_factory=set)  # every active ticket id Series listed


class Poller:
    def __init__(
        self, *, api: SeriesClient, feed: FeedRepo, cache: TicketCache, watch: DoneWatch | None = None
    ) -> None:
        self.api = api
        self.feed = feed
        self.cache = cache
        self.watch = watch or DoneWatch()

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
        wanted += await self.feed.done_to_refetch()
        # Finished tickets Series may have changed since (they are in no list); the unchanged ones are only noted.
        watched = {t for t in self.watch.due() if t not in listed}
        wanted += sorted(watched)
        transport_failures = 0
        for ticket_id in dict.fromkeys(wanted):
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
                self.watch.forget(ticket_id)
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
            if ticket_id in watched and not await self.feed.unhandled([(ticket.id, ticket.updated_at)]):
                self.watch.note(ticket)  # looked at again, and nothing changed: look less often
                continue
            self.cache.put(ticket)
            self.watch.note(ticket)
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
