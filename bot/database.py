"""The SQLite connection: opening, PRAGMAs, migrations, transactions.

One long-lived connection, opened by ``__main__`` and closed in its ``finally`` (an unclosed aiosqlite
connection keeps a non-daemon thread alive and hangs the process). Schema changes are numbered SQL files in
``bot/migrations``; the database records how far it got in ``PRAGMA user_version``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = ("Backup", "Database", "DatabaseError", "MIGRATIONS", "backup", "load_migrations", "migrate")

log = logging.getLogger(__name__)

CACHE_KIB = 512  # SQLite's page cache per connection (its default is 2,000 KiB)
_MIGRATION_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


class DatabaseError(Exception):
    """The database cannot be used; the message says what to do."""


def load_migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` for every migration file, in order."""
    found = []
    for entry in resources.files("bot.migrations").iterdir():
        match = _MIGRATION_NAME.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


MIGRATIONS = load_migrations()
LATEST_VERSION = len(MIGRATIONS)


async def migrate(conn: aiosqlite.Connection, *, target: int | None = None) -> int:
    """Apply every pending migration (up to ``target``), each in its own transaction. Returns the version."""
    target = LATEST_VERSION if target is None else target
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    if current > LATEST_VERSION:
        raise DatabaseError(
            f"The database is at schema version {current}, but this version of Ticket Bridge only knows "
            f"{LATEST_VERSION}. Run the newer version, or restore a backup."
        )
    for version, name, sql in MIGRATIONS:
        if version <= current or version > target:
            continue
        log.info("Applying database migration %s", name)
        try:
            # PRAGMA takes no parameters; version is an int parsed from our own file name.
            await conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {int(version)};\nCOMMIT;")
        except BaseException:
            await conn.rollback()
            raise
        current = version
    return current


class Database:
    """The connection plus a lock, so a multi-statement unit of work is never interleaved with another."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<Database {self.path}>"

    @classmethod
    async def open(cls, path: str | Path, *, busy_timeout_ms: int = 5000) -> Database:
        """Open (creating the folder if needed), configure and migrate. Raises :class:`DatabaseError`."""
        path = str(path)
        in_memory = path == ":memory:" or path.startswith("file::memory:")
        if not in_memory:
            folder = Path(path).expanduser().resolve().parent  # noqa: ASYNC240 - once, at start
            try:
                folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at start
            except OSError as exc:
                raise DatabaseError(
                    f"Cannot create the database folder {folder}: {exc.strerror}. "
                    "Set DATABASE_PATH to a writable location."
                ) from None
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(_explain(exc, path)) from None
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await conn.execute("PRAGMA foreign_keys = ON")
            # SQLite's page cache, 2 MiB by default, fills up as the database grows; every hot query is an index
            # lookup, and pages not cached come from the OS's file cache, so 512 KiB is plenty.
            await conn.execute(f"PRAGMA cache_size = -{int(CACHE_KIB)}")
            if not in_memory:
                await conn.execute("PRAGMA journal_mode = WAL")
                await conn.execute("PRAGMA synchronous = NORMAL")
            await migrate(conn)
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise DatabaseError(_explain(exc, path)) from None
            raise
        return cls(conn, path)

    async def close(self) -> None:
        await self.conn.close()

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement (autocommit); return the last row id."""
        async with self._lock, self.conn.execute(sql, tuple(params)) as cur:
            return cur.lastrowid or 0

    async def execute_count(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement (autocommit); return how many rows it changed."""
        async with self._lock, self.conn.execute(sql, tuple(params)) as cur:
            return cur.rowcount

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._lock, self.conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock, self.conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            await self.conn.commit()


def _explain(exc: sqlite3.Error, path: str) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return (
            f"The database file {path} is damaged or is not a Ticket Bridge database ({text}). "
            "Restore a backup, or move the file away to start with an empty database."
        )
    if "locked" in text or "busy" in text:
        return (
            f"The database {path} is locked by another program ({text}). "
            "Make sure only one copy of the bot uses it, then try again."
        )
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return f"Cannot open or write the database {path} ({text}). Set DATABASE_PATH to a writable file."
    return f"Database error with {path}: {text}"


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    size_bytes: int
    version: int


async def backup(source: str | Path, target: str | Path, *, busy_timeout_ms: int = 5000) -> Backup:
    """Copy the database at ``source`` to ``target`` with SQLite's online backup, which is consistent while the
    bot keeps writing (WAL included). Written next to ``target`` first and renamed into place, so a failed
    backup never leaves a half file under the real name; then checked with ``PRAGMA integrity_check``.

    Doesn't migrate or change ``source``. Raises :class:`DatabaseError` with what to do.
    """
    source_path, target_path = Path(source), Path(target)
    if not source_path.is_file():  # noqa: ASYNC240 - a CLI command, nothing else runs
        raise DatabaseError(f"There is no database at {source_path} to back up. Is DATABASE_PATH right?")
    if target_path.exists() and target_path.resolve() == source_path.resolve():  # noqa: ASYNC240
        raise DatabaseError("The backup must go to another file than the database itself.")
    partial = target_path.with_name(target_path.name + ".partial")
    try:
        target_path.parent.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        partial.unlink(missing_ok=True)  # noqa: ASYNC240
        async with aiosqlite.connect(str(source_path)) as src, aiosqlite.connect(str(partial)) as dst:
            await src.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await src.backup(dst)
            async with dst.execute("PRAGMA integrity_check") as cur:
                verdict = await cur.fetchone()
            async with dst.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
        if verdict is None or verdict[0] != "ok":
            raise DatabaseError(f"The copy failed SQLite's integrity check ({verdict and verdict[0]}); try again.")
        partial.replace(target_path)  # noqa: ASYNC240
    except sqlite3.Error as exc:
        raise DatabaseError(f"Backing up {source_path} failed: {exc}") from None
    except OSError as exc:
        raise DatabaseError(f"Can't write the backup to {target_path}: {exc.strerror}.") from None
    finally:
        partial.unlink(missing_ok=True)  # noqa: ASYNC240
    return Backup(target_path, target_path.stat().st_size, int(row[0]) if row else 0)  # noqa: ASYNC240
