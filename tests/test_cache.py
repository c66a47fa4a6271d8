"""What the bot remembers for autocomplete (3 seconds, no defer): tickets, departments, and threads."""

from __future__ import annotations

import asyncio

from bot.api import SeriesClient
from bot.cache import ConfigCache, TicketCache
from bot.config import Secret
from bot.ratelimit import RateLimiter
from tests.helpers import UNLIMITED, make_ticket


def ticket(n: int, **overrides):
    return make_ticket(TicketId=f"TICKET-{n}-A", CreatedAt=f"2025-01-{n:02d}T00:00:00.000Z", **overrides)


def test_choices_put_the_thread_ticket_then_my_claims_first_then_newest():
    cache = TicketCache()
    for n in range(1, 6):
        cache.put(ticket(n))
    cache.put(ticket(6, ClaimedBy=77))
    cache.put(ticket(7, Status="closed"))
    values = [c.value for c in cache.choices("", staff_id=77, first="TICKET-2-A")]
    assert values == ["TICKET-2-A", "TICKET-6-A", "TICKET-5-A", "TICKET-4-A", "TICKET-3-A", "TICKET-1-A"]
    assert "TICKET-7-A" in [c.value for c in cache.choices("", active_only=False)]


def test_choices_match_subject_or_player_and_stay_within_discords_limits():
    cache = TicketCache()
    for n in range(1, 31):
        cache.put(ticket(n, Subject=("Very long subject " * 10) + str(n)))
    cache.put(ticket(31, Subject="   "))
    choices = cache.choices("")
    assert len(choices) == 25 and all(1 <= len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    [empty] = cache.choices("TICKET-31-A")
    assert "(no subject)" in empty.name
    assert [c.value for c in cache.choices("subject 7")] == ["TICKET-7-A"]
    cache.put(ticket(32, Author={"UserId": 5, "Username": "builderman", "DisplayName": "Builder"}))
    assert [c.value for c in cache.choices("BUILDERMAN")] == ["TICKET-32-A"]  # by player name, any case


def test_tickets_without_an_id_are_not_kept():
    cache = TicketCache()
    cache.put(make_ticket(TicketId=""))
    assert len(cache) == 0 and cache.active() == []
    cache.put(ticket(1))
    cache.discard("TICKET-1-A")
    assert cache.get("TICKET-1-A") is None


async def test_department_choices_come_from_memory_and_the_first_keystroke_loads_them(fake_series, http_session):
    api = SeriesClient(
        http_session, base_url=fake_series.url, api_key=Secret("test-key"), limiter=RateLimiter(UNLIMITED)
    )
    config = ConfigCache(api)
    assert config.department_choices("", may_load=True) == []  # not loaded: answered at once, and a load starts
    for _ in range(50):
        if config.value is not None:
            break
        await asyncio.sleep(0.02)
    names = [c.name for c in config.department_choices("", may_load=True)]
    assert "Support Department" in names
    assert [c.value for c in config.department_choices("moder", may_load=True)] == ["moderation-dept"]


async def test_department_autocomplete_never_spends_the_key_for_non_staff_and_loads_once(fake_series, http_session):
    """Defect: while the config wasn't loaded, any member's keystroke started a Series request."""
    api = SeriesClient(
        http_session, base_url=fake_series.url, api_key=Secret("test-key"), limiter=RateLimiter(UNLIMITED)
    )
    config = ConfigCache(api)
    for _ in range(20):
        assert config.department_choices("s", may_load=False) == []
    await asyncio.sleep(0.1)
    assert fake_series.count("GET", "/tickets/config") == 0
    fake_series.fail_next("GET", r"^/tickets/config$", status=503, times=2)  # the client retries a GET once
    for _ in range(20):  # twenty fast keystrokes from staff while Series is down: one load, not twenty
        config.department_choices("s", may_load=True)
    for _ in range(50):
        await asyncio.sleep(0.02)
    assert fake_series.count("GET", "/tickets/config") == 2 and config.value is None
    config.department_choices("s", may_load=True)  # within 30 s of the failure: not again
    await asyncio.sleep(0.1)
    assert fake_series.count("GET", "/tickets/config") == 2


def test_the_cache_is_bounded_and_keeps_no_messages():
    cache = TicketCache(max_inactive=3)
    for n in range(1, 11):
        cache.put(ticket(n, Status="closed"))
    cache.put(ticket(20))  # active: always kept
    assert len(cache) == 4 and {t.id for t in cache.active()} == {"TICKET-20-A"}
    assert cache.get("TICKET-1-A") is None and cache.get("TICKET-10-A") is not None
    assert cache.get("TICKET-20-A").messages == ()  # make_ticket has three; autocomplete needs none
    cache.put(ticket(20, Status="resolved"))
    assert len(cache) == 3  # now one of the three most recent inactive ones


def test_the_cache_keeps_a_summary_with_shared_strings():
    cache = TicketCache()
    cache.put(ticket(1))
    cache.put(ticket(2))
    one, two = cache.get("TICKET-1-A"), cache.get("TICKET-2-A")
    assert one is not None and two is not None
    assert one.messages == () and one.mongo_id == "" and one.author.avatar_url == ""
    assert one.subject == "Help with ranking" and one.author.username == "p" and one.updated_at
    assert one.status is two.status and one.department is two.department  # one string for every ticket
