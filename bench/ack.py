"""Benchmark 2: acknowledgement under load, the time from an interaction reaching the bot to its first response.

Method (real time, real sockets on 127.0.0.1, no SimCord: SimCord virtualises ``time.monotonic`` and parks the
limiter's timers, so its queue would never drain and its clock would not measure this):

- The real ``TicketBot`` is built as ``__main__`` builds it (``bench.botkit``): real ``SeriesClient`` and
  ``RateLimiter`` (25/s, default margin) against a fake Series enforcing 25 per sliding second, real SQLite,
  real ``bot.login`` + ``setup_hook`` against the fake Discord REST server (``bench.fake_discord``), which
  records the arrival of every interaction callback with ``time.perf_counter()`` on its own thread.
- A staff member is linked; 200 tickets are claimed by them on the fake.
- Each interaction is a ``/reply`` to a different ticket, delivered as the gateway would deliver it:
  ``ConnectionState.parse_interaction_create(payload)``, from which discord.py's own command tree resolves the
  command, transforms the options, runs the checks and calls the cog. t0 = ``perf_counter()`` just before that
  call; t1 = arrival of the ``/interactions/{id}/{token}/callback`` request at the fake Discord. The latency
  covers discord.py's dispatch, the bot's code up to ``defer``, discord.py's HTTP client and the local socket.
- Idle phase: 50 interactions with an empty limiter queue. Load phase: 500 ``api.get_ticket`` calls are queued
  on the limiter first (INTERACTIVE, the same priority as the replies) and topped up so that at least 500 stay
  queued, while they drain at 25/s through real HTTP; then 200 interactions arrive, one every 50 ms. Each
  ``/reply`` then queues its own Series call behind them (that part is not measured: it is after the response).
- Reported: p50, p99 and max of t1 - t0 per phase, the load/idle ratio, and the queue depth seen at dispatch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from fakes.series import FakeSeries

from .botkit import GUILD_ID, STAFF_MEMBER_ID, add_guild, interaction_payload, start_bot
from .common import API_KEY, RATE, ServerThread, percentile, write_result
from .fake_discord import FakeDiscord

STAFF_ROBLOX_ID = 987654321
QUEUED = 500


def _setup(fake: FakeSeries, tickets: int) -> list[str]:
    ids = []
    for i in range(tickets):
        tid = fake.create_ticket(subject=f"Ack ticket {i}", author_id=300_000 + i)["TicketId"]
        fake.claim(tid, STAFF_ROBLOX_ID)
        ids.append(tid)
    return ids


async def _phase(
    bot: Any, discord_fake: FakeDiscord, tickets: list[str], *, spacing: float, limiter: Any
) -> tuple[list[float], list[int]]:
    sent: list[tuple[int, float]] = []
    depths: list[int] = []
    for tid in tickets:
        payload = interaction_payload("reply", {"ticket_id": tid, "message": f"Answer to {tid}"})
        depths.append(limiter.waiting)
        t0 = time.perf_counter()
        bot._connection.parse_interaction_create(payload)
        sent.append((int(payload["id"]), t0))
        await asyncio.sleep(spacing)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(i not in discord_fake.callbacks for i, _ in sent):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    latencies = [(discord_fake.callbacks[i] - t0) * 1000 for i, t0 in sent if i in discord_fake.callbacks]
    return latencies, depths


async def run(*, interactions: int = 200, idle: int = 50) -> dict[str, Any]:
    series_srv = ServerThread("fake-series")
    discord_srv = ServerThread("fake-discord")
    fake = FakeSeries(api_key=API_KEY, rate_limit=RATE)
    discord_fake = FakeDiscord()
    tmp = tempfile.TemporaryDirectory(prefix="bench-ack-")
    tickets = series_srv.call_sync(_setup, fake, interactions + idle)
    series_url = series_srv.run_sync(fake.start())
    discord_url = discord_srv.run_sync(discord_fake.start())
    rig = await start_bot(series_url=series_url, discord_url=discord_url, db_path=Path(tmp.name) / "bot.db")
    load: list[asyncio.Task[Any]] = []
    try:
        add_guild(rig.bot)
        await rig.bot.services.links.link(
            guild_id=GUILD_ID, member_id=STAFF_MEMBER_ID, roblox_user_id=STAFF_ROBLOX_ID, linked_by=STAFF_MEMBER_ID
        )
        before = set(asyncio.all_tasks())
        idle_ms, _ = await _phase(rig.bot, discord_fake, tickets[:idle], spacing=0.05, limiter=rig.limiter)
        await asyncio.sleep(3)  # let the idle phase's replies go out

        async def keep_queued() -> None:
            while True:
                missing = QUEUED - rig.limiter.waiting
                for _ in range(max(missing, 0)):
                    load.append(asyncio.create_task(rig.api.get_ticket(tickets[0])))
                await asyncio.sleep(0.1)

        topper = asyncio.create_task(keep_queued())
        load.append(topper)
        await asyncio.sleep(0.5)
        queue_at_start = rig.limiter.waiting
        load_ms, depths = await _phase(rig.bot, discord_fake, tickets[idle:], spacing=0.05, limiter=rig.limiter)
        series_requests_during = await series_srv.call(lambda: len(fake.requests))
        rate_limited = await series_srv.call(lambda: fake.rate_limited)
    finally:
        pending = [t for t in asyncio.all_tasks() if t not in before and t is not asyncio.current_task()]
        for task in pending + load:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*pending, *load, return_exceptions=True)
        await rig.close()
        series_srv.run_sync(fake.close())
        discord_srv.run_sync(discord_fake.close())
        series_srv.stop()
        discord_srv.stop()
        tmp.cleanup()

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "n": len(values),
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "max_ms": max(values) if values else float("nan"),
        }

    result = {
        "idle": stats(idle_ms),
        "load": stats(load_ms),
        "missing_responses": (interactions + idle) - len(idle_ms) - len(load_ms),
        "queue_depth_at_start": queue_at_start,
        "queue_depth_min": min(depths) if depths else 0,
        "queue_depth_median": percentile(depths, 50),
        "series_requests_total": series_requests_during,
        "series_429s": rate_limited,
        "p99_ratio_load_vs_idle": percentile(load_ms, 99) / percentile(idle_ms, 99),
        "p50_ratio_load_vs_idle": percentile(load_ms, 50) / percentile(idle_ms, 50),
        "latencies_load_ms": load_ms,
        "latencies_idle_ms": idle_ms,
    }
    print(
        f"  ack idle: p50 {result['idle']['p50_ms']:.1f} ms, p99 {result['idle']['p99_ms']:.1f} ms; "
        f"under load ({result['queue_depth_min']}+ queued): p50 {result['load']['p50_ms']:.1f} ms, "
        f"p99 {result['load']['p99_ms']:.1f} ms, max {result['load']['max_ms']:.1f} ms",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ack")
    parser.add_argument("--interactions", type=int, default=200)
    args = parser.parse_args(argv)
    write_result("ack", asyncio.run(run(interactions=args.interactions)))


if __name__ == "__main__":
    main()
