"""One copy per database: a second copy waits while the first holds the lease, and takes over when it is released
or runs out; a holder that lost its lease learns it at its next renewal."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from bot.database import Database
from bot.lease import Lease
from tests.helpers import FakeClock


@contextlib.asynccontextmanager
async def two_copies(tmp_path) -> AsyncIterator[tuple[Lease, Lease, FakeClock]]:
    """Two copies of the bot on one database file, each with its own connection, sharing a clock."""
    path = tmp_path / "bot.db"
    first_db, second_db = await Database.open(path), await Database.open(path)
    try:
        clock = FakeClock()
        yield Lease(first_db, clock=clock), Lease(second_db, clock=clock), clock
    finally:
        await first_db.close()
        await second_db.close()


async def test_a_second_copy_waits_until_the_first_releases(tmp_path):
    async with two_copies(tmp_path) as (first, second, clock):
        first.pid = os.getppid()  # as if another live process on this machine held it
        assert await first.acquire() is None
        holder = await second.acquire()
        assert holder is not None and holder.pid == first.pid and holder.expires_at == clock() + first.ttl
        assert await first.acquire() is None  # taking it again is renewing it
        clock.advance(first.renew_every)
        assert await first.renew()
        assert await second.acquire() is not None
        await first.release()
        assert await second.acquire() is None
        assert not await first.renew()  # it is the second copy's now


async def test_a_lease_nobody_renews_runs_out_and_its_old_holder_must_stop(tmp_path):
    async with two_copies(tmp_path) as (first, second, clock):
        first.pid = os.getppid()
        assert await first.acquire() is None
        clock.advance(first.ttl - 0.1)
        assert await second.acquire() is not None  # not yet
        clock.advance(0.2)  # the first copy crashed, or froze for longer than the lease
        assert await second.acquire() is None
        assert not await first.renew()  # so the first copy, if it wakes up, stops instead of acting twice


async def test_a_holder_whose_process_is_gone_on_this_machine_is_taken_over_at_once(tmp_path):
    async with two_copies(tmp_path) as (first, second, clock):
        first.pid = 2**22 + 12345  # a process that doesn't exist (killed, or gone with its container)
        assert await first.acquire() is None
        assert await second.acquire() is None  # no 30 s wait after a crash on the same machine
        second.host = "elsewhere"  # but a live holder on another machine, or a live process here, is waited for
        second.holder_id = "third"
        assert await second.acquire() is not None
