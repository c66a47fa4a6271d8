"""The ticket feed's commands (``/feed set|remove|show``), its poll loop, and its listeners.

What a card needs is decided in ``plan.py``; posting cards and threads is ``publisher.py``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.api import SeriesClient, SeriesError, SeriesForbidden
from bot.cache import ConfigCache, TicketCache
from bot.checks import admin_only
from bot.checkup import REQUIRED_PERMISSIONS
from bot.errors import InvalidInput
from bot.events import EventRecorder, iso
from bot.models import Ticket, TicketConfig
from bot.poller import Poller
from bot.ratelimit import BACKGROUND
from bot.render import clip
from bot.repositories import DigestRepo, FeedRepo
from bot.service import ReplySent, StaffActions
from bot.stats import next_digest_time

from .backoff import TicketBackoff
from .publisher import DEFAULT_ROUTE, Publisher, TicketProblem
from .reminders import Reminders
from .report import RouteLine, TicketTrouble, feed_pages
from .views import BackfillButton, FeedPageButton, backfill_choice, pager

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


MAX_REMINDER_MINUTES = 43_200  # 30 days


def reminder_text(unclaimed: float, waiting: float) -> str:
    """How /feed show and the confirmation say a route's reminders."""
    parts = []
    if unclaimed > 0:
        parts.append(f"unclaimed after {minutes_text(unclaimed)}")
    if waiting > 0:
        parts.append(f"player waiting after {minutes_text(waiting)}")
    return " · ".join(parts) if parts else "no reminders"


def minutes_text(minutes: float) -> str:
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"


def refusal_text(message: str) -> str:
    """Series refusing the Tickets module, in its own words, and what that means here."""
    return (
        f"⛔ Series refuses the bot: “{message}”. No tickets arrive until the workspace's owner fixes that on "
        f"Series; the bot asks again every {MAX_BACKOFF / 60:.0f} minutes."
    )


class Feed(commands.Cog):
    """Polls Series and keeps a card per ticket in each server's staff channels."""

    # Discord hides the whole /feed group from members without Manage Server; admin_only() checks again when a
    # command runs, since server admins can change the default (docs/discord-limits.md#permissions-are-a-hint).
    feed = app_commands.Group(
        name="feed",
        description="Choose the channels where tickets appear",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

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
        actions: StaffActions,
        events: EventRecorder,
        reminders: Reminders,
        digests: DigestRepo,
        poll_seconds: float,
    ) -> None:
        self.bot = bot
        self.events = events
        self.reminders = reminders
        self.digests = digests
        self.repo = repo
        self.publisher = publisher
        self.poller = poller
        self.api = api
        self.config = config
        self.tickets = tickets
        self.actions = actions
        self.poll_seconds = poll_seconds
        self._failures = 0
        self._resume_at = 0.0
        #: Series' words when it refuses the tickets module (plan or module off), until a poll succeeds.
        self.series_refusal: str | None = None
        self.backoff = TicketBackoff(base=poll_seconds, clock=self._now)
        self.poll_loop.change_interval(seconds=poll_seconds)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    async def cog_load(self) -> None:
        watch = self.poller.watch  # tickets that finished recently may still change on Series
        since = datetime.now(UTC).timestamp() - watch.window
        watch.load(await self.repo.recently_done(since=iso(datetime.fromtimestamp(since, UTC))))
        self.publisher.backfill_guilds.update(route.guild_id for route in await self.repo.routes())
        self.bot.add_dynamic_items(FeedPageButton, BackfillButton)
        self.poll_loop.start()

    async def cog_unload(self) -> None:
        self.poll_loop.cancel()
        self.bot.remove_dynamic_items(FeedPageButton, BackfillButton)

    # -- polling ---------------------------------------------------------------------------------------------

    @tasks.loop(seconds=15)
    async def poll_loop(self) -> None:
        if self._now() < self._resume_at:
            return
        try:
            await self.poll_once()
        except SeriesForbidden as exc:
            # The plan or the Tickets module is off: final until someone changes it on Series, so ask again only
            # at the longest back-off (a subscription can come back; a retry storm helps nobody).
            self._failures += 1
            self._resume_at = self._now() + MAX_BACKOFF
            if exc.message != self.series_refusal:
                log.warning("Series refuses the feed: %s. Asking again every %.0f s.", exc.message, MAX_BACKOFF)
            self.series_refusal = exc.message
        except Exception as exc:  # noqa: BLE001 - any failure (Series, Discord, the database) backs off the same way
            self._failures += 1
            delay = min(self.poll_seconds * 2**self._failures, MAX_BACKOFF)
            self._resume_at = self._now() + delay
            if isinstance(exc, SeriesError):
                log.warning("Feed poll failed (%s); backing off %.0fs", exc.message, delay)
            else:
                log.warning("Feed poll failed; backing off %.0fs", delay, exc_info=exc)
        else:
            if self._failures:
                log.info("Feed poll recovered after %d failures", self._failures)
            self._failures = 0
            self.series_refusal = None

    @poll_loop.before_loop
    async def _before_poll(self) -> None:
        await self.bot.wait_until_ready()

    async def poll_once(self) -> int:
        """One poll: returns how many changed tickets were shown. A ticket that fails waits on its own back-off;
        the others go on in the same poll."""
        routes = await self.repo.routes()
        shown = 0
        config: TicketConfig | None = None
        config_loaded = False

        async def show(ticket: Ticket) -> None:  # as each one is fetched: a poll never holds all their details
            nonlocal shown, config, config_loaded
            if not config_loaded:
                config, config_loaded = await self.config.get_or_none(), True
            await self._observe(ticket)
            shown += await self._show(ticket, config)

        result = await self.poller.poll(details=bool(routes), due=self.backoff.due, on_changed=show)
        if not routes:
            return 0
        if not config_loaded:
            config = await self.config.get_or_none()
        for ticket_id, problem in result.failed:
            self._ticket_failed(ticket_id, f"Series couldn't give its details: {problem}")
        await self.publisher.retry_broken_routes(routes)
        while self.publisher.backfill_guilds:
            await self._backfill(self.publisher.backfill_guilds.pop(), config)
        self.backoff.forget_all_but(result.listed)
        await self.repo.prime_routes()  # from now on, tickets these routes haven't seen are new to them
        try:
            await self.reminders.run()
        except Exception:  # noqa: BLE001 - reminders must never stop the feed; the next poll tries again
            log.exception("Feed: reminders failed")
        return shown

    async def _observe(self, ticket: Ticket) -> None:
        """Record what happened to the ticket (bot/events.py), for stats and reminders; never stops the feed."""
        try:
            await self.events.observe(ticket)
        except Exception:  # noqa: BLE001 - a failure here costs a statistic, not a card
            log.exception("Feed: could not record the events of %s", ticket.id)

    async def _show(self, ticket: Ticket, config: TicketConfig | None) -> bool:
        """Sync one ticket's cards; a failure is that ticket's alone. True if it was shown in full."""
        try:
            await self.publisher.sync_ticket(ticket, config=config)
        except TicketProblem as exc:
            await self._retry_later(ticket.id, str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - one ticket must never stop the feed for the others
            log.exception("Feed: unexpected failure showing %s", ticket.id)
            await self._retry_later(ticket.id, f"Something went wrong ({type(exc).__name__}).")
            return False
        if self.backoff.succeeded(ticket.id):
            log.info("Feed: %s is shown again", ticket.id)
        return True

    async def _retry_later(self, ticket_id: str, problem: str) -> None:
        """The ticket waits on its own back-off, and counts as changed until it is shown: a ticket that failed
        while being backfilled (or refreshed after an action) may never change again, and the poll fetches only
        changed ones."""
        self._ticket_failed(ticket_id, problem)
        try:
            await self.repo.mark_unhandled(ticket_id=ticket_id)
        except Exception:  # noqa: BLE001 - the back-off still holds; the next change brings it back anyway
            log.exception("Feed: could not mark %s to be fetched again", ticket_id)

    def _ticket_failed(self, ticket_id: str, problem: str) -> None:
        failure = self.backoff.failed(ticket_id, problem)
        delay = failure.retry_at - self._now()
        log.warning("Feed: %s failed (%s); retrying it alone in %.0fs", ticket_id, problem, delay)

    async def _backfill(self, guild_id: int, config: TicketConfig | None) -> None:
        """Give every active ticket without a card in this guild its card: after a route is added or fixed, a
        restart, or a card that could not be posted. Costs one detail request per missing card."""
        routes = {route.department: route for route in await self.repo.routes(guild_id=guild_id)}
        for cached in self.tickets.active():
            if cached.department not in routes and DEFAULT_ROUTE not in routes:
                continue
            if not self.backoff.due(cached.id):
                continue
            card = await self.repo.card(guild_id=guild_id, ticket_id=cached.id)
            if card is not None and card.message_id is not None:
                continue
            try:
                ticket = await self.api.get_ticket(cached.id, priority=BACKGROUND)
            except SeriesError as exc:
                self._ticket_failed(cached.id, f"Series couldn't give its details: {exc.message}")
                continue
            await self._show(ticket, config)

    @commands.Cog.listener()
    async def on_ticket_changed(self, ticket_id: str, sent: ReplySent | None) -> None:
        """A staff action through the bot: update the card now instead of at the next poll."""
        try:
            ticket = await self.api.get_ticket(ticket_id)
        except SeriesError as exc:
            log.info("Could not refresh %s after an action: %s", ticket_id, exc.message)
            return
        self.tickets.put(ticket)
        self.poller.watch.note(ticket)
        if await self.repo.routes():
            await self._observe(ticket)
            await self._show(ticket, await self.config.get_or_none())

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """Someone deleted a card: put it back where it belongs (without pinging anyone again)."""
        card = await self.repo.card_by_message(payload.message_id)
        if card is None:
            return
        log.info("Card for %s was deleted in channel %s; recreating it", card.ticket_id, card.channel_id)
        # Until it is back, the ticket counts as changed: if Series can't give it right now, the next poll fetches
        # it and puts the card back (a quiet ticket would otherwise never be looked at again).
        await self.repo.mark_unhandled(ticket_id=card.ticket_id)
        await self.on_ticket_changed(card.ticket_id, None)

    # -- /feed -----------------------------------------------------------------------------------------------

    @feed.command(name="set")
    @admin_only()
    @app_commands.describe(
        channel="The channel for the ticket cards",
        department="Only this department's tickets (leave empty: all other departments)",
        ping_role="A role to mention when a new ticket arrives",
    )
    async def feed_set(
        self,
        interaction: Interaction,
        channel: discord.TextChannel,
        department: str | None = None,
        ping_role: discord.Role | None = None,
    ) -> None:
        """Show tickets in a channel: every department's, or one department's."""
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
        open_now = await self._prime(interaction.guild_id, department)
        what = f"**{await self._department_name(department)}** tickets" if department else "Tickets"
        lines = [
            f"✅ {what} now appear in {channel.mention}" + (f", mentioning {ping_role.mention}." if ping_role else ".")
        ]
        if old and old.channel_id != channel.id:
            lines.append(f"They went to <#{old.channel_id}> before; each card moves over when its ticket changes.")
        missing = self._missing_permissions(channel)
        if missing:
            lines.append(f"⚠️ I'm missing {missing} in {channel.mention}; cards can't appear until that's fixed.")
        view = discord.utils.MISSING
        if old is None and open_now:
            # A new route over open tickets: no flood. It posts only new ones until the admin asks for all of them.
            await self.repo.set_backfill(guild_id=interaction.guild_id, department=department, backfill=False)
            lines.append(
                f"There {'is' if open_now == 1 else 'are'} **{open_now}** open ticket{'s' if open_now != 1 else ''} "
                "already. Only new ones will appear, unless you want these too:"
            )
            view = backfill_choice(department, open_now)
        elif old is None:
            lines.append("New tickets will appear here as they come in.")
        await interaction.followup.send("\n".join(lines), view=view, ephemeral=True)

    async def post_existing(self, guild_id: int, department: str) -> None:
        """The admin's answer: post every open ticket of the route too."""
        await self.repo.set_backfill(guild_id=guild_id, department=department, backfill=True)
        self.publisher.route_changed(guild_id, department)

    async def _prime(self, guild_id: int, department: str) -> int:
        """List every active ticket now, so the ones already open count as backfill (no ping) and the next new
        one pings at once. Returns how many open tickets the route covers (0 when Series can't be reached: the
        next poll primes the route instead)."""
        try:
            result = await self.poller.poll(details=False)
        except SeriesError as exc:
            log.info("Could not list tickets for the new route (%s); the next poll will", exc.message)
            return 0
        await self.repo.prime_routes(guild_id=guild_id, department=department)
        if department:
            return sum(1 for t in self.tickets.active() if t.department == department)
        routed = {r.department for r in await self.repo.routes(guild_id=guild_id)} - {DEFAULT_ROUTE}
        return sum(1 for t in self.tickets.active() if t.department not in routed and t.id in result.listed)

    @feed.command(name="remove")
    @admin_only()
    @app_commands.describe(department="The department to stop showing (leave empty: all other departments)")
    async def feed_remove(self, interaction: Interaction, department: str | None = None) -> None:
        """Stop showing tickets in a channel (their cards stay)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        department = await self._department(department)
        assert interaction.guild_id is not None
        old = await self.repo.remove_route(guild_id=interaction.guild_id, department=department)
        name = (
            f"**{await self._department_name(department)}** tickets"
            if department
            else "tickets of all other departments"
        )
        if old is None:
            text = f"Nothing was showing {name}, so nothing changed. `/feed show` lists what is set up."
        else:
            text = f"✅ {name[0].upper()}{name[1:]} no longer appear in <#{old.channel_id}>. Their cards stay."
        await interaction.followup.send(text, ephemeral=True)

    @feed.command(name="reminders")
    @admin_only()
    @app_commands.describe(
        unclaimed_minutes="Remind the channel of tickets still unclaimed this many minutes after opening (0: off)",
        waiting_minutes="Remind the claimer when the player has waited this many minutes for an answer (0: off)",
        department="The route's department (leave empty: the route for all other departments)",
    )
    async def feed_reminders(
        self,
        interaction: Interaction,
        unclaimed_minutes: app_commands.Range[float, 0, MAX_REMINDER_MINUTES],
        waiting_minutes: app_commands.Range[float, 0, MAX_REMINDER_MINUTES],
        department: str | None = None,
    ) -> None:
        """Remind staff of tickets nobody claimed, and of players waiting for an answer."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        department = await self._department(department)
        assert interaction.guild_id is not None
        found = await self.repo.set_reminders(
            guild_id=interaction.guild_id, department=department, unclaimed=unclaimed_minutes, waiting=waiting_minutes
        )
        name = f"**{await self._department_name(department)}**" if department else "the default route"
        if not found:
            raise InvalidInput(f"There is no route for {name} yet. Add one with `/feed set` first.")
        await self.actions.audit.record(
            guild_id=interaction.guild_id,
            member_id=interaction.user.id,
            roblox_user_id=None,
            ticket_id="",
            action=f"feed reminders {department or 'default'}",
            result=f"ok: unclaimed {unclaimed_minutes:g} min, waiting {waiting_minutes:g} min",
        )
        await interaction.followup.send(
            f"✅ Reminders for {name}: {reminder_text(unclaimed_minutes, waiting_minutes)}.", ephemeral=True
        )

    @feed.command(name="digest")
    @admin_only()
    @app_commands.describe(channel="Where to post the weekly digest (leave empty: stop posting it)")
    async def feed_digest(self, interaction: Interaction, channel: discord.TextChannel | None = None) -> None:
        """Post a weekly digest of the team's stats (Mondays, 09:00 UTC)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        if channel is None:
            removed = await self.digests.remove(guild_id=interaction.guild_id)
            text = "✅ No more weekly digest." if removed else "There was no weekly digest to stop."
        else:
            now = datetime.now(UTC)
            await self.digests.set(
                guild_id=interaction.guild_id, channel_id=channel.id, by=interaction.user.id, now=iso(now)
            )
            first = int(next_digest_time(now).timestamp())
            text = f"✅ The weekly digest will appear in {channel.mention}, first <t:{first}:F>."
            missing = self._missing_permissions(channel)
            if missing:
                text += f"\n⚠️ I'm missing {missing} in {channel.mention}; fix that before then."
        await self.actions.audit.record(
            guild_id=interaction.guild_id,
            member_id=interaction.user.id,
            roblox_user_id=None,
            ticket_id="",
            action="feed digest",
            result=f"ok: {'channel ' + str(channel.id) if channel else 'off'}",
        )
        await interaction.followup.send(text, ephemeral=True)

    @feed.command(name="show")
    @admin_only()
    async def feed_show(self, interaction: Interaction) -> None:
        """Where tickets appear, and anything that stops them."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        pages = await self.report(interaction.guild_id)
        if pages is None:
            text = "No routes yet: tickets aren't posted anywhere. Add one with `/feed set channel`."
            if self.series_refusal:
                text = f"{refusal_text(self.series_refusal)}\n\n{text}"
            await interaction.followup.send(text, ephemeral=True)
            return
        await interaction.followup.send(embed=pages[0], view=pager(0, len(pages)), ephemeral=True)

    async def report(self, guild_id: int) -> list[discord.Embed] | None:
        """The pages of ``/feed show`` for a server, or None when it has no route."""
        routes = await self.repo.routes(guild_id=guild_id)
        if not routes:
            return None
        lines = []
        for route in routes:
            channel = self.bot.get_channel(route.channel_id)
            problems = []
            if not isinstance(channel, discord.TextChannel):
                problems.append("That channel is gone or I can't see it.")
            else:
                missing = self._missing_permissions(channel)
                if missing:
                    problems.append(f"I'm missing {missing} there.")
            if route.problem:
                problems.append(f"Last problem: {route.problem}")
            name = await self._department_name(route.department) if route.department else "All other departments"
            reminders = reminder_text(route.remind_unclaimed, route.remind_waiting)
            lines.append(RouteLine(name, route.channel_id, route.ping_role_id, tuple(problems), reminders))
        troubles = {f.ticket_id: TicketTrouble(f.ticket_id, f.problem) for f in self.backoff.failures()}
        for card in await self.repo.card_problems(guild_id=guild_id, limit=500):
            troubles.setdefault(card.ticket_id, TicketTrouble(card.ticket_id, card.problem or ""))
        digest = await self.digests.get(guild_id=guild_id)
        digest_line = "No weekly digest (`/feed digest` sets one)."
        if digest is not None:
            when = int(next_digest_time(datetime.now(UTC)).timestamp())
            digest_line = f"Weekly digest in <#{digest.channel_id}>, next <t:{when}:F>."
            if digest.problem:
                digest_line += f"\n⚠️ {clip(digest.problem, 200)}"
        return feed_pages(
            lines,
            list(troubles.values()),
            poll_seconds=self.poll_seconds,
            series_problem=refusal_text(self.series_refusal) if self.series_refusal else None,
            digest=digest_line,
        )

    @feed_set.autocomplete("department")
    @feed_remove.autocomplete("department")
    async def department_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        staff = interaction.guild_id is not None and await self.actions.is_linked(
            guild_id=interaction.guild_id, member_id=interaction.user.id
        )
        return self.config.department_choices(current, may_load=staff)

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
