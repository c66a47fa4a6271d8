"""``/stats`` and the weekly digest: figures from the recorded events (``bot/events.py``), never from Series.

For a window of time (the last ``days`` days, up to now):

- **counts**: tickets opened, claims, staff replies, resolves and closes in the window;
- **first response**: for each ticket whose *first* staff reply falls in the window, the time from when it was
  opened to that reply;
- **resolution**: for each resolve in the window, the time from when the ticket was opened;
- the **median** of each (the middle value; the mean of the two middle ones for an even count) and the **90th
  percentile** by nearest rank (the smallest value at least 90% of the sample are at or below);
- per staff member: their claims, replies and resolves in the window, and the median first response on the
  tickets they claimed first;
- per department (the ticket's department when it was opened): opened, resolved, median first response.

Everything comes from one read of the window's events plus one of the involved tickets' first moments, both
indexed, so the answer is quick however long the history (``bench/stats.py`` measures it over 100,000 events).
"""

from __future__ import annotations

import asyncio
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .events import iso
from .models import parse_time
from .repositories import EventRepo, EventRow, TicketFirsts

__all__ = (
    "Figures",
    "Spread",
    "compute",
    "gather",
    "last_digest_time",
    "nearest_rank",
    "next_digest_time",
    "spread",
)


DIGEST_WEEKDAY, DIGEST_HOUR = 0, 9  # the weekly digest: Mondays, 09:00 UTC


@dataclass(frozen=True, slots=True)
class Spread:
    """A sample of durations, in seconds."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0 < q <= 1) by nearest rank: the ⌈q·n⌉-th smallest value."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


def spread(values: Iterable[float]) -> Spread:
    sample = list(values)
    if not sample:
        return Spread()
    return Spread(len(sample), float(statistics.median(sample)), float(nearest_rank(sample, 0.9)))


@dataclass(frozen=True, slots=True)
class StaffFigures:
    roblox_id: int
    claims: int = 0
    replies: int = 0
    resolves: int = 0
    first_response: Spread = field(default_factory=Spread)


@dataclass(frozen=True, slots=True)
class DepartmentFigures:
    department: str
    opened: int = 0
    resolved: int = 0
    first_response: Spread = field(default_factory=Spread)


@dataclass(frozen=True, slots=True)
class Figures:
    since: datetime
    until: datetime
    opened: int
    claimed: int
    replied: int
    resolved: int
    closed: int
    first_response: Spread
    resolution: Spread
    staff: tuple[StaffFigures, ...]
    departments: tuple[DepartmentFigures, ...]
    daily: tuple[tuple[str, int, int], ...]  # (YYYY-MM-DD, opened, resolved) for each day of the window


def _seconds(start: str | None, end: str | None) -> float | None:
    a, b = parse_time(start or ""), parse_time(end or "")
    if a is None or b is None or b < a:
        return None  # a reply dated before the ticket (odd data) says nothing about speed
    return (b - a).total_seconds()


def compute(
    events: Sequence[EventRow],
    firsts: dict[str, TicketFirsts],
    *,
    since: datetime,
    until: datetime,
    member: int | None = None,
) -> Figures:
    """The figures for the events in [since, until); ``member`` (a Roblox id) keeps that person's share only."""
    lo, hi = iso(since), iso(until)

    def mine(row: EventRow) -> bool:
        return member is None or row.actor == member

    counts = Counter(row.kind for row in events if mine(row) or row.kind == "opened" and member is None)
    # First response: tickets whose first staff reply (ever recorded) is inside the window.
    first_samples: dict[str, float] = {}
    for ticket_id, first in firsts.items():
        if first.first_reply is not None and lo <= first.first_reply < hi:
            if member is not None and first.first_claimer != member:
                continue
            seconds = _seconds(first.opened, first.first_reply)
            if seconds is not None:
                first_samples[ticket_id] = seconds
    resolution = []
    for row in events:
        if row.kind == "resolved" and mine(row):
            seconds = _seconds(firsts.get(row.ticket_id, TicketFirsts()).opened, row.at)
            if seconds is not None:
                resolution.append(seconds)

    staff: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for row in events:
        if row.actor is not None and row.kind in ("claimed", "replied", "resolved") and mine(row):
            staff[row.actor][row.kind] += 1
    by_claimer: defaultdict[int, list[float]] = defaultdict(list)
    for ticket_id, seconds in first_samples.items():
        claimer = firsts[ticket_id].first_claimer
        if claimer is not None:
            by_claimer[claimer].append(seconds)
            staff.setdefault(claimer, Counter())
    staff_figures = sorted(
        (
            StaffFigures(
                roblox_id,
                claims=c["claimed"],
                replies=c["replied"],
                resolves=c["resolved"],
                first_response=spread(by_claimer.get(roblox_id, [])),
            )
            for roblox_id, c in staff.items()
        ),
        key=lambda s: (-(s.claims + s.replies + s.resolves), s.roblox_id),
    )

    departments: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in events:
        if row.kind in ("opened", "resolved") and (row.kind == "opened" and member is None or mine(row)):
            departments[row.department][row.kind] += 1
    by_department: defaultdict[str, list[float]] = defaultdict(list)
    for ticket_id, seconds in first_samples.items():
        by_department[firsts[ticket_id].department].append(seconds)
        departments.setdefault(firsts[ticket_id].department, Counter())
    department_figures = sorted(
        (
            DepartmentFigures(d, c["opened"], c["resolved"], spread(by_department.get(d, [])))
            for d, c in departments.items()
        ),
        key=lambda d: (-(d.opened + d.resolved), d.department),
    )

    # One bar per calendar day (UTC) of the window; the window's partial first day counts with the first bar.
    days = max(math.ceil((until - since).total_seconds() / 86400), 1)
    first_day = (until - timedelta(days=days - 1)).date().isoformat()
    daily_counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in events:
        if row.kind in ("opened", "resolved") and (row.kind == "opened" and member is None or mine(row)):
            daily_counts[max(row.at[:10], first_day)][row.kind] += 1
    daily = tuple(
        (day, daily_counts[day]["opened"], daily_counts[day]["resolved"])
        for day in ((until - timedelta(days=days - 1 - i)).date().isoformat() for i in range(days))
    )
    return Figures(
        since=since,
        until=until,
        opened=counts["opened"],
        claimed=counts["claimed"],
        replied=counts["replied"],
        resolved=counts["resolved"],
        closed=counts["closed"],
        first_response=spread(first_samples.values()),
        resolution=spread(resolution),
        staff=tuple(staff_figures),
        departments=tuple(department_figures),
        daily=daily,
    )


async def gather(repo: EventRepo, *, since: datetime, until: datetime, member: int | None = None) -> Figures:
    """Read the window and the tickets it involves, then :func:`compute`."""
    events = await repo.between(since=iso(since), until=iso(until))
    involved = sorted({row.ticket_id for row in events if row.kind in ("replied", "resolved")})
    firsts = await repo.firsts(involved)
    # Pure work over up to a whole retention's events (~0.1 s per 100,000): off the event loop, so the gateway's
    # heartbeat and everyone else's interactions never wait for it.
    return await asyncio.to_thread(compute, events, firsts, since=since, until=until, member=member)


def last_digest_time(now: datetime) -> datetime:
    """The latest Monday 09:00 UTC at or before ``now``."""
    now = now.astimezone(UTC)
    moment = now.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    moment -= timedelta(days=(moment.weekday() - DIGEST_WEEKDAY) % 7)
    return moment if moment <= now else moment - timedelta(days=7)


def next_digest_time(now: datetime) -> datetime:
    return last_digest_time(now) + timedelta(days=7)
