"""Housekeeping on a timer: pruning what is older than ``DATA_RETENTION_DAYS`` (``bot.retention``), hourly, and
filling in the Roblox names of accounts linked while Roblox couldn't be reached, every ten minutes."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.retention import Retention
from bot.roblox import RobloxDirectory

if TYPE_CHECKING:
    from bot.client import TicketBot

log = logging.getLogger(__name__)


class Maintenance(commands.Cog):
    def __init__(self, *, retention: Retention, roblox: RobloxDirectory) -> None:
        self.retention = retention
        self.roblox = roblox

    async def cog_load(self) -> None:
        self.prune_loop.start()
        self.names_loop.start()

    async def cog_unload(self) -> None:
        self.prune_loop.cancel()
        self.names_loop.cancel()

    @tasks.loop(hours=1)
    async def prune_loop(self) -> None:
        try:
            await self.retention.prune()
        except Exception:  # noqa: BLE001 - a failed prune is retried in an hour; it must not stop the loop
            log.exception("Pruning old data failed; trying again in an hour")

    @tasks.loop(minutes=10)
    async def names_loop(self) -> None:
        try:
            filled = await self.roblox.fill_unknown()
        except Exception:  # noqa: BLE001 - names are a nicety; the next run tries again
            log.exception("Filling in Roblox names failed; trying again in ten minutes")
            return
        if filled:
            log.info("Filled in %d Roblox names", filled)

    @names_loop.before_loop
    async def _after_ready(self) -> None:
        await asyncio.sleep(60)  # not in the start-up rush: Roblox is a nicety, the feed comes first


async def setup(bot: TicketBot) -> None:
    await bot.add_cog(Maintenance(retention=bot.services.retention, roblox=bot.services.roblox))
