"""Retention: the data of tickets done for longer than DATA_RETENTION_DAYS, and old reply texts, are pruned;
what is still in use, and the audit for a year, stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.repositories import AuditRepo, FeedRepo, Pruned, ReplyRepo, RetentionRepo, StaffLinkRepo
from bot.retention import Retention

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def iso(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def ticket(db, tid: str, status: str, *, days_ago: float, thread: int | None = None) -> None:
    feed = FeedRepo(db)
    await feed.mark_seen(ticket_id=tid, updated_at="x", status=status, department="d")
    await db.execute("UPDATE feed_tickets SET handled_at = ? WHERE ticket_id = ?", (iso(days_ago), tid))
    await feed.save_card(guild_id=1, ticket_id=tid, channel_id=5, message_id=7, thread_id=thread)
    await feed.mark_mirrored(guild_id=1, ticket_id=tid, message_key="msj_1_a", posted=True)
    await feed.mark_pinged(guild_id=1, ticket_id=tid, department="")


async def count(db, table: str, tid: str) -> int:
    row = await db.fetchone(f"SELECT COUNT(*) FROM {table} WHERE ticket_id = ?", (tid,))  # noqa: S608 - test only
    return int(row[0])


async def test_prune_keeps_what_is_in_use_and_removes_what_is_old(db):
    await ticket(db, "OLD-CLOSED", "closed", days_ago=91, thread=900)
    await ticket(db, "OLD-OPEN", "open", days_ago=400)  # still active: never pruned, however old
    await ticket(db, "NEW-CLOSED", "closed", days_ago=10, thread=901)
    replies, audit = ReplyRepo(db), AuditRepo(db)
    old = await replies.add(guild_id=1, channel_id=None, member_id=2, roblox_user_id=3, ticket_id="T", content="a")
    await replies.set_state(old, state="sent")
    await db.execute("UPDATE replies SET updated_at = ? WHERE id = ?", (iso(95), old))
    pending = await replies.add(guild_id=1, channel_id=None, member_id=2, roblox_user_id=3, ticket_id="T", content="b")
    await db.execute("UPDATE replies SET updated_at = ? WHERE id = ?", (iso(95), pending))
    for days in (100, 400):
        await audit.record(
            guild_id=1, member_id=2, roblox_user_id=3, ticket_id="OLD-CLOSED", action="claim", result="ok"
        )
        await db.execute("UPDATE audit SET created_at = ? WHERE id = (SELECT MAX(id) FROM audit)", (iso(days),))
    await StaffLinkRepo(db).link(guild_id=1, member_id=2, roblox_user_id=3, linked_by=1)
    retention = Retention(repo=RetentionRepo(db), days=90, now=lambda: NOW)

    pruned = await retention.prune()

    assert pruned == Pruned(tickets=1, replies=1, audit=1, roblox_users=0)
    for table in ("cards", "mirrored_messages", "feed_pings", "feed_tickets"):
        assert await count(db, table, "OLD-CLOSED") == 0
        assert await count(db, table, "OLD-OPEN") == 1 and await count(db, table, "NEW-CLOSED") == 1
    assert await replies.get(old) is None and await replies.get(pending) is not None  # never an unfinished one
    assert len(await audit.for_ticket(guild_id=1, ticket_id="OLD-CLOSED")) == 1  # the 100-day one: kept a year
    feed = FeedRepo(db)
    assert await feed.ticket_for_thread(900) is None and await feed.ticket_for_thread(901) == "NEW-CLOSED"
    assert await retention.prune() == Pruned()  # nothing left to do


async def test_events_and_what_reminders_remember_are_pruned_too(db):
    from bot.events import Event
    from bot.repositories import EventRepo, ReminderRepo, TicketState

    events, reminders = EventRepo(db), ReminderRepo(db)
    for tid, days in (("OLD-CLOSED", 95), ("NEW-CLOSED", 5)):
        await ticket(db, tid, "closed", days_ago=days)
        await events.record(
            [Event(tid, "opened", "opened", iso(days + 1), None, "d"), Event(tid, "m", "replied", iso(days), 7, "d")],
            TicketState(tid, "closed", None, "d", "x"),
        )
        await reminders.claim(guild_id=1, ticket_id=tid, kind="unclaimed", wait="opened")
    pruned = await Retention(repo=RetentionRepo(db), days=90, now=lambda: NOW).prune()
    assert pruned.events == 2 and pruned.tickets == 1
    for table in ("ticket_events", "ticket_state", "reminders_sent"):
        assert await count(db, table, "OLD-CLOSED") == 0
        assert await count(db, table, "NEW-CLOSED") >= 1


async def test_the_hourly_prune_finds_rows_by_index(db):
    """Found by bench/growth.py: mirrored_messages and feed_pings were read in full every hour."""
    from bot.repositories import _PRUNE_TICKETS

    for statement in _PRUNE_TICKETS:
        plan = " | ".join(r[3] for r in await db.fetchall("EXPLAIN QUERY PLAN " + statement, ('["T"]',)))
        table = statement.split()[2]
        assert f"SCAN {table}" not in plan, f"{statement} -> {plan}"


async def test_a_threads_ticket_is_found_by_index(db):
    """Found by the growth and footprint benchmarks: a map of every thread was kept in memory for autocomplete."""
    await ticket(db, "OPEN", "open", days_ago=5, thread=901)
    assert await FeedRepo(db).ticket_for_thread(901) == "OPEN"
    sql = "SELECT ticket_id FROM cards WHERE thread_id = ? LIMIT 1"
    plan = " | ".join(r[3] for r in await db.fetchall("EXPLAIN QUERY PLAN " + sql, (901,)))
    assert "cards_thread" in plan, plan
