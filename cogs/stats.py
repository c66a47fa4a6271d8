"""``/stats`` for linked staff, and the weekly digest admins set with ``/feed digest``.

Both read the events the bot recorded (``bot/events.py``, ``bot/stats.py``), never Series, so ``/stats`` answers
within Discord's 3 seconds however much history there is. The digest goes out on Mondays at 09:00 UTC (shown to
each admin in their own time zone); its week is marked as sent before it is posted, so a restart never posts it
twice.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cache import ConfigCache
from bot.chart import BLUE, GREEN, bar_chart
from bot.errors import NotAllowed
from bot.events import iso
from bot.names import Names
from bot.render import clip
from bot.repositories import DigestRepo, EventRepo, StaffLinkRepo
from bot.stats import Figures, Spread, gather, last_digest_time

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

log = logging.getLogger(__name__)

STATS_COLOUR = discord.Colour(0x5865F2)
ROWS = 8  # staff members and departments shown (the busiest first)
CHART_NAME = "stats.png"


def duration(seconds: float | None) -> str:
    """``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``: short enough for a phone."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _spread_line(spread: Spread, one: str, many: str) -> str:
    if not spread.count:
        return f"No {many} in this time yet."
    return (
        f"median **{duration(spread.median)}** · 90% within **{duration(spread.p90)}** · "
        f"{plural(spread.count, one, many)}"
    )


def stats_embed(
    figures: Figures,
    *,
    title: str,
    people: Mapping[int, str],
    departments: Mapping[str, str],
    member_view: bool = False,
    chart: bool = False,
) -> discord.Embed:
    """The figures as they read on a phone: one short line per fact, Discord timestamps for the window."""
    since, until = int(figures.since.timestamp()), int(figures.until.timestamp())
    embed = discord.Embed(title=title, colour=STATS_COLOUR, description=f"<t:{since}:f> → <t:{until}:f>")
    replies = f"**{figures.replied}** repl{'y' if figures.replied == 1 else 'ies'}"
    if member_view:
        counts = f"**{figures.claimed}** claimed · {replies} · **{figures.resolved}** resolved"
    else:
        counts = (
            f"**{figures.opened}** opened · **{figures.claimed}** claimed · {replies} · "
            f"**{figures.resolved}** resolved · **{figures.closed}** closed"
        )
    embed.add_field(name="Tickets", value=counts, inline=False)
    one, many = ("ticket they claimed", "tickets they claimed") if member_view else ("ticket", "tickets")
    embed.add_field(name="First response", value=_spread_line(figures.first_response, one, many), inline=False)
    embed.add_field(name="Resolution", value=_spread_line(figures.resolution, "resolve", "resolves"), inline=False)
    if figures.staff and not member_view:
        lines = [
            f"{people.get(s.roblox_id, f'Roblox user {s.roblox_id}')} · {s.claims} claimed · "
            f"{plural(s.replies, 'reply', 'replies')} · {s.resolves} resolved · "
            f"first reply {duration(s.first_response.median)}"
            for s in figures.staff[:ROWS]
        ]
        if len(figures.staff) > ROWS:
            lines.append(f"…and {len(figures.staff) - ROWS} more")
        embed.add_field(name="By staff", value=clip("\n".join(lines), 1024), inline=False)
    if figures.departments:
        lines = [
            f"**{clip(departments.get(d.department, d.department) or 'No department', 60)}** · {d.opened} opened · "
            f"{d.resolved} resolved · first reply {duration(d.first_response.median)}"
            for d in figures.departments[:ROWS]
        ]
        embed.add_field(name="By department", value=clip("\n".join(lines), 1024), inline=False)
    if chart:
        embed.set_image(url=f"attachment://{CHART_NAME}")
        embed.add_field(name="Per day (UTC)", value="🟦 opened · 🟩 resolved", inline=False)
    embed.set_footer(text="From what the bot has seen on Series (website replies count too). 90%: nearest rank.")
    return embed


def chart_file(figures: Figures) -> discord.File:
    labels = [day[8:10].lstrip("0") for day, _, _ in figures.daily]
    picture = bar_chart(labels, [(BLUE, [o for _, o, _ in figures.daily]), (GREEN, [r for _, _, r in figures.daily])])
    return discord.File(io.BytesIO(picture), filename=CHART_NAME)


class Stats(commands.Cog):
    def __init__(
        self,
        bot: TicketBot,
        *,
        events: EventRepo,
        links: StaffLinkRepo,
        digests: DigestRepo,
        names: Names,
        config: ConfigCache,
        retention_days: int,
    ) -> None:
        self.bot = bot
        self.events = events
        self.links = links
        self.digests = digests
        self.names = names
        self.config = config
        self.retention_days = retention_days
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def cog_load(self) -> None:
        self.digest_loop.start()

    async def cog_unload(self) -> None:
        self.digest_loop.cancel()

    @app_commands.command(name="stats")
    @app_commands.guild_only()
    @app_commands.describe(
        days="How many days back (default 7)", member="Only this staff member's work (default: the whole team)"
    )
    async def stats(
        self,
        interaction: Interaction,
        days: app_commands.Range[int, 1, 365] = 7,
        member: discord.Member | None = None,
    ) -> None:
        """How quickly tickets are answered and resolved, and who did what."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        if await self.links.get(guild_id=interaction.guild_id, member_id=interaction.user.id) is None:
            raise NotAllowed("Stats are for linked staff. Ask a server admin to link you with `/staff link`.")
        note = ""
        if days > self.retention_days:
            note = f"The bot keeps {self.retention_days} days of history (DATA_RETENTION_DAYS), so that is shown."
            days = self.retention_days
        roblox_id = None
        if member is not None:
            link = await self.links.get(guild_id=interaction.guild_id, member_id=member.id)
            if link is None:
                raise NotAllowed(
                    f"{member.mention} isn't linked to a Roblox account, so their work can't be told apart."
                )
            roblox_id = link.roblox_user_id
        until = self.now()
        figures = await gather(self.events, since=until - timedelta(days=days), until=until, member=roblox_id)
        title = f"📊 Last {days} day{'s' if days != 1 else ''}"
        if member is not None:
            title = f"📊 {clip(member.display_name, 60)}: last {days} day{'s' if days != 1 else ''}"
        embed = await self._embed(interaction.guild_id, figures, title=title, member_view=member is not None)
        files = [chart_file(figures)] if days > 1 else []
        if files:
            embed.set_image(url=f"attachment://{CHART_NAME}")
        await interaction.followup.send(note or discord.utils.MISSING, embed=embed, files=files, ephemeral=True)

    async def _embed(self, guild_id: int, figures: Figures, *, title: str, member_view: bool) -> discord.Embed:
        people = await self.names.for_embed(guild_id, [s.roblox_id for s in figures.staff[:ROWS]])
        config = self.config.value
        departments = (
            {d: config.department_name(d) for d in (x.department for x in figures.departments)} if config else {}
        )
        return stats_embed(
            figures,
            title=title,
            people=people,
            departments=departments,
            member_view=member_view,
            chart=len(figures.daily) > 1,
        )

    # -- the weekly digest -------------------------------------------------------------------------------------

    @tasks.loop(minutes=5)
    async def digest_loop(self) -> None:
        try:
            await self.post_due_digests()
        except Exception:  # noqa: BLE001 - the next run tries again; the loop must not stop
            log.exception("Weekly digest failed")

    @digest_loop.before_loop
    async def _before_digest(self) -> None:
        await self.bot.wait_until_ready()

    async def post_due_digests(self) -> int:
        """Post every server's digest whose week is due; one failing server never stops the others."""
        now = self.now()
        due = last_digest_time(now)
        posted = 0
        for digest in await self.digests.all():
            if digest.last_sent_at is not None and digest.last_sent_at >= iso(due):
                continue
            if not await self.digests.claim(guild_id=digest.guild_id, due=iso(due), now=iso(now)):
                continue
            try:
                await self._post_digest(digest.guild_id, digest.channel_id, until=due)
            except Exception as exc:  # noqa: BLE001 - reported in /feed show; next week tries again
                problem = getattr(exc, "text", None) or type(exc).__name__
                log.warning("Weekly digest for server %s failed: %s", digest.guild_id, problem)
                await self.digests.set_problem(guild_id=digest.guild_id, problem=f"The last one failed: {problem}")
                continue
            await self.digests.set_problem(guild_id=digest.guild_id, problem=None)
            posted += 1
        return posted

    async def _post_digest(self, guild_id: int, channel_id: int, *, until: datetime) -> None:
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise LookupError("the channel is gone or hidden from the bot")
        since = until - timedelta(days=7)
        figures = await gather(self.events, since=since, until=until)
        embed = await self._embed(guild_id, figures, title="📊 Weekly digest", member_view=False)
        await channel.send(embed=embed, file=chart_file(figures))


async def setup(bot: TicketBot) -> None:
    services = bot.services
    await bot.add_cog(
        Stats(
            bot,
            events=services.events.repo,
            links=services.links,
            digests=services.digests,
            names=services.names,
            config=services.workspace.config,
            retention_days=services.settings.data_retention_days,
        )
    )
