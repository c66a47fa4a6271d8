"""``python -m bot --health``: is the running copy alive and connected? For Docker's ``HEALTHCHECK`` and monitors.

It reads two facts the bot keeps in its database, and writes nothing:

- the lease (``bot/lease.py``), renewed every 10 s while the bot's event loop runs: a copy that crashed or hung
  stops renewing it, and it runs out after 30 s;
- the gateway state, which the bot records when it connects, resumes or loses Discord (``TicketBot``). A copy that
  has been without Discord for longer than :data:`OFFLINE_GRACE` (its login back-off tops out at 5 minutes) is
  unhealthy; a short drop that discord.py resumes is not.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

__all__ = ("GATEWAY_KEY", "OFFLINE_GRACE", "Health", "check_health", "gateway_state")

GATEWAY_KEY = "discord:gateway"  # meta value: "connected <epoch>" or "disconnected <epoch>"
OFFLINE_GRACE = 600.0  # seconds without Discord before the copy counts as unhealthy


@dataclass(frozen=True, slots=True)
class Health:
    healthy: bool
    text: str


def gateway_state(connected: bool, at: float) -> str:
    return f"{'connected' if connected else 'disconnected'} {at:.0f}"


async def check_health(path: str | Path, *, clock: Callable[[], float] = time.time) -> Health:
    path = Path(path)
    if not path.is_file():  # noqa: ASYNC240 - a one-shot command
        return Health(False, f"no database at {path}: the bot has not started here (check DATABASE_PATH)")
    now = clock()
    try:
        async with aiosqlite.connect(str(path)) as conn:
            await conn.execute("PRAGMA busy_timeout = 2000")
            async with conn.execute("SELECT host, pid, acquired_at, expires_at FROM instance_lease") as cur:
                lease = await cur.fetchone()
            async with conn.execute("SELECT value FROM meta WHERE key = ?", (GATEWAY_KEY,)) as cur:
                gateway = await cur.fetchone()
    except sqlite3.Error as exc:
        return Health(False, f"can't read {path}: {exc}")
    if lease is None or float(lease[3]) < now:
        return Health(False, "not running: no copy of the bot is renewing its lease (stopped, crashed or hung)")
    who = f"process {lease[1]} on {lease[0]}"
    state, _, since_text = (str(gateway[0]) if gateway else "").partition(" ")
    since = float(since_text) if since_text.replace(".", "", 1).isdigit() else float(lease[2])
    if state == "connected":
        return Health(True, f"healthy: {who}, connected to Discord for {_duration(now - since)}")
    offline = max(now - max(since, float(lease[2])), 0.0)
    if offline > OFFLINE_GRACE:
        return Health(False, f"unhealthy: {who} has been without Discord for {_duration(offline)}")
    return Health(True, f"starting or reconnecting: {who}, without Discord for {_duration(offline)}")


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
