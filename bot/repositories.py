"""Every SQL statement the bot runs (apart from PRAGMAs and migrations), one class per aggregate.

Methods are keyword-only, always use ``?`` parameters, and return dataclasses or plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from .database import Database

__all__ = ("MetaRepo", "Reply", "ReplyRepo", "StaffLink", "StaffLinkRepo", "utcnow")


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class StaffLink:
    guild_id: int
    member_id: int
    roblox_user_id: int
    linked_by: int
    linked_at: str


class StaffLinkRepo:
    """Discord member ↔ Roblox user id, one link per member per guild."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, *, guild_id: int, member_id: int) -> StaffLink | None:
        row = await self.db.fetchone(
            "SELECT * FROM staff_links WHERE guild_id = ? AND member_id = ?", (guild_id, member_id)
        )
        return StaffLink(**dict(row)) if row else None

    async def link(self, *, guild_id: int, member_id: int, roblox_user_id: int, linked_by: int) -> int | None:
        """Link (or relink) a member; return the Roblox id it replaced, if any."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT roblox_user_id FROM staff_links WHERE guild_id = ? AND member_id = ?", (guild_id, member_id)
            ) as cur:
                row = await cur.fetchone()
            await conn.execute(
                """
                INSERT INTO staff_links (guild_id, member_id, roblox_user_id, linked_by, linked_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, member_id) DO UPDATE SET
                    roblox_user_id = excluded.roblox_user_id,
                    linked_by = excluded.linked_by,
                    linked_at = excluded.linked_at
                """,
                (guild_id, member_id, roblox_user_id, linked_by, utcnow()),
            )
        return int(row[0]) if row else None

    async def unlink(self, *, guild_id: int, member_id: int) -> int | None:
        """Remove a member's link; return the Roblox id it had, or ``None`` if there was none."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "DELETE FROM staff_links WHERE guild_id = ? AND member_id = ? RETURNING roblox_user_id",
                (guild_id, member_id),
            ) as cur:
                row = await cur.fetchone()
        return int(row[0]) if row else None

    async def list(self, *, guild_id: int) -> list[StaffLink]:
        rows = await self.db.fetchall(
            "SELECT * FROM staff_links WHERE guild_id = ? ORDER BY linked_at, member_id", (guild_id,)
        )
        return [StaffLink(**dict(r)) for r in rows]

    async def members_for(self, *, guild_id: int, roblox_user_id: int) -> list[int]:
        """Discord members linked to a Roblox id in a guild (to mention the claimer in a thread)."""
        rows = await self.db.fetchall(
            "SELECT member_id FROM staff_links WHERE guild_id = ? AND roblox_user_id = ? ORDER BY member_id",
            (guild_id, roblox_user_id),
        )
        return [int(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class Reply:
    id: int
    guild_id: int
    channel_id: int | None
    member_id: int
    roblox_user_id: int
    ticket_id: str
    content: str
    state: str
    error: str | None
    created_at: str
    updated_at: str


class ReplyRepo:
    """The reply outbox: what staff typed, kept until it is known to be delivered or reported back."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, *, guild_id: int, channel_id: int | None, member_id: int, roblox_user_id: int, ticket_id: str, content: str
    ) -> int:
        now = utcnow()
        return await self.db.execute(
            """
            INSERT INTO replies (guild_id, channel_id, member_id, roblox_user_id, ticket_id, content, state,
                                 created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
            """,
            (guild_id, channel_id, member_id, roblox_user_id, ticket_id, content, now, now),
        )

    async def get(self, reply_id: int) -> Reply | None:
        row = await self.db.fetchone("SELECT * FROM replies WHERE id = ?", (reply_id,))
        return Reply(**dict(row)) if row else None

    async def set_state(self, reply_id: int, *, state: str, error: str | None = None) -> None:
        await self.db.execute(
            "UPDATE replies SET state = ?, error = ?, updated_at = ? WHERE id = ?", (state, error, utcnow(), reply_id)
        )

    async def unfinished(self) -> list[Reply]:
        """Replies accepted but not settled: the process stopped before it knew how they ended."""
        rows = await self.db.fetchall("SELECT * FROM replies WHERE state IN ('pending', 'sending') ORDER BY id")
        return [Reply(**dict(r)) for r in rows]


class MetaRepo:
    """Small key/value facts about this installation."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        row = await self.db.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
