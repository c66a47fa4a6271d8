"""Benchmark 5: growth. What 100,000 tickets leave behind after a simulated year: the database file (size, pages,
free pages, what each table and index takes) and the memory and start-up time of the bot started on it, with
``DATA_RETENTION_DAYS`` (90, the default) pruning every hour, and the same year without retention.

Method. **Simulated**: time and the traffic. **Real**: every row, every SQL statement, the pruning, the bot.

- The year. 100,000 tickets arrive at random (a Poisson stream, ~274 a day) over the 365 days that end when the
  benchmark starts. Each is active for 24-48 hours: claimed early, 1-3 player messages and 1-2 staff replies
  through the bot during that time, then resolved; 30% are closed 1-24 hours after that. Tickets opened in the
  last two days are still active at the end, as they would be.
- The writes. Each event is written through the bot's **real repository methods**, in the order the feed and the
  staff actions run them: the poller's ``note_listed``; for the card ``save_card`` (recorded before the post, then
  confirmed), ``mark_pinged`` (the route pings a role), and ``mark_seen``; for each player or staff message
  ``save_card`` with the thread the first time, ``mark_mirrored`` (before and after the post) and ``mark_seen``;
  for a staff reply ``ReplyRepo.add``, ``set_state`` (sending, then sent) and ``AuditRepo.record``; claims and
  status changes are audited too. Reads are left out (they do not change the file). Timestamps follow the
  simulated clock: the repositories' ``utcnow()`` is pointed at it, so ``first_seen_at``, ``handled_at``,
  ``pinged_at``, the replies' and the audit's times are what they would be on that day (tests/test_retention.py
  moves them with UPDATEs instead; the rows are the same).
- Pruning. At every simulated hour the real ``Retention.prune()`` runs with its clock injected (``now=``), with
  the default 90 days. The counterfactual writes the identical stream and never prunes.
- Speed. 100,000 tickets mean ~2.6 million statements; through aiosqlite's worker thread, one commit each, that
  alone takes many minutes. So the simulation hands the repositories a ``Database`` whose connection runs the same
  calls on a plain ``sqlite3`` connection in the event loop's thread (same SQLite library, same PRAGMAs, the
  database made and migrated by the real ``Database.open``), and groups each simulated hour's statements in one
  transaction. Neither changes the file: every run checks it (``engine_check``) by playing a small year (300
  tickets over 120 days, retention on) both ways, through the bot's own aiosqlite ``Database`` with one commit
  per statement and through the fast path, and comparing the two files byte for byte (but for the header's
  commit counter). The prune timings are those of the fast path (no thread hop). Both years run at once, each
  in its own process.
- Not simulated: transfers between departments, several servers, Roblox name look-ups, failures and retries.
- The bot. Then the real bot starts on each database in a child process, exactly as the footprint benchmark
  starts it (check key, open and migrate, log in, every extension, commands synced, READY stood in), with the
  real limiter (25/s), against the fake Series holding the tickets still active at the end (same ids, same
  ``UpdatedAt``, so its first poll finds nothing changed: no detail request) and the fake Discord. Start to
  ready, then the first poll and the first prune are awaited, and RSS is read 2 s later after ``gc.collect()``.
  The baseline is the same bot on an empty database against an empty Series (what the footprint calls idle).
  The counterfactual bot runs with ``DATA_RETENTION_DAYS=3650`` (the most allowed: nothing in the year is old
  enough), so its start-up prune does not undo the counterfactual.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import heapq
import json
import random
import sqlite3
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TICKETS = 100_000
DAYS = 365
SNAPSHOT_DAYS = 7
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
DISCORD_EPOCH_MS = 1_420_070_400_000
STAFF = 20
COUNTERFACTUAL_DAYS = 3650  # DATA_RETENTION_DAYS' maximum: nothing in a simulated year is that old
TABLES = ("feed_tickets", "cards", "mirrored_messages", "feed_pings", "replies", "audit", "roblox_users")


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the repositories' Database on a plain sqlite3 connection ---------------------------------------------------


class _Cursor:
    """What ``aiosqlite.Connection.execute`` gives: awaitable, and an async context manager, around a cursor."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def _self(self) -> _Cursor:
        return self

    def __await__(self) -> Any:
        return self._self().__await__()

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class SyncConnection:
    """The part of ``aiosqlite.Connection`` that ``bot.database.Database`` and the repositories use, run on a plain
    ``sqlite3`` connection in the calling thread. Opened like ``Database.open`` opens its connection."""

    def __init__(self, path: Path) -> None:
        self.raw = sqlite3.connect(path, isolation_level=None)
        self.raw.row_factory = sqlite3.Row  # aiosqlite.Row is sqlite3.Row
        self.statements = 0
        for pragma in ("busy_timeout = 5000", "foreign_keys = ON", "journal_mode = WAL", "synchronous = NORMAL"):
            self.raw.execute(f"PRAGMA {pragma}")

    def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        self.statements += 1
        return _Cursor(self.raw.execute(sql, parameters))

    def batch(self, start: bool) -> None:
        """Group the statements that follow into one transaction (``start``), or commit them. The rows, and the
        pages they land in, are the same as with one commit per statement; only the number of commits differs."""
        if start:
            self.raw.execute("BEGIN")
        elif self.raw.in_transaction:
            self.raw.execute("COMMIT")

    async def commit(self) -> None:
        self.raw.commit()

    async def rollback(self) -> None:
        self.raw.rollback()

    async def close(self) -> None:
        self.raw.close()


# -- the simulated year ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ticket:
    id: str
    status: str = "open"
    updated_ms: int = 0
    card: int = 0  # the card's message id
    thread: int | None = None
    claimer: int = 0  # index into the staff
    subject: str = ""
    author_id: int = 0


@dataclass
class World:
    guild_id: int
    channel_id: int
    role_id: int
    department: str


@dataclass
class _Clock:
    ms: int

    def iso(self) -> str:
        return _iso_ms(self.ms)

    def dt(self) -> datetime:
        return datetime.fromtimestamp(self.ms / 1000, UTC)


@dataclass
class _Stats:
    prunes: int = 0
    pruned_tickets: int = 0
    prune_ms: list[float] = field(default_factory=list)


def _text(rng: random.Random, low: int, high: int) -> str:
    words = ("thanks", "for", "waiting", "I", "have", "checked", "your", "account", "the", "ban", "appeal", "was")
    words += ("reviewed", "and", "we", "can", "see", "that", "item", "purchase", "went", "through", "please", "rejoin")
    out: list[str] = []
    length = rng.randint(low, high)
    size = 0
    while size < length:
        word = rng.choice(words)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:length]


class Year:
    """One simulated year of traffic written through the real repositories."""

    def __init__(self, db: Any, world: World, *, tickets: int, days: int, end_ms: int, seed: int) -> None:
        from bot.repositories import AuditRepo, FeedRepo, ReplyRepo, RobloxUserRepo, StaffLinkRepo

        self.db = db
        self.world = world
        self.feed, self.replies, self.audit = FeedRepo(db), ReplyRepo(db), AuditRepo(db)
        self.links, self.names = StaffLinkRepo(db), RobloxUserRepo(db)
        self.tickets = tickets
        self.end_ms = end_ms
        self.start_ms = end_ms - days * DAY_MS
        self.clock = _Clock(self.start_ms)
        self.rng = random.Random(seed)
        self.heap: list[tuple[int, int, str, _Ticket]] = []
        self.seq = 0
        self.snowflake_seq = 0
        self.staff = [(900_000_000_000_000_000 + i, 7_000_000 + i) for i in range(STAFF)]  # (member, roblox id)
        self.reply_texts = [_text(self.rng, 40, 400) for _ in range(500)]
        self.active: dict[str, _Ticket] = {}
        self.stats = _Stats()

    # ids as Discord and Series make them
    def _snowflake(self) -> int:
        self.snowflake_seq = (self.snowflake_seq + 1) & 0x3FFFFF
        return ((self.clock.ms - DISCORD_EPOCH_MS) << 22) | self.snowflake_seq

    def _message_key(self) -> str:
        return f"msj_{self.clock.ms}_{''.join(self.rng.choices(string.ascii_lowercase + string.digits, k=6))}"

    def _schedule(self, at: float, kind: str, ticket: _Ticket) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (int(at), self.seq, kind, ticket))

    async def setup(self) -> None:
        await self.feed.set_route(
            guild_id=self.world.guild_id,
            department="",
            channel_id=self.world.channel_id,
            ping_role_id=self.world.role_id,
        )
        await self.feed.prime_routes()
        for n, (member, roblox) in enumerate(self.staff):
            await self.links.link(guild_id=self.world.guild_id, member_id=member, roblox_user_id=roblox, linked_by=1)
            await self.names.save(
                user_id=roblox, name=f"staff_{n}", display_name=f"Staff {n}", fetched_at=self.clock.iso()
            )

    # one ticket's life, as the feed and the staff actions write it
    async def _seen(self, t: _Ticket) -> None:
        t.updated_ms = self.clock.ms
        await self.feed.mark_seen(
            ticket_id=t.id, updated_at=_iso_ms(t.updated_ms), status=t.status, department=self.world.department
        )

    async def _open(self, t: _Ticket) -> None:
        w = self.world
        await self.feed.note_listed([(t.id, "open", w.department)])
        await self.feed.save_card(
            guild_id=w.guild_id, ticket_id=t.id, channel_id=w.channel_id, message_id=None, thread_id=None
        )
        await self.feed.mark_pinged(guild_id=w.guild_id, ticket_id=t.id, department="")
        t.card = self._snowflake()
        await self.feed.save_card(
            guild_id=w.guild_id, ticket_id=t.id, channel_id=w.channel_id, message_id=t.card, thread_id=None
        )
        await self._seen(t)

    async def _mirror(self, t: _Ticket) -> None:
        w = self.world
        if t.thread is None:
            t.thread = t.card  # a thread started from a message has that message's id
            await self.feed.save_card(
                guild_id=w.guild_id, ticket_id=t.id, channel_id=w.channel_id, message_id=t.card, thread_id=t.thread
            )
        key = self._message_key()
        await self.feed.mark_mirrored(guild_id=w.guild_id, ticket_id=t.id, message_key=key, posted=False)
        await self.feed.mark_mirrored(guild_id=w.guild_id, ticket_id=t.id, message_key=key, posted=True)
        await self._seen(t)

    async def _audit(self, t: _Ticket, action: str, result: str) -> None:
        member, roblox = self.staff[t.claimer]
        await self.audit.record(
            guild_id=self.world.guild_id,
            member_id=member,
            roblox_user_id=roblox,
            ticket_id=t.id,
            action=action,
            result=result,
        )

    async def _claim(self, t: _Ticket) -> None:
        await self._audit(t, "claim", "ok: Ticket claimed successfully")
        t.status = "in-progress"
        await self._seen(t)

    async def _reply(self, t: _Ticket) -> None:
        member, roblox = self.staff[t.claimer]
        reply_id = await self.replies.add(
            guild_id=self.world.guild_id,
            channel_id=t.thread or self.world.channel_id,
            member_id=member,
            roblox_user_id=roblox,
            ticket_id=t.id,
            content=self.rng.choice(self.reply_texts),
        )
        await self.replies.set_state(reply_id, state="sending")
        await self.replies.set_state(reply_id, state="sent")
        await self._audit(t, "reply", "sent: Reply sent successfully")
        await self._mirror(t)  # the staff message comes back from Series and goes in the thread

    async def _status(self, t: _Ticket, status: str) -> None:
        await self._audit(t, "status", f"ok: Status changed to {status}")
        t.status = status
        await self._seen(t)
        if status == "resolved":
            self.active.pop(t.id, None)

    async def _arrive(self, at: int) -> None:
        rng = self.rng
        t = _Ticket(
            id=f"TICKET-{at}-{''.join(rng.choices(string.ascii_uppercase + string.digits, k=4))}",
            claimer=rng.randrange(STAFF),
            subject=_text(rng, 12, 60),
            author_id=1_000_000 + rng.randrange(5_000_000),
        )
        self.active[t.id] = t
        await self._open(t)
        life = rng.uniform(24, 48) * HOUR_MS
        claim = at + rng.uniform(0.02, 0.25) * life
        self._schedule(claim, "claim", t)
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            self._schedule(at + rng.uniform(0.05, 0.95) * life, "player", t)
        for _ in range(rng.choice((1, 1, 2))):
            self._schedule(claim + rng.uniform(0.05, 0.9) * (at + life - claim), "reply", t)
        self._schedule(at + life, "resolve", t)
        if rng.random() < 0.3:
            self._schedule(at + life + rng.uniform(1, 24) * HOUR_MS, "close", t)

    async def _run(self, kind: str, t: _Ticket) -> None:
        if kind == "claim":
            await self._claim(t)
        elif kind in ("player", "reply"):
            if t.status in ("resolved", "closed"):
                return  # scheduled after the ticket was done: it never happened
            await (self._mirror(t) if kind == "player" else self._reply(t))
        elif kind == "resolve":
            await self._status(t, "resolved")
        else:
            await self._status(t, "closed")

    async def run(
        self,
        *,
        prune: Callable[[], Any] | None,
        snapshot: Callable[[int], Any],
        snapshot_every_ms: int,
        batch: Callable[[bool], None],
    ) -> None:
        """Play the year. ``batch(True)`` opens and ``batch(False)`` commits the transaction that groups one
        simulated hour's statements (each prune and snapshot runs between two)."""
        arrivals = sorted(
            self.start_ms + int(self.rng.uniform(0, self.end_ms - self.start_ms)) for _ in range(self.tickets)
        )
        next_prune = self.start_ms + HOUR_MS
        next_snapshot = self.start_ms + snapshot_every_ms

        async def advance(until: int) -> None:
            nonlocal next_prune, next_snapshot
            while True:
                event = self.heap[0][0] if self.heap else until + 1
                timer = min(next_prune, next_snapshot)
                if min(event, timer) > until:
                    return
                if timer <= event:
                    self.clock.ms = timer
                    batch(False)
                    if timer == next_prune:
                        next_prune += HOUR_MS
                        if prune is not None:
                            began = time.perf_counter()
                            pruned = await prune()
                            self.stats.prune_ms.append((time.perf_counter() - began) * 1000)
                            self.stats.prunes += 1
                            self.stats.pruned_tickets += pruned.tickets
                    if timer == next_snapshot:
                        next_snapshot += snapshot_every_ms
                        await snapshot(timer)
                    batch(True)
                    continue
                at, _, kind, ticket = heapq.heappop(self.heap)
                self.clock.ms = at
                await self._run(kind, ticket)

        batch(True)
        for at in arrivals:
            await advance(at)
            self.clock.ms = at
            await self._arrive(at)
        await advance(self.end_ms)
        batch(False)
        self.clock.ms = self.end_ms


async def _pages(db: Any) -> dict[str, int]:
    return {
        name: int((await db.fetchone(f"PRAGMA {name}"))[0]) for name in ("page_size", "page_count", "freelist_count")
    }


async def _bytes_by_table(db: Any) -> dict[str, int]:
    """Bytes in use per table, its indexes included (``dbstat``; free pages are in no table)."""
    rows = await db.fetchall(
        "SELECT s.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_schema s ON s.name = d.name GROUP BY s.tbl_name"
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def _rows(db: Any) -> dict[str, int]:
    return {t: int((await db.fetchone(f"SELECT COUNT(*) FROM {t}"))[0]) for t in TABLES}  # noqa: S608 - our names


async def simulate(
    db_path: Path,
    world: World,
    *,
    tickets: int,
    days: int,
    end_ms: int,
    seed: int,
    retention: bool,
    engine: str = "sqlite3",
) -> dict[str, Any]:
    """One simulated year into ``db_path`` (created with the real ``Database.open``); returns its figures.

    ``engine="aiosqlite"`` runs it on the bot's own ``Database`` (aiosqlite, one commit per statement) instead:
    much slower, and byte-for-byte the same file (``python -m bench.growth check`` compares the two)."""
    from bot import repositories
    from bot.config import Config
    from bot.database import Database
    from bot.repositories import RetentionRepo
    from bot.retention import Retention

    real = await Database.open(db_path)  # migrations, WAL: exactly as the bot creates its database
    conn: SyncConnection | None = None
    if engine == "aiosqlite":
        db = real
    else:
        await real.close()
        conn = SyncConnection(db_path)
        db = Database(conn, str(db_path))  # type: ignore[arg-type] - the aiosqlite calls it makes, in this thread
    year = Year(db, world, tickets=tickets, days=days, end_ms=end_ms, seed=seed)
    days_kept = Config.__dataclass_fields__["data_retention_days"].default
    retention_ = Retention(repo=RetentionRepo(db), days=days_kept, now=year.clock.dt)
    timeline: list[dict[str, Any]] = []

    async def snapshot(at: int) -> None:
        timeline.append(
            {
                "day": (at - year.start_ms) / DAY_MS,
                **await _pages(db),
                "rows": await _rows(db),
                "bytes_by_table": await _bytes_by_table(db),
                "active": len(year.active),
            }
        )

    saved = repositories.utcnow
    repositories.utcnow = year.clock.iso  # every repository stamps rows with the simulated time
    began = time.perf_counter()
    try:
        await year.setup()
        await year.run(
            prune=retention_.prune if retention else None,
            snapshot=snapshot,
            snapshot_every_ms=SNAPSHOT_DAYS * DAY_MS,
            batch=conn.batch if conn is not None else lambda start: None,
        )
        await snapshot(year.end_ms)
    finally:
        repositories.utcnow = saved
    took = time.perf_counter() - began
    await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
    final = {**await _pages(db), "rows": await _rows(db), "bytes_by_table": await _bytes_by_table(db)}
    by_object = await db.fetchall("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY SUM(pgsize) DESC")
    statements = conn.statements if conn is not None else None
    await db.close()
    files = {p.name: p.stat().st_size for p in db_path.parent.glob(db_path.name + "*")}
    compact = db_path.with_suffix(".vacuumed")
    with sqlite3.connect(db_path) as c:
        c.execute("VACUUM INTO ?", (str(compact),))
    compact_bytes = compact.stat().st_size
    compact.unlink()
    s = year.stats
    prune_ms = sorted(s.prune_ms)
    return {
        "retention": retention,
        "retention_days": days_kept if retention else None,
        "simulated_s": took,
        "statements": statements,
        "prunes": s.prunes,
        "pruned_tickets": s.pruned_tickets,
        "prune_ms_median": prune_ms[len(prune_ms) // 2] if prune_ms else None,
        "prune_ms_p99": prune_ms[int(len(prune_ms) * 0.99)] if prune_ms else None,
        "prune_ms_max": prune_ms[-1] if prune_ms else None,
        "file_bytes": sum(files.values()),
        "files": files,
        "vacuumed_bytes": compact_bytes,
        **final,
        "by_object": {str(row[0]): int(row[1]) for row in by_object},
        "timeline": timeline,
        "still_active": [
            {
                "id": t.id,
                "status": t.status,
                "updated_at": _iso_ms(t.updated_ms),
                "subject": t.subject,
                "author_id": t.author_id,
            }
            for t in year.active.values()
        ],
    }


async def engine_check(*, tickets: int = 300, days: int = 120, seed: int = 7) -> dict[str, Any]:
    """The same small year (retention on) through the bot's own aiosqlite ``Database`` and through the fast path:
    the two files must be byte-for-byte identical (but for the header's commit counter), or the fast path is not
    measuring what the bot writes."""
    world = World(guild_id=1, channel_id=2, role_id=3, department="support-dept")
    end_ms = int(time.time() * 1000) // HOUR_MS * HOUR_MS
    files: dict[str, bytes] = {}
    took: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-growth-check-") as tmp:
        for engine in ("aiosqlite", "sqlite3"):
            path = Path(tmp) / engine / "bot.db"
            path.parent.mkdir()
            began = time.perf_counter()
            await simulate(
                path, world, tickets=tickets, days=days, end_ms=end_ms, seed=seed, retention=True, engine=engine
            )
            took[engine] = time.perf_counter() - began
            data = bytearray(path.read_bytes())
            # The header's change counter (bytes 24-27, and its copy at 92-95) counts commits, which differ.
            data[24:28] = data[92:96] = b"\0\0\0\0"
            files[engine] = bytes(data)
    return {
        "tickets": tickets,
        "days": days,
        "bytes": len(files["sqlite3"]),
        "identical": files["aiosqlite"] == files["sqlite3"],
        "seconds": took,
    }


# -- the bot on the grown database (child process) ----------------------------------------------------------------


async def _child(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    from bot.app import build_services
    from bot.client import TicketBot
    from bot.config import Config
    from bot.database import Database

    from .botkit import TOKEN, add_guild, mark_ready, point_discord_at
    from .common import API_KEY, rss_mb
    from .memprobe import deep_size, pymalloc, sqlite_memory

    imported = time.monotonic()
    point_discord_at(args.discord)
    config = Config.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "SERIES_API_KEY": API_KEY,
            "SERIES_API_URL": args.series,
            "DATABASE_PATH": args.db,
            "DATA_RETENTION_DAYS": str(args.retention_days),
        }
    )
    guild_create = args.guild_create
    out: dict[str, Any] = {}
    polled, pruned = asyncio.Event(), asyncio.Event()

    def signal_after(fn: Any, event: asyncio.Event) -> Any:
        async def wrapped(*a: Any, **kw: Any) -> Any:
            try:
                return await fn(*a, **kw)
            finally:
                event.set()

        return wrapped

    async with aiohttp.ClientSession() as session:
        db = await Database.open(config.database_path)
        try:
            services = build_services(config, session=session, db=db)
            # The first prune runs as the Maintenance cog loads; the first poll once READY is in.
            services.retention.prune = signal_after(services.retention.prune, pruned)  # type: ignore[method-assign]
            bot = TicketBot(services)
            key = await bot.services.workspace.client.check_key()
            assert key.valid
            await bot.login(config.discord_token.reveal())
            feed = bot.get_cog("Feed")
            assert feed is not None
            feed.poll_once = signal_after(feed.poll_once, polled)  # type: ignore[attr-defined]
            add_guild(bot, guild_create)
            mark_ready(bot)
            out["imported_at"] = imported
            out["ready_at"] = time.monotonic()
            await asyncio.wait_for(asyncio.gather(polled.wait(), pruned.wait()), 120)
            out["first_poll_done_s"] = time.monotonic() - out["ready_at"]
            await asyncio.sleep(2)
            gc.collect()
            out["rss_mb"] = rss_mb()
            out["sqlite_mib"] = sqlite_memory()["used_mib"]
            out["pymalloc"] = pymalloc()
            out["ticket_cache"] = len(services.workspace.tickets)
            out["ticket_cache_bytes"] = deep_size(services.workspace.tickets._tickets, set())[0]
            await bot.close()
        finally:
            await db.close()
    return out


def _spawn_child(series: str, discord_url: str, guild: Path, db: Path, retention_days: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.growth", "child", "--series", series, "--discord", discord_url]
    cmd += ["--guild", str(guild), "--db", str(db), "--retention-days", str(retention_days)]
    spawned = time.monotonic()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parent.parent, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"growth child failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["start_to_ready_s"] = out["ready_at"] - spawned
    return out


def _spawn_year(
    db: Path, world: World, *, tickets: int, days: int, end_ms: int, seed: int, retention: bool
) -> subprocess.Popen[str]:
    cmd = [
        sys.executable,
        "-m",
        "bench.growth",
        "year",
        "--db",
        str(db),
        "--tickets",
        str(tickets),
        "--days",
        str(days),
    ]
    cmd += ["--end-ms", str(end_ms), "--seed", str(seed), "--world", json.dumps(world.__dict__)]
    if retention:
        cmd.append("--retention")
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent
    )


def prune_scans(db_path: Path) -> list[str]:
    """The tables the prune's per-ticket DELETEs read in full (``EXPLAIN QUERY PLAN`` on the grown database)."""
    from bot.repositories import _PRUNE_TICKETS

    scans = []
    with sqlite3.connect(db_path) as conn:
        for sql in _PRUNE_TICKETS:
            for row in conn.execute("EXPLAIN QUERY PLAN " + sql, ("[]",)):
                step = str(row[3])
                if step.startswith("SCAN ") and "json_each" not in step:
                    scans.append(step.removeprefix("SCAN ").split()[0])
    return scans


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _seed_series(fake: Any, active: list[dict[str, Any]]) -> None:
    """Put the tickets still active at the end of the year on the fake Series, with the ids and ``UpdatedAt`` the
    database has for them (the fake makes its own ids, so each is created and then re-keyed)."""
    for t in active:
        made = fake.create_ticket(subject=t["subject"], author_id=t["author_id"], username=f"player{t['author_id']}")
        if t["status"] == "in-progress":
            fake.claim(made["TicketId"], 987654321)
        fake.tickets.pop(made["TicketId"])
        made["TicketId"] = t["id"]
        made["Status"] = t["status"]
        made["UpdatedAt"] = t["updated_at"]
        fake.tickets[t["id"]] = made


async def run(
    *, tickets: int = TICKETS, days: int = DAYS, seed: int = 2026, check: tuple[int, int] = (300, 120)
) -> dict[str, Any]:
    """Both years (at once, one process each), the engine check, then the bot on each database.
    ``check``: (tickets, days) of the engine check's small year."""
    from fakes.series import FakeSeries

    from .botkit import new_discord, seed_discord
    from .common import API_KEY, ServerThread, machine

    series_srv = ServerThread("fake-series")
    discord_srv = ServerThread("fake-discord")
    empty = FakeSeries(api_key=API_KEY)
    series = FakeSeries(api_key=API_KEY)
    discord_fake = new_discord()
    seeded = discord_srv.call_sync(seed_discord, discord_fake)
    role_id = int(discord_srv.call_sync(discord_fake.add_role, seeded.guild_id, "Support")["id"])
    department = series_srv.call_sync(series._default_department, "support")
    world = World(seeded.guild_id, seeded.channel_id, role_id, department)
    tmp = tempfile.TemporaryDirectory(prefix="bench-growth-")
    folder = Path(tmp.name)
    guild = folder / "guild_create.json"
    guild_create = discord_srv.call_sync(discord_fake.guild_create_payload, world.guild_id)
    guild.write_text(json.dumps(guild_create), encoding="utf-8")
    # The year ends now: the bot's own start-up prune uses the real clock.
    end_ms = int(time.time() * 1000) // HOUR_MS * HOUR_MS
    result: dict[str, Any] = {
        "tickets": tickets,
        "days": days,
        "seed": seed,
        "end": _iso_ms(end_ms),
        "machine": machine(),  # run alone (--only growth), it may not be the machine of the other sections
    }
    try:
        began = time.monotonic()
        procs = {
            name: _spawn_year(
                folder / name / "bot.db", world, tickets=tickets, days=days, end_ms=end_ms, seed=seed, retention=kept
            )
            for name, kept in (("no_retention", False), ("retention", True))
        }
        years: dict[str, dict[str, Any]] = {}
        for name, proc in procs.items():  # the year without pruning ends first: the check runs in its place
            stdout, stderr = await asyncio.get_running_loop().run_in_executor(None, proc.communicate)
            if proc.returncode != 0:
                raise RuntimeError(f"growth year ({name}) failed:\n{stderr[-3000:]}")
            years[name] = _read_json(Path(stdout.strip().splitlines()[-1]))
            if name == "no_retention":
                result["engine_check"] = await engine_check(tickets=check[0], days=check[1])
        result["simulation_wall_s"] = time.monotonic() - began
        if not result["engine_check"]["identical"]:
            raise RuntimeError("the fast path wrote a different file from the bot's own Database: fix bench/growth.py")
        active = years["retention"].pop("still_active")
        assert active == years["no_retention"].pop("still_active"), "the two years must write the same stream"
        result["still_active"] = len(active)
        result["prune_scans"] = prune_scans(folder / "retention" / "bot.db")
        series_srv.call_sync(_seed_series, series, active)
        urls = {id(fake): series_srv.run_sync(fake.start()) for fake in (empty, series)}
        discord_url = discord_srv.run_sync(discord_fake.start())
        loop = asyncio.get_running_loop()
        kept = years["retention"]["retention_days"]
        bots: dict[str, dict[str, Any]] = {}
        for name, fake, db, days_kept in (
            ("baseline", empty, folder / "empty" / "bot.db", kept),
            ("retention", series, folder / "retention" / "bot.db", kept),
            ("no_retention", series, folder / "no_retention" / "bot.db", COUNTERFACTUAL_DAYS),
        ):
            before = await series_srv.call(fake.count, "GET", "/tickets/get/")
            bots[name] = await loop.run_in_executor(
                None, _spawn_child, urls[id(fake)], discord_url, guild, db, days_kept
            )
            bots[name]["detail_requests_at_start"] = await series_srv.call(fake.count, "GET", "/tickets/get/") - before
            bots[name]["retention_days"] = days_kept
        result["years"] = years
        result["bots"] = bots
    finally:
        for fake in (empty, series):
            series_srv.run_sync(fake.close())
        discord_srv.run_sync(discord_fake.close())
        series_srv.stop()
        discord_srv.stop()
        tmp.cleanup()
    for name in ("retention", "no_retention"):
        y, b = result["years"][name], result["bots"][name]
        print(
            f"  growth ({name}): {y['file_bytes'] / 2**20:.1f} MiB file, {y['freelist_count']:,} free pages, "
            f"{y['rows']['feed_tickets']:,} feed_tickets; bot ready in {b['start_to_ready_s']:.2f} s, "
            f"RSS {b['rss_mb']:.1f} MiB (baseline {result['bots']['baseline']['rss_mb']:.1f})",
            flush=True,
        )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.growth")
    sub = parser.add_subparsers(dest="mode")
    year = sub.add_parser("year", help="one simulated year into a database (used by the benchmark)")
    year.add_argument("--db", required=True)
    year.add_argument("--tickets", type=int, required=True)
    year.add_argument("--days", type=int, required=True)
    year.add_argument("--end-ms", type=int, required=True)
    year.add_argument("--seed", type=int, required=True)
    year.add_argument("--world", required=True)
    year.add_argument("--retention", action="store_true")
    child = sub.add_parser("child", help="the bot on a database (used by the benchmark)")
    child.add_argument("--series", required=True)
    child.add_argument("--discord", required=True)
    child.add_argument("--guild", required=True)
    child.add_argument("--db", required=True)
    child.add_argument("--retention-days", type=int, required=True)
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--days", type=int, default=DAYS)
    args = parser.parse_args(argv)
    if args.mode == "year":
        db = Path(args.db)
        db.parent.mkdir(parents=True, exist_ok=True)
        out = asyncio.run(
            simulate(
                db,
                World(**json.loads(args.world)),
                tickets=args.tickets,
                days=args.days,
                end_ms=args.end_ms,
                seed=args.seed,
                retention=args.retention,
            )
        )
        path = db.with_suffix(".json")
        path.write_text(json.dumps(out), encoding="utf-8")
        print(path, flush=True)
        return
    if args.mode == "child":
        import logging

        logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
        args.guild_create = _read_json(Path(args.guild))
        print(json.dumps(asyncio.run(_child(args))), flush=True)
        return
    from .common import write_result

    write_result("growth", asyncio.run(run(tickets=args.tickets, days=args.days)))


if __name__ == "__main__":
    main()
