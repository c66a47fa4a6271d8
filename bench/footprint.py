"""Benchmark 4: footprint. Resident memory idle and when tracking 10,000 tickets, start-to-ready time, and the
database size per 10,000 tracked tickets.

Method: the bot runs in a **child process** (``python -m bench.footprint child ...``) so its memory is its own;
the fake Series and the fake Discord (``fakes.discord``, the end-to-end tests' fake) run in this (parent) process
on 127.0.0.1. The child does what ``bot/__main__.py``'s ``run`` does, in the same order: ``RateLimiter``, aiohttp
session, ``SeriesClient``, ``check_key``, ``Database.open`` (migrations), ``TicketBot``, then ``bot.login`` (which
runs ``setup_hook``: every extension loads and the commands are synced). It does not open a gateway: the guild is
handed over as GUILD_CREATE would deliver it (the fake Discord's own GUILD_CREATE payload, passed to the child in
a file) and READY is stood in by ``mark_ready``, whereupon the feed's poll loop starts. The child imports no fake.

- Start to ready: from the parent's ``Popen`` (so it includes the interpreter start and every import) to the
  moment the child is ready, both on the system-wide ``time.monotonic()``. Median of 3 starts. A real start adds
  the gateway handshake (network) and discord.py's wait for the guilds to stream in after READY
  (``guild_ready_timeout``, 2 s by default), which are not simulated.
- Idle RSS (VmRSS) 2 s after ready, against a fake Series with no tickets and no feed route.
- Tracking 10,000: the fake Series holds 10,000 active tickets; neither it nor the child's ``RateLimiter`` limits
  the rate (the limiter is opened wide, as in the cog tests), so learning them takes seconds instead of the
  ~7.7 minutes 11,000 requests take at 25/s. Opened wide, the limiter does remember the time of each of its last
  100,000 requests (its sliding log is a deque of ``maxlen=rate``): about 32 bytes a request, ~0.35 MiB of the
  tracking figure that the real limiter (25 entries) does not have (``python -m bench.memprobe`` shows it).
  A feed route points at #tickets, and the real Feed cog's own
  poll loop learns them all and posts a real card for each to the fake Discord (10,000 ``channel.send`` with the
  card's embed and buttons). When every card is recorded, RSS is read after ``gc.collect()``; then the database
  is closed (WAL checkpointed) and its file measured.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TRACKED = 10_000
UNLIMITED = 100_000


# -- the child: the bot ----------------------------------------------------------------------------------------


async def _child(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    from bot.app import build_services
    from bot.client import TicketBot
    from bot.config import Config
    from bot.database import Database
    from bot.ratelimit import RateLimiter
    from bot.repositories import FeedRepo

    from .botkit import TOKEN, add_guild, mark_ready, point_discord_at
    from .common import API_KEY, rss_mb

    imported = time.monotonic()
    guild_create = args.guild_create
    point_discord_at(args.discord)
    config = Config.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "SERIES_API_KEY": API_KEY,
            "SERIES_API_URL": args.series,
            "DATABASE_PATH": args.db,
            "SERIES_TIMEOUT": "30",
        }
    )
    out: dict[str, Any] = {}
    # Tracking: the limiter is opened wide (as the cog tests do) so 11,000 requests take seconds, not 7 minutes;
    # opened wide, its sliding log holds a timestamp per request (~0.35 MiB here; 25 entries at the real rate).
    limiter = RateLimiter(UNLIMITED if args.track else config.series_rate_limit)
    async with aiohttp.ClientSession() as session:
        db = await Database.open(config.database_path)
        try:
            bot = TicketBot(build_services(config, session=session, db=db, limiter=limiter))
            key = await bot.services.workspace.client.check_key()
            assert key.valid
            await bot.login(config.discord_token.reveal())
            add_guild(bot, guild_create)
            if args.track:
                await FeedRepo(db).set_route(
                    guild_id=int(guild_create["id"]), department="", channel_id=args.channel, ping_role_id=None
                )
            mark_ready(bot)
            out["imported_at"] = imported
            out["ready_at"] = time.monotonic()
            await asyncio.sleep(2)
            gc.collect()
            out["rss_ready_mb"] = rss_mb()
            if args.track:
                repo = FeedRepo(db)
                began = time.monotonic()
                while await repo.card_count() < args.track or await repo.seen_count() < args.track:
                    if time.monotonic() - began > 600:
                        raise TimeoutError("the feed did not track every ticket in 10 minutes")
                    await asyncio.sleep(0.5)
                out["tracking_took_s"] = time.monotonic() - began
                gc.collect()
                out["rss_tracking_mb"] = rss_mb()
                out["ticket_cache"] = len(bot.services.workspace.tickets)
                out["cards"] = await repo.card_count()
                out["feed_tickets"] = await repo.seen_count()
                out["stored_views"] = len(getattr(bot._connection._view_store, "_synced_message_views", {}))
                out["cached_messages"] = len(bot.cached_messages)
            await bot.close()
        finally:
            await db.close()
    return out


# -- the parent: servers, measurements ---------------------------------------------------------------------------


def _spawn(series: str, discord_url: str, guild: Path, channel_id: int, db: Path, *, track: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.footprint",
        "child",
        "--series",
        series,
        "--discord",
        discord_url,
        "--guild",
        str(guild),
        "--channel",
        str(channel_id),
        "--db",
        str(db),
    ]
    if track:
        cmd += ["--track", str(track)]
    spawned = time.monotonic()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=900, cwd=Path(__file__).resolve().parent.parent, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"footprint child failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["start_to_ready_s"] = out["ready_at"] - spawned
    out["start_to_imports_done_s"] = out["imported_at"] - spawned
    return out


def _real_start_once(discord_url: str, series_url: str, guild_id: int, db: Path) -> dict[str, Any]:
    """``python -m bot``, unmodified, against the wire-level fake Discord of the end-to-end tests (REST + gateway);
    ``fakes/redirect/sitecustomize.py`` points discord.py at it. Ready = the bot's "Ready as" log line (on_ready)."""
    from fakes.processes import REDIRECT

    from .botkit import TOKEN
    from .common import API_KEY

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SERIES_", "DATABASE_", "FEED_"))}
    env |= {
        "PYTHONPATH": os.pathsep.join([str(REDIRECT), str(root)]),
        "PYTHONUNBUFFERED": "1",
        "TICKET_BRIDGE_FAKE_DISCORD": discord_url,
        "DISCORD_TOKEN": TOKEN,
        "SERIES_API_KEY": API_KEY,
        "SERIES_API_URL": series_url,
        "DATABASE_PATH": str(db),
        "DISCORD_GUILD_ID": str(guild_id),
        "LOG_LEVEL": "INFO",
    }
    spawned = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    out: dict[str, Any] = {}
    log: list[str] = []
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            buffer = b""
            deadline = spawned + 60
            while "ready_s" not in out:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("python -m bot did not get ready:\n" + "".join(log)[-3000:])
                if not sel.select(timeout=0.5):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    text = line.decode(errors="replace")
                    log.append(text + "\n")
                    if "Synced" in text or "unchanged" in text:
                        out.setdefault("commands_synced_s", time.monotonic() - spawned)
                    if "Ready as" in text:
                        out["ready_s"] = time.monotonic() - spawned
        time.sleep(2)
        status = Path(f"/proc/{proc.pid}/status").read_text(encoding="ascii")
        out["rss_idle_mb"] = next(int(x.split()[1]) / 1024 for x in status.splitlines() if x.startswith("VmRSS:"))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return out


async def real_process(*, starts: int = 3) -> dict[str, Any]:
    """Start-to-ready and idle RSS of the real ``python -m bot`` process (median of ``starts``)."""
    from fakes.series import FakeSeries

    from .botkit import new_discord, seed_discord
    from .common import API_KEY, RATE, ServerThread, median

    series_srv = ServerThread("fake-series")
    discord_srv = ServerThread("wire-discord")
    fake = FakeSeries(api_key=API_KEY, rate_limit=RATE)
    wire = new_discord()
    world = discord_srv.call_sync(seed_discord, wire)
    tmp = tempfile.TemporaryDirectory(prefix="bench-real-start-")
    runs = []
    try:
        series_url = series_srv.run_sync(fake.start())
        discord_url = discord_srv.run_sync(wire.start())
        loop = asyncio.get_running_loop()
        for n in range(starts):
            db = Path(tmp.name) / f"real{n}" / "bot.db"
            runs.append(await loop.run_in_executor(None, _real_start_once, discord_url, series_url, world.guild_id, db))
    finally:
        series_srv.run_sync(fake.close())
        discord_srv.run_sync(wire.close())
        series_srv.stop()
        discord_srv.stop()
        tmp.cleanup()
    return {
        "starts": starts,
        "ready_s": median([r["ready_s"] for r in runs]),
        "ready_all_s": [r["ready_s"] for r in runs],
        "commands_synced_s": median([r["commands_synced_s"] for r in runs if "commands_synced_s" in r]),
        "rss_idle_mb": median([r["rss_idle_mb"] for r in runs]),
    }


def _db_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def run(*, starts: int = 3, tracked: int = TRACKED) -> dict[str, Any]:
    from fakes.series import FakeSeries

    from .botkit import card_posts, new_discord, seed_discord
    from .common import API_KEY, ServerThread, median
    from .feed import _create

    series_srv = ServerThread("fake-series")
    discord_srv = ServerThread("fake-discord")
    empty = FakeSeries(api_key=API_KEY, rate_limit=None)
    full = FakeSeries(api_key=API_KEY, rate_limit=None)
    discord_fake = new_discord()
    world = discord_srv.call_sync(seed_discord, discord_fake)
    tmp = tempfile.TemporaryDirectory(prefix="bench-footprint-")
    guild = Path(tmp.name) / "guild_create.json"
    guild.write_text(
        json.dumps(discord_srv.call_sync(discord_fake.guild_create_payload, world.guild_id)), encoding="utf-8"
    )
    try:
        series_srv.call_sync(_create, full, tracked)
        empty_url = series_srv.run_sync(empty.start())
        full_url = series_srv.run_sync(full.start())
        discord_url = discord_srv.run_sync(discord_fake.start())
        loop = asyncio.get_running_loop()
        idle = []
        for n in range(starts):
            idle.append(
                await loop.run_in_executor(
                    None,
                    lambda n=n: _spawn(
                        empty_url, discord_url, guild, world.channel_id, Path(tmp.name) / f"idle{n}.db", track=0
                    ),
                )
            )
        db_path = Path(tmp.name) / "tracking.db"
        tracking = await loop.run_in_executor(
            None, lambda: _spawn(full_url, discord_url, guild, world.channel_id, db_path, track=tracked)
        )
        db_bytes = _db_size(db_path)
        empty_db_bytes = _db_size(Path(tmp.name) / "idle0.db")
        cards_posted = len(await discord_srv.call(card_posts, discord_fake, world.channel_id))
    finally:
        series_srv.run_sync(empty.close())
        series_srv.run_sync(full.close())
        discord_srv.run_sync(discord_fake.close())
        series_srv.stop()
        discord_srv.stop()
        tmp.cleanup()
    result = {
        "starts": starts,
        "start_to_ready_s": median([r["start_to_ready_s"] for r in idle]),
        "start_to_ready_all_s": [r["start_to_ready_s"] for r in idle],
        "start_to_imports_done_s": median([r["start_to_imports_done_s"] for r in idle]),
        "rss_idle_mb": median([r["rss_ready_mb"] for r in idle]),
        "tracked": tracked,
        "rss_tracking_mb": tracking["rss_tracking_mb"],
        "rss_ratio_tracking_vs_idle": tracking["rss_tracking_mb"] / median([r["rss_ready_mb"] for r in idle]),
        "tracking_took_s": tracking["tracking_took_s"],
        "ticket_cache": tracking["ticket_cache"],
        "cards": tracking["cards"],
        "feed_tickets": tracking["feed_tickets"],
        "stored_views": tracking["stored_views"],
        "cached_messages": tracking["cached_messages"],
        "cards_posted_to_discord": cards_posted,
        "db_bytes_empty": empty_db_bytes,
        "db_bytes_tracking": db_bytes,
        "db_bytes_per_10k": (db_bytes - empty_db_bytes) * 10_000 / tracked,
    }
    real = await real_process(starts=starts)
    result["real_process"] = real
    print(
        f"  python -m bot (wire-level fake Discord with gateway): ready after {real['ready_s']:.2f} s, "
        f"RSS idle {real['rss_idle_mb']:.1f} MiB",
        flush=True,
    )
    print(
        f"  footprint: start to ready {result['start_to_ready_s']:.2f} s, RSS idle {result['rss_idle_mb']:.1f} MiB, "
        f"tracking {tracked:,} {result['rss_tracking_mb']:.1f} MiB, DB {db_bytes / 1024 / 1024:.2f} MiB",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.footprint")
    sub = parser.add_subparsers(dest="mode")
    child = sub.add_parser("child")
    child.add_argument("--series", required=True)
    child.add_argument("--discord", required=True)
    child.add_argument("--guild", required=True, help="a JSON file with the guild's GUILD_CREATE payload")
    child.add_argument("--channel", required=True, type=int, help="the #tickets channel id (the feed route)")
    child.add_argument("--db", required=True)
    child.add_argument("--track", type=int, default=0)
    parser.add_argument("--tracked", type=int, default=TRACKED)
    args = parser.parse_args(argv)
    if args.mode == "child":
        import logging

        logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
        args.guild_create = json.loads(Path(args.guild).read_text(encoding="utf-8"))
        print(json.dumps(asyncio.run(_child(args))), flush=True)
        return
    from .common import write_result

    write_result("footprint", asyncio.run(run(tracked=args.tracked)))


if __name__ == "__main__":
    main()
