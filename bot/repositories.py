"""Every SQL statement the bot runs (apart from PRAGMAs and migrations), one class per aggregate.

Methods are keyword-only, always use ``?`` parameters, and return dataclasses or plain values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from .database import Database

__all__ = (
    "AuditEntry",
    "AuditRepo",
    "Card",
    "Digest",
    "DigestRepo",
    "EventRepo",
    "EventRow",
    "FeedRepo",
    "MetaRepo",
    "Pruned",
    "Reply",
    "ReplyRepo",
    "RetentionRepo",
    "RobloxUserRecord",
    "RobloxUserRepo",
    "Route",
    "ReminderRepo",
    "SeenTicket",
    "Snippet",
    "SnippetRepo",
    "StaffLink",
    "StaffLinkRepo",
    "TicketState",
    "utcnow",
)


def _fields(row: aiosqlite.Row) -> dict[str, Any]:
    """A row as keyword arguments for its dataclass."""
    return {key: row[key] for key in row.keys()}  # noqa: SIM118 - a Row is not a mapping


def _route(row: aiosqlite.Row) -> Route:
    fields = _fields(row)
    fields["backfill"] = bool(fields["backfill"])
    return Route(**fields)


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
        return StaffLink(**_fields(row)) if row else None

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
        async with (
            self.db.transaction() as conn,
            conn.execute(
                "DELETE FROM staff_links WHERE guild_id = ? AND member_id = ? RETURNING roblox_user_id",
                (guild_id, member_id),
            ) as cur,
        ):
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def list(self, *, guild_id: int) -> list[StaffLink]:
        rows = await self.db.fetchall(
            "SELECT * FROM staff_links WHERE guild_id = ? ORDER BY linked_at, member_id", (guild_id,)
        )
        return [StaffLink(**_fields(r)) for r in rows]

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
        self,
        *,
        guild_id: int,
        channel_id: int | None,
        member_id: int,
        roblox_user_id: int,
        ticket_id: str,
        content: str,
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
        return Reply(**_fields(row)) if row else None

    async def set_state(self, reply_id: int, *, state: str, error: str | None = None) -> None:
        await self.db.execute(
            "UPDATE replies SET state = ?, error = ?, updated_at = ? WHERE id = ?", (state, error, utcnow(), reply_id)
        )

    async def take(self, reply_id: int, *, member_id: int) -> tuple[Reply | None, str | None]:
        """Atomically mark a reply of ``member_id`` as being sent, if it may be sent now.

        Returns ``(reply, previous_state)``; ``reply`` is None when it can't be taken (not theirs, already sent,
        or being sent right now by a second tap), and ``previous_state`` then says why (None: not theirs).
        """
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT * FROM replies WHERE id = ?", (reply_id,)) as cur:
                row = await cur.fetchone()
            if row is None or row["member_id"] != member_id:
                return None, None
            previous = str(row["state"])
            if previous not in ("pending", "failed", "unknown"):
                return None, previous
            await conn.execute(
                "UPDATE replies SET state = 'sending', updated_at = ? WHERE id = ?", (utcnow(), reply_id)
            )
        taken = _fields(row)
        taken["state"] = "sending"
        return Reply(**taken), previous

    async def set_staff(self, reply_id: int, roblox_user_id: int) -> None:
        """The author was relinked: the reply now goes as their current Roblox id."""
        await self.db.execute("UPDATE replies SET roblox_user_id = ? WHERE id = ?", (roblox_user_id, reply_id))

    async def set_ticket(self, reply_id: int, ticket_id: str) -> None:
        """Record the canonical TicketId once known (a reply may be addressed by the 24-hex id)."""
        await self.db.execute("UPDATE replies SET ticket_id = ? WHERE id = ?", (ticket_id, reply_id))

    async def sender_of(self, *, ticket_id: str, roblox_user_id: int, content: str) -> int | None:
        """The Discord member who sent this text to this ticket through the bot, if anyone did."""
        row = await self.db.fetchone(
            """
            SELECT member_id FROM replies
            WHERE ticket_id = ? AND roblox_user_id = ? AND content = ? AND state IN ('sent', 'unknown', 'sending')
            ORDER BY id DESC LIMIT 1
            """,
            (ticket_id, roblox_user_id, content.strip()),
        )
        return int(row[0]) if row else None

    async def unfinished(self) -> list[Reply]:
        """Replies accepted but not settled: the process stopped before it knew how they ended."""
        rows = await self.db.fetchall("SELECT * FROM replies WHERE state IN ('pending', 'sending') ORDER BY id")
        return [Reply(**_fields(r)) for r in rows]


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


@dataclass(frozen=True, slots=True)
class Route:
    guild_id: int
    department: str
    channel_id: int
    ping_role_id: int | None
    problem: str | None
    primed_at: str | None = None  # when the first poll with this route ran (moving it keeps it; see 0007)
    backfill: bool = True  # post the tickets that were open before the route was set (0010)
    remind_unclaimed: float = 0.0  # minutes; 0 is off (0011)
    remind_waiting: float = 0.0
    problem_at: str | None = None  # when the current problem began, the bot's clock (0013)


@dataclass(frozen=True, slots=True)
class Card:
    guild_id: int
    ticket_id: str
    channel_id: int
    message_id: int | None
    thread_id: int | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class SeenTicket:
    ticket_id: str
    updated_at: str  # "" until the feed has handled it
    status: str
    department: str
    first_seen_at: str | None = None  # when the poller first listed it (the bot's clock)
    handled_at: str | None = None  # when the feed last handled it (the bot's clock)


class FeedRepo:
    """Routes, the poller's memory of each ticket, cards and mirrored messages."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # routes
    async def set_route(
        self, *, guild_id: int, department: str, channel_id: int, ping_role_id: int | None
    ) -> Route | None:
        """Create or replace a route; return the one it replaced."""
        old = await self.route(guild_id=guild_id, department=department)
        await self.db.execute(
            """
            INSERT INTO feed_routes (guild_id, department, channel_id, ping_role_id, problem) VALUES (?, ?, ?, ?, NULL)
            ON CONFLICT (guild_id, department) DO UPDATE SET
                channel_id = excluded.channel_id, ping_role_id = excluded.ping_role_id, problem = NULL
            """,
            (guild_id, department, channel_id, ping_role_id),
        )
        return old

    async def remove_route(self, *, guild_id: int, department: str) -> Route | None:
        old = await self.route(guild_id=guild_id, department=department)
        await self.db.execute("DELETE FROM feed_routes WHERE guild_id = ? AND department = ?", (guild_id, department))
        return old

    async def route(self, *, guild_id: int, department: str) -> Route | None:
        row = await self.db.fetchone(
            "SELECT * FROM feed_routes WHERE guild_id = ? AND department = ?", (guild_id, department)
        )
        return _route(row) if row else None

    async def set_backfill(self, *, guild_id: int, department: str, backfill: bool) -> None:
        """Whether the route posts the tickets that were already open when it was set, or only new ones."""
        await self.db.execute(
            "UPDATE feed_routes SET backfill = ? WHERE guild_id = ? AND department = ?",
            (int(backfill), guild_id, department),
        )

    async def set_reminders(self, *, guild_id: int, department: str, unclaimed: float, waiting: float) -> bool:
        """The route's reminder minutes (0: off); False if there is no such route."""
        changed = await self.db.execute_count(
            "UPDATE feed_routes SET remind_unclaimed = ?, remind_waiting = ? WHERE guild_id = ? AND department = ?",
            (unclaimed, waiting, guild_id, department),
        )
        return changed == 1

    async def routes(self, *, guild_id: int | None = None) -> list[Route]:
        if guild_id is None:
            rows = await self.db.fetchall("SELECT * FROM feed_routes ORDER BY guild_id, department")
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM feed_routes WHERE guild_id = ? ORDER BY department", (guild_id,)
            )
        return [_route(r) for r in rows]

    async def prime_routes(self, *, guild_id: int | None = None, department: str | None = None) -> int:
        """Mark routes (all, or one) whose tickets have all been listed since they were set: tickets first seen
        after this are new to them."""
        if guild_id is None or department is None:
            return await self.db.execute_count(
                "UPDATE feed_routes SET primed_at = ? WHERE primed_at IS NULL", (utcnow(),)
            )
        return await self.db.execute_count(
            "UPDATE feed_routes SET primed_at = ? WHERE primed_at IS NULL AND guild_id = ? AND department = ?",
            (utcnow(), guild_id, department),
        )

    async def set_problem(self, *, guild_id: int, department: str, problem: str | None) -> None:
        """Record the route's problem (None: it works again); ``problem_at`` keeps when the first one began."""
        await self.db.execute(
            """
            UPDATE feed_routes SET problem = ?1,
                problem_at = CASE WHEN ?1 IS NULL THEN NULL ELSE coalesce(problem_at, ?2) END
            WHERE guild_id = ?3 AND department = ?4
            """,
            (problem, utcnow(), guild_id, department),
        )

    async def refetch_route_cards(self, *, guild_id: int, channel_id: int, since: str) -> int:
        """Have the next poll fetch again every ticket with a card in this channel that was handled since ``since``
        (while the route was broken its cards could not be edited, or were not even tried)."""
        return await self.db.execute_count(
            """
            UPDATE feed_tickets SET updated_at = ''
            WHERE handled_at >= ? AND updated_at != ''
              AND ticket_id IN (SELECT ticket_id FROM cards WHERE guild_id = ? AND channel_id = ?)
            """,
            (since, guild_id, channel_id),
        )

    # the poller's memory
    async def unhandled(self, tickets: list[tuple[str, str]]) -> list[str]:
        """Of these ``(ticket id, UpdatedAt)``, in their order, the ids not yet handled at that ``UpdatedAt``.

        One query, the pairs passed as one JSON parameter; only the ids that need details come back, so a poll of
        10,000 unchanged tickets builds no row objects at all."""
        rows = await self.db.fetchall(
            """
            SELECT json_extract(j.value, '$[0]') FROM json_each(?) AS j
            LEFT JOIN feed_tickets AS f ON f.ticket_id = json_extract(j.value, '$[0]')
            WHERE f.updated_at IS NOT json_extract(j.value, '$[1]')
            ORDER BY j.key
            """,
            (json.dumps(tickets),),
        )
        return [str(r[0]) for r in rows]

    async def active_unlisted(self, listed: list[str]) -> list[str]:
        """Tickets last handled while open or in progress that are not in ``listed`` (uses the status index)."""
        rows = await self.db.fetchall(
            """
            SELECT ticket_id FROM feed_tickets
            WHERE status IN ('open', 'in-progress') AND ticket_id NOT IN (SELECT value FROM json_each(?))
            """,
            (json.dumps(listed),),
        )
        return [str(r[0]) for r in rows]

    async def done_to_refetch(self) -> list[str]:
        """Resolved or closed tickets marked to be fetched again (their card was deleted or left stale); the
        lists the poll walks don't have them."""
        rows = await self.db.fetchall(
            "SELECT ticket_id FROM feed_tickets WHERE updated_at = '' AND status IN ('resolved', 'closed')"
        )
        return [str(r[0]) for r in rows]

    async def recently_done(self, *, since: str) -> list[str]:
        """Tickets last handled as resolved or closed since ``since`` (uses the status, handled_at index)."""
        rows = await self.db.fetchall(
            "SELECT ticket_id FROM feed_tickets WHERE status IN ('resolved', 'closed') AND handled_at >= ?", (since,)
        )
        return [str(r[0]) for r in rows]

    async def seen_count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM feed_tickets")
        return int(row[0]) if row else 0

    async def seen_one(self, ticket_id: str) -> SeenTicket | None:
        row = await self.db.fetchone("SELECT * FROM feed_tickets WHERE ticket_id = ?", (ticket_id,))
        return SeenTicket(**_fields(row)) if row else None

    async def mark_unhandled(self, *, ticket_id: str) -> None:
        """Have the next poll fetch the ticket again, as if it had changed (its status, department and first-seen
        time stay: they decide pings and transfers)."""
        await self.db.execute("UPDATE feed_tickets SET updated_at = '' WHERE ticket_id = ?", (ticket_id,))

    async def note_listed(self, tickets: list[tuple[str, str, str]]) -> None:
        """Remember when each (ticket id, status, department) was first listed; known tickets are left alone."""
        await self.db.execute(
            """
            INSERT OR IGNORE INTO feed_tickets (ticket_id, updated_at, status, department, first_seen_at)
            SELECT json_extract(value, '$[0]'), '', json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?
            FROM json_each(?)
            """,
            (utcnow(), json.dumps(tickets)),
        )

    async def mark_seen(self, *, ticket_id: str, updated_at: str, status: str, department: str) -> None:
        now = utcnow()
        await self.db.execute(
            """
            INSERT INTO feed_tickets (ticket_id, updated_at, status, department, first_seen_at, handled_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (ticket_id) DO UPDATE SET
                updated_at = excluded.updated_at, status = excluded.status, department = excluded.department,
                handled_at = excluded.handled_at
            """,
            (ticket_id, updated_at, status, department, now, now),
        )

    # cards
    async def card(self, *, guild_id: int, ticket_id: str) -> Card | None:
        row = await self.db.fetchone("SELECT * FROM cards WHERE guild_id = ? AND ticket_id = ?", (guild_id, ticket_id))
        return Card(**_fields(row)) if row else None

    async def save_card(
        self, *, guild_id: int, ticket_id: str, channel_id: int, message_id: int | None, thread_id: int | None
    ) -> None:
        await self.db.execute(
            """
            INSERT INTO cards (guild_id, ticket_id, channel_id, message_id, thread_id) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (guild_id, ticket_id) DO UPDATE SET
                channel_id = excluded.channel_id, message_id = excluded.message_id, thread_id = excluded.thread_id
            """,
            (guild_id, ticket_id, channel_id, message_id, thread_id),
        )

    async def card_by_message(self, message_id: int) -> Card | None:
        row = await self.db.fetchone("SELECT * FROM cards WHERE message_id = ?", (message_id,))
        return Card(**_fields(row)) if row else None

    async def set_card_problem(self, *, guild_id: int, ticket_id: str, problem: str | None) -> None:
        await self.db.execute(
            "UPDATE cards SET problem = ? WHERE guild_id = ? AND ticket_id = ?", (problem, guild_id, ticket_id)
        )

    async def card_problems(self, *, guild_id: int, limit: int = 5) -> list[Card]:
        rows = await self.db.fetchall(
            "SELECT * FROM cards WHERE guild_id = ? AND problem IS NOT NULL ORDER BY ticket_id LIMIT ?",
            (guild_id, limit),
        )
        return [Card(**_fields(r)) for r in rows]

    async def forget_mirrored(self, *, guild_id: int, ticket_id: str) -> None:
        """After a card moves to another channel, its new thread gets the whole conversation again."""
        await self.db.execute(
            "DELETE FROM mirrored_messages WHERE guild_id = ? AND ticket_id = ?", (guild_id, ticket_id)
        )

    async def ticket_for_thread(self, thread_id: int) -> str | None:
        """The ticket a card's thread mirrors (the ``cards_thread`` index): autocomplete inside a thread offers that
        ticket first. Asked of the database, so memory doesn't grow with the threads."""
        row = await self.db.fetchone("SELECT ticket_id FROM cards WHERE thread_id = ? LIMIT 1", (thread_id,))
        return str(row[0]) if row else None

    async def card_count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM cards")
        return int(row[0]) if row else 0

    # pings
    async def pinged(self, *, guild_id: int, ticket_id: str, department: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM feed_pings WHERE guild_id = ? AND ticket_id = ? AND department = ?",
            (guild_id, ticket_id, department),
        )
        return row is not None

    async def mark_pinged(self, *, guild_id: int, ticket_id: str, department: str) -> None:
        """Record a ping before it is made: a crash then costs at most a ping, never a second one."""
        await self.db.execute(
            "INSERT OR IGNORE INTO feed_pings (guild_id, ticket_id, department, pinged_at) VALUES (?, ?, ?, ?)",
            (guild_id, ticket_id, department, utcnow()),
        )

    # mirrored messages
    async def mirrored(self, *, guild_id: int, ticket_id: str) -> dict[str, bool]:
        rows = await self.db.fetchall(
            "SELECT message_key, posted FROM mirrored_messages WHERE guild_id = ? AND ticket_id = ?",
            (guild_id, ticket_id),
        )
        return {str(r[0]): bool(r[1]) for r in rows}

    async def mark_mirrored(self, *, guild_id: int, ticket_id: str, message_key: str, posted: bool) -> None:
        await self.db.execute(
            """
            INSERT INTO mirrored_messages (guild_id, ticket_id, message_key, posted) VALUES (?, ?, ?, ?)
            ON CONFLICT (guild_id, ticket_id, message_key) DO UPDATE SET posted = excluded.posted
            """,
            (guild_id, ticket_id, message_key, int(posted)),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    guild_id: int
    member_id: int
    roblox_user_id: int | None
    ticket_id: str
    action: str
    result: str
    created_at: str


class AuditRepo:
    """Who did what to which ticket through the bot, and how it ended."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, *, guild_id: int, member_id: int, roblox_user_id: int | None, ticket_id: str, action: str, result: str
    ) -> None:
        await self.db.execute(
            """
            INSERT INTO audit (guild_id, member_id, roblox_user_id, ticket_id, action, result, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            (guild_id, member_id, roblox_user_id, ticket_id, action, result[:500], utcnow()),
        )

    async def for_ticket(self, *, guild_id: int, ticket_id: str, limit: int = 25) -> list[AuditEntry]:
        rows = await self.db.fetchall(
            "SELECT * FROM audit WHERE guild_id = ? AND ticket_id = ? ORDER BY id DESC LIMIT ?",
            (guild_id, ticket_id, limit),
        )
        return [AuditEntry(**_fields(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class RobloxUserRecord:
    """What the bot last learned about a Roblox id. ``name`` is None until Roblox has told us."""

    id: int
    name: str | None
    display_name: str | None
    headshot_url: str | None
    fetched_at: str | None
    headshot_fetched_at: str | None
    missing: bool


class RobloxUserRepo:
    """The Roblox name cache: id → username, display name and headshot, with when each was fetched.

    Times are ISO-8601 strings passed in by the caller (``RobloxDirectory`` has an injectable clock).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, *, user_id: int) -> RobloxUserRecord | None:
        """The stored row for ``user_id``, or None if the bot never heard of it."""
        row = await self.db.fetchone("SELECT * FROM roblox_users WHERE id = ?", (user_id,))
        if row is None:
            return None
        fields = _fields(row)
        fields["missing"] = bool(fields["missing"])
        return RobloxUserRecord(**fields)

    async def save(self, *, user_id: int, name: str, display_name: str, fetched_at: str) -> None:
        """Store (or refresh) a user's names as Roblox just gave them."""
        await self.db.execute(
            """
            INSERT INTO roblox_users (id, name, display_name, fetched_at, missing) VALUES (?, ?, ?, ?, 0)
            ON CONFLICT (id) DO UPDATE SET
                name = excluded.name, display_name = excluded.display_name, fetched_at = excluded.fetched_at,
                missing = 0
            """,
            (user_id, name, display_name, fetched_at),
        )

    async def save_headshot(self, *, user_id: int, headshot_url: str | None, fetched_at: str) -> None:
        """Store the headshot (None: Roblox had no finished image), keeping any names already known."""
        await self.db.execute(
            """
            INSERT INTO roblox_users (id, headshot_url, headshot_fetched_at) VALUES (?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                headshot_url = excluded.headshot_url, headshot_fetched_at = excluded.headshot_fetched_at
            """,
            (user_id, headshot_url, fetched_at),
        )

    async def mark_missing(self, *, user_id: int, fetched_at: str) -> None:
        """Roblox says there is no such user: stop asking. Names learned earlier are kept, as history."""
        await self.db.execute(
            """
            INSERT INTO roblox_users (id, fetched_at, missing) VALUES (?, ?, 1)
            ON CONFLICT (id) DO UPDATE SET fetched_at = excluded.fetched_at, missing = 1
            """,
            (user_id, fetched_at),
        )

    async def note(self, *, user_id: int) -> None:
        """Remember an id whose name is not known yet (Roblox was down), so it is filled in later."""
        await self.db.execute("INSERT INTO roblox_users (id) VALUES (?) ON CONFLICT (id) DO NOTHING", (user_id,))

    async def unknown(self, *, limit: int) -> list[int]:
        """Up to ``limit`` ids still without a name: noted ones, and linked staff never looked up at all."""
        rows = await self.db.fetchall(
            """
            SELECT id FROM roblox_users WHERE name IS NULL AND missing = 0
            UNION
            SELECT roblox_user_id FROM staff_links WHERE roblox_user_id NOT IN (SELECT id FROM roblox_users)
            ORDER BY 1 LIMIT ?
            """,
            (limit,),
        )
        return [int(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class Pruned:
    tickets: int = 0
    replies: int = 0
    audit: int = 0
    roblox_users: int = 0
    events: int = 0


_PRUNE_TICKETS = (
    "DELETE FROM cards WHERE ticket_id IN (SELECT value FROM json_each(?))",
    "DELETE FROM mirrored_messages WHERE ticket_id IN (SELECT value FROM json_each(?))",
    "DELETE FROM feed_pings WHERE ticket_id IN (SELECT value FROM json_each(?))",
    "DELETE FROM feed_tickets WHERE ticket_id IN (SELECT value FROM json_each(?))",
    "DELETE FROM ticket_state WHERE ticket_id IN (SELECT value FROM json_each(?))",
    "DELETE FROM reminders_sent WHERE ticket_id IN (SELECT value FROM json_each(?))",
)


class RetentionRepo:
    """Pruning what would otherwise grow for ever (``DATA_RETENTION_DAYS``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def prune(self, *, before: str, audit_before: str) -> Pruned:
        """Delete the data of tickets done (resolved, closed or gone) and handled before ``before``, reply rows
        settled before it, and audit entries older than ``audit_before``. Returns the counts."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                """
                SELECT ticket_id FROM feed_tickets
                WHERE status IN ('resolved', 'closed', 'gone') AND handled_at < ?
                """,
                (before,),
            ) as cur:
                done = json.dumps([row[0] for row in await cur.fetchall()])
            for statement in _PRUNE_TICKETS:
                await conn.execute(statement, (done,))
            replies = await conn.execute(
                "DELETE FROM replies WHERE state NOT IN ('pending', 'sending') AND updated_at < ?", (before,)
            )
            audit = await conn.execute("DELETE FROM audit WHERE created_at < ?", (audit_before,))
            names = await conn.execute(
                """
                DELETE FROM roblox_users
                WHERE coalesce(fetched_at, headshot_fetched_at, '') < ?
                  AND id NOT IN (SELECT roblox_user_id FROM staff_links)
                """,
                (before,),
            )
            events = await conn.execute("DELETE FROM ticket_events WHERE at < ?", (before,))
            return Pruned(len(json.loads(done)), replies.rowcount, audit.rowcount, names.rowcount, events.rowcount)


# -- what happened to tickets (bot/events.py) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketState:
    ticket_id: str
    status: str
    claimed_by: int | None
    department: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class EventRow:
    ticket_id: str
    kind: str
    at: str
    actor: int | None
    department: str


@dataclass(frozen=True, slots=True)
class TicketFirsts:
    """A ticket's first moments: when it was opened, first answered by staff, and who claimed it first."""

    opened: str | None = None
    first_reply: str | None = None
    first_claimer: int | None = None
    department: str = ""


class EventRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def state(self, ticket_id: str) -> TicketState | None:
        row = await self.db.fetchone("SELECT * FROM ticket_state WHERE ticket_id = ?", (ticket_id,))
        return TicketState(**_fields(row)) if row else None

    async def record(self, events: list[Any], state: TicketState) -> int:
        """Store the events not stored yet and the ticket's state, together; returns how many were new."""
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                """
                INSERT OR IGNORE INTO ticket_events (ticket_id, key, kind, at, actor, department)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [(e.ticket_id, e.key, e.kind, e.at, e.actor, e.department) for e in events],
            )
            new = conn.total_changes - before
            await conn.execute(
                """
                INSERT INTO ticket_state (ticket_id, status, claimed_by, department, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (ticket_id) DO UPDATE SET status = excluded.status, claimed_by = excluded.claimed_by,
                    department = excluded.department, updated_at = excluded.updated_at
                """,
                (state.ticket_id, state.status, state.claimed_by, state.department, state.updated_at),
            )
        return new

    async def between(self, *, since: str, until: str) -> list[EventRow]:
        """Every event in [since, until), oldest first."""
        rows = await self.db.fetchall(
            """
            SELECT ticket_id, kind, at, actor, department FROM ticket_events
            WHERE at >= ? AND at < ? ORDER BY at, id
            """,
            (since, until),
        )
        return [EventRow(*row) for row in rows]

    async def firsts(self, ticket_ids: list[str]) -> dict[str, TicketFirsts]:
        """For each ticket: opened, first staff reply and first claimer, over everything recorded."""
        if not ticket_ids:
            return {}
        rows = await self.db.fetchall(
            """
            SELECT ticket_id, kind, MIN(at) AS at, actor, department FROM ticket_events
            WHERE ticket_id IN (SELECT value FROM json_each(?)) AND kind IN ('opened', 'replied', 'claimed')
            GROUP BY ticket_id, kind
            """,
            (json.dumps(ticket_ids),),
        )
        found: dict[str, dict[str, Any]] = {}
        for ticket_id, kind, at, actor, department in rows:
            entry = found.setdefault(ticket_id, {})
            if kind == "opened":
                entry["opened"], entry["department"] = at, department
            elif kind == "replied":
                entry["first_reply"] = at
            else:
                entry["first_claimer"] = actor  # SQLite: the bare column comes from the MIN(at) row
        return {ticket_id: TicketFirsts(**entry) for ticket_id, entry in found.items()}

    async def last_messages(self, ticket_ids: list[str]) -> dict[str, tuple[str, str, str]]:
        """For each ticket, its latest message event: (kind 'player' or 'replied', its key, its time)."""
        if not ticket_ids:
            return {}
        rows = await self.db.fetchall(
            """
            SELECT ticket_id, kind, key, MAX(at) AS at FROM ticket_events
            WHERE ticket_id IN (SELECT value FROM json_each(?)) AND kind IN ('player', 'replied')
            GROUP BY ticket_id
            """,
            (json.dumps(ticket_ids),),
        )
        return {ticket_id: (kind, key, at) for ticket_id, kind, key, at in rows}


# -- snippets (bot/snippets.py) -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snippet:
    guild_id: int
    name: str
    body: str
    updated_by: int
    updated_at: str


class SnippetRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *, guild_id: int, name: str, body: str, by: int) -> bool:
        """False if the name is taken."""
        changed = await self.db.execute_count(
            """
            INSERT OR IGNORE INTO snippets (guild_id, name, body, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
            """,
            (guild_id, name, body, by, utcnow()),
        )
        return changed == 1

    async def edit(self, *, guild_id: int, name: str, body: str, by: int) -> str | None:
        """The text it had, or None if there is no such snippet."""
        async with (
            self.db.transaction() as conn,
            conn.execute("SELECT body FROM snippets WHERE guild_id = ? AND name = ?", (guild_id, name)) as cur,
        ):
            row = await cur.fetchone()
            if row is None:
                return None
            await conn.execute(
                "UPDATE snippets SET body = ?, updated_by = ?, updated_at = ? WHERE guild_id = ? AND name = ?",
                (body, by, utcnow(), guild_id, name),
            )
        return str(row[0])

    async def remove(self, *, guild_id: int, name: str) -> str | None:
        async with (
            self.db.transaction() as conn,
            conn.execute(
                "DELETE FROM snippets WHERE guild_id = ? AND name = ? RETURNING body", (guild_id, name)
            ) as cur,
        ):
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def get(self, *, guild_id: int, name: str) -> Snippet | None:
        row = await self.db.fetchone("SELECT * FROM snippets WHERE guild_id = ? AND name = ?", (guild_id, name))
        return Snippet(**_fields(row)) if row else None

    async def list(self, *, guild_id: int) -> list[Snippet]:
        rows = await self.db.fetchall("SELECT * FROM snippets WHERE guild_id = ? ORDER BY name", (guild_id,))
        return [Snippet(**_fields(r)) for r in rows]


# -- reminders (bot/reminders.py) and the weekly digest -------------------------------------------------------------


class ReminderRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, *, guild_id: int, ticket_id: str, kind: str, wait: str) -> bool:
        """Record a reminder before it is posted; False if this wait already had one (never twice)."""
        changed = await self.db.execute_count(
            "INSERT OR IGNORE INTO reminders_sent (guild_id, ticket_id, kind, wait, sent_at) VALUES (?, ?, ?, ?, ?)",
            (guild_id, ticket_id, kind, wait, utcnow()),
        )
        return changed == 1

    async def sent(self, *, guild_id: int, ticket_ids: list[str]) -> set[tuple[str, str, str]]:
        """(ticket, kind, wait) of the reminders already made for these tickets in this server."""
        if not ticket_ids:
            return set()
        rows = await self.db.fetchall(
            """
            SELECT ticket_id, kind, wait FROM reminders_sent
            WHERE guild_id = ? AND ticket_id IN (SELECT value FROM json_each(?))
            """,
            (guild_id, json.dumps(ticket_ids)),
        )
        return {(r[0], r[1], r[2]) for r in rows}


@dataclass(frozen=True, slots=True)
class Digest:
    guild_id: int
    channel_id: int
    last_sent_at: str | None
    set_by: int
    problem: str | None = None


class DigestRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set(self, *, guild_id: int, channel_id: int, by: int, now: str) -> None:
        """Post the weekly digest in ``channel_id``; the first one comes at the next weekly time after ``now``."""
        await self.db.execute(
            """
            INSERT INTO digests (guild_id, channel_id, last_sent_at, set_by) VALUES (?, ?, ?, ?)
            ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, set_by = excluded.set_by,
                problem = NULL
            """,
            (guild_id, channel_id, now, by),
        )

    async def remove(self, *, guild_id: int) -> bool:
        return await self.db.execute_count("DELETE FROM digests WHERE guild_id = ?", (guild_id,)) == 1

    async def get(self, *, guild_id: int) -> Digest | None:
        row = await self.db.fetchone("SELECT * FROM digests WHERE guild_id = ?", (guild_id,))
        return Digest(**_fields(row)) if row else None

    async def all(self) -> list[Digest]:
        return [Digest(**_fields(r)) for r in await self.db.fetchall("SELECT * FROM digests ORDER BY guild_id")]

    async def claim(self, *, guild_id: int, due: str, now: str) -> bool:
        """Mark this week's digest as sent, before posting it; False if it already was (never twice)."""
        changed = await self.db.execute_count(
            """
            UPDATE digests SET last_sent_at = ?
            WHERE guild_id = ? AND (last_sent_at IS NULL OR last_sent_at < ?)
            """,
            (now, guild_id, due),
        )
        return changed == 1

    async def set_problem(self, *, guild_id: int, problem: str | None) -> None:
        await self.db.execute("UPDATE digests SET problem = ? WHERE guild_id = ?", (problem, guild_id))
