"""One running copy per database: a lease held in the database itself.

Two copies of the bot on one database (a deploy overlap, a second terminal, a restarted container whose old self
is still shutting down) would both finish pending replies and both post cards. The copy that runs holds a lease
row and renews it every few seconds; a second copy sees who holds it and waits, logging why, until the holder
releases it (a graceful stop) or stops renewing it (a crash: the lease runs out after ``ttl`` seconds; at once when
the holder was on this machine and its process is gone). A holder that finds its lease taken (it was frozen longer
than ``ttl``) must stop at once: it never acts twice.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from .database import Database

__all__ = ("DEFAULT_TTL", "Holder", "Lease")

DEFAULT_TTL = 30.0
NAME = "bot"


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds the lease, for the message a waiting copy logs."""

    host: str
    pid: int
    acquired_at: float
    expires_at: float


def _alive(pid: int, *, me: int) -> bool:
    """Whether process ``pid`` on this machine is alive and isn't this process."""
    if pid == me:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but belongs to someone else (PermissionError), or we can't tell
        return True
    return True


class Lease:
    def __init__(self, db: Database, *, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.ttl = ttl
        self._clock = clock
        self.holder_id = secrets.token_hex(8)
        self.host = socket.gethostname()
        self.pid = os.getpid()

    @property
    def renew_every(self) -> float:
        return self.ttl / 3

    async def acquire(self) -> Holder | None:
        """Take the lease if it is free, ours, or ran out; otherwise return who holds it."""
        now = self._clock()
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT holder, host, pid, acquired_at, expires_at FROM instance_lease WHERE name = ?", (NAME,)
            ) as cur:
                row = await cur.fetchone()
            # A holder on this machine whose process is gone (killed, crashed, or an earlier life of this container
            # with the same pid) needn't be waited for until its lease runs out.
            gone = row is not None and row["host"] == self.host and not _alive(int(row["pid"]), me=self.pid)
            if row is not None and row["holder"] != self.holder_id and row["expires_at"] > now and not gone:
                return Holder(row["host"], int(row["pid"]), float(row["acquired_at"]), float(row["expires_at"]))
            await conn.execute(
                """
                INSERT INTO instance_lease (name, holder, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET
                    holder = excluded.holder, host = excluded.host, pid = excluded.pid,
                    acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
                """,
                (NAME, self.holder_id, self.host, self.pid, now, now + self.ttl),
            )
        return None

    async def renew(self) -> bool:
        """Extend our lease; False if it is no longer ours (another copy took it over)."""
        changed = await self.db.execute_count(
            "UPDATE instance_lease SET expires_at = ? WHERE name = ? AND holder = ?",
            (self._clock() + self.ttl, NAME, self.holder_id),
        )
        return changed == 1

    async def release(self) -> None:
        """Give the lease up (a graceful stop), so a waiting copy starts at once."""
        await self.db.execute("DELETE FROM instance_lease WHERE name = ? AND holder = ?", (NAME, self.holder_id))
