"""Cards and their threads: posted once, kept true, moved, mirrored, through the real bot in SimCord."""

from __future__ import annotations

import asyncio

import discord

from bot.render import EMBED_TOTAL_LIMIT, MOVED_COLOUR, STATUS_COLOURS, short_ref
from tests.helpers import STAFF_ROBLOX_ID, World, buttons, card_for, feed, poll, sent, thread_of, ticket_with_thread


async def test_new_ticket_gives_exactly_one_card(routed: World):
    w = routed
    t = w.fake.create_ticket(subject="Can't rank up", message="Please help me rank")
    await poll(w)
    await poll(w)
    [card] = card_for(w.channel, t["TicketId"])
    embed = card.embeds[0]
    assert embed.title == "Can't rank up" and embed.footer.text == t["TicketId"]
    assert embed.description == "Please help me rank"
    assert embed.author.name == "Player Name (@player123)"
    assert embed.author.url == "https://www.roblox.com/users/123456789/profile"
    assert embed.colour == STATUS_COLOURS["open"]
    fields = {f.name: f.value for f in embed.fields}
    assert list(fields) == ["Status", "Claimed by", "Opened"]  # three facts, for a phone
    assert fields["Status"] == "Open" and fields["Claimed by"] == "Nobody" and fields["Opened"].startswith("<t:")
    assert buttons(card) == ["Claim", "Reply", "Resolve", "Close"]


async def test_change_edits_the_card_in_place(routed: World):
    w = routed
    await w.link(w.staff)
    t = w.fake.create_ticket()
    await poll(w)
    w.fake.claim(t["TicketId"], STAFF_ROBLOX_ID)
    await poll(w)
    [card] = card_for(w.channel, t["TicketId"])
    fields = {f.name: f.value for f in card.embeds[0].fields}
    assert fields["Status"] == "In progress"
    assert fields["Claimed by"] == f"<@{w.staff.id}>"
    assert buttons(card)[0] == "Reply"  # the main action once someone holds it
    assert card.edited_at is not None


async def test_player_message_reaches_the_thread_once_and_pings_only_the_claimer(routed: World):
    w = routed
    await w.link(w.staff)
    t = w.fake.create_ticket()
    tid = t["TicketId"]
    await poll(w)
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    w.fake.author_message(tid, "Hello? @everyone <@&123> <@456>")
    await poll(w)
    await poll(w)
    [card] = card_for(w.channel, tid)
    thread = thread_of(w, card)
    posts = [m for m in thread.history() if m.embeds]
    assert len(posts) == 1
    assert "Hello?" in posts[0].embeds[0].description
    assert posts[0].content == f"<@{w.staff.id}> Player Name (@player123) wrote:"  # the claimer, no one else
    assert posts[0].embeds[0].author.name == "Player Name (@player123)"  # under the player's name
    assert not posts[0].embeds[0].footer.text  # no internal message ids
    [request] = [
        r
        for r in w.env.http_requests
        if r.method == "POST" and r.path == f"/channels/{thread.id}/messages" and r.json.get("embeds")
    ]
    assert request.json["allowed_mentions"] == {"parse": [], "users": [str(w.staff.id)]} or request.json[
        "allowed_mentions"
    ]["users"] == [w.staff.id]
    assert not posts[0].mention_everyone


async def test_staff_reply_on_the_website_is_mirrored_and_ours_is_not_echoed(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    await poll(w)
    w.fake.staff_message(tid, 111111111, "Answered on the website")
    result = await w.staff.slash(w.channel, "reply", ticket_id=tid, message="Answered from Discord")
    assert sent(result.response.content)
    await poll(w)
    await poll(w)
    [card] = card_for(w.channel, tid)
    posts = [m for m in thread_of(w, card).history() if m.embeds]
    texts = [(p.embeds[0].author.name, p.embeds[0].description) for p in posts]
    assert texts.count(("Staff Member · staff, on Discord", "Answered from Discord")) == 1  # ours: once
    assert ("Amy · staff, on the Series website", "Answered on the website") in texts  # named, not numbered
    assert len(posts) == 2


async def test_restart_produces_no_duplicates_and_misses_nothing(routed: World, make_bot):
    w = routed
    first = w.fake.create_ticket(subject="Before")["TicketId"]
    await poll(w)
    await w.env.restart_bot(make_bot())
    second = w.fake.create_ticket(subject="While down")["TicketId"]
    w.fake.author_message(first, "follow-up")
    await poll(w)
    await poll(w)
    assert len(card_for(w.channel, first)) == 1
    assert len(card_for(w.channel, second)) == 1
    [card] = card_for(w.channel, first)
    assert [m.embeds[0].description for m in thread_of(w, card).history() if m.embeds] == ["follow-up"]


async def test_crash_between_posting_a_card_and_recording_it(routed: World, make_bot):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    # The process died after Discord accepted the post, before the database recorded it.
    repo = feed(w).repo
    stored = await repo.card(guild_id=w.guild.id, ticket_id=tid)
    await repo.save_card(
        guild_id=w.guild.id, ticket_id=tid, channel_id=stored.channel_id, message_id=None, thread_id=None
    )
    await w.env.bot.services.db.execute("DELETE FROM feed_tickets")
    await w.env.restart_bot(make_bot())
    await poll(w)
    assert len(card_for(w.channel, tid)) == 1
    assert (await repo.card(guild_id=w.guild.id, ticket_id=tid)).message_id == card.id


async def test_transfer_moves_the_card_to_the_other_route(routed: World):
    w = routed
    mods = w.guild.create_text_channel("mod-tickets")
    await w.env.settle()
    result = await w.admin.slash(w.channel, "feed set", channel=mods, department="moderation-dept")
    assert "Moderation Department" in result.response.content
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    result = await w.staff.slash(w.channel, "ticket transfer", ticket_id=tid, department="moderation-dept")
    assert result.response.content.startswith("✅ Moved **Help with ranking**") and "**Moderation Department**" in (
        result.response.content
    )
    [old] = card_for(w.channel, tid)
    # The old card is greyed, has nothing to press, and says where the ticket went and who moved it.
    assert old.embeds[0].colour == MOVED_COLOUR and not old.components and not old.content
    assert f"Moved to <#{mods.id}> by <@{w.staff.id}>" in old.embeds[0].description
    assert len(card_for(mods, tid)) == 1


async def test_game_report_card_is_read_only(routed: World):
    w = routed
    tid = w.fake.create_ticket(category="reports", game_report=True)["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    labels = [c.label for row in card.components for c in row.children]
    assert "Reply" not in labels


async def test_role_ping_only_on_new_tickets(world: World):
    w = world
    role = w.guild.create_role("Support")
    await w.env.settle()
    await w.admin.slash(w.channel, "feed set", channel=w.channel, ping_role=role)
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    assert card.content == f"<@&{role.id}> New ticket"
    posts = [r for r in w.env.http_requests if r.method == "POST" and r.path == f"/channels/{w.channel.id}/messages"]
    assert posts[-1].json["allowed_mentions"]["roles"] in ([str(role.id)], [role.id])


HOSTILE_SUBJECT = "@everyone @here <@&111> <@222> [free robux](https://evil.example) **bold** `code`" + "S" * 300
HOSTILE_MESSAGE = "@everyone <@&111> <@222> [click](https://evil.example)\n```py\nx\n```" + "m" * 10_000


async def test_hostile_text_pings_no_one_and_fits_every_limit(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket(subject=HOSTILE_SUBJECT, message=HOSTILE_MESSAGE, display_name="<@222> @everyone")[
        "TicketId"
    ]
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    await poll(w)
    w.fake.author_message(tid, HOSTILE_MESSAGE)
    await poll(w)
    shown = await w.staff.slash(w.channel, "ticket show", ticket_id=tid)
    sent = [r for r in w.env.http_requests if r.method in ("POST", "PATCH") and r.json]
    assert sent
    for request in sent:
        body = request.json.get("data", request.json)
        if "allowed_mentions" in body:
            allowed = body["allowed_mentions"]
            assert "everyone" not in allowed.get("parse", []) and "roles" not in allowed.get("parse", [])
        for raw in body.get("embeds") or []:
            embed = discord.Embed.from_dict(raw)
            assert len(embed) <= EMBED_TOTAL_LIMIT
            assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
            assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in embed.fields)
            assert len(embed.fields) <= 25
            text = (embed.title or "") + (embed.description or "") + "".join(f.value for f in embed.fields)
            assert "@everyone" not in text.replace("@\u200beveryone", "")
            assert "](https://evil.example)" not in text  # masked links are shown plainly
    posts = [r for r in sent if r.method == "POST" and r.path.startswith("/channels/") and r.path.endswith("/messages")]
    assert posts and all(r.json.get("allowed_mentions", {}).get("parse") == [] for r in posts)  # the client default
    for message in [*w.channel.history(), *(m for t in w.channel.threads for m in t.history())]:
        assert not message.mention_everyone
        assert not message.role_mentions
    assert shown.response.embeds


async def test_a_thread_that_refuses_a_message_is_retried_with_its_own_back_off(routed: World, caplog):
    """The message waits, the ticket is retried on the next poll and then less and less often (no loop), the other
    tickets carry on meanwhile, and once the thread takes messages again the waiting one arrives."""
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    other = w.fake.create_ticket(subject="other")["TicketId"]
    w.fake.author_message(tid, "first follow-up")
    await poll(w)
    [card] = card_for(w.channel, tid)
    thread = thread_of(w, card)
    w.env.inject_error(
        "POST", f"/channels/{thread.id}/messages", status=400, code=50083, message="Thread is archived", times=None
    )
    w.fake.author_message(tid, "second follow-up")
    w.fake.author_message(other, "hello from the other ticket")
    for _ in range(8):  # two minutes of polls
        await poll(w)
    attempts = [r for r in w.env.http_requests if r.method == "POST" and r.path == f"/channels/{thread.id}/messages"]
    # The first follow-up, the failure, then retries after 15, 30 and 60 s: four tries in 120 s, not eight.
    assert 3 <= len(attempts) <= 5
    told = [
        r for r in caplog.records if r.name == "cogs.feed.publisher" and "can't post in its thread" in r.getMessage()
    ]
    assert len(told) == 1  # the problem is logged once, not at every retry
    shown = await w.admin.slash(w.channel, "feed show")
    problems = [f for f in shown.response.embeds[0].fields if f.name == "Tickets that can't be shown right now"]
    assert problems and short_ref(tid) in problems[0].value
    [other_card] = card_for(w.channel, other)
    assert [m.embeds[0].description for m in thread_of(w, other_card).history() if m.embeds] == [
        "hello from the other ticket"
    ]
    w.env.backend.faults.clear()  # the thread works again
    for _ in range(10):
        await poll(w)
    texts = [m.embeds[0].description for m in thread_of(w, card).history() if m.embeds]
    assert texts == ["first follow-up", "second follow-up"]
    shown = await w.admin.slash(w.channel, "feed show")
    assert not [f for f in shown.response.embeds[0].fields if f.name == "Tickets that can't be shown right now"]


async def test_deleted_channel_is_reported_once(routed: World, caplog):
    w = routed
    gone = w.guild.create_text_channel("soon-gone")
    await w.env.settle()
    await w.admin.slash(w.channel, "feed set", channel=gone, department="moderation-dept")
    await w.env.bot.get_channel(gone.id).delete()  # SimCord has no builder for this; the bot deletes it
    await w.env.settle()
    w.fake.create_ticket(department="moderation-dept", category="reports")
    await poll(w)
    await poll(w)
    shown = await w.admin.slash(w.channel, "feed show")
    field = [f for f in shown.response.embeds[0].fields if "Moderation" in f.name][0]
    assert "gone" in field.value and "Last problem" in field.value
    assert sum("Feed route" in r.getMessage() for r in caplog.records) == 1


async def test_a_stale_copy_never_overwrites_a_newer_card(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    stale = await w.env.bot.services.workspace.client.get_ticket(tid)  # what a slow poll might still be holding
    await w.staff.click(card_for(w.channel, tid)[0], label="Claim")
    await feed(w).publisher.sync_ticket(stale, config=None)
    [card] = card_for(w.channel, tid)
    assert {f.name: f.value for f in card.embeds[0].fields}["Claimed by"] == f"<@{w.staff.id}>"


async def test_crash_between_marking_and_posting_a_thread_message(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    key = w.fake.author_message(tid, "posted before the crash")
    await poll(w)
    repo = feed(w).repo
    # The process died after Discord accepted the post but before the database said so.
    await repo.mark_mirrored(guild_id=w.guild.id, ticket_id=tid, message_key=key, posted=False)
    w.fake.author_message(tid, "after the restart")
    await poll(w)
    [card] = card_for(w.channel, tid)
    texts = [m.embeds[0].description for m in thread_of(w, card).history() if m.embeds]
    assert texts == ["posted before the crash", "after the restart"]


async def test_concurrent_syncs_of_one_ticket_post_once(routed: World):

    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    w.fake.author_message(tid, "only once")
    ticket = await w.env.bot.services.workspace.client.get_ticket(tid)
    await asyncio.gather(
        feed(w).publisher.sync_ticket(ticket, config=None), feed(w).publisher.sync_ticket(ticket, config=None)
    )
    await w.env.settle()
    assert len(card_for(w.channel, tid)) == 1
    [card] = card_for(w.channel, tid)
    assert [m.embeds[0].description for m in thread_of(w, card).history() if m.embeds] == ["only once"]


async def test_a_thread_that_cannot_be_opened_is_the_tickets_problem_not_the_routes(routed: World):
    """Defect: 160006 (the server's cap on active threads) marked the whole route broken, so no card in that
    channel was posted or edited for 10-minute stretches. Now only that ticket's conversation waits."""
    w = routed
    await w.link(w.staff)
    chatty = w.fake.create_ticket(subject="Chatty")["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, chatty)
    w.env.inject_error(
        "POST",
        f"/channels/{w.channel.id}/messages/*/threads",
        status=400,
        code=160006,
        message="Maximum number of active threads reached",
        times=None,
    )
    w.fake.author_message(chatty, "needs a thread")
    later = w.fake.create_ticket(subject="Later")["TicketId"]
    await poll(w)
    assert len(card_for(w.channel, later)) == 1  # a new card in the same channel still arrives
    w.fake.claim(later, STAFF_ROBLOX_ID)
    await poll(w)
    [later_card] = card_for(w.channel, later)
    assert {f.name: f.value for f in later_card.embeds[0].fields}["Status"] == "In progress"  # and edits go on
    routes = await w.bot.services.feed.routes()
    assert [r.problem for r in routes] == [None]
    shown = await w.admin.slash(w.channel, "feed show")
    threads = [f for f in shown.response.embeds[0].fields if f.name == "Tickets that can't be shown right now"]
    assert threads and short_ref(chatty) in threads[0].value and "Maximum number of active threads" in threads[0].value


async def test_threads_of_resolved_and_closed_tickets_are_archived_and_reopened_ones_come_back(routed: World):
    w = routed
    tid, card, thread = await ticket_with_thread(w)
    w.fake.set_status(tid, "resolved")
    await poll(w)
    edits = [r for r in w.env.http_requests if r.method == "PATCH" and r.path == f"/channels/{thread.id}"]
    assert [r.json.get("archived") for r in edits] == [True]
    w.fake.set_status(tid, "open")
    await poll(w)
    edits = [r for r in w.env.http_requests if r.method == "PATCH" and r.path == f"/channels/{thread.id}"]
    assert [r.json.get("archived") for r in edits] == [True, False]
    w.fake.set_status(tid, "closed")
    await poll(w)
    await poll(w)
    edits = [r for r in w.env.http_requests if r.method == "PATCH" and r.path == f"/channels/{thread.id}"]
    assert [r.json.get("archived") for r in edits] == [True, False, True]  # archived once, not at every poll


def role_pings(w: World, role) -> list[str]:
    """Every message the bot posted that was allowed to mention ``role``: what actually pinged, wherever it went."""
    return [
        r.json.get("content")
        for r in w.env.http_requests
        if r.method == "POST"
        and r.path.endswith("/messages")
        and str(role.id) in map(str, (r.json.get("allowed_mentions") or {}).get("roles", []))
    ]


async def test_the_role_is_mentioned_once_per_new_ticket_and_never_for_backfill_moves_or_restarts(
    world: World, make_bot
):
    """Defect: /feed set with a role over existing tickets mentioned it once per existing ticket, and moving the
    route to another channel pinged every active ticket again as "transferred here"."""
    w = world
    role = w.guild.create_role("Support")
    other = w.guild.create_text_channel("tickets-2")
    await w.env.settle()
    existing = [w.fake.create_ticket(subject=f"Old {i}")["TicketId"] for i in range(3)]
    setup = await w.admin.slash(w.channel, "feed set", channel=w.channel, ping_role=role)
    assert "**3** open tickets already" in setup.response.content  # no flood: the admin chooses
    await poll(w)
    assert all(card_for(w.channel, t) == [] for t in existing)
    chosen = await w.admin.click(setup.response, label="Post all 3")
    assert "will appear too" in chosen.response.content
    await poll(w)
    assert all(len(card_for(w.channel, t)) == 1 for t in existing) and role_pings(w, role) == []
    fresh = w.fake.create_ticket(subject="New")["TicketId"]
    await poll(w)
    assert role_pings(w, role) == [f"<@&{role.id}> New ticket"]
    [card] = card_for(w.channel, fresh)
    assert card.content == f"<@&{role.id}> New ticket"
    await w.env.restart_bot(make_bot())
    await poll(w)
    await w.admin.slash(w.channel, "feed set", channel=other, ping_role=role)  # the route moves
    for tid in [*existing, fresh]:
        w.fake.author_message(tid, "still there?")  # so every card moves to the new channel
    await poll(w)
    assert all(len(card_for(other, t)) == 1 for t in [*existing, fresh])
    assert role_pings(w, role) == [f"<@&{role.id}> New ticket"]  # still only the one


async def test_a_transfer_into_a_departments_own_route_mentions_its_role_once(routed: World):
    w = routed
    mods_role = w.guild.create_role("Moderators")
    mods = w.guild.create_text_channel("mod-tickets")
    await w.env.settle()
    await w.admin.slash(w.channel, "feed set", channel=mods, department="moderation-dept", ping_role=mods_role)
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    w.fake.transfer(tid, "moderation-dept")
    await poll(w)
    w.fake.transfer(tid, "support-dept")
    await poll(w)
    w.fake.transfer(tid, "moderation-dept")
    await poll(w)
    assert role_pings(w, mods_role) == [f"<@&{mods_role.id}> Ticket transferred here"]


async def test_a_card_discord_refused_once_is_posted_when_the_route_is_retried(routed: World):
    """Defect (found by the model): a card refused with a 403 broke the route, and its ticket counted as handled;
    when the route's retry came due nothing looked at that quiet ticket again, so its card never appeared."""
    w = routed
    w.env.inject_error(
        "POST", f"/channels/{w.channel.id}/messages", status=403, code=50013, message="Missing Permissions", times=1
    )
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    assert card_for(w.channel, tid) == []  # refused: the route waits 10 minutes before trying again
    for _ in range(45):  # 11¼ minutes of polls, Discord healthy again, Series with nothing new to say
        await poll(w)
    assert len(card_for(w.channel, tid)) == 1


async def test_a_card_edit_discord_refused_once_is_made_when_the_route_is_retried(routed: World):
    """Defect (found by the model): an edit refused with a 403 broke the route and its ticket counted as handled,
    so once Discord let the bot edit again the card stayed stale until that ticket changed again."""
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    w.env.inject_error(
        "PATCH", f"/channels/{w.channel.id}/messages/{card.id}", status=403, code=50013, message="Missing Permissions"
    )
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    await poll(w)
    assert {f.name: f.value for f in card_for(w.channel, tid)[0].embeds[0].fields}["Status"] == "Open"
    for _ in range(45):  # 11¼ minutes of polls, Discord healthy again, Series with nothing new to say
        await poll(w)
    [card] = card_for(w.channel, tid)
    assert {f.name: f.value for f in card.embeds[0].fields}["Status"] == "In progress"
