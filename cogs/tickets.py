"""Working a ticket: ``/reply``, ``/ticket show|list|claim|unclaim|status|transfer|history``, the Reply box, and the
report after a restart of what happened to replies that were on their way."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cache import ConfigCache, TicketCache
from bot.checks import is_admin
from bot.desk import Desk
from bot.models import STATUSES, parse_time
from bot.names import Names
from bot.render import clip, detail_embed, preview, short_ref, status_label, ticket_label
from bot.repositories import FeedRepo, Reply, StaffLinkRepo
from bot.service import StaffActions
from bot.snippets import SnippetBook, snippet_choices
from bot.tasks import Background
from bot.transcript import transcript_file
from bot.ui import box_submission, report_error
from bot.validation import MAX_REPLY_LENGTH, clean_ticket_id

from .queue import QueuePageButton, queue_page
from .ticket_ui import DYNAMIC_ITEMS, ticket_buttons

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

log = logging.getLogger(__name__)

RECENT_MESSAGES = 5
STATUS_CHOICES = [app_commands.Choice(name=status_label(s), value=s) for s in STATUSES]
SHOW_CHOICES = [
    app_commands.Choice(name="Everything open", value="all"),
    app_commands.Choice(name="Mine", value="mine"),
    app_commands.Choice(name="Nobody's yet", value="unclaimed"),
]
TICKET_HELP = "The ticket: start typing its subject or the player's name"
ACTION_WORDS = {"reply": "replied", "claim": "claimed", "unclaim": "unclaimed", "link-me": "linked themselves"}


class Tickets(commands.Cog):
    """Answer and manage tickets without leaving Discord."""

    ticket = app_commands.Group(name="ticket", description="See and work on tickets", guild_only=True)

    def __init__(
        self,
        bot: TicketBot,
        *,
        desk: Desk,
        actions: StaffActions,
        links: StaffLinkRepo,
        cache: TicketCache,
        config: ConfigCache,
        feed: FeedRepo,
        names: Names,
        background: Background,
        snippets: SnippetBook,
    ) -> None:
        self.bot = bot
        self.snippets = snippets
        self.desk = desk
        self.actions = actions
        self.links = links
        self.cache = cache
        self.config = config
        self.feed = feed
        self.names = names
        self.background = background
        self._recovery: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS, QueuePageButton)
        self._recovery = self.background.spawn(self._recover_replies(), name="reply recovery")
        self.background.spawn(self._load_config(), name="tickets config")

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS, QueuePageButton)
        if self._recovery is not None:
            self._recovery.cancel()

    async def _load_config(self) -> None:
        """Load the departments once at start, so autocomplete has them before anyone types."""
        await self.bot.wait_until_ready()
        await self.config.get_or_none()

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
        ticket_id=TICKET_HELP,
        message="What the player reads, or +name for a snippet (for paragraphs, use the card's Reply button)",
    )
    async def reply(
        self, interaction: Interaction, ticket_id: str, message: app_commands.Range[str, 1, MAX_REPLY_LENGTH]
    ) -> None:
        """Answer a ticket as yourself."""
        await self.desk.reply(interaction, ticket_id, message)

    # -- /ticket ---------------------------------------------------------------------------------------------

    @ticket.command(name="show")
    @app_commands.describe(ticket_id=TICKET_HELP, public="Post it in this channel for everyone (default: only you)")
    async def ticket_show(self, interaction: Interaction, ticket_id: str, public: bool = False) -> None:
        """See a ticket: who wrote it, where it stands, and the latest messages."""
        ticket_id = clean_ticket_id(ticket_id)
        # Always an ephemeral defer: after a public one, an error would be shown to the whole channel.
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        ticket = await self.actions.show(
            guild_id=interaction.guild_id, member_id=interaction.user.id, ticket_id=ticket_id
        )
        self.cache.put(ticket)
        ids = [ticket.claimed_by, *(m.author_id for m in ticket.messages if m.is_staff)]
        known = {ticket.claimed_by: ticket.claimed_by_name} if ticket.claimed_by and ticket.claimed_by_name else {}
        names = await self.names.for_embed(interaction.guild_id, ids, known=known)
        embed = detail_embed(ticket, await self.config.get_or_none(), names=names, recent=RECENT_MESSAGES)
        if public and isinstance(interaction.channel, discord.abc.Messageable):
            await interaction.channel.send(embed=embed, view=ticket_buttons(ticket))
            await interaction.followup.send(f"Posted {short_ref(ticket.id)} in this channel.", ephemeral=True)
        else:
            await interaction.followup.send(embed=embed, view=ticket_buttons(ticket), ephemeral=True)

    @ticket.command(name="transcript")
    @app_commands.describe(ticket_id=TICKET_HELP)
    async def ticket_transcript(self, interaction: Interaction, ticket_id: str) -> None:
        """The whole conversation as a file, with names, times and links."""
        ticket_id = clean_ticket_id(ticket_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        ticket = await self.actions.show(
            guild_id=interaction.guild_id, member_id=interaction.user.id, ticket_id=ticket_id
        )
        self.cache.put(ticket)
        file = await transcript_file(ticket, names=self.names, config=await self.config.get_or_none())
        count = sum(1 for m in ticket.messages if m.is_player or m.is_staff)
        await interaction.followup.send(
            f"📄 The conversation of {ticket_label(ticket)}: {count} message{'s' if count != 1 else ''}. "
            "Open the file in a browser.",
            file=file,
            ephemeral=True,
        )

    @ticket.command(name="list")
    @app_commands.describe(show="Which tickets (default: everything open)", department="Only this department")
    @app_commands.choices(show=SHOW_CHOICES)
    async def ticket_list(self, interaction: Interaction, show: str = "all", department: str | None = None) -> None:
        """The queue: open and in-progress tickets, oldest first, each a tap away."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        staff_id = await self.actions.staff_id(guild_id=interaction.guild_id, member_id=interaction.user.id)
        department_id = await self.actions.resolve_department(department) if department else ""
        embed, view = await queue_page(self, interaction.guild_id, staff_id, show, department_id, 0)
        await interaction.followup.send(embed=embed, view=view, ephemeral=True)

    @ticket.command(name="claim")
    @app_commands.describe(ticket_id=TICKET_HELP)
    async def ticket_claim(self, interaction: Interaction, ticket_id: str) -> None:
        """Take a ticket, so you can answer it."""
        await self.desk.claim(interaction, ticket_id)

    @ticket.command(name="unclaim")
    @app_commands.describe(ticket_id=TICKET_HELP)
    async def ticket_unclaim(self, interaction: Interaction, ticket_id: str) -> None:
        """Let go of a ticket you hold, so someone else can take it."""
        await self.desk.unclaim(interaction, ticket_id)

    @ticket.command(name="status")
    @app_commands.describe(ticket_id=TICKET_HELP, status="Where it stands now")
    @app_commands.choices(status=STATUS_CHOICES)
    async def ticket_status(self, interaction: Interaction, ticket_id: str, status: str) -> None:
        """Mark a ticket open, in progress, resolved or closed."""
        await self.desk.set_status(interaction, ticket_id, status)

    @ticket.command(name="transfer")
    @app_commands.describe(ticket_id=TICKET_HELP, department="Where it goes")
    async def ticket_transfer(self, interaction: Interaction, ticket_id: str, department: str) -> None:
        """Hand a ticket to another department (whoever held it lets go)."""
        await self.desk.transfer(interaction, ticket_id, department)

    @ticket.command(name="history")
    @app_commands.describe(ticket_id=TICKET_HELP)
    async def ticket_history(self, interaction: Interaction, ticket_id: str) -> None:
        """Who did what to a ticket through this bot, and when."""
        ticket_id = clean_ticket_id(ticket_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        entries = await self.actions.history(
            guild_id=interaction.guild_id,
            member_id=interaction.user.id,
            is_admin=is_admin(interaction),
            ticket_id=ticket_id,
        )
        cached = self.cache.get(ticket_id)
        title = f"History of {short_ref(ticket_id)}" + (f" · {clip(cached.subject, 150)}" if cached else "")
        if not entries:
            await interaction.followup.send(
                f"Nobody has acted on {short_ref(ticket_id)} through this bot yet.", ephemeral=True
            )
            return
        lines = []
        for entry in entries:
            when = parse_time(entry.created_at)
            stamp = discord.utils.format_dt(when, "R") if when else "at an unknown time"
            verb, _, rest = entry.action.partition(" ")
            word = ACTION_WORDS.get(verb, f"{verb} {rest}".strip())
            outcome, _, detail = entry.result.partition(": ")
            mark = "✅" if outcome in ("ok", "sent") else ("⚠️" if outcome == "unknown" else "❌")
            roblox = f" (Roblox {entry.roblox_user_id})" if entry.roblox_user_id else ""
            lines.append(
                f"{mark} <@{entry.member_id}>{roblox} {word} {stamp}"
                + (f" · {preview(detail, 120)}" if mark != "✅" else "")
            )
        embed = discord.Embed(
            title=clip(title, 256), description=clip("\n".join(lines), 4000), colour=discord.Colour(0x3498DB)
        )
        embed.set_footer(text="Newest first · what was done through Ticket Bridge")
        await interaction.followup.send(embed=embed, ephemeral=True)

    # -- replies accepted before a restart --------------------------------------------------------------------

    async def _recover_replies(self) -> None:
        await self.bot.wait_until_ready()
        by_member: defaultdict[int, list[tuple[Reply, str]]] = defaultdict(list)
        for reply, outcome in await self.actions.recover():
            log.info("Recovered reply %s to %s: %s", reply.id, reply.ticket_id, outcome)
            by_member[reply.member_id].append((reply, outcome))
            self.bot.dispatch("ticket_changed", reply.ticket_id, None)  # its card and thread show it now
        for outcomes in by_member.values():
            await self._report_recovered(outcomes)

    async def _report_recovered(self, outcomes: list[tuple[Reply, str]]) -> None:
        """One summary per member of what happened to their replies (not one DM per reply). By DM; if their DMs
        are closed, with a mention where they sent the first one (never silently dropped)."""
        first = outcomes[0][0]
        count = len(outcomes)
        some = "a reply of yours was" if count == 1 else f"{count} replies of yours were"
        lines = [f"The bot restarted while {some} on the way:"]
        for reply, outcome in outcomes[:15]:
            cached = self.cache.get(reply.ticket_id)
            ticket = ticket_label(cached, limit=50) if cached is not None else f"`{short_ref(reply.ticket_id)}`"
            lines.append(f"• {ticket}: “{preview(reply.content, 60)}” {outcome}")
        if count > 15:
            lines.append(f"…and {count - 15} more (see `/ticket history`).")
        text = clip("\n".join(lines), 1900)
        try:
            user = self.bot.get_user(first.member_id) or await self.bot.fetch_user(first.member_id)
            await user.send(text)
            return
        except discord.HTTPException:
            log.info("Could not DM member %s about %d replies; trying their channel", first.member_id, count)
        channel = self.bot.get_channel(first.channel_id) if first.channel_id else None
        if isinstance(channel, discord.abc.Messageable):
            try:
                await channel.send(
                    clip(f"<@{first.member_id}> {text}", 2000),
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(first.member_id)]),
                )
                return
            except discord.HTTPException:
                pass
        log.warning("Could not tell member %s how %d replies ended", first.member_id, count)

    # -- autocomplete ----------------------------------------------------------------------------------------

    @reply.autocomplete("ticket_id")
    async def answerable_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """For /reply, only tickets the caller can answer: no game reports, none someone else holds."""
        return await self._ticket_choices(interaction, current, active_only=True, answerable=True)

    @reply.autocomplete("message")
    async def snippet_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Snippets, once the message starts with ``+`` (or is still empty). Never while someone writes their own
        text: Enter would pick a suggestion over what they typed."""
        if interaction.guild_id is None or (current.strip() and not current.lstrip().startswith("+")):
            return []
        if not await self.actions.is_linked(guild_id=interaction.guild_id, member_id=interaction.user.id):
            return []
        return await snippet_choices(self.snippets, interaction.guild_id, current)

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
        self, interaction: Interaction, current: str, *, active_only: bool, answerable: bool = False
    ) -> list[app_commands.Choice[str]]:
        # Answered from memory: autocomplete can't be deferred and has 3 seconds
        # (docs/discord-limits.md#autocomplete). Subjects are players' words, so only linked staff get suggestions.
        if interaction.guild_id is None:
            return []
        try:
            link = await asyncio.wait_for(
                self.links.get(guild_id=interaction.guild_id, member_id=interaction.user.id), 0.5
            )
            if link is None:
                return []
            # Inside a ticket's thread, that ticket first (an indexed lookup, not a map of every thread in memory).
            first = await asyncio.wait_for(self.feed.ticket_for_thread(interaction.channel_id or 0), 0.5)
        except TimeoutError:
            return []
        return self.cache.choices(
            current, staff_id=link.roblox_user_id, first=first, active_only=active_only, answerable=answerable
        )

    @ticket_transfer.autocomplete("department")
    @ticket_list.autocomplete("department")
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
            feed=services.feed,
            names=services.names,
            background=services.background,
            snippets=services.snippets,
        )
    )
