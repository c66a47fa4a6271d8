"""Slash commands for working a ticket: /reply and /ticket show|claim|unclaim|status|transfer."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.cache import ConfigCache, ThreadIndex, TicketCache
from bot.checks import is_admin
from bot.desk import Desk
from bot.errors import text_embed
from bot.models import parse_time
from bot.render import clip, ticket_embed
from bot.repositories import Reply, StaffLinkRepo
from bot.service import StaffActions
from bot.tasks import Background
from bot.ui import box_submission, report_error
from bot.validation import MAX_REPLY_LENGTH, clean_ticket_id

from .ticket_ui import DYNAMIC_ITEMS, ticket_buttons

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

log = logging.getLogger(__name__)

RECENT_MESSAGES = 5
StatusChoice = Literal["open", "in-progress", "resolved", "closed"]


class Tickets(commands.Cog):
    """Answer and manage tickets without leaving Discord."""

    ticket = app_commands.Group(name="ticket", description="View and manage Series tickets", guild_only=True)

    def __init__(
        self,
        bot: TicketBot,
        *,
        desk: Desk,
        actions: StaffActions,
        links: StaffLinkRepo,
        cache: TicketCache,
        config: ConfigCache,
        threads: ThreadIndex,
        background: Background,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.actions = actions
        self.links = links
        self.cache = cache
        self.config = config
        self.threads = threads
        self.background = background
        self._recovery: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self._recovery = self.background.spawn(self._recover_replies(), name="reply recovery")

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        if self._recovery is not None:
            self._recovery.cancel()

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """Reply boxes are answered from their submit payload, with no modal object kept (see ``bot.ui``)."""
        if box_submission(interaction) is None:
            return
        try:
            await self.desk.submit_box(interaction)
        except Exception as exc:  # noqa: BLE001 - the error boundary for box submits
            await report_error(interaction, exc, where="reply box")

    # -- /reply ----------------------------------------------------------------------------------------------

    @app_commands.command(name="reply")
    @app_commands.guild_only()
    @app_commands.describe(
        ticket_id="The ticket to answer, e.g. TICKET-1234567890-ABCD (pick from the list)",
        message="What to send to the player (up to 4000 characters; use the Reply button for paragraphs)",
    )
    async def reply(
        self, interaction: Interaction, ticket_id: str, message: app_commands.Range[str, 1, MAX_REPLY_LENGTH]
    ) -> None:
        """Reply to a Series ticket as yourself."""
        await self.desk.reply(interaction, ticket_id, message)

    # -- /ticket ---------------------------------------------------------------------------------------------

    @ticket.command(name="show")
    @app_commands.describe(ticket_id="The ticket to show", public="Also post it in this channel (default: only you)")
    async def ticket_show(self, interaction: Interaction, ticket_id: str, public: bool = False) -> None:
        """Show a ticket: who wrote it, its state and the latest messages, with a Reply button."""
        ticket_id = clean_ticket_id(ticket_id)
        # Always an ephemeral defer: after a public one, an error would be shown to the whole channel.
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        ticket = await self.actions.show(
            guild_id=interaction.guild_id, member_id=interaction.user.id, ticket_id=ticket_id
        )
        self.cache.put(ticket)
        embed = ticket_embed(ticket, await self.config.get_or_none(), recent=RECENT_MESSAGES)
        if public and isinstance(interaction.channel, discord.abc.Messageable):
            await interaction.channel.send(embed=embed, view=ticket_buttons(ticket))
            await interaction.followup.send(f"Posted `{ticket.id}` in this channel.", ephemeral=True)
        else:
            await interaction.followup.send(embed=embed, view=ticket_buttons(ticket), ephemeral=True)

    @ticket.command(name="claim")
    @app_commands.describe(ticket_id="The ticket to claim")
    async def ticket_claim(self, interaction: Interaction, ticket_id: str) -> None:
        """Claim a ticket so you can reply to it."""
        await self.desk.claim(interaction, ticket_id)

    @ticket.command(name="unclaim")
    @app_commands.describe(ticket_id="The ticket to release")
    async def ticket_unclaim(self, interaction: Interaction, ticket_id: str) -> None:
        """Release a ticket you claimed."""
        await self.desk.unclaim(interaction, ticket_id)

    @ticket.command(name="status")
    @app_commands.describe(ticket_id="The ticket to change", status="Its new status")
    async def ticket_status(self, interaction: Interaction, ticket_id: str, status: StatusChoice) -> None:
        """Change a ticket's status (open, in-progress, resolved, closed)."""
        await self.desk.set_status(interaction, ticket_id, status)

    @ticket.command(name="transfer")
    @app_commands.describe(ticket_id="The ticket to move", department="The department to move it to")
    async def ticket_transfer(self, interaction: Interaction, ticket_id: str, department: str) -> None:
        """Move a ticket to another department (this releases its claim)."""
        await self.desk.transfer(interaction, ticket_id, department)

    @ticket.command(name="history")
    @app_commands.describe(ticket_id="The ticket whose history to show")
    async def ticket_history(self, interaction: Interaction, ticket_id: str) -> None:
        """Show what staff did to a ticket through this bot (only staff can see it)."""
        ticket_id = clean_ticket_id(ticket_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        entries = await self.actions.history(
            guild_id=interaction.guild_id,
            member_id=interaction.user.id,
            is_admin=is_admin(interaction),
            ticket_id=ticket_id,
        )
        if not entries:
            await interaction.followup.send(f"Nobody has acted on `{ticket_id}` through this bot yet.", ephemeral=True)
            return
        lines = []
        for entry in entries:
            when = parse_time(entry.created_at)
            stamp = discord.utils.format_dt(when, "f") if when else entry.created_at
            lines.append(
                f"{stamp} <@{entry.member_id}> (Roblox {entry.roblox_user_id}) **{entry.action}**: {entry.result}"
            )
        embed = discord.Embed(
            title=f"History of {ticket_id}", description=clip("\n".join(lines), 4000), colour=discord.Colour.blurple()
        )
        embed.set_footer(text="Newest first · actions taken through Ticket Bridge")
        await interaction.followup.send(embed=embed, ephemeral=True)

    # -- replies accepted before a restart --------------------------------------------------------------------

    async def _recover_replies(self) -> None:
        await self.bot.wait_until_ready()
        for reply, outcome in await self.actions.recover():
            log.info("Recovered reply %s to %s: %s", reply.id, reply.ticket_id, outcome)
            await self._report_recovered(reply, f"Your reply to `{reply.ticket_id}` {outcome}")

    async def _report_recovered(self, reply: Reply, text: str) -> None:
        """Tell the author by DM; if DMs are closed, mention them where they sent it (never silently dropped)."""
        try:
            user = self.bot.get_user(reply.member_id) or await self.bot.fetch_user(reply.member_id)
            await user.send(text[:2000], embed=text_embed(reply.content, title="Your reply"))
            return
        except discord.HTTPException:
            log.info("Could not DM member %s about reply %s; trying its channel", reply.member_id, reply.id)
        channel = self.bot.get_channel(reply.channel_id) if reply.channel_id else None
        if isinstance(channel, discord.abc.Messageable):
            try:
                await channel.send(
                    f"<@{reply.member_id}> {text}"[:2000],
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(reply.member_id)]),
                )
                return
            except discord.HTTPException:
                pass
        log.warning("Could not tell member %s how reply %s ended: %s", reply.member_id, reply.id, text)

    # -- autocomplete ----------------------------------------------------------------------------------------

    @reply.autocomplete("ticket_id")
    @ticket_claim.autocomplete("ticket_id")
    @ticket_unclaim.autocomplete("ticket_id")
    @ticket_transfer.autocomplete("ticket_id")
    async def active_ticket_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._ticket_choices(interaction, current, active_only=True)

    @ticket_show.autocomplete("ticket_id")
    @ticket_status.autocomplete("ticket_id")
    @ticket_history.autocomplete("ticket_id")
    async def any_ticket_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self._ticket_choices(interaction, current, active_only=False)

    async def _ticket_choices(
        self, interaction: Interaction, current: str, *, active_only: bool
    ) -> list[app_commands.Choice[str]]:
        # Answered from memory: autocomplete can't be deferred and has 3 seconds
        # (docs/discord-limits.md#autocomplete). Subjects are
        # players' words, so only linked staff get suggestions.
        if interaction.guild_id is None:
            return []
        try:
            link = await asyncio.wait_for(
                self.links.get(guild_id=interaction.guild_id, member_id=interaction.user.id), 0.5
            )
        except TimeoutError:
            return []
        if link is None:
            return []
        first = self.threads.ticket_for(interaction.channel_id)
        return self.cache.choices(current, staff_id=link.roblox_user_id, first=first, active_only=active_only)

    @ticket_transfer.autocomplete("department")
    async def department_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        staff = interaction.guild_id is not None and await self.actions.is_linked(
            guild_id=interaction.guild_id, member_id=interaction.user.id
        )
        return self.config.department_choices(current, may_load=staff)


async def setup(bot: TicketBot) -> None:
    services = bot.services
    await bot.add_cog(
        Tickets(
            bot,
            desk=services.desk,
            actions=services.actions,
            links=services.links,
            cache=services.workspace.tickets,
            config=services.workspace.config,
            threads=services.threads,
            background=services.background,
        )
    )
