"""Which tickets need a reminder now: pure, so tests drive it with any clock.

Set per route (``/feed reminders``), in minutes, 0 meaning off:

- **unclaimed**: an active ticket nobody has claimed ``remind_unclaimed`` minutes after it was opened (Series'
  ``CreatedAt``). Its wait is ``opened``: one reminder per ticket, ever.
- **waiting**: a claimed, active ticket whose latest message is the player's (``bot/events.py`` records every
  message with its Series timestamp), unanswered for ``remind_waiting`` minutes. Its wait is that player
  message: a new player message starts a new wait, a staff reply ends it.

A reminder already made for a wait (``reminders_sent``, written before posting) is never due again, across
restarts too; a resolved or closed ticket is never due.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import Ticket, parse_time
from .repositories import Route

__all__ = ("Due", "due_reminders", "route_for")

DEFAULT_ROUTE = ""


@dataclass(frozen=True, slots=True)
class Due:
    guild_id: int
    ticket: Ticket
    kind: str  # "unclaimed" or "waiting"
    wait: str  # "opened", or the player message's id
    since: datetime  # when the wait began
    route: Route


def route_for(routes: Mapping[str, Route], department: str) -> Route | None:
    """The route a ticket of ``department`` belongs to in one server (its own, else the default one)."""
    return routes.get(department) or routes.get(DEFAULT_ROUTE)


def due_reminders(
    *,
    now: datetime,
    routes: Iterable[Route],
    tickets: Iterable[Ticket],
    last_messages: Mapping[str, tuple[str, str, str]],
    sent: set[tuple[int, str, str, str]],
) -> list[Due]:
    """Every reminder due at ``now``, oldest wait first. ``last_messages``: ticket id → (kind, key, time) of its
    latest message; ``sent``: (guild, ticket, kind, wait) of the reminders already made."""
    by_guild: defaultdict[int, dict[str, Route]] = defaultdict(dict)
    for route in routes:
        by_guild[route.guild_id][route.department] = route
    active = [t for t in tickets if t.is_active and t.id]
    due: list[Due] = []
    for guild_id, guild_routes in by_guild.items():
        for ticket in active:
            route = route_for(guild_routes, ticket.department)
            if route is None:
                continue
            if route.remind_unclaimed > 0 and ticket.claimed_by is None:
                opened = parse_time(ticket.created_at)
                waited = opened is not None and now - opened >= timedelta(minutes=route.remind_unclaimed)
                if opened is not None and waited and (guild_id, ticket.id, "unclaimed", "opened") not in sent:
                    due.append(Due(guild_id, ticket, "unclaimed", "opened", opened, route))
            last = last_messages.get(ticket.id)
            if route.remind_waiting > 0 and ticket.claimed_by is not None and last is not None and last[0] == "player":
                _, key, at = last
                since = parse_time(at)
                waited = since is not None and now - since >= timedelta(minutes=route.remind_waiting)
                if since is not None and waited and (guild_id, ticket.id, "waiting", key) not in sent:
                    due.append(Due(guild_id, ticket, "waiting", key, since, route))
    due.sort(key=lambda d: (d.since, d.ticket.id, d.kind))
    return due
