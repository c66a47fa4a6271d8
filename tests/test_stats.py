"""Stats from a scripted history whose answers are worked out by hand below, through the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.events import Event
from bot.repositories import EventRepo, TicketState
from bot.stats import gather, last_digest_time, nearest_rank, next_digest_time, spread

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # a Monday
AMY, BOB = 111, 555
DAY = timedelta(days=1)


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ev(ticket: str, kind: str, hours_ago: float, actor: int | None = None, dept: str = "support", key=None):
    return Event(ticket, key or f"{kind}:{hours_ago}", kind, at(hours_ago), actor, dept)


# The history (hours before NOW). Within the last 7 days (168 h) unless said otherwise.
HISTORY = [
    # T1: opened 100 h ago, Amy claims at 99, first reply 98 (2 h), another reply 90, resolved 50 (50 h).
    ev("T1", "opened", 100),
    ev("T1", "claimed", 99, AMY),
    ev("T1", "replied", 98, AMY, key="m1"),
    ev("T1", "replied", 90, AMY, key="m2"),
    ev("T1", "resolved", 50, AMY),
    # T2: opened 30 h ago (moderation), Bob claims 29.5, first reply 29 (1 h), still open.
    ev("T2", "opened", 30, dept="moderation"),
    ev("T2", "claimed", 29.5, BOB, dept="moderation"),
    ev("T2", "replied", 29, BOB, key="m3", dept="moderation"),
    # T3: opened 200 h ago (before the window), first reply 170 h (before), resolved 10 h ago (190 h).
    ev("T3", "opened", 200),
    ev("T3", "replied", 170, AMY, key="m4"),
    ev("T3", "resolved", 10, AMY),
    # T4: opened 20 h ago, nobody answered yet; closed 5 h ago.
    ev("T4", "opened", 20),
    ev("T4", "closed", 5),
    # T5: opened 10 h ago, Amy claims 9, replies 4 (6 h, from the website: same event).
    ev("T5", "opened", 10),
    ev("T5", "claimed", 9, AMY),
    ev("T5", "replied", 4, AMY, key="m5"),
    ev("T5", "player", 3, key="m6"),
    # Outside the window entirely: T0, opened and resolved long ago.
    ev("T0", "opened", 400),
    ev("T0", "resolved", 390, BOB),
]


@pytest.fixture
async def repo(db) -> EventRepo:
    repo = EventRepo(db)
    by_ticket: dict[str, list[Event]] = {}
    for event in HISTORY:
        by_ticket.setdefault(event.ticket_id, []).append(event)
    for ticket_id, events in by_ticket.items():
        await repo.record(events, TicketState(ticket_id, "open", None, "support", ""))
    return repo


async def test_the_team_over_seven_days(repo):
    figures = await gather(repo, since=NOW - 7 * DAY, until=NOW)
    # Opened in the window: T1, T2, T4, T5 (T3 and T0 before it).
    assert figures.opened == 4
    assert (figures.claimed, figures.replied, figures.resolved, figures.closed) == (3, 4, 2, 1)
    # First replies inside the window: T1 2 h, T2 1 h, T5 6 h (T3's was before it).
    assert figures.first_response.count == 3
    assert figures.first_response.median == 2 * 3600
    assert figures.first_response.p90 == 6 * 3600  # nearest rank: ceil(0.9 * 3) = 3rd of [1, 2, 6]
    # Resolves in the window: T1 after 50 h, T3 after 190 h: median of two is their mean.
    assert figures.resolution.count == 2
    assert figures.resolution.median == 120 * 3600 and figures.resolution.p90 == 190 * 3600
    amy = next(s for s in figures.staff if s.roblox_id == AMY)
    # Amy: claims T1, T5; replies m1, m2, m5 (m4 is outside); resolves T1, T3; first response on T1 (2 h), T5 (6 h).
    assert (amy.claims, amy.replies, amy.resolves) == (2, 3, 2)
    assert amy.first_response.median == 4 * 3600
    bob = next(s for s in figures.staff if s.roblox_id == BOB)
    assert (bob.claims, bob.replies, bob.resolves, bob.first_response.median) == (1, 1, 0, 3600)
    assert [s.roblox_id for s in figures.staff] == [AMY, BOB]  # busiest first
    support = next(d for d in figures.departments if d.department == "support")
    assert (support.opened, support.resolved, support.first_response.median) == (3, 2, 4 * 3600)
    moderation = next(d for d in figures.departments if d.department == "moderation")
    assert (moderation.opened, moderation.resolved, moderation.first_response.median) == (1, 0, 3600)
    # One bar per day, the last one today (UTC): T5 opened at 02:00 and T3 was resolved at 02:00; T4 opened
    # yesterday at 16:00.
    assert len(figures.daily) == 7 and figures.daily[-1] == ("2025-03-10", 1, 1)
    assert figures.daily[-2] == ("2025-03-09", 2, 0)  # T4 at 16:00 and T2 at 06:00
    assert sum(o for _, o, _ in figures.daily) == 4 and sum(r for _, _, r in figures.daily) == 2


async def test_one_member(repo):
    figures = await gather(repo, since=NOW - 7 * DAY, until=NOW, member=BOB)
    assert (figures.opened, figures.claimed, figures.replied, figures.resolved) == (0, 1, 1, 0)
    assert figures.first_response.count == 1 and figures.first_response.median == 3600


async def test_a_short_window(repo):
    figures = await gather(repo, since=NOW - DAY, until=NOW)
    # Last 24 h: opened T4 (20 h), T5 (10 h); replies m5; resolves T3; first responses: T5 (6 h) only.
    assert (figures.opened, figures.replied, figures.resolved, figures.closed) == (2, 1, 1, 1)
    assert figures.first_response.count == 1 and figures.first_response.median == 6 * 3600
    assert figures.resolution.median == 190 * 3600


async def test_an_empty_window(repo):
    figures = await gather(repo, since=NOW - 30 * DAY - DAY, until=NOW - 30 * DAY)
    assert figures.opened == 0 and figures.first_response.count == 0 and figures.first_response.median is None
    assert figures.staff == () and figures.departments == ()


async def test_a_reply_dated_before_its_ticket_is_not_a_negative_time(db):
    repo = EventRepo(db)
    events = [ev("TX", "opened", 5), ev("TX", "replied", 6, AMY, key="early")]
    await repo.record(events, TicketState("TX", "open", None, "support", ""))
    figures = await gather(repo, since=NOW - DAY, until=NOW)
    assert figures.first_response.count == 0


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=50))
def test_percentiles_by_definition(values):
    result = spread(values)
    ordered = sorted(values)
    assert result.count == len(values)
    assert ordered[0] <= result.median <= ordered[-1]  # type: ignore[operator]
    p90 = nearest_rank(values, 0.9)
    assert p90 in values
    assert sum(v <= p90 for v in values) >= 0.9 * len(values)  # at least 90% at or below it
    assert sum(v < p90 for v in values) < 0.9 * len(values)  # and it is the smallest such value


def test_the_digest_goes_out_on_mondays_at_nine_utc():
    assert last_digest_time(NOW) == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # Monday 12:00: this morning's
    assert last_digest_time(datetime(2025, 3, 10, 8, 59, tzinfo=UTC)) == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert next_digest_time(datetime(2025, 3, 12, tzinfo=UTC)) == datetime(2025, 3, 17, 9, 0, tzinfo=UTC)
