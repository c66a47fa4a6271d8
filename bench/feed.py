"""Benchmark 3: the feed, how soon a new ticket's card appears, and what one poll costs as tickets grow.

Latency method (real time, real sockets on 127.0.0.1):

- The real ``TicketBot`` with every extension (``bench.botkit``), ``FEED_POLL_SECONDS=5`` (the smallest the
  config allows, to keep the run short), a fake Series enforcing 25 per sliding second with 50 active tickets
  already there, a default feed route to #tickets, and READY stood in by ``mark_ready``. The Feed cog's own
  ``tasks.loop`` polls on its own schedule; nothing calls ``poll_once`` by hand.
- After the first poll has posted the existing cards, tickets are created on the fake at random moments
  (uniform over each poll interval, so they land at every phase of the loop). Latency = arrival of the card
  (``POST /channels/{id}/messages`` with the ticket's embed) at the fake Discord (``fakes.discord``, on its own
  thread and loop) - creation on the fake Series, both ``time.perf_counter()``. Goal: at most the poll interval
  + 1 s.

Poll-cost method (pure counts, the fake without a rate limit):

- For N = 10, 100, 1,000, 10,000 active tickets (70% open, 30% in-progress) a fresh fake and a fresh SQLite
  ``FeedRepo``; the real ``Poller`` runs one full poll with details to learn them (each changed ticket is
  marked seen, as ``Feed.sync_ticket`` does), then 1% of the tickets (at least one) get a player message, and a
  second poll is counted: list calls, detail calls and the time it took against the unlimited fake. The time it
  would take at 25 requests/second is derived from the count (requests / (25 / (1 s + margin)), our limiter's rate).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.api import SeriesClient
from bot.cache import TicketCache
from bot.config import Secret
from bot.database import Database
from bot.poller import Poller
from bot.ratelimit import RateLimiter
from bot.repositories import FeedRepo
from fakes.series import FakeSeries

from .botkit import add_guild, card_posts, mark_ready, new_discord, seed_discord, start_bot
from .common import API_KEY, RATE, SLOT_SECONDS, ServerThread, median, percentile, write_result

POLL_SECONDS = 5.0
EFFECTIVE_RATE = RATE / SLOT_SECONDS  # our limiter: 25 per (1 s + its margin)
SIZES = (10, 100, 1_000, 10_000)


def _create(fake: FakeSeries, n: int, *, in_progress_share: float = 0.3, start: int = 0) -> list[str]:
    ids = []
    for i in range(n):
        tid = fake.create_ticket(subject=f"Ticket {start + i}", author_id=400_000 + start + i)["TicketId"]
        if i < n * in_progress_share:
            fake.claim(tid, 987654321)
        ids.append(tid)
    return ids


def _create_one(fake: FakeSeries, n: int) -> tuple[str, float]:
    tid = fake.create_ticket(subject=f"Fresh ticket {n}", author_id=500_000 + n)["TicketId"]
    return tid, time.perf_counter()


async def latency(*, tickets: int = 8, existing: int = 50, seed: int = 5) -> dict[str, Any]:
    series_srv = ServerThread("fake-series")
    discord_srv = ServerThread("fake-discord")
    fake = FakeSeries(api_key=API_KEY, rate_limit=RATE)
    discord_fake = new_discord()
    world = discord_srv.call_sync(seed_discord, discord_fake)
    tmp = tempfile.TemporaryDirectory(prefix="bench-feed-")
    series_srv.call_sync(_create, fake, existing)
    series_url = series_srv.run_sync(fake.start())
    discord_url = discord_srv.run_sync(discord_fake.start())
    rig = await start_bot(
        series_url=series_url, discord_url=discord_url, db_path=Path(tmp.name) / "bot.db", poll_seconds=POLL_SECONDS
    )
    rng = random.Random(seed)
    created: dict[str, float] = {}

    async def cards() -> list[tuple[float, str]]:
        return await discord_srv.call(card_posts, discord_fake, world.channel_id)

    try:
        add_guild(rig.bot, await discord_srv.call(discord_fake.guild_create_payload, world.guild_id))
        feed_cog = rig.bot.get_cog("Feed")
        assert feed_cog is not None
        await feed_cog.repo.set_route(  # type: ignore[attr-defined]
            guild_id=world.guild_id, department="", channel_id=world.channel_id, ping_role_id=None
        )
        mark_ready(rig.bot)
        # Checked every 0.1 s: the new tickets' schedule starts from here, so this sets their phase against the
        # poll loop (the same cadence as ever, so runs stay comparable).
        deadline = time.monotonic() + 60
        while len(await cards()) < existing and time.monotonic() < deadline:  # noqa: ASYNC110 (the cadence matters)
            await asyncio.sleep(0.1)
        initial_cards = len(await cards())
        for n in range(tickets):
            await asyncio.sleep(rng.uniform(0.2, POLL_SECONDS))
            tid, at = await series_srv.call(_create_one, fake, n)
            created[tid] = at
        deadline = time.monotonic() + POLL_SECONDS * 3
        while time.monotonic() < deadline:
            posted = {ticket_id for _, ticket_id in await cards()}
            if all(tid in posted for tid in created):
                break
            await asyncio.sleep(0.05)
        rate_limited = await series_srv.call(lambda: fake.rate_limited)
        posts = await cards()
    finally:
        await rig.close()
        series_srv.run_sync(fake.close())
        discord_srv.run_sync(discord_fake.close())
        series_srv.stop()
        discord_srv.stop()
        tmp.cleanup()
    arrival: dict[str, float] = {}
    for at, ticket_id in posts:
        arrival.setdefault(ticket_id, at)
    seconds = [arrival[tid] - at for tid, at in created.items() if tid in arrival]
    result = {
        "poll_seconds": POLL_SECONDS,
        "tickets": tickets,
        "existing_active": existing,
        "initial_cards_posted": initial_cards,
        "cards_missing": len(created) - len(seconds),
        "latency_s": seconds,
        "p50_s": percentile(seconds, 50),
        "max_s": max(seconds) if seconds else math.nan,
        "mean_s": sum(seconds) / len(seconds) if seconds else math.nan,
        "goal_s": POLL_SECONDS + 1,
        "series_429s": rate_limited,
    }
    print(
        f"  feed latency ({POLL_SECONDS:g} s interval, {len(seconds)} tickets): median {result['p50_s']:.2f} s, "
        f"max {result['max_s']:.2f} s (goal <= {POLL_SECONDS + 1:g} s)",
        flush=True,
    )
    return result


async def poll_cost_one(n: int, server: ServerThread, session: aiohttp.ClientSession) -> dict[str, Any]:
    fake = FakeSeries(api_key=API_KEY, rate_limit=None)
    ids = await server.call(_create, fake, n)
    url = await asyncio.wrap_future(server.submit(fake.start()))
    api = SeriesClient(session, base_url=url, api_key=Secret(API_KEY), limiter=RateLimiter(10**9))
    tmp = tempfile.TemporaryDirectory(prefix="bench-pollcost-")
    db = await Database.open(Path(tmp.name) / "bot.db")
    try:
        feed = FeedRepo(db)
        poller = Poller(api=api, feed=feed, cache=TicketCache())

        async def poll() -> tuple[Any, float]:
            started = time.perf_counter()
            result = await poller.poll(details=True)
            for t in result.changed:
                await feed.mark_seen(ticket_id=t.id, updated_at=t.updated_at, status=t.status, department=t.department)
            return result, time.perf_counter() - started

        first, first_s = await poll()
        changed = max(1, round(n * 0.01))
        rng = random.Random(n)

        def change() -> None:
            for tid in rng.sample(ids, changed):
                fake.author_message(tid, "Any update on this?")

        await server.call(change)
        second, second_s = await poll()
    finally:
        await db.close()
        tmp.cleanup()
        await asyncio.wrap_future(server.submit(fake.close()))
    requests = second.list_calls + second.detail_calls
    open_n = n - math.ceil(n * 0.3)
    expected_lists = max(1, math.ceil(open_n / 10)) + max(1, math.ceil((n - open_n) / 10))
    return {
        "active": n,
        "changed": changed,
        "first_poll_list_calls": first.list_calls,
        "first_poll_detail_calls": first.detail_calls,
        "first_poll_s": first_s,
        "list_calls": second.list_calls,
        "detail_calls": second.detail_calls,
        "requests": requests,
        "expected_list_calls": expected_lists,
        "changed_found": len(second.changed),
        "poll_s_unlimited": second_s,
        "poll_s_at_25_per_s": requests / EFFECTIVE_RATE,
    }


async def poll_cost(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    server = ServerThread("fake-series")
    rows = []
    try:
        async with aiohttp.ClientSession() as session:
            for n in sizes:
                row = await poll_cost_one(n, server, session)
                rows.append(row)
                print(
                    f"  poll cost at {n:>6} active, {row['changed']} changed: {row['list_calls']} list + "
                    f"{row['detail_calls']} detail = {row['requests']} requests "
                    f"(~{row['poll_s_at_25_per_s']:.1f} s at 25/s)",
                    flush=True,
                )
    finally:
        server.stop()
    growth = []
    for a, b in zip(rows, rows[1:], strict=False):
        growth.append(
            {
                "from": a["active"],
                "to": b["active"],
                "requests_ratio": b["requests"] / a["requests"],
                "tickets_ratio": b["active"] / a["active"],
            }
        )
    return {"rows": rows, "growth": growth}


async def run(*, quick: bool = False) -> dict[str, Any]:
    lat = await latency(tickets=4 if quick else 8)
    cost = await poll_cost(SIZES[:3] if quick else SIZES)
    return {"latency": lat, "poll_cost": cost, "median_latency_s": median(lat["latency_s"])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feed")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    write_result("feed", asyncio.run(run(quick=args.quick)))


if __name__ == "__main__":
    main()
