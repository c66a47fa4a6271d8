"""The bot class. Its constructor only stores collaborators; all I/O happens in ``setup_hook`` or later."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable

import discord
from discord.ext import commands

from .api import SeriesClient
from .cache import ConfigCache, TicketCache
from .config import Config
from .database import Database
from .repositories import AuditRepo, MetaRepo, ReplyRepo, StaffLinkRepo
from .service import StaffActions
from .tree import BotTree

__all__ = ("EXTENSIONS", "TicketBot")

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 20.0
EXTENSIONS: tuple[str, ...] = ("cogs.staff", "cogs.tickets", "cogs.feed")


class TicketBot(commands.Bot):
    def __init__(
        self,
        *,
        config: Config,
        api: SeriesClient,
        db: Database,
        extensions: tuple[str, ...] = EXTENSIONS,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = False  # slash commands only: no privileged intents (discord-limits I1)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=BotTree,
            help_command=None,
            # Player text must never ping anyone; a ping is opted into per message (discord-limits G1).
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.config = config
        self.api = api
        self.db = db
        self.initial_extensions = extensions
        self.links = StaffLinkRepo(db)
        self.replies = ReplyRepo(db)
        self.meta = MetaRepo(db)
        self.ticket_cache = TicketCache()
        self.ticket_config = ConfigCache(api)
        self.audit = AuditRepo(db)
        self.actions = StaffActions(
            api=api, links=self.links, replies=self.replies, audit=self.audit, config=self.ticket_config
        )
        # The feed sets this: which ticket a thread belongs to (so autocomplete can offer it first).
        self.thread_ticket: Callable[[int | None], str | None] = lambda _channel_id: None

    def __repr__(self) -> str:
        return f"<TicketBot api={self.api!r} db={self.db!r}>"

    async def setup_hook(self) -> None:
        for extension in self.initial_extensions:
            try:
                await self.load_extension(extension)
            except Exception:
                log.exception("Failed to load extension %s", extension)
                raise
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Sync slash commands only when they changed since the last sync (200 creates a day per guild)."""
        guild = discord.Object(self.config.discord_guild_id) if self.config.discord_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands:{guild.id if guild else 'global'}"
        if await self.meta.get(key) == digest:
            log.info("Slash commands unchanged; not syncing")
            return
        synced = await self.tree.sync(guild=guild)
        await self.meta.set(key, digest)
        log.info("Synced %d slash commands %s", len(synced), f"to guild {guild.id}" if guild else "globally")

    async def close(self) -> None:
        """Graceful stop (SIGTERM): let replies in flight finish and be confirmed, then disconnect."""
        await self.actions.drain(grace=SHUTDOWN_GRACE_SECONDS)
        await super().close()

    async def on_ready(self) -> None:
        log.info("Ready as %s (%s) in %d servers", self.user, getattr(self.user, "id", "?"), len(self.guilds))
        for guild in self.guilds:
            await self.on_guild_join(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """With ``DISCORD_GUILD_ID`` set, leave any other server: it must not see or act on the workspace's tickets."""
        home = self.config.discord_guild_id
        if home is not None and guild.id != home:
            log.warning("Leaving server %s (%s): this bot only serves DISCORD_GUILD_ID %s", guild.name, guild.id, home)
            await guild.leave()

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.on_guild_join(guild)
