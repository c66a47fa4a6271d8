"""Shared plumbing for the benchmarks: servers in their own threads, the bot built like ``__main__`` does,
statistics, machine facts and result files.

Every server (the fake Series from ``fakes/series.py`` and the fake Discord from ``fakes/discord.py``, the same
one the end-to-end tests use) runs in its **own thread with its own event loop** (``fakes.threads.ServerThread``,
re-exported here), so the bot's event loop and the servers' loops do not queue behind each other: the fake Series
stamps each request with its own ``time.monotonic()`` and the fake Discord with ``time.perf_counter()`` when it
arrives, the way a remote server would. State on a server (its tickets, its messages) is only ever touched on that
server's loop, through :meth:`ServerThread.call`.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakes.threads import ServerThread as ServerThread  # re-exported: the benchmarks take it from here

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
API_KEY = "bench-key"
RATE = 25


# -- statistics ------------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    low = math.floor(pos)
    high = math.ceil(pos)
    return data[low] + (data[high] - data[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def per_second(times: Sequence[float], start: float) -> list[int]:
    """Counts of ``times`` in 1-second bins from ``start``."""
    if not times:
        return []
    bins = [0] * (int(max(times) - start) + 1)
    for t in times:
        bins[int(t - start)] += 1
    return bins


def max_in_window(times: Sequence[float], period: float = 1.0) -> int:
    """The most timestamps in any half-open window of ``period`` seconds (the fake's own comparison)."""
    data = sorted(times)
    best = start = 0
    for end, t in enumerate(data):
        while data[start] <= t - period:
            start += 1
        best = max(best, end - start + 1)
    return best


def rss_mb() -> float:
    """This process's resident set size (VmRSS) in MiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


# -- machine and results ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                mem_total = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.system()} {platform.release()})"
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_total,
        "python": platform.python_version(),
        "os": os_name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def read_result(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def now() -> float:
    return time.perf_counter()


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _default_margin() -> float:
    from bot.ratelimit import RateLimiter

    return float(inspect.signature(RateLimiter).parameters["margin"].default)


#: The limiter's default margin (a sent request holds its slot ``1 + MARGIN`` seconds) and the steady rate it allows.
MARGIN = _default_margin()
SLOT_SECONDS = 1 + MARGIN
