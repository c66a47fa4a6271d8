"""What happened to each ticket, recorded for ``/stats``, the weekly digest and reminders.

Series pushes nothing, so the bot records what it sees each time it looks at a ticket in full (every changed
ticket in a poll, and right after a staff action through the bot), and dates each event with Series' own
timestamps wherever Series has one:

- ``opened`` at the ticket's ``CreatedAt``;
- ``replied`` (a staff message) and ``player`` (a player message) at the message's ``Timestamp``, so replies made
  on the Series website count as much as the ones sent from Discord;
- ``claimed``, ``unclaimed``, ``transferred``, ``resolved``, ``closed`` and ``reopened`` when the state differs
  from the last look, at the ``UpdatedAt`` of the look that showed it (Series says when a ticket last changed,
  not what changed, and its system messages' shape is undocumented: docs/series-api.md#timestamps-for-stats). A
  resolve or close is credited to whoever held the ticket then.

:func:`derive` is pure; recording is idempotent (each event has a key: the message id, ``kind:UpdatedAt``, or
``opened``), so looking at a ticket twice, or again after a restart, records nothing twice. The first look at a
ticket sets a baseline: a claim that happened before the bot first saw the ticket is not dated, so not counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .models import ACTIVE_STATUSES, Ticket, parse_time
from .repositories import EventRepo, TicketState

__all__ = ("KINDS", "Event", "EventRecorder", "derive", "iso")

log = logging.getLogger(__name__)

KINDS = ("opened", "claimed", "unclaimed", "replied", "player", "resolved", "closed", "reopened", "transferred")
DONE = ("resolved", "closed")


@dataclass(frozen=True, slots=True)
class Event:
    ticket_id: str
    key: str
    kind: str
    at: str  # ISO-8601 UTC, milliseconds, "Z": sorts as text
    actor: int | None
    department: str


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _normal(value: str) -> str | None:
    """A Series timestamp in the one form the table sorts by; None if it isn't a time at all."""
    parsed = parse_time(value)
    return iso(parsed) if parsed is not None else None


def derive(ticket: Ticket, previous: TicketState | None, *, observed_at: datetime) -> list[Event]:
    """The events this look at ``ticket`` shows, given the state it was last seen in (None: never seen)."""
    if not ticket.id:
        return []
    department = ticket.department
    events: list[Event] = []
    opened = _normal(ticket.created_at)
    if opened is not None:
        events.append(Event(ticket.id, "opened", "opened", opened, None, department))
    for message in ticket.messages:
        at = _normal(message.timestamp)
        if at is None or not (message.is_staff or message.is_player):
            continue
        kind, actor = ("replied", message.author_id) if message.is_staff else ("player", None)
        events.append(Event(ticket.id, message.id, kind, at, actor, department))
    if previous is None:
        return events
    at = _normal(ticket.updated_at) or iso(observed_at)

    def change(kind: str, actor: int | None, where: str = department) -> None:
        events.append(Event(ticket.id, f"{kind}:{at}", kind, at, actor, where))

    if previous.department != ticket.department:
        change("transferred", None)
    if previous.claimed_by != ticket.claimed_by:
        if ticket.claimed_by is not None:
            change("claimed", ticket.claimed_by)
        else:
            change("unclaimed", previous.claimed_by)
    if previous.status != ticket.status:
        holder = ticket.claimed_by if ticket.claimed_by is not None else previous.claimed_by
        if ticket.status in DONE:
            change(ticket.status, holder)
        elif ticket.status in ACTIVE_STATUSES and previous.status in DONE:
            change("reopened", None)
    return events


class EventRecorder:
    def __init__(self, *, repo: EventRepo, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.repo = repo
        self._now = now

    async def observe(self, ticket: Ticket) -> int:
        """Record what ``ticket`` shows since it was last seen; returns how many events were new."""
        if not ticket.id:
            return 0
        previous = await self.repo.state(ticket.id)
        events = derive(ticket, previous, observed_at=self._now())
        state = TicketState(ticket.id, ticket.status, ticket.claimed_by, ticket.department, ticket.updated_at)
        return await self.repo.record(events, state)
