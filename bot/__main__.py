"""``python -m bot``: read the settings, check the Series key, open the database, run until stopped.

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

from .api import SeriesClient, SeriesError
from .client import TicketBot
from .config import Config, ConfigError
from .database import Database, DatabaseError
from .logs import setup_logging

log = logging.getLogger("bot")

EXIT_OK = 0
EXIT_SETUP = 2


async def run(config: Config, *, force_sync: bool = False) -> int:
    async with aiohttp.ClientSession() as session:
        api = SeriesClient.from_config(session, config)
        try:
            key = await api.check_key()
        except SeriesError as exc:
            # Series being down must not crash-loop the bot (each restart is a Discord IDENTIFY).
            log.warning("Could not check the Series API key (%s); starting anyway", exc.message)
        else:
            if not key.valid:
                log.error(
                    "Series refused the API key: %s. Set SERIES_API_KEY to an active key from your Series "
                    "workspace settings. Not starting.",
                    key.message or "the key is not valid",
                )
                return EXIT_SETUP
            log.info("Series API key is valid for workspace %r", key.workspace_name)

        try:
            db = await Database.open(config.database_path)
        except DatabaseError as exc:
            log.error("%s", exc)
            return EXIT_SETUP
        try:
            bot = TicketBot(config=config, api=api, db=db)
            if force_sync:
                await bot.meta.set(f"commands:{config.discord_guild_id or 'global'}", "")
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows
                    loop.add_signal_handler(sig, lambda s=sig: _stop(bot, s))
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


def _stop(bot: TicketBot, sig: signal.Signals) -> None:
    log.info("Received %s; shutting down", sig.name)
    asyncio.ensure_future(bot.close())


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
