"""Benchmark 2: acknowledgement under load, the time from an interaction reaching the bot to its first response.

Method (real time, real sockets on 127.0.0.1, no SimCord: SimCord virtualises ``time.monotonic`` and parks the
limiter's timers, so its queue would never drain and its clock would not measure this):

- The real ``TicketBot`` is built as ``__main__`` builds it (``bench.botkit``): real ``SeriesClient`` and
  ``RateLimiter`` (25/s, default margin) against a fake Series enforcing 25 per sliding second, real SQLite,
  real ``bot.login`` + ``setup_hook`` against the fake Discord (``fakes.discord``, the end-to-end tests' fake) on
  its own thread and loop, which stamps the arrival of every request with ``time.perf_counter()``.
- A staff member is linked; 200 tickets are claimed by them on the fake.
- Each interaction is a ``/reply`` to a different ticket, built by the fake Discord from the synced command
  (``prepare_slash``, all of them before a phase starts) and delivered as the gateway would deliver it:
  ``ConnectionState.parse_interaction_create(payload)``, from which discord.py's own command tree resolves the
  command, transforms the options, runs the checks and calls the cog. t0 = ``perf_counter()`` just before that
  call; t1 = arrival of the ``/interactions/{id}/{token}/callback`` request at the fake Discord (the handle's
  ``first_response_at``). The latency covers discord.py's dispatch, the bot's code up to ``defer``, discord.py's
  HTTP client and the local socket; not a gateway (there is none: the bench measures the bot).
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
import copy
import tempfile
import time
from pathlib import Path
from typing import Any

from fakes.discord import FakeDiscord, InteractionHandle
from fakes.series import FakeSeries

from .botkit import World, add_guild, new_discord, seed_discord, start_bot
from .common import API_KEY, RATE, ServerThread, percentile, write_result

STAFF_ROBLOX_ID = 987654321
QUEUED = 500


def _setup(fake: FakeSeries, tickets: int) -> list[str]:
    ids = []
    for i in range(tickets):
        tid = fake.create_ticket(subject=f"Ack ticket {i}", author_id=300_000 + i)["TicketId"]
        fake.claim(tid, STAFF_ROBLOX_ID)
        ids.append(tid)
    return ids


def _replies(fake: FakeDiscord, world: World, tickets: list[str]) -> list[tuple[InteractionHandle, dict[str, Any]]]:
    """A ``/reply`` interaction per ticket, registered on the fake, with a copy of its payload for the bot (the
    gateway would hand it a decoded copy, not the fake's own dict). Runs on the fake's loop."""
    handles = [
        fake.prepare_slash(
            world.guild_id, world.channel_id, world.staff_id, "reply", {"ticket_id": tid, "message": f"Answer to {tid}"}
        )
        for tid in tickets
    ]
    return [(h, copy.deepcopy(h.payload)) for h in handles]


async def _phase(
    bot: Any,
    discord_srv: ServerThread,
    discord_fake: FakeDiscord,
    interactions: list[tuple[InteractionHandle, dict[str, Any]]],
    *,
    spacing: float,
    limiter: Any,
) -> tuple[list[float], list[int]]:
    sent: list[tuple[InteractionHandle, float]] = []
    depths: list[int] = []
    for handle, payload in interactions:
        depths.append(limiter.waiting)
        t0 = time.perf_counter()
        bot._connection.parse_interaction_create(payload)
        sent.append((handle, t0))
        await asyncio.sleep(spacing)

    def answered() -> list[float | None]:
        return [h.first_response_at for h, _ in sent]

    with contextlib.suppress(TimeoutError):
        await discord_srv.run(discord_fake.wait_until(lambda: all(at is not None for at in answered()), timeout=10))
    arrivals = await discord_srv.call(answered)
    latencies = [(at - t0) * 1000 for (_, t0), at in zip(sent, arrivals, strict=True) if at is not None]
    return latencies, depths


async def run(*, interactions: int = 200, idle: int = 50) -> dict[str, Any]:
    series_srv = ServerThread("fake-series")
    discord_srv = ServerThread("fake-discord")
    fake = FakeSeries(api_key=API_KEY, rate_limit=RATE)
    discord_fake = new_discord()
    world = discord_srv.call_sync(seed_discord, discord_fake)
    tmp = tempfile.TemporaryDirectory(prefix="bench-ack-")
    tickets = series_srv.call_sync(_setup, fake, interactions + idle)
    series_url = series_srv.run_sync(fake.start())
    discord_url = discord_srv.run_sync(discord_fake.start())
    rig = await start_bot(series_url=series_url, discord_url=discord_url, db_path=Path(tmp.name) / "bot.db")
    load: list[asyncio.Task[Any]] = []
    before = set(asyncio.all_tasks())
    try:
        add_guild(rig.bot, await discord_srv.call(discord_fake.guild_create_payload, world.guild_id))
        await rig.bot.services.links.link(
            guild_id=world.guild_id, member_id=world.staff_id, roblox_user_id=STAFF_ROBLOX_ID, linked_by=world.staff_id
        )
        idle_itx = await discord_srv.call(_replies, discord_fake, world, tickets[:idle])
        load_itx = await discord_srv.call(_replies, discord_fake, world, tickets[idle:])
        idle_ms, _ = await _phase(rig.bot, discord_srv, discord_fake, idle_itx, spacing=0.05, limiter=rig.limiter)
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
        load_ms, depths = await _phase(rig.bot, discord_srv, discord_fake, load_itx, spacing=0.05, limiter=rig.limiter)
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
