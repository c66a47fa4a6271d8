"""What the bot last saw of each ticket, for autocomplete (Discord allows 3 s and no defer there)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import time
from collections import OrderedDict

from discord import app_commands

from .api import SeriesClient, SeriesError
from .models import Author, Ticket, TicketConfig
from .render import choice_name, clip

__all__ = ("ConfigCache", "TicketCache")

CONFIG_MAX_AGE = 300.0
CONFIG_RETRY_SECONDS = 30.0  # after a failed background load, autocomplete doesn't ask Series again for this long
log = logging.getLogger(__name__)

MAX_CHOICES = 25


MAX_INACTIVE = 1000  # resolved and closed tickets kept for autocomplete (/ticket show, status, history)


def _summary(ticket: Ticket) -> Ticket:
    """The part of a ticket the cache's readers use (autocomplete, the poller, the feed's backfill).

    Messages, the Mongo id and the avatar are dropped (nothing reads them from the cache), and the strings that
    repeat across tickets (status, category, department, priority, the claimer's name) are shared rather than
    kept once per ticket: about 450 bytes less per ticket.
    """
    author = ticket.author
    return dataclasses.replace(
        ticket,
        mongo_id="",
        category=sys.intern(ticket.category),
        department=sys.intern(ticket.department),
        status=sys.intern(ticket.status),
        priority=sys.intern(ticket.priority),
        claimed_by_name=sys.intern(ticket.claimed_by_name),
        author=Author(
            user_id=author.user_id, username=author.username, display_name=author.display_name, avatar_url=""
        ),
        messages=(),
    )


class TicketCache:
    """TicketId → a summary of the latest :class:`Ticket` seen, from polls, shows and actions: what autocomplete
    needs (see :func:`_summary`: no messages, no Mongo id, no avatar).

    Bounded: every active ticket is kept, and of the resolved and closed ones only the :data:`MAX_INACTIVE` most
    recently seen.
    """

    def __init__(self, *, max_inactive: int = MAX_INACTIVE) -> None:
        self._tickets: dict[str, Ticket] = {}
        self._inactive: OrderedDict[str, None] = OrderedDict()
        self.max_inactive = max_inactive

    def __len__(self) -> int:
        return len(self._tickets)

    def get(self, ticket_id: str) -> Ticket | None:
        return self._tickets.get(ticket_id)

    def put(self, ticket: Ticket) -> None:
        if not ticket.id:
            return
        self._tickets[ticket.id] = _summary(ticket)
        if ticket.is_active:
            self._inactive.pop(ticket.id, None)
            return
        self._inactive[ticket.id] = None
        self._inactive.move_to_end(ticket.id)
        while len(self._inactive) > self.max_inactive:
            oldest, _ = self._inactive.popitem(last=False)
            self._tickets.pop(oldest, None)

    def active(self) -> list[Ticket]:
        """Open and in-progress tickets, oldest first."""
        return sorted((t for t in self._tickets.values() if t.is_active), key=lambda t: (t.created_at, t.id))

    def discard(self, ticket_id: str) -> None:
        self._tickets.pop(ticket_id, None)
        self._inactive.pop(ticket_id, None)

    def choices(
        self,
        query: str,
        *,
        staff_id: int | None = None,
        first: str | None = None,
        active_only: bool = True,
        answerable: bool = False,
    ) -> list[app_commands.Choice[str]]:
        """Up to 25 choices matching ``query``: ``first`` (the thread's ticket), then the caller's claimed
        tickets, then the rest, newest first. Names are 1-100 characters; values are ticket ids."""
        needle = query.strip().casefold()
        ranked: list[tuple[int, str, Ticket]] = []
        for ticket in self._tickets.values():
            if active_only and not ticket.is_active and ticket.id != first:
                continue
            if answerable and (ticket.game_report or (ticket.claimed_by and ticket.claimed_by != staff_id)):
                continue  # /reply offers only tickets the caller can answer
            haystack = f"{ticket.id} {ticket.subject} {ticket.author.username} {ticket.author.display_name}".casefold()
            if needle and needle not in haystack:
                continue
            rank = 0 if ticket.id == first else 1 if staff_id is not None and ticket.claimed_by == staff_id else 2
            ranked.append((rank, ticket.created_at, ticket))
        ranked.sort(key=lambda r: r[1], reverse=True)  # newest first...
        ranked.sort(key=lambda r: r[0])  # ...within each rank (sorts are stable)
        # A value over 100 characters would make Discord refuse the whole list (docs/discord-limits.md#autocomplete).
        usable = [t for _, _, t in ranked if len(t.id) <= 100]
        return [app_commands.Choice(name=choice_name(t), value=t.id) for t in usable[:MAX_CHOICES]]


class ConfigCache:
    """``GET /tickets/config``, kept for a few minutes (department names, routing and autocomplete)."""

    def __init__(self, api: SeriesClient, *, max_age: float = CONFIG_MAX_AGE) -> None:
        self.api = api
        self.max_age = max_age
        self.value: TicketConfig | None = None
        self._fetched = 0.0
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None
        self._retry_at = 0.0

    async def get(self, *, priority: int = 0) -> TicketConfig:
        async with self._lock:
            if self.value is None or time.monotonic() - self._fetched > self.max_age:
                self.value = await self.api.get_config(priority=priority)
                self._fetched = time.monotonic()
            return self.value

    async def get_or_none(self) -> TicketConfig | None:
        """The config, or None (logged) when Series can't give it: names then fall back to ids."""
        try:
            return await self.get()
        except SeriesError as exc:
            log.warning("Series tickets config unavailable: %s", exc.message)
            return None

    def department_choices(self, current: str, *, may_load: bool) -> list[app_commands.Choice[str]]:
        """Autocomplete from memory (no defer possible, docs/discord-limits.md#autocomplete).

        While the config isn't loaded, a keystroke from linked staff (``may_load``) starts one background load for
        the next keystroke; never more than one at a time, none for 30 s after a failure, and none at all for
        anyone else: autocomplete must not spend the key's budget for members who aren't staff.
        """
        if self.value is None:
            if may_load:
                self._start_load()
            return []
        needle = current.strip().casefold()
        return [
            app_commands.Choice(name=clip(d.name or d.id, 100), value=d.id)
            for d in self.value.departments.values()
            if (needle in d.name.casefold() or needle in d.id.casefold()) and len(d.id) <= 100
        ][:MAX_CHOICES]

    def _start_load(self) -> None:
        if (self._refresh is not None and not self._refresh.done()) or time.monotonic() < self._retry_at:
            return
        self._refresh = asyncio.get_running_loop().create_task(self._load(), name="tickets config")

    async def _load(self) -> None:
        if await self.get_or_none() is None:
            self._retry_at = time.monotonic() + CONFIG_RETRY_SECONDS
