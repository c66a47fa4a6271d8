"""The poller against the fake Series: what one poll costs, and which tickets it fetches in full."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest

from bot.api import SeriesClient
from bot.cache import TicketCache
from bot.config import Secret
from bot.poller import DoneWatch, Poller
from bot.ratelimit import RateLimiter
from bot.repositories import FeedRepo
from fakes.series import FakeSeries
from tests.helpers import STAFF_ROBLOX_ID, UNLIMITED, make_ticket, running_fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeSeries]:
    async with running_fake(api_key="test-key", rate_limit=None) as server:
        yield server


@pytest.fixture
def poller(fake, db, http_session) -> Poller:
    api = SeriesClient(http_session, base_url=fake.url, api_key=Secret("test-key"), limiter=RateLimiter(UNLIMITED))
    return Poller(api=api, feed=FeedRepo(db), cache=TicketCache())


async def handled(poller: Poller, tickets) -> None:
    """Mark tickets as handled, as the feed does once it has acted on them."""
    for ticket in tickets:
        await poller.feed.mark_seen(
            ticket_id=ticket.id, updated_at=ticket.updated_at, status=ticket.status, department=ticket.department
        )


def calls(fake: FakeSeries, since: int) -> tuple[int, int]:
    new = fake.requests[since:]
    return (
        len([r for r in new if r.path == "/tickets/list"]),
        len([r for r in new if r.path.startswith("/tickets/get/")]),
    )


@pytest.mark.parametrize(("n", "k"), [(0, 0), (7, 2), (25, 5), (40, 0)])
async def test_poll_cost(poller, fake, n, k):
    """Moved from the feed tests: a poll walks ceil(n/10) open pages (at least one) plus the in-progress page, and
    fetches only the k tickets that changed since they were handled."""
    ids = [fake.create_ticket(subject=f"T{i}")["TicketId"] for i in range(n)]
    await handled(poller, (await poller.poll()).changed)
    for tid in ids[:k]:
        fake.author_message(tid, "more")
    before = len(fake.requests)
    result = await poller.poll()
    assert calls(fake, before) == (max(1, math.ceil(n / 10)) + 1, k)
    assert len(result.changed) == k and result.active == n


async def test_poll_cost_with_both_active_statuses(poller, fake):
    """Moved from the feed tests: Series lists one status at a time, so 11 open and 12 in progress cost
    ceil(11/10) + ceil(12/10) = 4 list calls, one more than ceil(23/10)."""
    ids = [fake.create_ticket(subject=f"T{i}")["TicketId"] for i in range(23)]
    for tid in ids[:12]:
        fake.claim(tid, STAFF_ROBLOX_ID)
    await handled(poller, (await poller.poll()).changed)
    fake.author_message(ids[0], "changed")
    before = len(fake.requests)
    await poller.poll()
    assert calls(fake, before) == (4, 1)


async def test_a_ticket_that_left_the_active_lists_is_fetched_once(poller, fake):
    tid = fake.create_ticket()["TicketId"]
    await handled(poller, (await poller.poll()).changed)
    fake.set_status(tid, "closed")
    result = await poller.poll()
    assert [t.status for t in result.changed] == ["closed"]
    await handled(poller, result.changed)
    before = len(fake.requests)
    assert (await poller.poll()).changed == []
    assert calls(fake, before)[1] == 0


async def test_a_ticket_gone_from_series_is_no_longer_tracked(poller, fake):
    tid = fake.create_ticket()["TicketId"]
    await handled(poller, (await poller.poll()).changed)
    fake.set_status(tid, "closed")
    del fake.tickets[tid]
    result = await poller.poll()
    assert result.changed == [] and poller.cache.get(tid) is None
    assert (await poller.feed.seen_one(tid)).status == "gone"


async def test_without_details_only_the_lists_are_read(poller, fake):
    fake.create_ticket()
    before = len(fake.requests)
    result = await poller.poll(details=False)
    assert calls(fake, before) == (2, 0) and result.changed == [] and result.active == 1
    assert len(poller.cache.active()) == 1  # autocomplete still learns about it


async def test_changed_tickets_can_be_handed_over_one_by_one(poller, fake):
    ids = [fake.create_ticket(subject=f"T{i}")["TicketId"] for i in range(3)]
    got = []

    async def take(ticket):
        got.append(ticket.id)
        await handled(poller, [ticket])

    result = await poller.poll(on_changed=take)
    assert got == ids and result.changed == []  # not kept: a learning poll never holds every ticket's details
    assert (await poller.poll(on_changed=take)).detail_calls == 0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_watch_looks_at_a_finished_ticket_less_and_less_often_and_sooner_after_a_change():
    clock = Clock()
    watch = DoneWatch(clock=clock, first=60, longest=600, window=3600, per_poll=5)
    resolved = make_ticket(TicketId="TICKET-1-AAAA", Status="resolved", UpdatedAt="t1")
    watch.note(resolved)
    looks = []
    for second in range(0, 3000, 15):
        clock.now = 1000.0 + second
        if watch.due():
            looks.append(second)
            watch.note(resolved)  # nothing changed
    assert looks[:5] == [60, 180, 420, 900, 1500]  # 1, 2, 4, 8 minutes apart, then at most 10
    assert looks[5] - looks[4] == 600
    clock.now += 15
    watch.note(make_ticket(TicketId="TICKET-1-AAAA", Status="closed", UpdatedAt="t2"))  # changed: soon again
    clock.now += 60
    assert watch.due() == ["TICKET-1-AAAA"]


def test_the_watch_forgets_active_tickets_and_old_ones_and_spends_little_per_poll():
    clock = Clock()
    watch = DoneWatch(clock=clock, first=60, window=3600, per_poll=2)
    for n in range(5):
        watch.note(make_ticket(TicketId=f"TICKET-{n}-AAAA", Status="closed", UpdatedAt="t"))
    watch.note(make_ticket(TicketId="TICKET-0-AAAA", Status="open", UpdatedAt="t2"))  # reopened: the lists have it
    clock.now += 60
    assert watch.due() == ["TICKET-1-AAAA", "TICKET-2-AAAA"]  # at most per_poll, oldest due first
    clock.now += 3601
    assert watch.due() == [] and len(watch) == 0  # watched for the whole window: forgotten
