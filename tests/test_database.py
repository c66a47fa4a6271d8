from __future__ import annotations

import sqlite3

import aiosqlite
import pytest

from bot.database import LATEST_VERSION, MIGRATIONS, Database, DatabaseError, migrate
from bot.repositories import StaffLinkRepo


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
