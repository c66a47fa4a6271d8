"""The ticket feed: live ticket cards in staff channels, kept true, with the conversation in a thread.

Every change goes through :meth:`Feed.sync_ticket`, whether the poller saw it or a staff action caused it, under
a per-ticket lock. Each post is recorded *before* it is made and confirmed after, so a restart (even a crash
between the two) looks for the post it may have made instead of making it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import weakref
from collections import defaultdict
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.api import SeriesError
from bot.models import Message, Ticket, TicketConfig
from bot.poller import Poller
from bot.ratelimit import BACKGROUND
from bot.render import clip, player_text, ticket_embed
from bot.repositories import Card, FeedRepo, Route
from bot.service import ReplySent

from .staff import require_manage_guild
from .ticket_ui import ticket_buttons

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

log = logging.getLogger(__name__)

DEFAULT_ROUTE = ""
MAX_BACKOFF = 300.0
PROBLEM_RETRY_SECONDS = 600.0  # a broken route is retried at most this often (no invalid-request storms)
REQUIRED_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "embed_links",
    "read_message_history",
    "create_public_threads",
    "send_messages_in_threads",
)
THREAD_ARCHIVE_MINUTES = 10080


class RouteProblem(Exception):
    """Discord refused a post in a route's channel (missing access, deleted channel)."""


class Feed(commands.Cog):
    """Polls Series and keeps a card per ticket in each server's staff channels."""

    feed = app_commands.Group(name="feed", description="Choose where new tickets appear", guild_only=True)

    def __init__(self, bot: TicketBot, *, repo: FeedRepo, poller: Poller) -> None:
        self.bot = bot
        self.repo = repo
        self.poller = poller
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._failures = 0
        self._resume_at = 0.0
        self._problem_checked: dict[tuple[int, str], float] = {}
        self._backfill_guilds: set[int] = set()
        self.thread_tickets: dict[int, str] = {}
        self.poll_loop.change_interval(seconds=bot.config.feed_poll_seconds)

    async def cog_load(self) -> None:
        self.thread_tickets = await self.repo.thread_tickets()
        self._backfill_guilds = {route.guild_id for route in await self.repo.routes()}
        self.bot.thread_ticket = self.thread_tickets.get  # lets /reply autocomplete offer the thread's ticket
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
            delay = min(self.bot.config.feed_poll_seconds * 2**self._failures, MAX_BACKOFF)
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
        config = await self.bot.ticket_config.get_or_none()
        for ticket in result.changed:
            await self.sync_ticket(ticket, config=config)
        while self._backfill_guilds:
            await self._backfill(self._backfill_guilds.pop(), config)
        return len(result.changed)

    async def _backfill(self, guild_id: int, config: TicketConfig | None) -> None:
        """Give every active ticket without a card in this guild its card: after a route is added or fixed, a
        restart, or a card that could not be posted. Costs one detail request per missing card."""
        routes = {route.department: route for route in await self.repo.routes(guild_id=guild_id)}
        for cached in self.bot.ticket_cache.active():
            if cached.department not in routes and DEFAULT_ROUTE not in routes:
                continue
            card = await self.repo.card(guild_id=guild_id, ticket_id=cached.id)
            if card is not None and card.message_id is not None:
                continue
            try:
                ticket = await self.bot.api.get_ticket(cached.id, priority=BACKGROUND)
            except SeriesError as exc:
                log.info("Backfill of %s skipped: %s", cached.id, exc.message)
                continue
            await self.sync_ticket(ticket, config=config)

    @commands.Cog.listener()
    async def on_ticket_changed(self, ticket_id: str, sent: ReplySent | None) -> None:
        """A staff action through the bot: update the card now instead of at the next poll."""
        try:
            ticket = await self.bot.api.get_ticket(ticket_id)
        except SeriesError as exc:
            log.info("Could not refresh %s after an action: %s", ticket_id, exc.message)
            return
        self.bot.ticket_cache.put(ticket)
        if await self.repo.routes():
            await self.sync_ticket(ticket, config=await self.bot.ticket_config.get_or_none())

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """Someone deleted a card: put it back where it belongs (without pinging anyone again)."""
        card = await self.repo.card_by_message(payload.message_id)
        if card is None:
            return
        log.info("Card for %s was deleted in channel %s; recreating it", card.ticket_id, card.channel_id)
        await self.on_ticket_changed(card.ticket_id, None)

    # -- one ticket --------------------------------------------------------------------------------------------

    async def sync_ticket(self, ticket: Ticket, *, config: TicketConfig | None) -> None:
        """Make every server's card and thread for ``ticket`` match Series, then remember it as handled."""
        lock = self._locks.get(ticket.id)
        if lock is None:
            lock = self._locks[ticket.id] = asyncio.Lock()
        async with lock:
            seen = await self.repo.seen_one(ticket.id)
            if seen is not None and seen.updated_at and ticket.updated_at and ticket.updated_at < seen.updated_at:
                return  # an older copy (a poll fetched it before an action refreshed the card): keep the newer
            by_guild: defaultdict[int, dict[str, Route]] = defaultdict(dict)
            for route in await self.repo.routes():
                by_guild[route.guild_id][route.department] = route
            for guild_id, routes in by_guild.items():
                route = routes.get(ticket.department) or routes.get(DEFAULT_ROUTE)
                try:
                    await self._sync_in_guild(guild_id, route, ticket, config)
                except RouteProblem as exc:
                    if route is not None:
                        await self._route_failed(route, str(exc))
            await self.repo.mark_seen(
                ticket_id=ticket.id, updated_at=ticket.updated_at, status=ticket.status, department=ticket.department
            )

    async def _sync_in_guild(
        self, guild_id: int, route: Route | None, ticket: Ticket, config: TicketConfig | None
    ) -> None:
        card = await self.repo.card(guild_id=guild_id, ticket_id=ticket.id)
        if card is None and (route is None or not ticket.is_active):
            return  # no card for tickets that were never active while routed here
        if route is not None and route.problem and not self._may_retry(route):
            return
        moving = route is not None and card is not None and card.channel_id != route.channel_id and ticket.is_active
        message = None
        if card is not None and card.message_id is not None:
            try:
                message = await self._card_message(card)
            except RouteProblem:
                if not moving:  # an old channel we lost access to must not block the ticket's new route
                    raise
        elif card is not None:
            message = await self._find_posted_card(card.channel_id, ticket.id)  # a crash between post and record
        ping = card is None or (card.message_id is None and message is None)  # new here (or never posted)
        note = "New ticket"
        if moving:
            assert route is not None
            await self._move_card(message, route)
            await self.repo.forget_mirrored(guild_id=guild_id, ticket_id=ticket.id)  # the new thread gets it all
            card, message, ping, note = None, None, True, "Ticket transferred here"
        fresh = message is None
        if message is None:
            if route is None:
                return
            message = await self._post_card(guild_id, route, ticket, config, ping=ping, note=note)
            card = Card(guild_id, ticket.id, route.channel_id, message.id, None)
        else:
            await self._edit_card(message, ticket, config, guild_id)
            if card.message_id != message.id:  # adopted after a crash: record it now
                await self.repo.save_card(
                    guild_id=guild_id,
                    ticket_id=ticket.id,
                    channel_id=card.channel_id,
                    message_id=message.id,
                    thread_id=card.thread_id,
                )
            card = Card(guild_id, ticket.id, card.channel_id, message.id, card.thread_id, card.problem)
        if route is not None and route.problem:
            await self.repo.set_problem(guild_id=guild_id, department=route.department, problem=None)
            self._backfill_guilds.add(guild_id)  # tickets that failed while it was broken
        await self._mirror(card, message, ticket, notify=not fresh)

    async def _card_message(self, card: Card) -> discord.Message | None:
        channel = self.bot.get_channel(card.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread) or card.message_id is None:
            return None
        try:
            return await channel.fetch_message(card.message_id)
        except discord.NotFound:
            log.info("Card for %s in %s was deleted; posting it again", card.ticket_id, card.channel_id)
            return None
        except discord.Forbidden as exc:
            raise RouteProblem(f"I can't read messages in <#{card.channel_id}> any more ({exc.text}).") from exc

    async def _find_posted_card(self, channel_id: int, ticket_id: str) -> discord.Message | None:
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return None
        try:
            async for message in channel.history(limit=50):
                if (
                    message.author.id == self.bot.user.id
                    and message.embeds
                    and ((message.embeds[0].title or "").startswith(f"{ticket_id} "))
                ):
                    return message
        except discord.HTTPException:
            return None
        return None

    async def _post_card(
        self, guild_id: int, route: Route, ticket: Ticket, config: TicketConfig | None, *, ping: bool, note: str
    ) -> discord.Message:
        channel = self.bot.get_channel(route.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise RouteProblem(f"The channel <#{route.channel_id}> no longer exists or I can't see it.")
        await self.repo.save_card(
            guild_id=guild_id, ticket_id=ticket.id, channel_id=channel.id, message_id=None, thread_id=None
        )
        content = None
        mentions = discord.AllowedMentions.none()
        if ping and route.ping_role_id:
            content = f"<@&{route.ping_role_id}> {note}"
            mentions = discord.AllowedMentions(roles=[discord.Object(route.ping_role_id)])
        try:
            message = await channel.send(
                content=content,
                embed=await self._embed(ticket, config, guild_id),
                view=ticket_buttons(ticket),
                allowed_mentions=mentions,
            )
        except discord.Forbidden as exc:
            raise RouteProblem(f"I'm not allowed to post in {channel.mention} ({exc.text}).") from exc
        except discord.NotFound as exc:
            raise RouteProblem(f"The channel <#{route.channel_id}> was deleted.") from exc
        await self.repo.save_card(
            guild_id=guild_id, ticket_id=ticket.id, channel_id=channel.id, message_id=message.id, thread_id=None
        )
        log.info("Posted card for %s in channel %s", ticket.id, channel.id)
        return message

    async def _edit_card(
        self, message: discord.Message, ticket: Ticket, config: TicketConfig | None, guild_id: int
    ) -> None:
        try:
            await message.edit(embed=await self._embed(ticket, config, guild_id), view=ticket_buttons(ticket))
        except discord.Forbidden as exc:
            raise RouteProblem(f"I can't edit my card in <#{message.channel.id}> ({exc.text}).") from exc

    async def _move_card(self, message: discord.Message | None, route: Route) -> None:
        if message is None:
            return
        embed = message.embeds[0] if message.embeds else discord.Embed()
        embed.set_footer(text="Transferred to another department.")
        try:
            await message.edit(content=f"➡️ Moved to <#{route.channel_id}>", embed=embed, view=None)
        except discord.HTTPException:
            log.info("Could not mark the old card %s as moved", message.id)

    async def _embed(self, ticket: Ticket, config: TicketConfig | None, guild_id: int) -> discord.Embed:
        claimer = None
        if ticket.claimed_by:
            members = await self.bot.links.members_for(guild_id=guild_id, roblox_user_id=ticket.claimed_by)
            if members:
                claimer = " ".join(f"<@{m}>" for m in members[:3])
        note = "Closed. Reopen it to work on it again." if ticket.status == "closed" else None
        return ticket_embed(ticket, config, claimer_mention=claimer, note=note)

    # -- the conversation thread -----------------------------------------------------------------------------

    async def _mirror(self, card: Card, card_message: discord.Message, ticket: Ticket, *, notify: bool) -> None:
        """Post the messages not yet in the thread. ``notify``: mention the claimer for player messages (not
        for the history of a card that was only just posted)."""
        first = ticket.first_message
        to_post = [m for m in ticket.messages if (m.is_player or m.is_staff) and m is not first]
        if not to_post:
            return
        done = await self.repo.mirrored(guild_id=card.guild_id, ticket_id=ticket.id)
        pending = [m for m in to_post if done.get(m.id) is not True]
        if not pending:
            return
        thread = await self._thread(card, card_message, ticket)
        mark = functools.partial(self.repo.mark_mirrored, guild_id=card.guild_id, ticket_id=ticket.id)
        for message in pending:
            if message.id in done and await self._already_in_thread(thread, message.id):
                await mark(message_key=message.id, posted=True)
                continue
            await mark(message_key=message.id, posted=False)
            try:
                await self._post_message(thread, card.guild_id, ticket, message, notify=notify)
            except discord.HTTPException as exc:
                # A locked or otherwise unusable thread: this ticket's conversation waits (it is retried when
                # the ticket next changes); the problem is logged once and shown by /feed show, not retried in a loop.
                if card.problem is None:
                    log.warning("Can't post in the thread of %s (%s %s); skipping", ticket.id, exc.code, exc.text)
                    await self.repo.set_card_problem(
                        guild_id=card.guild_id, ticket_id=ticket.id, problem=f"I can't post in its thread ({exc.text})."
                    )
                return
            await mark(message_key=message.id, posted=True)
        if card.problem is not None:
            await self.repo.set_card_problem(guild_id=card.guild_id, ticket_id=ticket.id, problem=None)

    async def _thread(self, card: Card, card_message: discord.Message, ticket: Ticket) -> discord.Thread:
        if card.thread_id:
            thread = self.bot.get_channel(card.thread_id)
            if thread is None:
                try:
                    thread = await self.bot.fetch_channel(card.thread_id)
                except discord.HTTPException:
                    thread = None
            if isinstance(thread, discord.Thread):
                if thread.archived and not thread.locked:
                    with contextlib.suppress(discord.HTTPException):  # posting unarchives it anyway
                        await thread.edit(archived=False)
                return thread
        subject = discord.utils.escape_mentions(" ".join(ticket.subject.split())) or "ticket"
        name = clip(f"{ticket.id} · {subject}", 100)
        try:
            thread = await card_message.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.Forbidden as exc:
            raise RouteProblem(f"I can't create threads in <#{card.channel_id}> ({exc.text}).") from exc
        except discord.HTTPException as exc:
            if exc.code != 160004:  # a thread already exists for this message (made before a crash)
                raise RouteProblem(f"I couldn't open a thread for {ticket.id} ({exc.text}).") from exc
            thread = self.bot.get_channel(card_message.id) or await self.bot.fetch_channel(card_message.id)
            assert isinstance(thread, discord.Thread)
        await self.repo.save_card(
            guild_id=card.guild_id,
            ticket_id=ticket.id,
            channel_id=card.channel_id,
            message_id=card.message_id,
            thread_id=thread.id,
        )
        self.thread_tickets[thread.id] = ticket.id
        return thread

    async def _already_in_thread(self, thread: discord.Thread, key: str) -> bool:
        try:
            async for message in thread.history(limit=100):
                if message.embeds and key in (message.embeds[0].footer.text or ""):
                    return True
        except discord.HTTPException:
            return False
        return False

    async def _post_message(
        self, thread: discord.Thread, guild_id: int, ticket: Ticket, message: Message, *, notify: bool
    ) -> None:
        content = None
        mentions = discord.AllowedMentions.none()
        text = player_text(message.content, 4000)
        cut = (
            " · cut to fit Discord; the full text is on Series"
            if text.endswith("…") and len(message.content) > 3000
            else ""
        )
        if message.is_player:
            embed = discord.Embed(colour=discord.Colour.blurple(), description=text)
            embed.set_author(name=clip(f"{ticket.author.name} (player)", 256))
            if notify and ticket.claimed_by:
                members = await self.bot.links.members_for(guild_id=guild_id, roblox_user_id=ticket.claimed_by)
                if members:
                    content = " ".join(f"<@{m}>" for m in members[:5]) + " the player answered"
                    mentions = discord.AllowedMentions(users=[discord.Object(m) for m in members[:5]])
        else:
            embed = discord.Embed(colour=discord.Colour.green(), description=text)
            reply = await self._our_reply(ticket.id, message)
            if reply is not None:
                embed.set_author(name="Staff reply sent from Discord")
                content = f"💬 Reply by <@{reply}>"
            else:
                embed.set_author(
                    name=clip(f"Staff reply on the Series website by {message.author_id or 'unknown'}", 256)
                )
                staff = await self.bot.links.members_for(guild_id=guild_id, roblox_user_id=message.author_id or 0)
                if staff:
                    content = f"Reply on the Series website by <@{staff[0]}>"  # shown, not pinged (no allowance)
        embed.set_footer(text=f"{message.id} · {message.timestamp[:16].replace('T', ' ')} UTC{cut}")
        await thread.send(content=content, embed=embed, allowed_mentions=mentions)

    async def _our_reply(self, ticket_id: str, message: Message) -> int | None:
        """The Discord member who sent this staff message through the bot, if one did."""
        return await self.bot.replies.sender_of(
            ticket_id=ticket_id, roblox_user_id=message.author_id or 0, content=message.content
        )

    # -- route problems ----------------------------------------------------------------------------------------

    def _may_retry(self, route: Route) -> bool:
        key = (route.guild_id, route.department)
        now = time.monotonic()
        if now - self._problem_checked.get(key, 0.0) >= PROBLEM_RETRY_SECONDS:
            self._problem_checked[key] = now
            return True
        return False

    async def _route_failed(self, route: Route, problem: str) -> None:
        if route.problem != problem:
            log.warning("Feed route %s/%s: %s", route.guild_id, route.department or "default", problem)
            await self.repo.set_problem(guild_id=route.guild_id, department=route.department, problem=problem)
        self._problem_checked[(route.guild_id, route.department)] = time.monotonic()

    # -- /feed -----------------------------------------------------------------------------------------------

    @feed.command(name="set")
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
        require_manage_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        department = await self._department(department)
        assert interaction.guild_id is not None
        old = await self.repo.set_route(
            guild_id=interaction.guild_id,
            department=department,
            channel_id=channel.id,
            ping_role_id=ping_role.id if ping_role else None,
        )
        self._problem_checked.pop((interaction.guild_id, department), None)
        self._backfill_guilds.add(interaction.guild_id)
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
    @app_commands.describe(department="The department route to remove (leave empty for the default route)")
    async def feed_remove(self, interaction: Interaction, department: str | None = None) -> None:
        """Stop sending tickets to a channel (Manage Server)."""
        require_manage_guild(interaction)
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
        embed.set_footer(text=f"Checking Series every {self.bot.config.feed_poll_seconds:g}s")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @feed_set.autocomplete("department")
    @feed_remove.autocomplete("department")
    async def department_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.bot.ticket_config.department_choices(current)

    async def _department(self, value: str | None) -> str:
        if not value or not value.strip():
            return DEFAULT_ROUTE
        return await self.bot.actions.resolve_department(value)

    async def _department_name(self, department_id: str) -> str:
        config = self.bot.ticket_config.value
        return config.department_name(department_id) if config else department_id

    def _missing_permissions(self, channel: discord.TextChannel) -> str:
        perms = channel.permissions_for(channel.guild.me)
        missing = [p for p in REQUIRED_PERMISSIONS if not getattr(perms, p)]
        return ", ".join(f"**{p.replace('_', ' ').title()}**" for p in missing)


async def setup(bot: TicketBot) -> None:
    repo = FeedRepo(bot.db)
    await bot.add_cog(Feed(bot, repo=repo, poller=Poller(api=bot.api, feed=repo, cache=bot.ticket_cache)))
