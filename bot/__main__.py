"""``python -m bot``: read the settings, open the database, check the Series key, run until stopped.

Also ``--check`` (the setup checklist, ``bot.checkup``), ``--backup PATH`` (an online copy of the database) and
``--version``. This module owns every resource and closes each on the way out: the HTTP session, the database, the
bot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import signal
import sys
import time
from datetime import UTC, datetime

import aiohttp
import discord
from dotenv import find_dotenv, load_dotenv

from . import __version__
from .api import SeriesError, SeriesNotFound
from .app import Services, build_services
from .checkup import Checkup, Finding, Mark, log_findings, render
from .checkup import exit_code as checkup_exit_code
from .client import TicketBot
from .config import DEFAULT_DATABASE_PATH, Config, ConfigError
from .database import Database, DatabaseError, backup
from .health import check_health
from .lease import Lease
from .logs import setup_logging

log = logging.getLogger("bot")

EXIT_OK = 0
EXIT_NEEDS_FIXING = 1
EXIT_SETUP = 2


LEASE_LOG_EVERY = 60.0
LOGIN_BACKOFF = (5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class Stop:
    """SIGTERM / SIGINT, whatever the bot is doing: waiting for the lease, retrying Discord, or running."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.bot: TicketBot | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # kept until done: asyncio holds tasks only weakly

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows
                loop.add_signal_handler(sig, lambda s=sig: self.now(s.name))

    def now(self, why: str) -> None:
        log.info("Received %s; shutting down", why)
        self.event.set()
        if self.bot is not None and not self.bot.is_closed():
            task = asyncio.get_running_loop().create_task(self.bot.close(), name="stop")
            self._tasks.add(task)
            task.add_done_callback(self._stopped)

    def _stopped(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Shutting down failed", exc_info=task.exception())

    async def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if asked to stop; True if asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), seconds)
        return self.event.is_set()


async def run(config: Config, *, force_sync: bool = False) -> int:
    stop = Stop()
    stop.install()
    try:
        db = await Database.open(config.database_path)
    except DatabaseError as exc:
        log.error("%s", exc)
        return EXIT_SETUP
    lease = Lease(db)
    try:
        if not await _wait_for_lease(lease, config, stop):
            return EXIT_OK
        async with aiohttp.ClientSession() as session:
            services = build_services(config, session=session, db=db)
            if not await _key_is_usable(services):
                return EXIT_SETUP
            bot = stop.bot = TicketBot(services, force_sync=force_sync)
            renewal = asyncio.get_running_loop().create_task(_keep_lease(lease, stop), name="lease")
            try:
                async with bot:
                    if not await _log_in(bot, config, stop):
                        return EXIT_OK
                    checkup = Checkup(
                        config,
                        session=session,
                        db=db,
                        series=services.workspace.client,
                        roblox=services.roblox.client,
                        providers=services.verification,
                    )
                    services.background.spawn(_log_setup(checkup), name="setup check")
                    await bot.connect()
            except discord.LoginFailure:
                log.error("Discord refused the bot token. Set DISCORD_TOKEN to the token from the Developer Portal.")
                return EXIT_SETUP
            except discord.PrivilegedIntentsRequired:
                log.error("Discord asked for privileged intents this bot does not use; check the application settings.")
                return EXIT_SETUP
            finally:
                renewal.cancel()
                await asyncio.gather(renewal, return_exceptions=True)
    finally:
        with contextlib.suppress(Exception):
            await lease.release()
        await db.close()
        log.info("Database closed")
    log.info("Stopped")
    return EXIT_OK


async def _wait_for_lease(lease: Lease, config: Config, stop: Stop) -> bool:
    """Hold the database's lease before doing anything; wait (saying why) while another copy holds it."""
    logged = -LEASE_LOG_EVERY
    waited = 0.0
    while (holder := await lease.acquire()) is not None:
        if waited - logged >= LEASE_LOG_EVERY:
            since = datetime.fromtimestamp(holder.acquired_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
            log.warning(
                "Another copy of Ticket Bridge (process %s on %s, since %s) is using %s. Waiting for it to stop; "
                "if it crashed, this copy takes over within %.0f s.",
                holder.pid,
                holder.host,
                since,
                config.database_path,
                max(holder.expires_at - time.time(), 0),
            )
            logged = waited
        if await stop.sleep(lease.renew_every):
            return False
        waited += lease.renew_every
    return True


async def _keep_lease(lease: Lease, stop: Stop) -> None:
    """Renew the lease; if another copy took it (this one was frozen too long), stop at once: never act twice."""
    while not await stop.sleep(lease.renew_every):
        try:
            ours = await lease.renew()
        except Exception:  # noqa: BLE001 - a busy database: try again at the next renewal
            log.warning("Could not renew the database lease; trying again", exc_info=True)
            continue
        if not ours:
            log.error("Another copy of Ticket Bridge took over the database; stopping this one.")
            stop.now("lease lost")
            return


async def _log_in(bot: TicketBot, config: Config, stop: Stop) -> bool:
    """Log in to Discord, retrying with back-off while it can't be reached (a restart loop would spend the daily
    IDENTIFY budget, docs/discord-limits.md#identify-budget). A token Discord rejects still stops at once."""
    for attempt in itertools.count():
        try:
            await bot.login(config.discord_token.reveal())
            return True
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            wait = LOGIN_BACKOFF[min(attempt, len(LOGIN_BACKOFF) - 1)]
            log.warning("Can't reach Discord (%s); trying again in %.0f s", _reason(exc), wait)
        except discord.HTTPException as exc:
            if exc.status < 500:
                raise
            wait = LOGIN_BACKOFF[min(attempt, len(LOGIN_BACKOFF) - 1)]
            log.warning("Discord is having trouble (HTTP %s); trying again in %.0f s", exc.status, wait)
        if await stop.sleep(wait):
            return False
    return False  # pragma: no cover - the loop only ends by returning


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "its address could not be looked up"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "the connection was refused or failed"
    if isinstance(exc, TimeoutError):
        return "it did not answer in time"
    return type(exc).__name__


async def _key_is_usable(services: Services) -> bool:
    url = services.settings.series_api_url
    try:
        key = await services.workspace.client.check_key()
    except SeriesNotFound:
        log.error(
            "SERIES_API_URL %s answered the key check with 404: it is not the Series API. "
            "Leave SERIES_API_URL unset for Series itself (https://api.series.hr), or fix the address. Not starting.",
            url,
        )
        return False
    except SeriesError as exc:
        # Series being down must not crash-loop the bot (each restart is a Discord IDENTIFY).
        log.warning("Could not check the Series API key (%s); starting anyway", exc.message)
        return True
    if not key.valid:
        log.error(
            "Series refused the API key: %s. Set SERIES_API_KEY to an active key from your Series "
            "workspace settings. Not starting.",
            key.message or "the key is not valid",
        )
        return False
    log.info("Series API key is valid for workspace %r", key.workspace_name)
    return True


async def _log_setup(checkup: Checkup) -> None:
    """At start, the same findings as ``--check``, with the next step when nothing is set up yet."""
    log_findings(await checkup.run())


async def check(config: Config) -> int:
    """``--check``: print the checklist; 0 when nothing needs fixing, 1 otherwise."""
    db: Database | None = None
    problem = None
    try:
        db = await Database.open(config.database_path)
    except DatabaseError as exc:
        problem = str(exc)
    try:
        async with aiohttp.ClientSession() as session:
            findings = await Checkup.standalone(config, session=session, db=db, db_problem=problem).run()
    finally:
        if db is not None:
            await db.close()
    print(render([_settings_finding(), *findings]), flush=True)
    return checkup_exit_code(findings)


def _settings_finding() -> Finding:
    source = find_dotenv(usecwd=True)
    where = f"from the environment and {source}" if source else "from the environment (no .env file found)"
    return Finding(Mark.OK, "Settings", f"read {where}")


def _database_path() -> str:
    """``DATABASE_PATH`` alone: --backup and --health need nothing else (no token, no key)."""
    return os.environ.get("DATABASE_PATH", "").strip() or DEFAULT_DATABASE_PATH


async def write_backup(target: str) -> int:
    """``--backup PATH``: a consistent copy of the database, made with SQLite's online backup (safe while the bot
    runs). Needs only ``DATABASE_PATH``."""
    source = _database_path()
    try:
        done = await backup(source, target)
    except DatabaseError as exc:
        print(exc, file=sys.stderr)
        return EXIT_SETUP
    print(
        f"Backed up {source} to {done.path} ({done.size_bytes / 1024:.0f} KiB, schema version {done.version}, "
        "integrity ok).",
        flush=True,
    )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Run the Ticket Bridge Discord bot.")
    parser.add_argument("--sync", action="store_true", help="sync slash commands now, even if unchanged")
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the settings, the database, Series, Discord and Roblox, print a checklist and exit "
        "(0: all fine, 1: something to fix, 2: bad settings)",
    )
    parser.add_argument(
        "--backup",
        metavar="PATH",
        help="write a consistent copy of the database to PATH and exit (safe while the bot runs)",
    )
    parser.add_argument(
        "--health",
        action="store_true",
        help="exit 0 if the running bot is alive and connected to Discord, 1 if not (for Docker's HEALTHCHECK)",
    )
    parser.add_argument("--version", action="version", version=f"Ticket Bridge {__version__}")
    args = parser.parse_args(argv)

    # .env from the working folder (or a parent); values already in the environment win over it.
    load_dotenv(find_dotenv(usecwd=True), override=False)
    if args.backup:
        return asyncio.run(write_backup(args.backup))
    if args.health:
        health = asyncio.run(check_health(_database_path()))
        print(health.text, flush=True)
        return EXIT_OK if health.healthy else EXIT_NEEDS_FIXING
    try:
        config = Config.from_env(os.environ)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_SETUP
    if args.check:
        setup_logging(logging.ERROR, config.secrets())  # the checklist is the output; its findings say the rest
        return asyncio.run(check(config))
    setup_logging(config.log_level, config.secrets())
    try:
        return asyncio.run(run(config, force_sync=args.sync))
    except KeyboardInterrupt:  # pragma: no cover - signal handlers normally catch this
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
