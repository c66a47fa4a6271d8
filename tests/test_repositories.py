"""The repositories on a real SQLite file: every statement the bot runs, with ``?`` parameters only."""

from __future__ import annotations

import sqlite3

import pytest

from bot.repositories import MetaRepo, ReplyRepo, StaffLinkRepo


async def test_links(db):
    links = StaffLinkRepo(db)
    assert await links.link(guild_id=1, member_id=10, roblox_user_id=111, linked_by=9) is None
    assert await links.link(guild_id=1, member_id=10, roblox_user_id=222, linked_by=9) == 111
    assert await links.link(guild_id=2, member_id=10, roblox_user_id=333, linked_by=9) is None
    assert (await links.get(guild_id=1, member_id=10)).roblox_user_id == 222
    assert [link.roblox_user_id for link in await links.list(guild_id=1)] == [222]
    assert await links.members_for(guild_id=1, roblox_user_id=222) == [10]
    assert await links.unlink(guild_id=1, member_id=10) == 222
    assert await links.unlink(guild_id=1, member_id=10) is None
    assert await links.get(guild_id=2, member_id=10) is not None


async def test_roblox_id_must_be_positive_in_the_schema(db):
    with pytest.raises(sqlite3.IntegrityError):
        await StaffLinkRepo(db).link(guild_id=1, member_id=1, roblox_user_id=0, linked_by=1)


async def test_sql_looking_text_is_stored_verbatim(db):
    replies = ReplyRepo(db)
    text = "'); DROP TABLE staff_links; --"
    rid = await replies.add(
        guild_id=1, channel_id=None, member_id=2, roblox_user_id=3, ticket_id="TICKET-1-A", content=text
    )
    assert (await replies.get(rid)).content == text
    assert await StaffLinkRepo(db).list(guild_id=1) == []


async def test_reply_states(db):
    replies = ReplyRepo(db)
    rid = await replies.add(
        guild_id=1, channel_id=5, member_id=2, roblox_user_id=3, ticket_id="TICKET-1-A", content="hi"
    )
    assert [r.id for r in await replies.unfinished()] == [rid]
    await replies.set_state(rid, state="sent")
    assert await replies.unfinished() == []
    assert (await replies.get(rid)).state == "sent"


async def test_meta(db):
    meta = MetaRepo(db)
    assert await meta.get("k") is None
    await meta.set("k", "1")
    await meta.set("k", "2")
    assert await meta.get("k") == "2"
