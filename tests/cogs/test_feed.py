from __future__ import annotations

import discord
import pytest

from bot.render import EMBED_TOTAL_LIMIT
from tests.helpers import STAFF_ROBLOX_ID, World


def cards(channel) -> list[discord.Message]:
    return [m for m in channel.history() if m.type is discord.MessageType.default and m.embeds and m.embeds[0].title]


def card_for(channel, ticket_id: str) -> list[discord.Message]:
    return [m for m in cards(channel) if m.embeds[0].title.startswith(ticket_id + " ")]


def thread_of(world: World, message: discord.Message):
    [thread] = [t for t in world.channel.threads if t.id == message.id]
    return thread


def feed(world: World):
    return world.env.bot.get_cog("Feed")


async def poll(world: World) -> None:
    await world.env.advance_time(world.env.bot.services.settings.feed_poll_seconds)


@pytest.fixture
async def routed(world: World) -> World:
    result = await world.admin.slash(world.channel, "feed set", channel=world.channel)
    assert "now go to" in result.response.content
    return world


async def test_feed_set_needs_manage_server(world: World):
    result = await world.staff.slash(world.channel, "feed set", channel=world.channel)
    assert result.ephemeral and "Manage Server" in result.response.content
    assert await feed(world).repo.routes() == []


async def test_new_ticket_gives_exactly_one_card(routed: World):
    w = routed
    t = w.fake.create_ticket(subject="Can't rank up", message="Please help me rank")
    await poll(w)
    await poll(w)
    [card] = card_for(w.channel, t["TicketId"])
    embed = card.embeds[0]
    assert "Can't rank up" in embed.title
    assert embed.description == "Please help me rank"
    assert embed.author.name == "Player Name (@player123)"
    assert embed.colour == discord.Colour.blurple()
    fields = {f.name: f.value for f in embed.fields}
    assert (
        fields["Status"] == "Open" and fields["Claimed by"] == "Nobody" and fields["Department"] == "Support Department"
    )
    assert fields["Opened"].startswith("<t:")
    labels = [c.label for row in card.components for c in row.children]
    assert labels == ["Claim", "Reply", "Resolve", "Close"]


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
    assert [c.label for row in card.components for c in row.children][0] == "Unclaim"
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
    assert posts[0].content == f"<@{w.staff.id}> the player answered"
    [request] = [r for r in w.env.http_requests if r.method == "POST" and r.path == f"/channels/{thread.id}/messages"]
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
    assert "Sent to" in result.response.content
    await poll(w)
    await poll(w)
    [card] = card_for(w.channel, tid)
    posts = [m for m in thread_of(w, card).history() if m.embeds]
    texts = [(p.embeds[0].author.name, p.embeds[0].description) for p in posts]
    assert texts.count(("Staff reply sent from Discord", "Answered from Discord")) == 1
    assert ("Staff reply on the Series website by 111111111", "Answered on the website") in texts
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


async def test_crash_in_the_middle_of_a_poll(routed: World, make_bot):
    w = routed
    ids = [w.fake.create_ticket(subject=f"T{i}")["TicketId"] for i in range(3)]
    # The process dies while handling the second ticket of the poll.
    calls = {"n": 0}
    original = feed(w).publisher.sync_ticket

    async def flaky(ticket, *, config):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash")
        await original(ticket, config=config)

    feed(w).publisher.sync_ticket = flaky
    with pytest.raises(RuntimeError):
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
    assert {f.name: f.value for f in card.embeds[0].fields}["Status"] == "Closed"
    assert [c.label for row in card.components for c in row.children] == ["Reopen"]
    assert card.embeds[0].colour == discord.Colour.dark_grey()
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
    result = await w.staff.click(card, label="Claim")
    assert result.ephemeral and "Ticket claimed successfully" in result.response.content
    [card] = card_for(w.channel, tid)
    assert {f.name: f.value for f in card.embeds[0].fields}["Claimed by"] == f"<@{w.staff.id}>"
    result = await w.staff.click(card, label="Resolve")
    assert "Status changed to resolved" in result.response.content
    [card] = card_for(w.channel, tid)
    assert [c.label for row in card.components for c in row.children] == ["Unclaim", "Reply", "Reopen", "Close"]
    result = await w.staff.click(card, label="Close")
    [card] = card_for(w.channel, tid)
    assert [c.label for row in card.components for c in row.children] == ["Reopen"]
    result = await w.staff.click(card, label="Reopen")
    assert "Status changed to open" in result.response.content


async def test_unlinked_click_is_refused_without_api_call(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    before = len(w.fake.requests)
    result = await w.player_fan.click(card, label="Claim")
    assert result.ephemeral and "/staff link" in result.response.content
    assert [r for r in w.fake.requests[before:] if r.method == "POST"] == []


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
    assert "Ticket transferred to Moderation Department" in result.response.content
    [old] = card_for(w.channel, tid)
    assert old.content == f"➡️ Moved to <#{mods.id}>" and not old.components
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


async def test_autocomplete_limits_and_order(routed: World):
    w = routed
    await w.link(w.staff)
    ids = [w.fake.create_ticket(subject=("Long subject " * 20) + str(i))["TicketId"] for i in range(30)]
    w.fake.claim(ids[3], STAFF_ROBLOX_ID)
    empty = w.fake.create_ticket(subject="   ")["TicketId"]
    await poll(w)
    choices = await w.staff.autocomplete(w.channel, "reply", "ticket_id", "")
    assert 1 <= len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    assert choices[0]["value"] == ids[3]  # the caller's claimed ticket first
    only = await w.staff.autocomplete(w.channel, "reply", "ticket_id", empty)
    assert [c["value"] for c in only] == [empty] and "(no subject)" in only[0]["name"]
    # Inside a ticket's thread, that ticket comes first.
    w.fake.author_message(ids[7], "hi")
    await poll(w)
    [card] = card_for(w.channel, ids[7])
    inside = await w.staff.autocomplete(thread_of(w, card), "reply", "ticket_id", "")
    assert inside[0]["value"] == ids[7]


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
    shown = await w.staff.slash(w.channel, "feed show")
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


async def test_locked_thread_is_skipped_quietly_and_the_rest_goes_on(routed: World, caplog):
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
    await poll(w)
    await poll(w)
    attempts = [r for r in w.env.http_requests if r.method == "POST" and r.path == f"/channels/{thread.id}/messages"]
    assert len(attempts) == 2  # the first follow-up, then one failed try: no retry loop
    assert sum("Can't post in the thread" in r.getMessage() for r in caplog.records) == 1
    shown = await w.admin.slash(w.channel, "feed show")
    problems = [f for f in shown.response.embeds[0].fields if f.name == "Ticket threads with problems"]
    assert problems and tid in problems[0].value
    [other_card] = card_for(w.channel, other)
    assert [m.embeds[0].description for m in thread_of(w, other_card).history() if m.embeds] == [
        "hello from the other ticket"
    ]


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


async def test_deleted_card_of_a_quiet_ticket_comes_back_at_once(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    pings = len(
        [r for r in w.env.http_requests if r.method == "POST" and r.path == f"/channels/{w.channel.id}/messages"]
    )
    [card] = card_for(w.channel, tid)
    mods = w.guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    mod = w.guild.add_member(w.env.create_user("mod"), roles=[mods])
    await w.env.settle()
    await mod.delete(card)  # someone tidies the channel; Series has no change to report
    await w.env.settle()
    [again] = card_for(w.channel, tid)
    assert again.id != card.id and not again.content  # recreated, and nobody pinged again
    assert pings >= 1


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
    import asyncio

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
