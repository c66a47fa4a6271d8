"""The bot class. Its constructor only stores what ``bot.app`` built; all I/O happens in ``setup_hook`` or later."""

from __future__ import annotations

import hashlib
import json
import logging
import time

import discord
from discord.ext import commands

from .app import Services
from .health import GATEWAY_KEY, gateway_state
from .tree import BotTree

__all__ = ("EXTENSIONS", "TicketBot")

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 20.0
EXTENSIONS: tuple[str, ...] = (
    "cogs.staff",
    "cogs.tickets",
    "cogs.feed",
    "cogs.snippets",
    "cogs.stats",
    "cogs.maintenance",
    "cogs.help",
)


class TicketBot(commands.Bot):
    def __init__(
        self, services: Services, *, extensions: tuple[str, ...] = EXTENSIONS, force_sync: bool = False
    ) -> None:
        # The bot never joins voice: discord.py's start-up warnings about voice libraries (PyNaCl, davey) would
        # only worry whoever reads the log.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        # Slash commands only: no privileged intents (docs/discord-limits.md#privileged-intents).
        intents.message_content = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=BotTree,
            help_command=None,
            # No message cache: the bot fetches what it edits, and 1,000 cached cards cost megabytes for nothing.
            max_messages=None,
            # Player text must never ping anyone; a ping is opted into per message
            # (docs/discord-limits.md#allowed-mentions).
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.services = services
        self.home_guild_id: int | None = services.settings.discord_guild_id
        self.initial_extensions = extensions
        self.force_sync = force_sync

    def __repr__(self) -> str:
        return f"<TicketBot home_guild={self.home_guild_id}>"

    async def setup_hook(self) -> None:
        for extension in self.initial_extensions:
            try:
                await self.load_extension(extension)
            except Exception:
                log.exception("Failed to load extension %s", extension)
                raise
        await self.sync_commands(force=self.force_sync)

    async def sync_commands(self, *, force: bool = False) -> None:
        """Sync slash commands when they changed since the last sync, or when ``force`` (200 creates a day per
        server, docs/discord-limits.md#command-creates-per-day)."""
        guild = discord.Object(self.home_guild_id) if self.home_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands:{guild.id if guild else 'global'}"
        meta = self.services.meta
        if not force and await meta.get(key) == digest:
            log.info("Slash commands unchanged; not syncing")
            return
        synced = await self.tree.sync(guild=guild)
        await meta.set(key, digest)
        log.info("Synced %d slash commands %s", len(synced), f"to guild {guild.id}" if guild else "globally")

    async def close(self) -> None:
        """Graceful stop (SIGTERM): let replies in flight finish and be confirmed, then disconnect."""
        await self.services.actions.drain(grace=SHUTDOWN_GRACE_SECONDS)
        await self.services.background.cancel_all()
        await super().close()

    async def on_ready(self) -> None:
        log.info("Ready as %s (%s) in %d servers", self.user, getattr(self.user, "id", "?"), len(self.guilds))
        await self._record_gateway(connected=True)

    async def on_resumed(self) -> None:
        await self._record_gateway(connected=True)

    async def on_disconnect(self) -> None:
        await self._record_gateway(connected=False)

    async def _record_gateway(self, *, connected: bool) -> None:
        """For ``--health`` (``bot.health``): whether this copy has Discord, and since when."""
        try:
            await self.services.meta.set(GATEWAY_KEY, gateway_state(connected, time.time()))
        except Exception:  # noqa: BLE001 - a busy or closing database must not break the gateway events
            log.debug("Could not record the gateway state", exc_info=True)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Every server the bot is in, at each start (discord.py dispatches this for each one)."""
        await self._leave_if_foreign(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A server the bot was just added to."""
        await self._leave_if_foreign(guild)

    async def _leave_if_foreign(self, guild: discord.Guild) -> None:
        """With ``DISCORD_GUILD_ID`` set, leave any other server: it must not see or act on the workspace's tickets."""
        home = self.home_guild_id
        if home is not None and guild.id != home:
            log.warning("Leaving server %s (%s): this bot only serves DISCORD_GUILD_ID %s", guild.name, guild.id, home)
            await guild.leave()
