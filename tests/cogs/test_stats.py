"""/stats and the weekly digest through the real bot: the figures come from what the feed observed on Series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.stats import last_digest_time
from tests.helpers import STAFF_ROBLOX_ID, World, poll

BOB = 555555555  # a moderation-dept member in the fake


def stats_cog(world: World):
    return world.bot.get_cog("Stats")


@pytest.fixture
async def worked(routed: World):
    """Three tickets the feed watched: one answered from Discord, one from the website, one resolved."""
    w = routed
    await w.link(w.staff)
    one = w.fake.create_ticket(subject="One")["TicketId"]
    two = w.fake.create_ticket(subject="Two", category="reports")["TicketId"]
    three = w.fake.create_ticket(subject="Three")["TicketId"]
    await poll(w)
    claimed = await w.staff.slash(w.channel, "ticket claim", ticket_id=one)
    assert "is yours now" in claimed.response.content
    await w.staff.slash(w.channel, "reply", ticket_id=one, message="From Discord")
    w.fake.claim(two, BOB)
    w.fake.staff_message(two, BOB, "From the website")
    w.fake.set_status(three, "resolved")
    await poll(w)
    await poll(w)
    return w, (one, two, three)


async def test_stats_count_what_happened_on_discord_and_the_website(worked):
    w, _ = worked
    result = await w.staff.slash(w.channel, "stats")
    assert result.ephemeral
    [embed] = result.response.embeds
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Tickets"] == "**3** opened · **2** claimed · **2** replies · **1** resolved · **0** closed"
    assert fields["First response"].startswith("median **") and fields["First response"].endswith("2 tickets")
    assert fields["Resolution"].endswith("· 1 resolve")
    assert f"<@{w.staff.id}> · 1 claimed · 1 reply · 0 resolved" in fields["By staff"]
    assert "Bob the Moderator · 1 claimed · 1 reply" in fields["By staff"]  # not linked here: his Roblox name
    assert "**Support Department** · 2 opened" in fields["By department"]
    assert embed.image.url == "attachment://stats.png" and result.response.attachments[0].filename == "stats.png"


async def test_stats_for_one_member(worked):
    w, _ = worked
    result = await w.staff.slash(w.channel, "stats", days=1, member=w.staff)
    [embed] = result.response.embeds
    assert embed.title.startswith("📊 staffer: last 1 day")
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Tickets"] == "**1** claimed · **1** reply · **0** resolved"
    assert result.response.attachments == []  # one day: no chart


async def test_stats_are_for_linked_staff(worked):
    w, _ = worked
    refused = await w.player_fan.slash(w.channel, "stats")
    assert refused.ephemeral and "Stats are for linked staff" in refused.response.content
    unlinked = await w.staff.slash(w.channel, "stats", member=w.player_fan)
    assert unlinked.ephemeral and "isn't linked" in unlinked.response.content


async def test_stats_cap_the_window_at_the_retention(worked):
    w, _ = worked
    result = await w.staff.slash(w.channel, "stats", days=365)
    assert "keeps 90 days of history" in result.response.content
    assert result.response.embeds[0].title == "📊 Last 90 days"


async def test_the_weekly_digest_is_posted_once_and_never_again_after_a_restart(worked, make_bot):
    w, _ = worked
    digest_channel = w.guild.create_text_channel("digest")
    await w.env.settle()
    set_it = await w.admin.slash(w.channel, "feed digest", channel=digest_channel)
    assert set_it.ephemeral and "weekly digest will appear in" in set_it.response.content
    shown = await w.admin.slash(w.channel, "feed show")
    assert f"Weekly digest in <#{digest_channel.id}>" in shown.response.embeds[0].fields[-1].value

    cog = stats_cog(w)
    next_monday = last_digest_time(datetime.now(UTC)) + timedelta(days=7, minutes=1)
    assert await cog.post_due_digests() == 0  # not due yet: set after this week's
    cog.now = lambda: next_monday
    assert await cog.post_due_digests() == 1
    assert await cog.post_due_digests() == 0
    await w.env.restart_bot(make_bot())
    stats_cog(w).now = lambda: next_monday
    assert await stats_cog(w).post_due_digests() == 0
    posts = [m for m in digest_channel.history() if m.embeds]
    assert len(posts) == 1 and posts[0].embeds[0].title == "📊 Weekly digest"
    assert posts[0].attachments[0].filename == "stats.png"


async def test_a_digest_that_cannot_be_posted_is_reported_and_the_week_not_repeated(worked):
    w, _ = worked
    digest_channel = w.guild.create_text_channel(
        "digest", overwrites={w.guild.me: discord.PermissionOverwrite(send_messages=False)}
    )
    await w.env.settle()
    set_it = await w.admin.slash(w.channel, "feed digest", channel=digest_channel)
    assert "missing **Send Messages**" in set_it.response.content
    cog = stats_cog(w)
    cog.now = lambda: last_digest_time(datetime.now(UTC)) + timedelta(days=7, minutes=1)
    assert await cog.post_due_digests() == 0
    shown = await w.admin.slash(w.channel, "feed show")
    assert "⚠️ The last one failed" in shown.response.embeds[0].fields[-1].value
    off = await w.admin.slash(w.channel, "feed digest")
    assert "No more weekly digest" in off.response.content


async def test_stats_answer_from_the_database_without_asking_series(worked):
    w, _ = worked
    before = len(w.fake.requests)
    await w.staff.slash(w.channel, "stats")
    assert len(w.fake.requests) == before


async def test_staff_replies_made_before_the_bot_looked_count_too(routed: World):
    """Series' own timestamps: a reply made on the website before the bot first saw the ticket counts."""
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket(subject="Early")["TicketId"]
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    w.fake.staff_message(tid, STAFF_ROBLOX_ID, "answered on the website first")
    await poll(w)
    result = await w.staff.slash(w.channel, "stats")
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert "**1** reply" in fields["Tickets"] and fields["First response"].endswith("· 1 ticket")
