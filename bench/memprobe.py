"""Where the footprint's memory goes: a diagnostic, not one of ``python -m bench``'s benchmarks (no result file).

``python -m bench.memprobe --tracked 10000`` tracks tickets the way ``bench/footprint.py``'s child does (the real
bot, every extension, the Feed cog's own poll loop, the limiter opened wide), but with the bot in **this** process
and the fakes in a **child** process, so nothing the fakes hold is counted. It reports:

- RSS (VmRSS) idle and tracking, and what glibc's ``malloc_trim(0)`` gives back (freed but not returned memory);
- glibc ``mallinfo2`` (bytes in use vs free in the malloc heap), pymalloc's arenas (``sys._debugmallocstats``)
  and SQLite's own allocator (``sqlite3_memory_used``, its page cache: invisible to tracemalloc);
- object counts by type (``gc.get_objects()``) idle and tracking;
- the size of every container attribute of the bot's long-lived objects (``ConnectionState``, the guild, the HTTP
  client, the ticket cache, the thread index, the publisher, the feed cog...) that grew, measured by walking
  ``gc.get_referents`` while never crossing into a shared object (a module, a class, the bot, the state...);
- with ``--tracemalloc``: what was allocated after idle and is still alive, grouped by file:line, by traceback and
  by the innermost frame of our own code (``bot/``, ``cogs/``).

``--threads`` gives each ticket a second player message, so every card gets a thread with one mirrored message;
``--gateway`` connects the bot to the fake Discord's gateway (``python -m bot`` does), so THREAD_CREATE and
MESSAGE_CREATE reach discord.py's caches as they do in production. Without both, the run is what the footprint
benchmark measures (no thread is opened there: its tickets have only their first message). ``--settle-polls N``
waits for N more full polls (every 5 s) after the last ticket was handled, and the figures are read right after a
poll has finished: the steady state between two polls. With ``--tracemalloc`` one more poll follows, and its
allocation peak above what stays is reported (what a poll needs for a moment, and the allocator keeps).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ctypes
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
import weakref
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UNLIMITED = 100_000


def _second_messages(fake: Any, ids: list[str]) -> None:
    for ticket_id in ids:
        fake.author_message(ticket_id, "Any news on this? I am still stuck.")


# -- the fakes' process ------------------------------------------------------------------------------------------


def _fakes(args: argparse.Namespace) -> None:
    from fakes.series import FakeSeries

    from .botkit import new_discord, seed_discord
    from .common import API_KEY, ServerThread
    from .feed import _create

    series_srv = ServerThread("fake-series")
    discord_srv = ServerThread("fake-discord")
    fake = FakeSeries(api_key=API_KEY, rate_limit=None)
    wire = new_discord()
    world = discord_srv.call_sync(seed_discord, wire)
    series_url = series_srv.run_sync(fake.start())
    discord_url = discord_srv.run_sync(wire.start())
    guild = discord_srv.call_sync(wire.guild_create_payload, world.guild_id)
    print(
        json.dumps(
            {
                "series": series_url,
                "discord": discord_url,
                "guild_id": world.guild_id,
                "channel_id": world.channel_id,
                "guild_create": guild,
            }
        ),
        flush=True,
    )
    for line in sys.stdin:  # "create": the tickets appear (after the probe measured idle); EOF: stop
        if line.strip() == "create":
            ids = series_srv.call_sync(_create, fake, args.tracked)
            if args.threads:
                series_srv.call_sync(_second_messages, fake, ids)
            print("created", flush=True)
    series_srv.run_sync(fake.close())
    discord_srv.run_sync(wire.close())


# -- measuring ---------------------------------------------------------------------------------------------------


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Mallinfo2(ctypes.Structure):
    _fields_ = [  # noqa: RUF012 - ctypes wants a list
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


_libc = ctypes.CDLL("libc.so.6")
_libc.mallinfo2.restype = _Mallinfo2


def malloc_info() -> dict[str, float]:
    m = _libc.mallinfo2()
    mib = 1024 * 1024
    return {
        "heap_mib": m.arena / mib,  # sbrk'd main arena + others
        "mmapped_mib": m.hblkhd / mib,
        "in_use_mib": m.uordblks / mib,
        "free_in_heap_mib": m.fordblks / mib,
    }


def malloc_trim() -> None:
    _libc.malloc_trim(0)


def sqlite_memory() -> dict[str, float]:
    lib = ctypes.CDLL("libsqlite3.so.0")  # the library _sqlite3 is linked to: the same handle
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.restype = ctypes.c_int64
    return {
        "used_mib": lib.sqlite3_memory_used() / 1024 / 1024,
        "highwater_mib": lib.sqlite3_memory_highwater(0) / 1024 / 1024,
    }


def pymalloc() -> dict[str, float]:
    """Arenas and blocks from ``sys._debugmallocstats`` (it writes to the C stderr)."""
    with tempfile.TemporaryFile() as tmp:
        saved = os.dup(2)
        try:
            os.dup2(tmp.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    out: dict[str, float] = {}
    for line in text.splitlines():
        if "=" not in line:
            continue
        key, _, value = line.rpartition("=")
        key = key.strip().lstrip("# ").strip()
        try:
            number = int(value.strip().replace(",", ""))
        except ValueError:
            continue
        if key in ("arenas allocated current", "bytes in allocated blocks", "bytes in available blocks"):
            out[key.replace(" ", "_")] = number if "arenas" in key else number / 1024 / 1024
    return out


def type_counts() -> collections.Counter[str]:
    return collections.Counter(type(o).__name__ for o in gc.get_objects())


_NEVER = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
    types.FrameType,
    types.MethodType,
    weakref.ReferenceType,
)


def deep_size(root: Any, shared: set[int]) -> tuple[int, int]:
    """Bytes and object count reachable from ``root`` without entering ``shared`` objects or code/classes."""
    seen: set[int] = set()
    stack = [root]
    total = count = 0
    while stack:
        obj = stack.pop()
        oid = id(obj)
        if oid in seen or (oid in shared and obj is not root) or isinstance(obj, _NEVER):
            continue
        seen.add(oid)
        total += sys.getsizeof(obj)
        count += 1
        stack.extend(gc.get_referents(obj))
    return total, count


_CONTAINERS = (dict, list, set, frozenset, tuple, collections.deque, weakref.WeakValueDictionary)


def containers(owners: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """``name.attr`` → (length, deep size) of each container attribute of the ``owners``."""
    shared = {id(o) for o in owners.values()}
    out: dict[str, tuple[int, int]] = {}
    for name, owner in owners.items():
        attrs = {}
        for klass in type(owner).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if isinstance(slot, str) and slot not in ("__weakref__", "__dict__"):
                    attrs.setdefault(slot, None)
        attrs.update(dict.fromkeys(getattr(owner, "__dict__", {})))
        for attr in attrs:
            try:
                value = getattr(owner, attr)
            except AttributeError:
                continue
            if isinstance(value, _CONTAINERS):
                target = dict(value) if isinstance(value, weakref.WeakValueDictionary) else value
                out[f"{name}.{attr}"] = (len(value), deep_size(target, shared)[0])
    return out


# -- the bot (this process) ----------------------------------------------------------------------------------------


async def _count(db: Any, sql: str) -> int:
    row = await db.fetchone(sql)
    return int(row[0]) if row else 0


async def probe(args: argparse.Namespace, world: dict[str, Any], create: Any) -> dict[str, Any]:
    import aiohttp
    import discord
    import yarl

    from bot.app import build_services
    from bot.client import TicketBot
    from bot.config import Config
    from bot.database import Database
    from bot.ratelimit import RateLimiter
    from bot.repositories import FeedRepo

    from .botkit import TOKEN, add_guild, mark_ready, point_discord_at
    from .common import API_KEY

    point_discord_at(world["discord"])
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(world["discord"]).with_scheme("ws").with_path("/ws")
    tmp = tempfile.TemporaryDirectory(prefix="bench-memprobe-")
    config = Config.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "SERIES_API_KEY": API_KEY,
            "SERIES_API_URL": world["series"],
            "DATABASE_PATH": str(Path(tmp.name) / "bot.db"),
            "SERIES_TIMEOUT": "30",
            "FEED_POLL_SECONDS": "5",
        }
    )
    out: dict[str, Any] = {"tracked": args.tracked, "threads": args.threads, "gateway": args.gateway}
    session = aiohttp.ClientSession()
    db = await Database.open(config.database_path)
    bot = TicketBot(build_services(config, session=session, db=db, limiter=RateLimiter(UNLIMITED)))
    connector: asyncio.Task[None] | None = None
    try:
        key = await bot.services.workspace.client.check_key()
        assert key.valid
        await bot.login(config.discord_token.reveal())
        feed = bot.get_cog("Feed")
        assert feed is not None
        polls_done = asyncio.Event()
        poll_once = feed.poll_once  # type: ignore[attr-defined]

        async def poll_and_tell() -> int:  # tasks.loop counts an iteration only after the sleep that follows it
            try:
                return await poll_once()
            finally:
                polls_done.set()

        feed.poll_once = poll_and_tell  # type: ignore[attr-defined]
        if args.gateway:
            connector = asyncio.get_running_loop().create_task(bot.connect(reconnect=False))
            await asyncio.wait_for(bot.wait_until_ready(), 30)
        else:
            add_guild(bot, world["guild_create"])
            mark_ready(bot)
        await asyncio.sleep(2)
        state = bot._connection
        guild = bot.get_guild(world["guild_id"])
        assert guild is not None
        feed_cog = bot.get_cog("Feed")
        assert feed_cog is not None
        workspace = bot.services.workspace

        def owners() -> dict[str, Any]:
            return {
                "bot": bot,
                "state": state,
                "view_store": state._view_store,
                "http": bot.http,
                "guild": guild,
                "ticket_cache": workspace.tickets,
                "publisher": feed_cog.publisher,  # type: ignore[attr-defined]
                "feed_cog": feed_cog,
                "backoff": feed_cog.backoff,  # type: ignore[attr-defined]
                "poller": workspace.poller,
                "limiter": workspace.limiter,
                "db": db,
                "aiosqlite": db.conn,
                "services": bot.services,
                "session": session,
            }

        gc.collect()
        out["idle"] = {
            "rss_mib": rss_mib(),
            "malloc": malloc_info(),
            "pymalloc": pymalloc(),
            "sqlite": sqlite_memory(),
            "objects": len(gc.get_objects()),
        }
        idle_types = type_counts()
        idle_containers = containers(owners())
        idle_snapshot = None
        if args.tracemalloc:
            tracemalloc.start(args.frames)
            idle_snapshot = tracemalloc.take_snapshot()
        # Only now do the tickets and the route appear (the poll loop lists tickets even without a route).
        await FeedRepo(db).set_route(
            guild_id=world["guild_id"], department="", channel_id=world["channel_id"], ping_role_id=None
        )
        await asyncio.get_running_loop().run_in_executor(None, create)

        handled_sql = "SELECT COUNT(*) FROM feed_tickets WHERE updated_at != ''"
        threads_sql = "SELECT COUNT(*) FROM cards WHERE thread_id IS NOT NULL"
        began = time.monotonic()
        while await _count(db, handled_sql) < args.tracked or (
            args.threads and await _count(db, threads_sql) < args.tracked
        ):
            if time.monotonic() - began > args.timeout:
                raise TimeoutError(f"the feed did not track every ticket in {args.timeout:.0f} s")
            await asyncio.sleep(0.5)
        out["tracking_took_s"] = time.monotonic() - began

        async def poll_ended() -> None:  # returns right after the next poll, while the loop sleeps until the next
            polls_done.clear()
            await polls_done.wait()

        for _ in range(args.settle_polls):
            await poll_ended()
        out["settle_polls"] = args.settle_polls
        gc.collect()
        tracking: dict[str, Any] = {
            "rss_mib": rss_mib(),
            "malloc": malloc_info(),
            "pymalloc": pymalloc(),
            "sqlite": sqlite_memory(),
            "objects": len(gc.get_objects()),
        }
        if args.tracemalloc:
            snapshot = tracemalloc.take_snapshot()
            tracking["tracemalloc_overhead_mib"] = tracemalloc.get_tracemalloc_memory() / 1024 / 1024
            # The most that was alive at once since idle (the learning poll, in practice), above idle.
            tracking["traced_peak_since_idle_mib"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            # One more poll with nothing changed: how much it allocates at its peak on top of what stays.
            tracemalloc.reset_peak()
            current_before, _ = tracemalloc.get_traced_memory()
            await poll_ended()
            _, peak = tracemalloc.get_traced_memory()
            tracking["poll_transient_peak_mib"] = (peak - current_before) / 1024 / 1024
            tracemalloc.stop()
            assert idle_snapshot is not None
            out["tracemalloc"] = _tracemalloc_report(idle_snapshot, snapshot, args.top)
        tracking_types = type_counts()
        tracking_containers = containers(owners())
        out["tracking"] = tracking
        out["counts"] = {
            "ticket_cache": len(workspace.tickets),
            "guild_threads": len(guild._threads),
            "publisher_locks": len(feed_cog.publisher._locks),  # type: ignore[attr-defined]
            "problem_checked": len(feed_cog.publisher._problem_checked),  # type: ignore[attr-defined]
            "cards": await _count(db, "SELECT COUNT(*) FROM cards"),
            "cards_with_thread": await _count(db, threads_sql),
            "os_threads": len(os.listdir("/proc/self/task")),
        }
        grown = {}
        for key, (length, size) in tracking_containers.items():
            before = idle_containers.get(key, (0, 0))
            if size - before[1] > 16 * 1024 or length - before[0] > 100:
                grown[key] = {"len_idle": before[0], "len": length, "bytes_idle": before[1], "bytes": size}
        out["containers_grown"] = dict(sorted(grown.items(), key=lambda kv: -(kv[1]["bytes"] - kv[1]["bytes_idle"])))
        out["types_grown"] = [
            (name, idle_types.get(name, 0), tracking_types[name], n)
            for name, n in (tracking_types - idle_types).most_common(30)
        ]
        malloc_trim()
        out["after_malloc_trim"] = {"rss_mib": rss_mib(), "malloc": malloc_info()}
    finally:
        await bot.close()
        if connector is not None:
            await asyncio.gather(connector, return_exceptions=True)
        await db.close()
        await session.close()
        tmp.cleanup()
    return out


def _ours(frame_filename: str) -> bool:
    return f"{os.sep}bot{os.sep}" in frame_filename or f"{os.sep}cogs{os.sep}" in frame_filename


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _tracemalloc_report(idle: tracemalloc.Snapshot, now: tracemalloc.Snapshot, top: int) -> dict[str, Any]:
    excluded = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<unknown>")]
    idle = idle.filter_traces(excluded)
    now = now.filter_traces(excluded)
    total = sum(s.size for s in now.statistics("filename")) - sum(s.size for s in idle.statistics("filename"))
    by_line = [
        {"where": f"{_short(s.traceback[0].filename)}:{s.traceback[0].lineno}", "kib": s.size_diff / 1024, "n": s.count}
        for s in now.compare_to(idle, "lineno")[:top]
    ]
    by_traceback = []
    for s in now.statistics("traceback")[:top]:
        frames = [f"{_short(f.filename)}:{f.lineno}" for f in reversed(s.traceback)]  # most recent call first
        keep = [f for f in frames if not f.startswith(("asyncio/", "<frozen"))][:8]
        by_traceback.append({"kib": s.size / 1024, "n": s.count, "frames": keep})
    # Attribute every surviving allocation to the innermost frame in our own code (or, failing that, its library).
    owners: collections.Counter[str] = collections.Counter()
    owner_n: collections.Counter[str] = collections.Counter()
    for trace in now.traces:
        frames = list(reversed(trace.traceback))  # most recent call first (a Traceback is oldest first)
        mine = next((f for f in frames if _ours(f.filename)), None)
        if mine is not None:
            key = f"{_short(mine.filename)}:{mine.lineno}"
        else:
            key = "(no bot frame) " + _short(frames[0].filename).split("/", 1)[0]
        owners[key] += trace.size
        owner_n[key] += 1
    by_owner = [{"where": k, "kib": v / 1024, "n": owner_n[k]} for k, v in owners.most_common(top)]
    return {
        "traced_growth_mib": total / 1024 / 1024,
        "by_line": by_line,
        "by_traceback": by_traceback,
        "by_ours": by_owner,
    }


def _print(out: dict[str, Any]) -> None:
    idle, tr = out["idle"], out["tracking"]
    n = out["tracked"]
    grow = tr["rss_mib"] - idle["rss_mib"]
    print(f"tracked {n:,} (threads={out['threads']}, gateway={out['gateway']}) in {out['tracking_took_s']:.1f} s")
    print(
        f"RSS idle {idle['rss_mib']:.1f} MiB, tracking {tr['rss_mib']:.1f} MiB: +{grow:.1f} MiB = "
        f"{grow * 1048576 / n:,.0f} B/ticket"
    )
    print(f"  after malloc_trim(0): {out['after_malloc_trim']['rss_mib']:.1f} MiB")
    for label, key in (("glibc malloc", "malloc"), ("pymalloc", "pymalloc"), ("sqlite", "sqlite")):
        print(f"  {label}: idle {idle[key]} → tracking {tr[key]}")
    print(f"  gc objects idle {idle['objects']:,} → {tr['objects']:,}")
    print("counts:", out["counts"])
    print("containers that grew (len idle→now, deep KiB idle→now, B/ticket):")
    for k, v in out["containers_grown"].items():
        per = (v["bytes"] - v["bytes_idle"]) / n
        print(
            f"  {k:40} {v['len_idle']:>7,}→{v['len']:>7,}  "
            f"{v['bytes_idle'] / 1024:>9,.0f}→{v['bytes'] / 1024:>9,.0f} KiB  {per:>7,.0f}"
        )
    print("types grown (idle, now, +):")
    for name, a, b, d in out["types_grown"]:
        print(f"  {name:32} {a:>8,} {b:>8,} {d:>+8,}  ({d / n:.2f}/ticket)")
    if "tracemalloc" in out:
        t = out["tracemalloc"]
        print(
            f"tracemalloc: traced growth {t['traced_growth_mib']:.1f} MiB (its own overhead "
            f"{tr.get('tracemalloc_overhead_mib', 0):.1f} MiB); one idle poll's transient peak "
            f"{tr.get('poll_transient_peak_mib', 0):.1f} MiB; the most alive at once since idle "
            f"{tr.get('traced_peak_since_idle_mib', 0):.1f} MiB"
        )
        print(" by file:line")
        for s in t["by_line"]:
            print(f"  {s['kib']:>9,.0f} KiB {s['n']:>8,}  {s['where']}")
        print(" by innermost bot/cogs frame")
        for s in t["by_ours"]:
            print(f"  {s['kib']:>9,.0f} KiB {s['n']:>8,}  {s['where']}")
        print(" by traceback")
        for s in t["by_traceback"]:
            print(f"  {s['kib']:>9,.0f} KiB {s['n']:>8,}  " + " < ".join(s["frames"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memprobe", description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="probe", choices=("probe", "fakes"))
    parser.add_argument("--tracked", type=int, default=10_000)
    parser.add_argument("--threads", action="store_true", help="a second player message per ticket: a thread each")
    parser.add_argument("--gateway", action="store_true", help="connect to the fake's gateway (THREAD_CREATE etc.)")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--frames", type=int, default=25)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--settle-polls", type=int, default=1)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--timeout", type=float, default=900, help="seconds the tracking may take")
    args = parser.parse_args(argv)
    if args.mode == "fakes":
        _fakes(args)
        return
    import logging

    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    cmd = [sys.executable, "-m", "bench.memprobe", "fakes", "--tracked", str(args.tracked)]
    if args.threads:
        cmd.append("--threads")
    fakes = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert fakes.stdout is not None and fakes.stdin is not None
        world = json.loads(fakes.stdout.readline())

        def create() -> None:
            assert fakes.stdin is not None and fakes.stdout is not None
            fakes.stdin.write("create\n")
            fakes.stdin.flush()
            assert fakes.stdout.readline().strip() == "created"

        out = asyncio.run(probe(args, world, create))
    finally:
        if fakes.stdin is not None:
            fakes.stdin.close()
        try:
            fakes.wait(20)
        except subprocess.TimeoutExpired:
            fakes.kill()
    _print(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
