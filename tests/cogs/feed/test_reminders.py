"""Reminders through the real bot, with the feed's reminder clock moved by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from tests.helpers import STAFF_ROBLOX_ID, World, card_for, feed, poll, thread_of


def later(minutes: float):
    moment = datetime.now(UTC) + timedelta(minutes=minutes)
    return lambda: moment


def reminders_in(channel) -> list[discord.Message]:
    return [m for m in channel.history() if "⏰" in (m.content or "")]


@pytest.fixture
async def pinging(world: World):
    """A default route that mentions @Support, reminding after 30 unclaimed and 60 waiting minutes."""
    w = world
    role = w.guild.create_role("Support", mentionable=True)
    await w.env.settle()
    await w.admin.slash(w.channel, "feed set", channel=w.channel, ping_role=role)
    result = await w.admin.slash(w.channel, "feed reminders", unclaimed_minutes=30, waiting_minutes=60)
    assert result.ephemeral and "unclaimed after 30 min · player waiting after 60 min" in result.response.content
    await w.link(w.staff)
    return w, role


async def test_an_unclaimed_ticket_gets_one_reminder_mentioning_the_role(pinging):
    w, role = pinging
    tid = w.fake.create_ticket(subject="Nobody took me")["TicketId"]
    await poll(w)
    assert reminders_in(w.channel) == []
    feed(w).reminders.now = later(31)
    await poll(w)
    await poll(w)
    [reminder] = reminders_in(w.channel)
    assert reminder.content.startswith(f"<@&{role.id}> ⏰ 1 ticket still waits for someone to claim it:")
    assert "**Nobody took me**" in reminder.content and "opened <t:" in reminder.content
    [card] = card_for(w.channel, tid)
    assert card.jump_url.split("/channels/")[1] in reminder.content  # a link to the card
    assert [r.id for r in reminder.role_mentions] == [role.id]


async def test_many_unclaimed_tickets_are_one_message(pinging):
    w, _ = pinging
    for i in range(14):
        w.fake.create_ticket(subject=f"Queue {i}")
    await poll(w)
    feed(w).reminders.now = later(45)
    await poll(w)
    [reminder] = reminders_in(w.channel)
    assert reminder.content.count("• **Queue") == 10 and "…and 4 more" in reminder.content


async def test_a_waiting_player_gets_one_reminder_per_wait_in_the_thread(pinging):
    w, _ = pinging
    tid = w.fake.create_ticket(subject="Waiting")["TicketId"]
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    w.fake.author_message(tid, "hello? anyone?")
    await poll(w)
    [card] = card_for(w.channel, tid)
    thread = thread_of(w, card)
    feed(w).reminders.now = later(61)
    await poll(w)
    await poll(w)
    [reminder] = reminders_in(thread)
    assert reminder.content.startswith(f"<@{w.staff.id}> ⏰ **Player Name** has been waiting for an answer")
    assert [u.id for u in reminder.mentions] == [w.staff.id]

    w.fake.author_message(tid, "still here")  # a new message: a new wait
    await poll(w)
    feed(w).reminders.now = later(125)
    await poll(w)
    assert len(reminders_in(thread)) == 2

    await w.staff.slash(w.channel, "reply", ticket_id=tid, message="Sorry, on it now")  # answered: no more
    await poll(w)
    feed(w).reminders.now = later(600)
    await poll(w)
    assert len(reminders_in(thread)) == 2


async def test_no_reminders_for_resolved_tickets_or_after_a_restart(pinging, make_bot):
    w, _ = pinging
    done = w.fake.create_ticket(subject="Done already")["TicketId"]
    waiting = w.fake.create_ticket(subject="Still open")["TicketId"]
    await poll(w)
    w.fake.set_status(done, "resolved")
    await poll(w)
    feed(w).reminders.now = later(31)
    await poll(w)
    [reminder] = reminders_in(w.channel)
    assert "Still open" in reminder.content and "Done already" not in reminder.content
    await w.env.restart_bot(make_bot())
    await poll(w)
    feed(w).reminders.now = later(90)
    await poll(w)
    assert len(reminders_in(w.channel)) == 1
    assert waiting


async def test_reminders_need_a_route_and_show_in_feed_show(world: World):
    w = world
    refused = await w.admin.slash(w.channel, "feed reminders", unclaimed_minutes=5, waiting_minutes=0)
    assert refused.ephemeral and "no route for the default route yet" in refused.response.content
    await w.admin.slash(w.channel, "feed set", channel=w.channel)
    shown = await w.admin.slash(w.channel, "feed show")
    assert "⏰ no reminders" in shown.response.embeds[0].fields[0].value
    await w.admin.slash(w.channel, "feed reminders", unclaimed_minutes=0.5, waiting_minutes=120)
    shown = await w.admin.slash(w.channel, "feed show")
    assert "⏰ unclaimed after 0.5 min · player waiting after 2 h" in shown.response.embeds[0].fields[0].value


async def test_one_thread_refusing_its_reminder_never_stops_the_others(pinging):
    w, _ = pinging
    first, second = (w.fake.create_ticket(subject=s)["TicketId"] for s in ("First", "Second"))
    for tid in (first, second):
        w.fake.claim(tid, STAFF_ROBLOX_ID)
        w.fake.author_message(tid, "waiting")
    await poll(w)
    threads = [thread_of(w, card_for(w.channel, tid)[0]) for tid in (first, second)]
    w.env.inject_error(
        "POST", f"/channels/{threads[0].id}/messages", status=403, code=50001, message="Missing Access", times=1
    )
    feed(w).reminders.now = later(61)
    await poll(w)
    assert reminders_in(threads[0]) == [] and len(reminders_in(threads[1])) == 1
