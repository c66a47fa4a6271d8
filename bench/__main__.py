"""``python -m bench``: run every benchmark, write ``bench/results/*.json`` and ``*.png``, rewrite ``BENCHMARKS.md``.

``--quick`` runs smaller sizes (about a minute) for development; ``--only`` picks benchmarks; ``--report-only``
redraws the pictures and rewrites ``BENCHMARKS.md`` from the existing results.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from .common import machine, read_result, write_result

NAMES = ("throughput", "ack", "feed", "footprint", "growth", "stats")


def _quiet() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # The baselines hit 429s on purpose and the client logs each one; the figures are what matter here.
    for name in ("bot", "cogs", "discord", "aiohttp", "fakes", "fake_discord"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _benchmarks(quick: bool) -> dict[str, Callable[[], Any]]:
    from . import ack, feed, footprint, growth, stats, throughput

    if quick:
        return {
            "throughput": lambda: throughput.run(runs=1, replies=200, baseline_replies=100),
            "ack": lambda: ack.run(interactions=50, idle=20),
            "feed": lambda: feed.run(quick=True),
            "footprint": lambda: footprint.run(starts=1, tracked=1000),
            "growth": lambda: growth.run(tickets=5_000, days=180, check=(200, 100)),
            "stats": lambda: stats.run(events=10_000, repeats=3),
        }
    return {
        "throughput": lambda: throughput.run(runs=3, replies=1000, baseline_replies=400),
        "ack": lambda: ack.run(interactions=200, idle=50),
        "feed": lambda: feed.run(),
        "footprint": lambda: footprint.run(starts=3, tracked=10_000),
        "growth": lambda: growth.run(tickets=100_000),
        "stats": lambda: stats.run(events=100_000, repeats=7),
    }


def draw_and_report() -> None:
    from . import plots, report

    tp = read_result("throughput")
    if tp:
        print(f"wrote {plots.throughput_png(tp)}")
    fd = read_result("feed")
    if fd:
        print(f"wrote {plots.poll_cost_png(fd)}")
    gr = read_result("growth")
    if gr:
        print(f"wrote {plots.growth_png(gr)}")
    print(f"wrote {report.write()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about a minute (figures marked quick)")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="run only these benchmarks")
    parser.add_argument("--report-only", action="store_true", help="redraw and rewrite BENCHMARKS.md from results")
    args = parser.parse_args(argv)
    _quiet()
    if args.report_only:
        draw_and_report()
        return 0

    chosen = args.only or list(NAMES)
    benchmarks = _benchmarks(args.quick)
    previous = read_result("run") or {}
    seconds: dict[str, float] = dict(previous.get("seconds", {})) if args.only else {}
    began = time.monotonic()
    for name in chosen:
        print(f"== {name}", flush=True)
        started = time.monotonic()
        result = asyncio.run(benchmarks[name]())
        seconds[name] = time.monotonic() - started
        result["quick"] = args.quick
        result["seconds"] = seconds[name]
        write_result(name, result)
        print(f"   {name} took {seconds[name]:.0f} s", flush=True)
    started = time.monotonic()
    draw_and_report()
    seconds["pictures+report"] = time.monotonic() - started
    total = time.monotonic() - began if not args.only else sum(seconds.values())
    write_result("run", {"machine": machine(), "quick": args.quick, "seconds": seconds, "total_seconds": total})
    draw_and_report()  # again, now with the total runtime in it
    print(f"== all done in {total:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
