"""``--health``: alive (the lease is renewed) and connected (the gateway state the bot records), from the database."""

from __future__ import annotations

from bot.database import Database
from bot.health import GATEWAY_KEY, OFFLINE_GRACE, check_health, gateway_state
from bot.lease import Lease
from bot.repositories import MetaRepo

NOW = 1_800_000_000.0


async def prepared(tmp_path, *, lease_at: float | None, gateway: str | None, started: float | None = None):
    """A database as a running bot leaves it: started at ``started``, lease last renewed at ``lease_at``."""
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    try:
        if lease_at is not None:
            moments = iter([started or lease_at, lease_at])
            lease = Lease(db, clock=lambda: next(moments))
            assert await lease.acquire() is None and await lease.renew()
        if gateway is not None:
            await MetaRepo(db).set(GATEWAY_KEY, gateway)
    finally:
        await db.close()
    return path


async def test_no_database_is_unhealthy(tmp_path):
    health = await check_health(tmp_path / "missing.db")
    assert not health.healthy and "DATABASE_PATH" in health.text


async def test_connected_with_a_live_lease_is_healthy(tmp_path):
    path = await prepared(tmp_path, lease_at=NOW - 5, gateway=gateway_state(True, NOW - 3600))
    health = await check_health(path, clock=lambda: NOW)
    assert health.healthy and "connected to Discord for 60 min" in health.text


async def test_a_lease_that_ran_out_is_unhealthy_whatever_the_gateway_said(tmp_path):
    path = await prepared(tmp_path, lease_at=NOW - 120, gateway=gateway_state(True, NOW - 3600))
    health = await check_health(path, clock=lambda: NOW)
    assert not health.healthy and "not running" in health.text


async def test_a_short_drop_is_fine_a_long_one_is_not(tmp_path):
    day = NOW - 86400
    path = await prepared(tmp_path, lease_at=NOW - 5, started=day, gateway=gateway_state(False, NOW - 60))
    assert (await check_health(path, clock=lambda: NOW)).healthy
    path.unlink()
    lost = gateway_state(False, NOW - OFFLINE_GRACE - 1)
    path = await prepared(tmp_path, lease_at=NOW - 5, started=day, gateway=lost)
    health = await check_health(path, clock=lambda: NOW)
    assert not health.healthy and "without Discord for 10 min" in health.text


async def test_a_copy_that_just_restarted_is_not_blamed_for_its_predecessors_outage(tmp_path):
    lost = gateway_state(False, NOW - 3600)  # written by the copy before
    path = await prepared(tmp_path, lease_at=NOW - 5, gateway=lost)
    health = await check_health(path, clock=lambda: NOW)
    assert health.healthy and "without Discord for 5 s" in health.text


async def test_never_connected_counts_from_the_start(tmp_path):
    path = await prepared(tmp_path, lease_at=NOW - 5, gateway=None)
    health = await check_health(path, clock=lambda: NOW)
    assert health.healthy and health.text.startswith("starting or reconnecting")
