"""StaffActions with a real database and the fake Series, outside Discord (real aiohttp timeouts)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.api import SeriesClient
from bot.cache import ConfigCache
from bot.config import Secret
from bot.errors import NotLinked, ReplyNotSent, UserFacingError
from bot.ratelimit import RateLimiter
from bot.repositories import AuditRepo, ReplyRepo, StaffLinkRepo
from bot.service import StaffActions
from fakes.series import FakeSeries

STAFF = 987654321


@pytest.fixture
async def setup(db, fake_series, http_session) -> AsyncIterator[tuple[StaffActions, FakeSeries, str]]:
    fake = fake_series
    api = SeriesClient(
        http_session, base_url=fake.url, api_key=Secret(fake.api_key), limiter=RateLimiter(25), timeout=0.5
    )
    actions = StaffActions(
        api=api,
        links=StaffLinkRepo(db),
        replies=ReplyRepo(db),
        audit=AuditRepo(db),
        config=ConfigCache(api),
    )
    await actions.links.link(guild_id=1, member_id=2, roblox_user_id=STAFF, linked_by=9)
    tid = fake.create_ticket()["TicketId"]
    fake.claim(tid, STAFF)
    yield actions, fake, tid


def sent_texts(fake: FakeSeries, tid: str) -> list[str]:
    return [m["Content"] for _, m in fake.messages(tid) if m["Type"] == "staff_message"]


async def test_timeout_after_delivery_is_ambiguous_and_check_finds_it(setup):
    actions, fake, tid = setup
    fake.fail_next("POST", r"/reply$", process=True, delay=2.0)
    with pytest.raises(ReplyNotSent) as info:
        await actions.reply(guild_id=1, channel_id=None, member_id=2, ticket_id=tid, text="hello")
    assert info.value.maybe_delivered and "did not answer within 0.5 seconds" in info.value.message
    assert info.value.text == "hello"
    reply = await actions.replies.get(info.value.reply_id)
    assert reply.state == "unknown"
    sent = await actions.retry(reply_id=reply.id, member_id=2)
    assert "already arrived" in sent.api_message
    assert sent_texts(fake, tid) == ["hello"]


async def test_timeout_before_delivery_then_retry_sends_once(setup):
    actions, fake, tid = setup
    fake.fail_next("POST", r"/reply$", delay=2.0)
    with pytest.raises(ReplyNotSent) as info:
        await actions.reply(guild_id=1, channel_id=None, member_id=2, ticket_id=tid, text="hello")
    assert info.value.maybe_delivered
    assert sent_texts(fake, tid) == []
    await actions.retry(reply_id=info.value.reply_id, member_id=2)
    assert sent_texts(fake, tid) == ["hello"]
    with pytest.raises(Exception, match="already delivered"):
        await actions.retry(reply_id=info.value.reply_id, member_id=2)
    assert sent_texts(fake, tid) == ["hello"]


async def test_unlinked_makes_no_call(setup):
    actions, fake, tid = setup
    before = len(fake.requests)
    with pytest.raises(NotLinked):
        await actions.reply(guild_id=1, channel_id=None, member_id=3, ticket_id=tid, text="hi")
    assert len(fake.requests) == before
    assert await actions.replies.unfinished() == []


async def test_recover_sends_pending_and_settles_in_flight(setup):
    actions, fake, tid = setup
    pending = await actions.replies.add(
        guild_id=1, channel_id=None, member_id=2, roblox_user_id=STAFF, ticket_id=tid, content="a"
    )
    fake.staff_message(tid, STAFF, "b")
    in_flight = await actions.replies.add(
        guild_id=1, channel_id=None, member_id=2, roblox_user_id=STAFF, ticket_id=tid, content="b"
    )
    await actions.replies.set_state(in_flight, state="sending")
    outcomes = await actions.recover()
    assert [r.id for r, _ in outcomes] == [pending, in_flight]
    assert sent_texts(fake, tid) == ["b", "a"]
    assert (await actions.replies.get(pending)).state == "sent"
    assert (await actions.replies.get(in_flight)).state == "sent"
    assert await actions.replies.unfinished() == []


async def test_double_tap_sends_once(setup):
    import asyncio

    actions, fake, tid = setup
    fake.unclaim(tid)
    with pytest.raises(ReplyNotSent) as info:
        await actions.reply(guild_id=1, channel_id=None, member_id=2, ticket_id=tid, text="once only")
    results = await asyncio.gather(
        actions.retry(reply_id=info.value.reply_id, member_id=2, claim_first=True),
        actions.retry(reply_id=info.value.reply_id, member_id=2, claim_first=True),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    [refused] = [r for r in results if isinstance(r, Exception)]
    assert "being sent right now" in str(refused)
    assert sent_texts(fake, tid) == ["once only"]


async def test_an_old_identical_message_is_not_mistaken_for_this_reply(setup):
    actions, fake, tid = setup
    fake.staff_message(tid, STAFF, "Thanks!")  # said long ago
    for _, message in fake.messages(tid):
        message["Timestamp"] = "2020-01-01T00:00:00.000Z"
    fake.fail_next("POST", r"/reply$", drop=True)  # not delivered this time
    with pytest.raises(ReplyNotSent) as info:
        await actions.reply(guild_id=1, channel_id=None, member_id=2, ticket_id=tid, text="Thanks!")
    sent = await actions.retry(reply_id=info.value.reply_id, member_id=2)
    assert sent.api_message == "Reply sent successfully"
    assert sent_texts(fake, tid) == ["Thanks!", "Thanks!"]


async def test_hex_id_is_resolved_to_the_ticket_id_everywhere(setup):
    actions, fake, tid = setup
    mongo = fake.get_ticket(tid)["_id"]
    sent = await actions.reply(guild_id=1, channel_id=None, member_id=2, ticket_id=mongo, text="by hex")
    assert sent.ticket_id == tid
    assert (await actions.replies.get(sent.reply_id)).ticket_id == tid
    fake.unclaim(tid)
    await actions.claim(guild_id=1, member_id=2, ticket_id=mongo)
    entries = await actions.audit.for_ticket(guild_id=1, ticket_id=tid)
    assert [e.action for e in entries] == ["claim", "reply"]
    assert all(r.path.startswith(f"/tickets/{tid}/") for r in fake.requests if r.method == "POST")


async def test_recovery_reports_instead_of_sending_when_the_link_changed_or_it_is_too_old(setup):
    actions, fake, tid = setup
    stale = await actions.replies.add(
        guild_id=1, channel_id=None, member_id=2, roblox_user_id=STAFF, ticket_id=tid, content="old"
    )
    await actions.replies.db.execute(
        "UPDATE replies SET created_at = '2020-01-01T00:00:00.000Z' WHERE id = ?", (stale,)
    )
    await actions.links.link(guild_id=1, member_id=3, roblox_user_id=STAFF, linked_by=9)
    relinked = await actions.replies.add(
        guild_id=1, channel_id=None, member_id=3, roblox_user_id=111, ticket_id=tid, content="as someone else"
    )
    outcomes = dict((r.id, text) for r, text in await actions.recover())
    assert "waited" in outcomes[stale] and "link changed" in outcomes[relinked]
    assert sent_texts(fake, tid) == []
    assert await actions.replies.unfinished() == []


async def test_a_claim_whose_answer_was_lost_never_says_nothing_changed(setup):
    """Defect (found by the model): a claim that reached Series but whose answer was lost was answered "Nothing was
    changed on purpose"; it had changed. Now the answer says it may have been done, and the history says unknown."""
    actions, fake, _ = setup
    tid = fake.create_ticket()["TicketId"]
    fake.fail_next("POST", r"/claim$", drop=True, process=True)
    with pytest.raises(UserFacingError) as info:
        await actions.claim(guild_id=1, member_id=2, ticket_id=tid)
    assert "may have been done" in info.value.message and "Nothing was changed" not in info.value.message
    assert fake.get_ticket(tid)["ClaimedBy"] == STAFF  # it was
    [entry] = await actions.audit.for_ticket(guild_id=1, ticket_id=tid)
    assert entry.result.startswith("unknown: ")
