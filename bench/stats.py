"""``python -m bench.stats``: how long ``/stats`` takes over 100,000 recorded events.

Method: a fresh database gets ``--events`` events (default 100,000) as the feed would record them, spread over
90 days: tickets opened at an even pace across 8 departments, each claimed by one of 40 staff, answered 1 to 4
times (the first answer minutes to hours after opening), most resolved and some closed, with player messages in
between. Then, for windows of 1, 7, 30 and 90 days, the work ``/stats`` does after it has deferred is timed
``--repeats`` times: reading the window and the tickets it involves (``bot.stats.gather``), laying out the embed
(``cogs.stats.stats_embed``) and drawing the chart (``cogs.stats.chart_file``). Names come from a dictionary
(they are cached lookups in the bot). Times are wall-clock on this machine; the goal is Discord's 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.database import Database
from bot.events import Event, iso
from bot.repositories import EventRepo, TicketState
from bot.stats import gather
from cogs.stats import chart_file, stats_embed

from .common import machine, median, percentile, write_result

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WINDOWS = (1, 7, 30, 90)
GOAL_S = 3.0


def history(target: int, *, seed: int = 7) -> list[list[Event]]:
    """Tickets' events, about ``target`` in all, over the 90 days before NOW."""
    rng = random.Random(seed)
    staff = [100_000 + i for i in range(40)]
    departments = [f"dept-{i}" for i in range(8)]
    tickets: list[list[Event]] = []
    count, n = 0, 0
    while count < target:
        n += 1
        tid = f"TICKET-{1_700_000_000_000 + n}-B{n % 10_000:04d}"
        opened = NOW - timedelta(seconds=rng.uniform(0, 90 * 86400))
        dept = rng.choice(departments)
        claimer = rng.choice(staff)
        events = [Event(tid, "opened", "opened", iso(opened), None, dept)]
        moment = opened + timedelta(minutes=rng.expovariate(1 / 20))
        events.append(Event(tid, f"claimed:{iso(moment)}", "claimed", iso(moment), claimer, dept))
        for i in range(rng.randint(1, 4)):
            moment += timedelta(minutes=rng.expovariate(1 / 90))
            events.append(Event(tid, f"msj_{n}_s{i}", "replied", iso(moment), claimer, dept))
            moment += timedelta(minutes=rng.expovariate(1 / 60))
            events.append(Event(tid, f"msj_{n}_p{i}", "player", iso(moment), None, dept))
        if rng.random() < 0.8:
            moment += timedelta(hours=rng.expovariate(1 / 6))
            events.append(Event(tid, f"resolved:{iso(moment)}", "resolved", iso(moment), claimer, dept))
            if rng.random() < 0.5:
                moment += timedelta(hours=rng.expovariate(1 / 24))
                events.append(Event(tid, f"closed:{iso(moment)}", "closed", iso(moment), claimer, dept))
        events = [e for e in events if e.at <= iso(NOW)]
        tickets.append(events)
        count += len(events)
    return tickets


async def run(*, events: int = 100_000, repeats: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bot.db"
        db = await Database.open(path)
        try:
            repo = EventRepo(db)
            built = time.perf_counter()
            stored = 0
            for ticket_events in history(events):
                await repo.record(ticket_events, TicketState(ticket_events[0].ticket_id, "open", None, "", ""))
                stored += len(ticket_events)
            build_s = time.perf_counter() - built
            people = {100_000 + i: f"Staff member {i}" for i in range(40)}
            rows = []
            for days in WINDOWS:
                gather_times, total_times = [], []
                figures = None
                for _ in range(repeats):
                    start = time.perf_counter()
                    figures = await gather(repo, since=NOW - timedelta(days=days), until=NOW)
                    gathered = time.perf_counter()
                    stats_embed(figures, title="bench", people=people, departments={}, chart=days > 1)
                    if days > 1:
                        chart_file(figures)
                    done = time.perf_counter()
                    gather_times.append(gathered - start)
                    total_times.append(done - start)
                assert figures is not None
                in_window = await db.fetchone(
                    "SELECT COUNT(*) FROM ticket_events WHERE at >= ?", (iso(NOW - timedelta(days=days)),)
                )
                rows.append(
                    {
                        "days": days,
                        "events_in_window": int(in_window[0]) if in_window else 0,
                        "opened": figures.opened,
                        "gather_ms_median": median(gather_times) * 1000,
                        "total_ms_median": median(total_times) * 1000,
                        "total_ms_max": max(total_times) * 1000,
                        "total_ms_p90": percentile(total_times, 90) * 1000,
                    }
                )
                row = rows[-1]
                print(
                    f"  {days:>2} days: {row['events_in_window']:,} events, median {row['total_ms_median']:.0f} ms "
                    f"(read {row['gather_ms_median']:.0f} ms), max {row['total_ms_max']:.0f} ms",
                    flush=True,
                )
        finally:
            await db.close()
        size = path.stat().st_size
    worst = max(r["total_ms_max"] for r in rows) / 1000
    return {
        "machine": machine(),
        "events": stored,
        "repeats": repeats,
        "build_s": build_s,
        "db_bytes": size,
        "rows": rows,
        "worst_s": worst,
        "goal_s": GOAL_S,
        "met": worst < GOAL_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    result = asyncio.run(run(events=args.events, repeats=args.repeats))
    print(f"wrote {write_result('stats', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
