"""The repositories on a real SQLite file: every statement the bot runs, with ``?`` parameters only."""

from __future__ import annotations

import sqlite3

import pytest

from bot.repositories import FeedRepo, MetaRepo, ReplyRepo, RobloxUserRepo, StaffLinkRepo


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


async def test_roblox_user_cache(db):
    repo = RobloxUserRepo(db)
    assert await repo.get(user_id=1) is None
    await repo.save(user_id=1, name="staff123", display_name="Staff Member", fetched_at="2026-01-01T00:00:00.000Z")
    await repo.save_headshot(user_id=1, headshot_url="https://tr.rbxcdn.com/a", fetched_at="2026-01-02T00:00:00.000Z")
    row = await repo.get(user_id=1)
    assert (row.name, row.display_name, row.headshot_url, row.missing) == (
        "staff123",
        "Staff Member",
        "https://tr.rbxcdn.com/a",
        False,
    )
    assert (row.fetched_at, row.headshot_fetched_at) == ("2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z")
    # A refresh of the names keeps the headshot; a headshot for an unknown id makes a row without a name.
    await repo.save(user_id=1, name="staff124", display_name="Renamed", fetched_at="2026-02-01T00:00:00.000Z")
    assert (await repo.get(user_id=1)).headshot_url == "https://tr.rbxcdn.com/a"
    await repo.save_headshot(user_id=2, headshot_url=None, fetched_at="2026-02-01T00:00:00.000Z")
    assert (await repo.get(user_id=2)).name is None


async def test_roblox_ids_without_a_name(db):
    repo = RobloxUserRepo(db)
    links = StaffLinkRepo(db)
    await links.link(guild_id=1, member_id=10, roblox_user_id=30, linked_by=1)  # linked, never looked up
    await links.link(guild_id=1, member_id=11, roblox_user_id=40, linked_by=1)
    await links.link(guild_id=2, member_id=12, roblox_user_id=40, linked_by=1)  # twice: listed once
    await repo.save(user_id=40, name="known", display_name="Known", fetched_at="2026-01-01T00:00:00.000Z")
    await repo.note(user_id=20)  # Roblox was down when it was linked
    await repo.note(user_id=20)
    await repo.mark_missing(user_id=50, fetched_at="2026-01-01T00:00:00.000Z")  # Roblox: no such user
    assert await repo.unknown(limit=10) == [20, 30]
    assert await repo.unknown(limit=1) == [20]
    await repo.save(user_id=20, name="filled", display_name="Filled", fetched_at="2026-01-01T00:00:00.000Z")
    assert await repo.unknown(limit=10) == [30]
    await repo.mark_missing(user_id=40, fetched_at="2026-01-02T00:00:00.000Z")
    row = await repo.get(user_id=40)
    assert row.missing and row.name == "known"  # kept as history
    await repo.note(user_id=40)
    assert (await repo.get(user_id=40)).missing  # noting never clears what is known


async def test_roblox_ids_must_be_positive(db):
    with pytest.raises(sqlite3.IntegrityError):
        await RobloxUserRepo(db).note(user_id=0)


GROWING = (
    "replies",
    "audit",
    "cards",
    "mirrored_messages",
    "feed_tickets",
    "feed_pings",
    "staff_links",
    "ticket_events",
    "ticket_state",
    "reminders_sent",
    "snippets",
)


async def test_every_hot_query_uses_an_index(db, monkeypatch):
    """EXPLAIN QUERY PLAN for each statement the bot runs on a hot path: none scans a table that grows."""
    from bot.repositories import AuditRepo, EventRepo, FeedRepo, ReminderRepo, SnippetRepo

    seen: list[tuple[str, tuple]] = []
    for name in ("fetchone", "fetchall", "execute", "execute_count"):
        original = getattr(type(db), name)

        async def recording(self, sql, params=(), _original=original):
            seen.append((sql, tuple(params)))
            return await _original(self, sql, params)

        monkeypatch.setattr(type(db), name, recording)
    links, replies, feed, audit = StaffLinkRepo(db), ReplyRepo(db), FeedRepo(db), AuditRepo(db)
    await links.get(guild_id=1, member_id=2)
    await links.members_for(guild_id=1, roblox_user_id=3)
    await replies.sender_of(ticket_id="T", roblox_user_id=3, content="x")
    await replies.unfinished()
    await feed.card(guild_id=1, ticket_id="T")
    await feed.card_by_message(5)
    await feed.ticket_for_thread(5)
    await feed.seen_one("T")
    await feed.unhandled([("T", "2025-01-01T00:00:00.000Z"), ("U", "")])
    await feed.active_unlisted(["T", "U"])
    await feed.done_to_refetch()
    await feed.recently_done(since="2025-01-01T00:00:00.000Z")
    await feed.refetch_route_cards(guild_id=1, channel_id=2, since="2025-01-01T00:00:00.000Z")
    await feed.mirrored(guild_id=1, ticket_id="T")
    await feed.pinged(guild_id=1, ticket_id="T", department="")
    await audit.for_ticket(guild_id=1, ticket_id="T")
    events, reminders, snippets = EventRepo(db), ReminderRepo(db), SnippetRepo(db)
    await events.state("T")
    await events.between(since="2025-01-01T00:00:00.000Z", until="2025-01-08T00:00:00.000Z")
    await events.firsts(["T", "U"])
    await events.last_messages(["T", "U"])
    await reminders.sent(guild_id=1, ticket_ids=["T", "U"])
    await snippets.get(guild_id=1, name="welcome")
    await snippets.list(guild_id=1)
    monkeypatch.undo()
    assert len(seen) == 23
    for sql, params in seen:
        plan = " | ".join(row[3] for row in await db.fetchall("EXPLAIN QUERY PLAN " + sql, params))
        scans = [step for step in plan.split(" | ") if step.startswith("SCAN") and any(t in step for t in GROWING)]
        assert scans == [], f"{sql.strip()} -> {plan}"


async def test_the_poller_is_told_only_which_tickets_need_details(db):
    feed = FeedRepo(db)
    await feed.mark_seen(ticket_id="SAME", updated_at="t1", status="open", department="d")
    await feed.mark_seen(ticket_id="MOVED", updated_at="t1", status="open", department="d")
    await feed.mark_seen(ticket_id="GONE-FROM-LIST", updated_at="t1", status="in-progress", department="d")
    await feed.mark_seen(ticket_id="DONE", updated_at="t1", status="closed", department="d")
    await feed.note_listed([("LISTED-ONLY", "open", "d")])  # listed before, never handled
    listed = [("NEW", "t0"), ("MOVED", "t2"), ("SAME", "t1"), ("LISTED-ONLY", "t0")]
    assert await feed.unhandled(listed) == ["NEW", "MOVED", "LISTED-ONLY"]  # in the order given
    assert await feed.active_unlisted([t for t, _ in listed]) == ["GONE-FROM-LIST"]


async def test_a_broken_routes_cards_handled_since_it_broke_are_fetched_again_when_it_is_retried(db):
    feed = FeedRepo(db)
    await feed.set_route(guild_id=1, department="", channel_id=10, ping_role_id=None)
    for ticket_id, status in (
        ("BEFORE", "open"),
        ("DURING", "open"),
        ("DONE-DURING", "resolved"),
        ("ELSEWHERE", "open"),
    ):
        await feed.save_card(
            guild_id=1,
            ticket_id=ticket_id,
            channel_id=20 if ticket_id == "ELSEWHERE" else 10,
            message_id=5,
            thread_id=None,
        )
        if ticket_id == "BEFORE":
            await feed.mark_seen(ticket_id=ticket_id, updated_at="t1", status=status, department="d")
            await db.execute("UPDATE feed_tickets SET handled_at = '2000-01-01T00:00:00.000Z'")  # long before
            await feed.set_problem(guild_id=1, department="", problem="I can't edit my card")
            await feed.set_problem(guild_id=1, department="", problem="I can't edit my card (again)")
        else:
            await feed.mark_seen(ticket_id=ticket_id, updated_at="t1", status=status, department="d")
    [route] = await feed.routes()
    assert route.problem_at is not None  # when it first broke: a second problem doesn't move it
    assert await feed.refetch_route_cards(guild_id=1, channel_id=10, since=route.problem_at) == 2
    assert await feed.unhandled([("BEFORE", "t1"), ("DURING", "t1")]) == ["DURING"]
    assert await feed.done_to_refetch() == ["DONE-DURING"]  # in no list the poll walks: fetched by itself
    await feed.set_problem(guild_id=1, department="", problem=None)
    [route] = await feed.routes()
    assert route.problem_at is None
