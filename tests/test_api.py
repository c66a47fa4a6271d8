"""SeriesClient against the fake Series server: envelopes, typed errors, faults, and the limiter for real."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import unquote

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.api import (
    SeriesBadRequest,
    SeriesClient,
    SeriesForbidden,
    SeriesNotFound,
    SeriesRateLimited,
    SeriesUnauthorized,
    SeriesUnavailable,
    _segment,
)
from bot.config import Secret
from bot.ratelimit import RateLimiter
from fakes.series import FakeSeries
from tests.helpers import FakeClock, max_in_any_window, running_fake

STAFF = 987654321


@pytest.fixture
def fake(fake_series: FakeSeries) -> FakeSeries:
    return fake_series


@pytest.fixture
def session(http_session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    return http_session


def make_client(session, fake, *, key="test-key", clock=None, timeout=2.0, rate=25) -> SeriesClient:
    clock = clock or FakeClock()
    return SeriesClient(
        session,
        base_url=fake.url,
        api_key=Secret(key),
        limiter=RateLimiter(rate, clock=clock, sleep=clock.sleep),
        timeout=timeout,
        sleep=clock.sleep,
    )


@pytest.fixture
def api(session, fake) -> SeriesClient:
    return make_client(session, fake)


async def test_check_key(api, fake, session):
    info = await api.check_key()
    assert info.valid and info.workspace_name == "My Organization"
    fake.key_valid = False
    info = await api.check_key()
    assert not info.valid and info.message == "API key is inactive or invalid"
    wrong = await make_client(session, fake, key="nope").check_key()
    assert not wrong.valid


async def test_every_endpoint_round_trip(api, fake):
    config = await api.get_config()
    assert config.departments["support-dept"].name == "Support Department"
    assert 987654321 in config.departments["support-dept"].members
    t = fake.create_ticket(subject="Help", message="first")
    tid = t["TicketId"]
    page = await api.list_tickets(status="open")
    assert [x.id for x in page.tickets] == [tid] and page.tickets[0].messages == ()
    ticket = await api.get_ticket(tid)
    assert ticket.subject == "Help" and ticket.first_message.content == "first" and ticket.claimed_by is None
    assert await api.claim(tid, staff_user_id=STAFF) == "Ticket claimed successfully"
    assert (await api.get_ticket(tid)).status == "in-progress"
    assert await api.reply(tid, content="hello", staff_user_id=STAFF) == "Reply sent successfully"
    assert await api.unclaim(tid, staff_user_id=STAFF) == "Ticket unclaimed successfully"
    assert await api.set_status(tid, status="resolved", staff_user_id=STAFF) == "Status changed to resolved"
    assert (
        await api.transfer(tid, department_id="moderation-dept", staff_user_id=STAFF)
        == "Ticket transferred to Moderation Department"
    )
    ticket = await api.get_ticket(tid)
    assert ticket.department == "moderation-dept"
    assert [m.content for m in ticket.messages if m.is_staff] == ["hello"]
    assert all(r.has_api_key for r in fake.requests if r.path.startswith("/tickets"))


@pytest.mark.parametrize(
    ("setup", "call", "error", "message"),
    [
        (None, "reply", SeriesBadRequest, "You must claim this ticket before replying"),
        ("game", "reply", SeriesForbidden, "Cannot reply to game reports"),
        ("premium", "reply", SeriesForbidden, "Tickets module requires a Premium or Enterprise subscription"),
        ("disabled", "get", SeriesForbidden, "Tickets module is not enabled for this workspace"),
        ("missing", "get", SeriesNotFound, "Ticket not found"),
        ("claimed", "claim", SeriesBadRequest, "Ticket already claimed"),
        (None, "unclaim", SeriesBadRequest, "Ticket is not claimed"),
        (None, "transfer", SeriesNotFound, "Department not found"),
    ],
)
async def test_errors_carry_the_api_message_word_for_word(api, fake, setup, call, error, message):
    tid = fake.create_ticket(category="reports", game_report=setup == "game")["TicketId"]
    if setup == "game":
        fake.claim(tid, STAFF)
    if setup == "premium":
        fake.premium = False
    if setup == "disabled":
        fake.enabled = False
    if setup == "missing":
        tid = "TICKET-1-NOPE"
    if setup == "claimed":
        fake.claim(tid, 111111111)
    calls = {
        "reply": lambda: api.reply(tid, content="x", staff_user_id=STAFF),
        "get": lambda: api.get_ticket(tid),
        "claim": lambda: api.claim(tid, staff_user_id=STAFF),
        "unclaim": lambda: api.unclaim(tid, staff_user_id=STAFF),
        "transfer": lambda: api.transfer(tid, department_id="nope", staff_user_id=STAFF),
    }
    with pytest.raises(error) as info:
        await calls[call]()
    assert info.value.message == message


async def test_wrong_key_is_unauthorized(session, fake):
    with pytest.raises(SeriesUnauthorized):
        await make_client(session, fake, key="wrong").get_config()


@pytest.mark.parametrize("odd", ["../basic/check-key/x", "TICKET-1-A/../../config", "TICKET-1-A?x", "#x", "..", "."])
async def test_any_id_stays_one_path_segment(api, fake, odd):
    """Ids are data: whatever one holds, it is encoded into its own path segment and can't reach another endpoint."""
    with pytest.raises(SeriesNotFound, match="Ticket not found"):
        await api.get_ticket(odd)
    with pytest.raises(SeriesNotFound, match="Ticket not found"):
        await api.reply(odd, content="x", staff_user_id=STAFF)
    get, reply = fake.requests
    assert get.path.split("/")[:3] == ["", "tickets", "get"] and get.path.count("/") == 3
    assert reply.path.split("/")[1] == "tickets" and reply.path.endswith("/reply") and reply.path.count("/") == 3


@given(st.text(min_size=1, max_size=30))
def test_an_encoded_id_is_always_one_segment_and_reads_back_as_itself(ticket_id):
    segment = _segment(ticket_id)
    assert "/" not in segment and segment not in (".", "..") and "?" not in segment and "#" not in segment
    assert unquote(segment) == ticket_id


async def test_an_empty_id_never_becomes_a_request(api, fake):
    with pytest.raises(ValueError):
        await api.get_ticket("")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("fault", "text", "maybe"),
    [
        ({"status": 500}, "HTTP 500", True),
        ({"status": 502, "body": "<html>Bad gateway</html>", "content_type": "text/html"}, "HTTP 502", True),
        ({"status": 503}, "HTTP 503", True),
        ({"status": 200, "body": "<html>login</html>", "content_type": "text/html"}, "could not read", True),
        ({"status": 200, "body": '{"success": true, "da'}, "could not read", True),
        ({"drop": True}, "broke", True),
        ({"delay": 3.0}, "did not answer within", True),
    ],
)
async def test_transport_faults_become_typed_errors(api, fake, fault, text, maybe):
    tid = fake.create_ticket()["TicketId"]
    fake.claim(tid, STAFF)
    fake.fail_next("POST", r"/reply$", **fault)
    with pytest.raises(SeriesUnavailable) as info:
        await api.reply(tid, content="x", staff_user_id=STAFF)
    assert text in info.value.message
    assert info.value.maybe_delivered is maybe
    assert fake.count("POST") == 1  # a POST is never retried by itself


async def test_connection_refused_is_not_delivered(session):
    async with running_fake() as fake:
        url = fake.url
    clock = FakeClock()
    api = SeriesClient(
        session,
        base_url=url,
        api_key=Secret("k"),
        limiter=RateLimiter(25, clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
    )
    with pytest.raises(SeriesUnavailable) as info:
        await api.reply("TICKET-1-A", content="x", staff_user_id=STAFF)
    assert info.value.maybe_delivered is False and "Could not connect" in info.value.message


async def test_get_is_retried_once_after_a_transport_fault(api, fake):
    tid = fake.create_ticket()["TicketId"]
    fake.fail_next("GET", r"^/tickets/get/", status=502)
    assert (await api.get_ticket(tid)).id == tid
    fake.fail_next("GET", r"^/tickets/get/", status=502, times=2)
    with pytest.raises(SeriesUnavailable):
        await api.get_ticket(tid)


@pytest.mark.parametrize("retry_after", [None, "2"])
async def test_429_pauses_everyone_and_retries(session, fake, retry_after):
    clock = FakeClock()
    api = make_client(session, fake, clock=clock)
    headers = {"Retry-After": retry_after} if retry_after else {}
    fake.fail_next("GET", r"^/tickets/config$", status=429, headers=headers)
    start = clock()
    await api.get_config()
    assert clock() - start >= (float(retry_after) if retry_after else 1.0)
    assert fake.count("GET", "/tickets/config") == 2


@pytest.mark.parametrize(
    ("retry_after", "at_least", "at_most"), [("date+5", 3.9, 5.1), ("nan", 1.0, 1.1), ("inf", 60.0, 60.1)]
)
async def test_429_pause_reads_every_form_of_retry_after(session, fake, retry_after, at_least, at_most):
    """An HTTP-date is read as the time until it (not as 1 s), nan as the default pause (not none), inf clamped."""
    if retry_after == "date+5":
        retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    clock = FakeClock()
    api = make_client(session, fake, clock=clock)
    fake.fail_next("GET", r"^/tickets/config$", status=429, headers={"Retry-After": retry_after})
    start = clock()
    await api.get_config()
    assert at_least <= clock() - start <= at_most
    assert fake.count("GET", "/tickets/config") == 2


async def test_429_retries_are_bounded(session, fake):
    clock = FakeClock()
    api = make_client(session, fake, clock=clock)
    fake.fail_next("GET", r"^/tickets/config$", status=429, times=10)
    with pytest.raises(SeriesRateLimited):
        await api.get_config()
    assert fake.count("GET", "/tickets/config") == 1 + api.max_rate_limit_retries


async def test_limiter_proven_against_the_fake_server(session):
    """200 concurrent calls: no 429, and no one-second window over 25 as the server counts them.

    The limiter and the server share one controllable clock. Time moves only when the limiter sleeps, and only
    once every request it let go has reached the server: network time is zero on this clock, the strictest
    case, where the server counts each request at the very instant the limiter released it.
    """
    clock = FakeClock()
    async with running_fake(api_key="test-key", clock=clock) as fake:
        released = 0

        async def sleep(seconds: float) -> None:
            while len(fake.requests) < released:  # noqa: ASYNC110 - waiting on another process's socket
                await asyncio.sleep(0.001)
            await clock.sleep(seconds)

        limiter = RateLimiter(25, clock=clock, sleep=sleep)
        original_acquire = limiter.acquire

        async def acquire(priority: int = 0) -> None:
            nonlocal released
            await original_acquire(priority)
            released += 1

        limiter.acquire = acquire  # type: ignore[method-assign]
        tid = fake.create_ticket()["TicketId"]
        api = SeriesClient(session, base_url=fake.url, api_key=Secret("test-key"), limiter=limiter, sleep=sleep)
        await asyncio.gather(*(api.get_ticket(tid) for _ in range(200)))
        assert fake.rate_limited == 0
        assert [r.status for r in fake.requests] == [200] * 200
        assert max_in_any_window([r.time for r in fake.requests], 1.0) == 25
        assert clock() - fake.requests[0].time == pytest.approx(7 * (1 + limiter.margin))  # and no slower than needed


async def test_a_naive_client_does_get_429s(session):
    """The same burst without our limiter: proves the fake really enforces the limit (the test above can fail)."""
    clock = FakeClock()
    async with running_fake(api_key="test-key", clock=clock) as fake:
        tid = fake.create_ticket()["TicketId"]
        api = make_client(session, fake, clock=clock, rate=1000)
        api.max_rate_limit_retries = 0
        results = await asyncio.gather(*(api.get_ticket(tid) for _ in range(200)), return_exceptions=True)
        assert sum(isinstance(r, SeriesRateLimited) for r in results) == 175


async def test_secret_never_in_errors_or_repr(session, fake):
    api = make_client(session, fake, key="super-secret-key-123")
    assert "super-secret-key-123" not in repr(api)
    with pytest.raises(SeriesUnauthorized) as info:
        await api.get_config()
    assert "super-secret-key-123" not in repr(info.value) + str(info.value)


async def test_a_429_pauses_callers_that_come_later_too(session):
    clock = FakeClock()
    async with running_fake(api_key="test-key", clock=clock) as fake:
        others: list[asyncio.Task] = []

        async def sleep(seconds: float) -> None:
            if not others:  # the first caller is now waiting out the 429: another staff member acts meanwhile
                others.append(asyncio.ensure_future(api.get_config()))
                await asyncio.sleep(0.05)
            await clock.sleep(seconds)

        api = SeriesClient(
            session, base_url=fake.url, api_key=Secret("test-key"), limiter=RateLimiter(25, clock=clock, sleep=sleep)
        )
        fake.fail_next("GET", r"^/tickets/config$", status=429, headers={"Retry-After": "3"})
        start = clock()
        await api.get_config()
        await others[0]
        later = [r for r in fake.requests if r.status == 200]
        assert len(later) == 2 and all(r.time >= start + 3 for r in later)
