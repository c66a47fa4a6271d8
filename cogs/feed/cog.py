"""The ticket feed's commands (``/feed set|remove|show``), its poll loop, and its listeners.

What a card needs is decided in ``plan.py``; posting cards and threads is ``publisher.py``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.api import SeriesClient, SeriesError
from bot.cache import ConfigCache, ThreadIndex, TicketCache
from bot.checks import admin_only
from bot.models import TicketConfig
from bot.poller import Poller
from bot.ratelimit import BACKGROUND
from bot.render import clip
from bot.repositories import FeedRepo
from bot.service import ReplySent, StaffActions

from .publisher import DEFAULT_ROUTE, Publisher

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0
REQUIRED_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "embed_links",
    "read_message_history",
    "create_public_threads",
    "send_messages_in_threads",
)


class Feed(commands.Cog):
    """Polls Series and keeps a card per ticket in each server's staff channels."""

    feed = app_commands.Group(name="feed", description="Choose where new tickets appear", guild_only=True)

    def __init__(
        self,
        bot: TicketBot,
        *,
        repo: FeedRepo,
        publisher: Publisher,
        poller: Poller,
        api: SeriesClient,
        config: ConfigCache,
        tickets: TicketCache,
        threads: ThreadIndex,
        actions: StaffActions,
        poll_seconds: float,
    ) -> None:
        self.bot = bot
        self.repo = repo
        self.publisher = publisher
        self.poller = poller
        self.api = api
        self.config = config
        self.tickets = tickets
        self.threads = threads
        self.actions = actions
        self.poll_seconds = poll_seconds
        self._failures = 0
        self._resume_at = 0.0
        self.poll_loop.change_interval(seconds=poll_seconds)

    async def cog_load(self) -> None:
        self.threads.load(await self.repo.thread_tickets())
        self.publisher.backfill_guilds.update(route.guild_id for route in await self.repo.routes())
        self.poll_loop.start()

    async def cog_unload(self) -> None:
        self.poll_loop.cancel()

    # -- polling ---------------------------------------------------------------------------------------------

    @tasks.loop(seconds=15)
    async def poll_loop(self) -> None:
        if time.monotonic() < self._resume_at:
            return
        try:
            await self.poll_once()
        except Exception as exc:  # noqa: BLE001 - any failure (Series, Discord, the database) backs off the same way
            self._failures += 1
            delay = min(self.poll_seconds * 2**self._failures, MAX_BACKOFF)
            self._resume_at = time.monotonic() + delay
            if isinstance(exc, SeriesError):
                log.warning("Feed poll failed (%s); backing off %.0fs", exc.message, delay)
            else:
                log.warning("Feed poll failed; backing off %.0fs", delay, exc_info=exc)
        else:
            if self._failures:
                log.info("Feed poll recovered after %d failures", self._failures)
            self._failures = 0

    @poll_loop.before_loop
    async def _before_poll(self) -> None:
        await self.bot.wait_until_ready()

    async def poll_once(self) -> int:
        """One poll: returns how many changed tickets were handled."""
        routes = await self.repo.routes()
        result = await self.poller.poll(details=bool(routes))
        if not routes:
            return 0
        config = await self.config.get_or_none()
        for ticket in result.changed:
            await self.publisher.sync_ticket(ticket, config=config)
        while self.publisher.backfill_guilds:
            await self._backfill(self.publisher.backfill_guilds.pop(), config)
        return len(result.changed)

    async def _backfill(self, guild_id: int, config: TicketConfig | None) -> None:
        """Give every active ticket without a card in this guild its card: after a route is added or fixed, a
        restart, or a card that could not be posted. Costs one detail request per missing card."""
        routes = {route.department: route for route in await self.repo.routes(guild_id=guild_id)}
        for cached in self.tickets.active():
            if cached.department not in routes and DEFAULT_ROUTE not in routes:
                continue
            card = await self.repo.card(guild_id=guild_id, ticket_id=cached.id)
            if card is not None and card.message_id is not None:
                continue
            try:
                ticket = await self.api.get_ticket(cached.id, priority=BACKGROUND)
            except SeriesError as exc:
                log.info("Backfill of %s skipped: %s", cached.id, exc.message)
                continue
            await self.publisher.sync_ticket(ticket, config=config)

    @commands.Cog.listener()
    async def on_ticket_changed(self, ticket_id: str, sent: ReplySent | None) -> None:
        """A staff action through the bot: update the card now instead of at the next poll."""
        try:
            ticket = await self.api.get_ticket(ticket_id)
        except SeriesError as exc:
            log.info("Could not refresh %s after an action: %s", ticket_id, exc.message)
            return
        self.tickets.put(ticket)
        if await self.repo.routes():
            await self.publisher.sync_ticket(ticket, config=await self.config.get_or_none())

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """Someone deleted a card: put it back where it belongs (without pinging anyone again)."""
        card = await self.repo.card_by_message(payload.message_id)
        if card is None:
            return
        log.info("Card for %s was deleted in channel %s; recreating it", card.ticket_id, card.channel_id)
        await self.on_ticket_changed(card.ticket_id, None)

    # -- /feed -----------------------------------------------------------------------------------------------

    @feed.command(name="set")
    @admin_only()
    @app_commands.describe(
        channel="Where the ticket cards go",
        department="Only tickets of this department (leave empty for the default route)",
        ping_role="A role to mention when a new ticket arrives (optional)",
    )
    async def feed_set(
        self,
        interaction: Interaction,
        channel: discord.TextChannel,
        department: str | None = None,
        ping_role: discord.Role | None = None,
    ) -> None:
        """Send new tickets to a channel, for all departments or one (Manage Server)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        department = await self._department(department)
        assert interaction.guild_id is not None
        old = await self.repo.set_route(
            guild_id=interaction.guild_id,
            department=department,
            channel_id=channel.id,
            ping_role_id=ping_role.id if ping_role else None,
        )
        self.publisher.route_changed(interaction.guild_id, department)
        what = f"**{await self._department_name(department)}** tickets" if department else "Tickets (default route)"
        lines = [
            f"✅ {what} now go to {channel.mention}" + (f", mentioning {ping_role.mention}." if ping_role else ".")
        ]
        if old and old.channel_id != channel.id:
            lines.append(f"They went to <#{old.channel_id}> before; existing cards move when their ticket changes.")
        missing = self._missing_permissions(channel)
        if missing:
            lines.append(f"⚠️ I'm missing {missing} in {channel.mention}; cards can't be posted until that's fixed.")
        lines.append("Open tickets will appear within one poll.")
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @feed.command(name="remove")
    @admin_only()
    @app_commands.describe(department="The department route to remove (leave empty for the default route)")
    async def feed_remove(self, interaction: Interaction, department: str | None = None) -> None:
        """Stop sending tickets to a channel (Manage Server)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        department = await self._department(department)
        assert interaction.guild_id is not None
        old = await self.repo.remove_route(guild_id=interaction.guild_id, department=department)
        name = f"**{await self._department_name(department)}**" if department else "the default"
        if old is None:
            text = f"There was no route for {name} tickets; nothing changed. See `/feed show`."
        else:
            text = f"✅ Removed the route for {name} tickets (it went to <#{old.channel_id}>). Existing cards stay."
        await interaction.followup.send(text, ephemeral=True)

    @feed.command(name="show")
    async def feed_show(self, interaction: Interaction) -> None:
        """List where tickets go, and any problem with those channels."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        routes = await self.repo.routes(guild_id=interaction.guild_id)
        if not routes:
            await interaction.followup.send(
                "No routes yet: tickets aren't posted anywhere. Add one with `/feed set channel`.", ephemeral=True
            )
            return
        embed = discord.Embed(title="Ticket feed", colour=discord.Colour.blurple())
        for route in routes:
            channel = self.bot.get_channel(route.channel_id)
            lines = [
                f"→ <#{route.channel_id}>" + (f", mentions <@&{route.ping_role_id}>" if route.ping_role_id else "")
            ]
            if not isinstance(channel, discord.TextChannel):
                lines.append("⚠️ That channel is gone or I can't see it.")
            else:
                missing = self._missing_permissions(channel)
                if missing:
                    lines.append(f"⚠️ I'm missing {missing} there.")
            if route.problem:
                lines.append(f"⚠️ Last problem: {clip(route.problem, 300)}")
            title = (
                await self._department_name(route.department) if route.department else "Default (all other departments)"
            )
            embed.add_field(name=clip(title, 256), value=clip("\n".join(lines), 1024), inline=False)
        broken = await self.repo.card_problems(guild_id=interaction.guild_id)
        if broken:
            lines = [f"`{card.ticket_id}`: {clip(card.problem or '', 200)}" for card in broken]
            embed.add_field(name="Ticket threads with problems", value=clip("\n".join(lines), 1024), inline=False)
        if broken or any(route.problem for route in routes):
            embed.description = "Fixed something? Run `/feed set` for that route again to retry now."
        embed.set_footer(text=f"Checking Series every {self.poll_seconds:g}s")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @feed_set.autocomplete("department")
    @feed_remove.autocomplete("department")
    async def department_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.config.department_choices(current)

    async def _department(self, value: str | None) -> str:
        if not value or not value.strip():
            return DEFAULT_ROUTE
        return await self.actions.resolve_department(value)

    async def _department_name(self, department_id: str) -> str:
        config = self.config.value
        return config.department_name(department_id) if config else department_id

    def _missing_permissions(self, channel: discord.TextChannel) -> str:
        perms = channel.permissions_for(channel.guild.me)
        missing = [p for p in REQUIRED_PERMISSIONS if not getattr(perms, p)]
        return ", ".join(f"**{p.replace('_', ' ').title()}**" for p in missing)
