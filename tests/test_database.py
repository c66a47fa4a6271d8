from __future__ import annotations

import sqlite3

import aiosqlite
import pytest

from bot.database import LATEST_VERSION, MIGRATIONS, Database, DatabaseError, migrate
from bot.repositories import MetaRepo, ReplyRepo, RobloxUserRepo, StaffLinkRepo


async def version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        return (await cur.fetchone())[0]


async def test_open_creates_folder_and_migrates(tmp_path):
    path = tmp_path / "nested" / "dir" / "bot.db"
    db = await Database.open(path)
    try:
        assert path.exists()
        assert await version(db.conn) == LATEST_VERSION
        row = await db.fetchone("PRAGMA journal_mode")
        assert row[0] == "wal"
    finally:
        await db.close()


async def test_rerun_is_a_noop(db):
    assert await migrate(db.conn) == LATEST_VERSION
    assert await version(db.conn) == LATEST_VERSION


@pytest.mark.parametrize("start", range(LATEST_VERSION + 1))
async def test_migrates_from_every_earlier_version(tmp_path, start):
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await migrate(conn, target=start)
        assert await version(conn) == start
    db = await Database.open(path)
    try:
        assert await version(db.conn) == LATEST_VERSION
        await StaffLinkRepo(db).link(guild_id=1, member_id=2, roblox_user_id=3, linked_by=4)
    finally:
        await db.close()


async def test_failed_migration_rolls_back(tmp_path, monkeypatch):
    import bot.database as database

    broken = [*MIGRATIONS, (LATEST_VERSION + 1, "9999_broken.sql", "CREATE TABLE x (a);\nTHIS IS NOT SQL;")]
    monkeypatch.setattr(database, "MIGRATIONS", broken)
    monkeypatch.setattr(database, "LATEST_VERSION", LATEST_VERSION + 1)
    async with aiosqlite.connect(tmp_path / "b.db", isolation_level=None) as conn:
        with pytest.raises(sqlite3.OperationalError):
            await migrate(conn)
        assert await version(conn) == LATEST_VERSION
        async with conn.execute("SELECT name FROM sqlite_master WHERE name = 'x'") as cur:
            assert await cur.fetchone() is None


async def test_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.db"
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
        await conn.commit()
    with pytest.raises(DatabaseError, match="newer version"):
        await Database.open(path)


async def test_corrupt_file_gives_clear_message(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DatabaseError, match="damaged or is not a Ticket Bridge database"):
        await Database.open(path)


async def test_unwritable_path_gives_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="DATABASE_PATH"):
        await Database.open(blocker / "sub" / "bot.db")


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


async def test_a_locked_database_gives_a_clear_message(tmp_path):
    from bot.errors import user_message

    path = tmp_path / "busy.db"
    db = await Database.open(path, busy_timeout_ms=100)
    other = sqlite3.connect(path)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another program holds the database
        with pytest.raises(sqlite3.OperationalError) as info:
            await StaffLinkRepo(db).link(guild_id=1, member_id=2, roblox_user_id=3, linked_by=4)
        assert "database is busy" in user_message(info.value) and "Nothing was changed" in user_message(info.value)
        other.rollback()
        assert await StaffLinkRepo(db).link(guild_id=1, member_id=2, roblox_user_id=3, linked_by=4) is None
    finally:
        other.close()
        await db.close()


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
