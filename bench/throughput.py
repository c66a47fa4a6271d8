"""Benchmark 1: API throughput against Series' limit of 25 requests per sliding second.

Method (real time, real sockets on 127.0.0.1):

- A fresh ``fakes.series.FakeSeries`` per run, enforcing 25 requests per *sliding* second per key on its
  own ``time.monotonic()`` clock, in its own thread and event loop. It answers 429 with ``Retry-After``.
- One ticket per staff member is created and claimed directly on the fake (``fake.claim``, not through the API),
  then 50 concurrent staff tasks each send their share of the replies through the real ``SeriesClient.reply``
  (real aiohttp), one after another, so ~50 replies are always queued.
- Limiters: ours (``bot.ratelimit.RateLimiter`` at its default margin) and two baselines with the same
  nominal rate (``bench.limiters``): a calendar-aligned fixed window and ``aiolimiter.AsyncLimiter(25, 1)``
  (a leaky bucket). All three run in the same ``SeriesClient`` (which retries a 429 up to 3 times and pauses
  the limiter for ``Retry-After``; the baselines honour that pause like ours does).
- 429s are counted **at the fake** (``fake.rate_limited``), not at the client. Queue wait is the time from
  calling ``acquire`` to its return, recorded by a wrapper around the limiter.
- "Achieved" throughput = accepted replies / (last reply answered - first acquire called). "Sustained" =
  25 / the mean time, at the server, between an accepted request and the 25th accepted after it (how long a
  slot stays taken): the steady-state rate, without the one free burst of 25 a fresh limiter may send at t=0.
- The poller variant also runs ``bot.poller.Poller`` (real ``FeedRepo`` on a SQLite file, real ``TicketCache``)
  every 2 s against the same fake, with 300 extra open tickets (35 list calls per poll), at BACKGROUND priority.
  Its memory of the tickets is seeded from the fake before the run (as if a poll had already learned them).

Every configuration runs ``runs`` times, interleaved (ours, ours+poller, fixed, leaky, then again), and the
median of each figure is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.api import SeriesClient, SeriesError, SeriesRateLimited
from bot.cache import TicketCache
from bot.config import Secret
from bot.database import Database
from bot.poller import Poller
from bot.ratelimit import BACKGROUND, INTERACTIVE, RateLimiter
from bot.repositories import FeedRepo
from fakes.series import FakeSeries

from .common import API_KEY, RATE, ServerThread, max_in_window, median, per_second, percentile, write_result
from .limiters import FixedWindowLimiter, LeakyBucketLimiter, Limiter, TimedLimiter

STAFF = 50
STAFF_BASE_ID = 700_000_000
POLLER_EXTRA_TICKETS = 300
POLL_EVERY = 2.0

KINDS = ("ours", "ours+poller", "fixed-window", "leaky-bucket")


def make_limiter(kind: str) -> Limiter:
    if kind.startswith("ours"):
        return RateLimiter(RATE)  # the default margin, as __main__ builds it
    if kind == "fixed-window":
        return FixedWindowLimiter(RATE)
    if kind == "leaky-bucket":
        return LeakyBucketLimiter(RATE)
    raise ValueError(kind)


def _setup_fake(fake: FakeSeries, *, staff: int, extra_open: int) -> list[tuple[int, str]]:
    pairs = []
    for i in range(staff):
        staff_id = STAFF_BASE_ID + i
        tid = fake.create_ticket(subject=f"Bench ticket {i}", author_id=100_000 + i)["TicketId"]
        fake.claim(tid, staff_id)
        pairs.append((staff_id, tid))
    for i in range(extra_open):
        fake.create_ticket(subject=f"Open ticket {i}", author_id=200_000 + i)
    return pairs


async def _seed_seen(feed: FeedRepo, tickets: list[dict[str, Any]]) -> None:
    for t in tickets:
        await feed.mark_seen(
            ticket_id=t["TicketId"], updated_at=t["UpdatedAt"], status=t["Status"], department=t["Department"]
        )


async def _poll_forever(poller: Poller, feed: FeedRepo, done: list[tuple[float, float, int, int]]) -> None:
    while True:
        started = time.monotonic()
        result = await poller.poll(details=True)
        for ticket in result.changed:
            await feed.mark_seen(
                ticket_id=ticket.id, updated_at=ticket.updated_at, status=ticket.status, department=ticket.department
            )
        done.append((started, time.monotonic(), result.list_calls, result.detail_calls))
        await asyncio.sleep(max(0.0, POLL_EVERY - (time.monotonic() - started)))


async def one_run(kind: str, replies: int, server: ServerThread, session: aiohttp.ClientSession) -> dict[str, Any]:
    with_poller = kind == "ours+poller"
    fake = FakeSeries(api_key=API_KEY, rate_limit=RATE)
    pairs = await server.call(_setup_fake, fake, staff=STAFF, extra_open=POLLER_EXTRA_TICKETS if with_poller else 0)
    url = await asyncio.wrap_future(server.submit(fake.start()))
    limiter = TimedLimiter(make_limiter(kind))
    api = SeriesClient(session, base_url=url, api_key=Secret(API_KEY), limiter=limiter)  # type: ignore[arg-type]

    per_staff = [replies // STAFF + (1 if i < replies % STAFF else 0) for i in range(STAFF)]
    outcomes: dict[str, int] = {"ok": 0, "rate_limited": 0, "other_error": 0}
    answered: list[float] = []

    async def staff_member(staff_id: int, tid: str, count: int) -> None:
        for n in range(count):
            try:
                await api.reply(tid, content=f"Reply {n} from {staff_id}", staff_user_id=staff_id)
            except SeriesRateLimited:
                outcomes["rate_limited"] += 1
            except SeriesError:
                outcomes["other_error"] += 1
            else:
                outcomes["ok"] += 1
            answered.append(time.monotonic())

    polls: list[tuple[float, float, int, int]] = []
    poll_task: asyncio.Task[None] | None = None
    tmp = tempfile.TemporaryDirectory(prefix="bench-throughput-")
    db: Database | None = None
    try:
        if with_poller:
            db = await Database.open(Path(tmp.name) / "bot.db")
            feed = FeedRepo(db)
            snapshot = await server.call(lambda: [dict(t) for t in fake.tickets.values()])
            await _seed_seen(feed, snapshot)
            poller = Poller(api=api, feed=feed, cache=TicketCache())
        start = time.monotonic()
        if with_poller:
            poll_task = asyncio.create_task(_poll_forever(poller, feed, polls))
            await asyncio.sleep(0)
        await asyncio.gather(*(staff_member(s, t, c) for (s, t), c in zip(pairs, per_staff, strict=True)))
        end = max(answered)
        if poll_task is not None:  # let the poll that waited out the burst finish, to see when it did
            deadline = time.monotonic() + 15
            while not polls and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        if poll_task is not None:
            poll_task.cancel()
            await asyncio.gather(poll_task, return_exceptions=True)
        if db is not None:
            await db.close()
        tmp.cleanup()
        await asyncio.wrap_future(server.submit(fake.close()))

    records = list(fake.requests)
    reply_recs = [r for r in records if r.method == "POST" and r.path.endswith("/reply")]
    poll_recs = [r for r in records if r.method == "GET"]
    accepted = [r.time for r in records if r.status == 200]  # replies and (with the poller) its requests
    first_send = min(r.time for r in records)
    last_reply = max(r.time for r in reply_recs)
    during = [r for r in poll_recs if first_send <= r.time <= last_reply]
    reply_waits = [a.wait for a in limiter.acquires if a.priority == INTERACTIVE]
    poll_waits = [a.wait for a in limiter.acquires if a.priority == BACKGROUND]
    # Steady state: how long a slot stays taken. Request i and request i+25 can't be within 1 s of each other at
    # the server; 25 / (mean gap between them) is the rate without the free first burst and without the rounding
    # of a final partial batch.
    acc = sorted(accepted)
    gaps = [b - a for a, b in zip(acc, acc[RATE:], strict=False)]
    sustained = RATE / (sum(gaps) / len(gaps)) if gaps else float("nan")
    elapsed = end - start
    result: dict[str, Any] = {
        "kind": kind,
        "replies": replies,
        "replies_ok": outcomes["ok"],
        "replies_failed_429": outcomes["rate_limited"],
        "replies_failed_other": outcomes["other_error"],
        "requests_sent": len(records),
        "reply_requests_sent": len(reply_recs),
        "server_429s": fake.rate_limited,
        "elapsed_s": elapsed,
        "achieved_rps": outcomes["ok"] / elapsed,
        "sustained_rps": sustained,
        "max_accepted_in_any_1s": max_in_window([r.time for r in records if r.counted]),
        "max_sent_in_any_1s": max_in_window([r.time for r in records]),
        "wait_p50_s": percentile(reply_waits, 50),
        "wait_p99_s": percentile(reply_waits, 99),
        "wait_max_s": max(reply_waits) if reply_waits else float("nan"),
        "pauses": len(limiter.pauses),
        # 1-second bins from the first request, at the server: everything it received, and what it accepted.
        "sent_per_second": per_second([r.time for r in records], first_send),
        "accepted_per_second": per_second([r.time for r in records if r.status == 200], first_send),
    }
    if with_poller:
        result.update(
            {
                "poller_requests_total": len(poll_recs),
                "poller_requests_during_replies": len(during),
                "polls_completed": len(polls),
                "first_poll_finished_after_s": (polls[0][1] - start) if polls else None,
                "poller_wait_p50_s": percentile(poll_waits, 50),
                "poller_wait_max_s": max(poll_waits) if poll_waits else float("nan"),
                "poll_list_calls": polls[0][2] if polls else None,
                "poll_detail_calls": polls[0][3] if polls else None,
                "reply_phase_s": last_reply - first_send,
            }
        )
    return result


SUMMARY_KEYS = (
    "achieved_rps",
    "sustained_rps",
    "server_429s",
    "replies_failed_429",
    "wait_p50_s",
    "wait_p99_s",
    "max_sent_in_any_1s",
    "max_accepted_in_any_1s",
    "elapsed_s",
    "poller_requests_during_replies",
    "poller_requests_total",
    "first_poll_finished_after_s",
    "poll_list_calls",
)


async def run(*, runs: int = 3, replies: int = 1000, baseline_replies: int = 500) -> dict[str, Any]:
    server = ServerThread("fake-series")
    all_runs: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    try:
        async with aiohttp.ClientSession() as session:
            for n in range(runs):
                for kind in KINDS:
                    count = replies if kind == "ours" else baseline_replies
                    result = await one_run(kind, count, server, session)
                    all_runs[kind].append(result)
                    print(
                        f"  run {n + 1}/{runs} {kind:<13} {count:>5} replies: "
                        f"{result['achieved_rps']:5.2f} rps achieved, "
                        f"{result['sustained_rps']:5.2f} sustained, {result['server_429s']:>4} 429s, "
                        f"wait p50 {result['wait_p50_s']:.2f}s p99 {result['wait_p99_s']:.2f}s",
                        flush=True,
                    )
    finally:
        server.stop()
    summary: dict[str, dict[str, Any]] = {}
    for kind, results in all_runs.items():
        summary[kind] = {"runs": len(results), "replies": results[0]["replies"]}
        for key in SUMMARY_KEYS:
            values = [r[key] for r in results if r.get(key) is not None]
            if values:
                summary[kind][key] = median(values)
        # The run whose achieved rate is the median one, for the picture.
        ordered = sorted(results, key=lambda r: r["achieved_rps"])
        summary[kind]["median_run_sent_per_second"] = ordered[len(ordered) // 2]["sent_per_second"]
        summary[kind]["median_run_accepted_per_second"] = ordered[len(ordered) // 2]["accepted_per_second"]
    ours = summary["ours"]
    for kind in ("fixed-window", "leaky-bucket", "ours+poller"):
        summary[kind]["throughput_ratio_vs_ours"] = summary[kind]["sustained_rps"] / ours["sustained_rps"]
    return {
        "summary": summary,
        "runs": all_runs,
        "staff": STAFF,
        "rate": RATE,
        "poller_active_tickets": STAFF + POLLER_EXTRA_TICKETS,
        "poll_every_s": POLL_EVERY,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--baseline-replies", type=int, default=400)
    args = parser.parse_args(argv)
    data = asyncio.run(run(runs=args.runs, replies=args.replies, baseline_replies=args.baseline_replies))
    write_result("throughput", data)


if __name__ == "__main__":
    main()
