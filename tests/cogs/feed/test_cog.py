"""The feed's commands, poll loop and listeners, through the real bot in SimCord."""

from __future__ import annotations

import discord
import pytest
import simcord

from bot.render import STATUS_COLOURS, short_ref
from tests.helpers import STAFF_ROBLOX_ID, World, buttons, card_for, cards, feed, poll, thread_of, ticket_with_thread


async def test_feed_set_needs_manage_server(world: World):
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.staff.slash(world.channel, "feed set", channel=world.channel)  # hidden from them
    await world.allow("feed", world.staff)  # shown to them by an admin's override: still refused
    result = await world.staff.slash(world.channel, "feed set", channel=world.channel)
    assert result.ephemeral and "Manage Server" in result.response.content
    assert await feed(world).repo.routes() == []


async def test_crash_in_the_middle_of_a_poll(routed: World, make_bot):
    w = routed
    ids = [w.fake.create_ticket(subject=f"T{i}")["TicketId"] for i in range(3)]
    # The process dies while handling the second ticket of the poll (a BaseException: nothing catches a crash).
    calls = {"n": 0}
    original = feed(w).publisher.sync_ticket

    class Crash(BaseException):
        pass

    async def flaky(ticket, *, config):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash()
        await original(ticket, config=config)

    feed(w).publisher.sync_ticket = flaky
    with pytest.raises(Crash):
        await feed(w).poll_once()
    assert len(cards(w.channel)) == 1
    await w.env.restart_bot(make_bot())
    await poll(w)
    await poll(w)
    for tid in ids:
        assert len(card_for(w.channel, tid)) == 1


async def test_resolved_tickets_leave_the_scan_and_reopened_ones_come_back(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    w.fake.set_status(tid, "closed")
    await feed(w).poll_once()  # fetched once, because it left the active lists
    [card] = card_for(w.channel, tid)
    assert {f.name: f.value for f in card.embeds[0].fields}["Status"].startswith("Closed by Staff Member <t:")
    assert buttons(card) == ["Reopen"]
    assert card.embeds[0].colour == STATUS_COLOURS["closed"]
    before = len(w.fake.requests)
    await feed(w).poll_once()
    assert not [r for r in w.fake.requests[before:] if r.path.startswith("/tickets/get/")]
    w.fake.set_status(tid, "open")
    await feed(w).poll_once()
    [card] = card_for(w.channel, tid)
    assert {f.name: f.value for f in card.embeds[0].fields}["Status"] == "Open"


async def test_card_buttons_act_and_update_the_card_at_once(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    assert buttons(card) == ["Claim", "Reply", "Resolve", "Close"]  # the main action first
    result = await w.staff.click(card, label="Claim")
    assert result.ephemeral and result.response.content.startswith("✅ **Help with ranking** (#")
    assert "is yours now" in result.response.content and "successfully" not in result.response.content
    [card] = card_for(w.channel, tid)
    assert {f.name: f.value for f in card.embeds[0].fields}["Claimed by"] == f"<@{w.staff.id}>"
    assert buttons(card) == ["Reply", "Resolve", "Unclaim", "Close"]  # now Reply leads; Unclaim and Close below
    result = await w.staff.click(card, label="Resolve")
    assert "is resolved" in result.response.content
    [card] = card_for(w.channel, tid)
    assert buttons(card) == ["Reopen", "Close"]
    question = await w.staff.click(card, label="Close")  # asks first
    assert question.ephemeral and question.response.content.startswith("Close **Help with ranking**")
    assert w.fake.get_ticket(tid)["Status"] == "resolved"  # nothing happened yet
    closed = await w.staff.click(question.response, label="Close ticket")
    assert "Closed **Help with ranking**" in closed.response.content
    [card] = card_for(w.channel, tid)
    assert buttons(card) == ["Reopen"]
    result = await w.staff.click(card, label="Reopen")
    assert "Reopened" in result.response.content


async def test_unlinked_click_is_refused_without_api_call(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    before = len(w.fake.requests)
    result = await w.player_fan.click(card, label="Claim")
    assert result.ephemeral and "/staff link" in result.response.content
    assert [r for r in w.fake.requests[before:] if r.method == "POST"] == []


async def test_feed_show_reports_a_channel_the_bot_cannot_post_in(world: World):
    w = world
    locked = w.guild.create_text_channel(
        "locked", overwrites={w.guild.me: discord.PermissionOverwrite(send_messages=False)}
    )
    await w.env.settle()
    result = await w.admin.slash(w.channel, "feed set", channel=locked)
    assert "missing **Send Messages**" in result.response.content
    first = w.fake.create_ticket()["TicketId"]
    await poll(w)
    shown = await w.admin.slash(w.channel, "feed show")
    value = shown.response.embeds[0].fields[0].value
    assert "missing **Send Messages**" in value and "Last problem" in value
    later = []
    for i in range(3):  # more tickets keep arriving while the channel is broken
        later.append(w.fake.create_ticket(subject=f"later {i}")["TicketId"])
        await poll(w)
    posts = [r for r in w.env.http_requests if r.method == "POST" and r.path == f"/channels/{locked.id}/messages"]
    assert len(posts) == 1  # one refused request, not one per ticket and poll: no retry storm

    # An admin fixes it by pointing the route at a channel the bot can use: every waiting ticket gets its card.
    await w.admin.slash(w.channel, "feed set", channel=w.channel)
    await poll(w)
    for tid in [first, *later]:
        assert len(card_for(w.channel, tid)) == 1


async def test_cards_missing_after_a_restart_are_backfilled(routed: World, make_bot):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    await card.delete()
    await w.env.bot.services.db.execute("DELETE FROM cards")  # as if the card was lost with no change on Series
    await w.env.restart_bot(make_bot())
    await poll(w)
    assert len(card_for(w.channel, tid)) == 1


async def test_deleted_card_is_recreated(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    await card.delete()
    w.fake.author_message(tid, "still there?")
    await poll(w)
    assert len(card_for(w.channel, tid)) == 1


async def test_any_poll_failure_backs_off_instead_of_spinning(routed: World):
    w = routed
    calls = {"n": 0}

    async def broken(*args, **kwargs):
        calls["n"] += 1
        raise RuntimeError("discord or database trouble")

    feed(w).poller.poll = broken
    for _ in range(6):  # 90 s: failures at 15 s and 45 s (30 s back-off), then a 60 s back-off
        await poll(w)
    assert calls["n"] == 2 and feed(w)._failures == 2


async def test_no_premium_is_said_in_series_words_and_asked_again_only_every_five_minutes(routed: World):
    w = routed
    w.fake.premium = False
    lists = lambda: sum(r.method == "GET" and r.path == "/tickets/list" for r in w.fake.requests)  # noqa: E731
    before = lists()
    for _ in range(19):  # 285 s of polls every 15 s: one try, then the five-minute wait
        await poll(w)
    assert lists() - before == 1
    shown = await w.admin.slash(w.channel, "feed show")
    text = shown.response.embeds[0].description
    assert "Series refuses the bot: “Tickets module requires a Premium or Enterprise subscription”" in text
    assert "asks again every 5 minutes" in text

    w.fake.premium = True  # the subscription comes back: the next try after the wait works, and the note goes
    await w.env.advance_time(30)
    assert lists() - before > 1  # it listed again (every page)
    shown = await w.admin.slash(w.channel, "feed show")
    assert "refuses" not in shown.response.embeds[0].description


async def moderator(w: World) -> simcord.MemberActor:
    """A member who may delete messages, as the moderators tidying a channel."""
    mods = w.guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    mod = w.guild.add_member(w.env.create_user("mod"), roles=[mods])
    await w.env.settle()
    return mod


async def test_deleted_card_of_a_quiet_ticket_comes_back_at_once(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    pings = len(
        [r for r in w.env.http_requests if r.method == "POST" and r.path == f"/channels/{w.channel.id}/messages"]
    )
    [card] = card_for(w.channel, tid)
    mod = await moderator(w)
    await mod.delete(card)  # someone tidies the channel; Series has no change to report
    await w.env.settle()
    [again] = card_for(w.channel, tid)
    assert again.id != card.id and not again.content  # recreated, and nobody pinged again
    assert pings >= 1


async def test_a_card_deleted_while_series_is_down_comes_back_at_the_next_poll(routed: World):
    """Defect (found by the model): the put-back asked Series once; when that failed, the quiet ticket was never
    looked at again and stayed without a card."""
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    mod = await moderator(w)
    w.fake.fail_next("GET", r"^/tickets/get/", status=503, times=2)  # the put-back's request and its one retry
    await mod.delete(card)
    await w.env.settle()
    assert card_for(w.channel, tid) == []
    await poll(w)
    [again] = card_for(w.channel, tid)
    assert again.id != card.id and not again.content  # back, and nobody pinged again


def rename(w: World, ticket_id: str, new_id: str) -> None:
    """Series lists a ticket under an id of a shape the bot's own pattern doesn't know."""
    ticket = w.fake.tickets.pop(ticket_id)
    ticket["TicketId"] = new_id
    w.fake.tickets[new_id] = ticket


async def test_an_odd_ticket_id_is_data_and_one_ticket_never_stops_the_feed(routed: World):
    """Defect: a listed TicketId outside TICKET-<digits>-<alnum> aborted every poll. Now it is fetched (its id is
    encoded in the path), gets its card, and the others get theirs in the same poll."""
    w = routed
    first, odd, last = (w.fake.create_ticket(subject=s)["TicketId"] for s in ("First", "Odd", "Last"))
    rename(w, odd, "TICKET-123-ABCD-EF/..")
    await poll(w)
    assert [len(card_for(w.channel, t)) for t in (first, "TICKET-123-ABCD-EF/..", last)] == [1, 1, 1]
    assert [r.path for r in w.fake.requests if "ABCD-EF" in r.path] == ["/tickets/get/TICKET-123-ABCD-EF%2F%2E%2E"]


async def test_discord_refusing_one_card_holds_back_only_that_ticket(routed: World):
    """Defect: one card Discord refused (400) aborted the poll, and the next poll hit it again, for ever. Now the
    other cards are posted in the same poll, the refused one is retried on its own back-off and named in
    /feed show, and it arrives once Discord takes it."""
    w = routed
    refused, fine = (w.fake.create_ticket(subject=s)["TicketId"] for s in ("Refused", "Fine"))
    w.env.inject_error(
        "POST", f"/channels/{w.channel.id}/messages", status=400, code=50035, message="Invalid Form Body", times=1
    )
    await poll(w)
    assert card_for(w.channel, refused) == [] and len(card_for(w.channel, fine)) == 1
    shown = await w.admin.slash(w.channel, "feed show")
    text = " ".join(f.value for f in shown.response.embeds[0].fields)
    assert short_ref(refused) in text and "Invalid Form Body" in text
    await poll(w)
    assert len(card_for(w.channel, refused)) == 1 and len(card_for(w.channel, fine)) == 1
    shown = await w.admin.slash(w.channel, "feed show")
    assert short_ref(refused) not in " ".join(f.value for f in shown.response.embeds[0].fields)


async def test_series_refusing_one_tickets_details_holds_back_only_that_ticket(routed: World):
    w = routed
    broken, fine = (w.fake.create_ticket(subject=s)["TicketId"] for s in ("Broken", "Fine"))
    odd = {"success": False, "error": {"code": 400, "message": "Ticket data is corrupted"}}
    w.fake.fail_next("GET", f"^/tickets/get/{broken}$", status=400, json=odd)
    await poll(w)
    assert card_for(w.channel, broken) == [] and len(card_for(w.channel, fine)) == 1
    await poll(w)
    assert len(card_for(w.channel, broken)) == 1


async def test_a_deleted_cards_new_thread_holds_the_whole_conversation(routed: World):
    """Defect (found by the model): the card was put back without a thread, so the next message opened a new one
    holding only what came after; the earlier messages stayed behind in the old thread."""
    w = routed
    tid, card, old = await ticket_with_thread(w, "first follow-up")
    mod = await moderator(w)
    await mod.delete(card)
    await w.env.settle()
    w.fake.author_message(tid, "second follow-up")
    await poll(w)
    [again] = card_for(w.channel, tid)
    texts = [m.embeds[0].description for m in thread_of(w, again).history() if m.embeds]
    assert sorted(texts) == ["first follow-up", "second follow-up"]
    assert any(again.jump_url in (m.content or "") for m in old.history())  # the old thread points at the new card


async def test_a_website_reply_to_a_resolved_ticket_reaches_its_thread(routed: World):
    """Defect (found by the model): resolved and closed tickets are in no list the poll walks, so what Series
    recorded on them afterwards (here a staff reply on the website) never reached the card or the thread."""
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    await poll(w)
    w.fake.set_status(tid, "resolved")
    await poll(w)
    w.fake.staff_message(tid, STAFF_ROBLOX_ID, "One more thing: rejoin the group")
    w.fake.set_status(tid, "closed")
    for _ in range(8):  # two minutes: the watch of finished tickets looks one minute after, then two after that
        await poll(w)
    [card] = card_for(w.channel, tid)
    assert {f.name: f.value for f in card.embeds[0].fields}["Status"].startswith("Closed")
    texts = [m.embeds[0].description for m in thread_of(w, card).history() if m.embeds]
    assert "One more thing: rejoin the group" in texts


async def test_finished_tickets_are_looked_at_less_and_less_often(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    w.fake.set_status(tid, "resolved")
    await poll(w)
    gets = lambda: w.fake.count("GET", f"/tickets/get/{tid}")  # noqa: E731
    before = gets()
    for _ in range(4 * 15):  # a quarter of an hour: at 1, 3, 7 and 15 minutes
        await poll(w)
    assert gets() - before == 4


async def test_a_card_refused_while_posting_existing_tickets_is_retried(world: World):
    """Defect (found by the model): with a route for another department, the feed handled a ticket no route
    covered; an admin then added a route for it and pressed Post all, Discord refused that card (400), and since
    the ticket didn't change again, nothing ever tried it again."""
    w = world
    other = w.guild.create_text_channel("mod-tickets")
    await w.env.settle()
    await w.admin.slash(other, "feed set", channel=other, department="moderation-dept")
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)  # no route covers it: handled, with no card
    setup = await w.admin.slash(w.channel, "feed set", channel=w.channel)
    w.env.inject_error(
        "POST", f"/channels/{w.channel.id}/messages", status=400, code=50035, message="Invalid Form Body", times=1
    )
    await w.admin.click(setup.response, label="Post all 1")
    await poll(w)
    assert card_for(w.channel, tid) == []  # refused once
    for _ in range(4):  # a minute: its own back-off is due
        await poll(w)
    assert len(card_for(w.channel, tid)) == 1
