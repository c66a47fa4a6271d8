"""``python -m bot``: read the settings, open the database, check the Series key, run until stopped.

This module owns every resource and closes each on the way out: the HTTP session, the database, the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys

import aiohttp
import discord
from dotenv import find_dotenv, load_dotenv

from .api import SeriesError
from .app import Services, build_services
from .client import TicketBot
from .config import Config, ConfigError
from .database import Database, DatabaseError
from .logs import setup_logging

log = logging.getLogger("bot")

EXIT_OK = 0
EXIT_SETUP = 2


async def run(config: Config, *, force_sync: bool = False) -> int:
    try:
        db = await Database.open(config.database_path)
    except DatabaseError as exc:
        log.error("%s", exc)
        return EXIT_SETUP
    try:
        async with aiohttp.ClientSession() as session:
            services = build_services(config, session=session, db=db)
            if not await _key_is_usable(services):
                return EXIT_SETUP
            bot = TicketBot(services, force_sync=force_sync)
            stopping: set[asyncio.Task[None]] = set()  # kept until done: asyncio holds tasks only weakly
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows
                    loop.add_signal_handler(sig, lambda s=sig: _stop(bot, s, stopping))
            try:
                async with bot:
                    await bot.start(config.discord_token.reveal())
            except discord.LoginFailure:
                log.error("Discord refused the bot token. Set DISCORD_TOKEN to the token from the Developer Portal.")
                return EXIT_SETUP
            except discord.PrivilegedIntentsRequired:
                log.error("Discord asked for privileged intents this bot does not use; check the application settings.")
                return EXIT_SETUP
    finally:
        await db.close()
        log.info("Database closed")
    log.info("Stopped")
    return EXIT_OK


async def _key_is_usable(services: Services) -> bool:
    try:
        key = await services.workspace.client.check_key()
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


def _stop(bot: TicketBot, sig: signal.Signals, stopping: set[asyncio.Task[None]]) -> None:
    log.info("Received %s; shutting down", sig.name)
    task = asyncio.get_running_loop().create_task(bot.close(), name="stop")
    stopping.add(task)
    task.add_done_callback(lambda t: _stopped(t, stopping))


def _stopped(task: asyncio.Task[None], stopping: set[asyncio.Task[None]]) -> None:
    stopping.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("Shutting down failed", exc_info=task.exception())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Run the Ticket Bridge Discord bot.")
    parser.add_argument("--sync", action="store_true", help="sync slash commands now, even if unchanged")
    args = parser.parse_args(argv)

    # .env from the working folder (or a parent); values already in the environment win over it.
    load_dotenv(find_dotenv(usecwd=True), override=False)
    try:
        config = Config.from_env(os.environ)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_SETUP
    setup_logging(config.log_level, config.secrets())
    try:
        return asyncio.run(run(config, force_sync=args.sync))
    except KeyboardInterrupt:  # pragma: no cover - signal handlers normally catch this
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
