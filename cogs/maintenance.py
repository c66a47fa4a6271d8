"""Housekeeping on a timer: pruning what is older than ``DATA_RETENTION_DAYS`` (``bot.retention``), hourly."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.retention import Retention

if TYPE_CHECKING:
    from bot.client import TicketBot

log = logging.getLogger(__name__)


class Maintenance(commands.Cog):
    def __init__(self, *, retention: Retention) -> None:
        self.retention = retention

    async def cog_load(self) -> None:
        self.prune_loop.start()

    async def cog_unload(self) -> None:
        self.prune_loop.cancel()

    @tasks.loop(hours=1)
    async def prune_loop(self) -> None:
        try:
            await self.retention.prune()
        except Exception:  # noqa: BLE001 - a failed prune is retried in an hour; it must not stop the loop
            log.exception("Pruning old data failed; trying again in an hour")


async def setup(bot: TicketBot) -> None:
    await bot.add_cog(Maintenance(retention=bot.services.retention))
