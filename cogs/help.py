"""``/help``: what the bot does, the commands the caller can use, and for admins a setup checklist that looks at
this server as it is (routes, links, the bot's permissions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import is_admin
from bot.checkup import REQUIRED_PERMISSIONS
from bot.repositories import FeedRepo, StaffLinkRepo

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

STAFF_COMMANDS = (
    ("/ticket list", "the queue: open tickets, yours, or nobody's yet"),
    ("/reply", "answer a ticket (or press **Reply** on its card)"),
    ("/ticket show", "a ticket and its latest messages"),
    ("/ticket claim · unclaim", "take a ticket, or let go of it"),
    ("/ticket status · transfer", "resolve, close, reopen, or hand it to another department"),
    ("/ticket history · transcript", "who did what to a ticket; its whole conversation as a file"),
    ("/stats", "how fast tickets are answered and resolved, and who did what"),
    ("/whoami", "the Roblox account you act as"),
)
ADMIN_COMMANDS = (
    ("/staff link · unlink · list", "who acts as which Roblox account"),
    ("/feed set · remove · show", "the channels where tickets appear, and what stops them"),
    ("/feed reminders · digest", "reminders for unclaimed and waiting tickets; a weekly digest"),
    ("/snippet add · edit · remove · list", "canned replies staff send with /reply message:+name"),
)
NEEDED = REQUIRED_PERMISSIONS


class Help(commands.Cog):
    def __init__(self, *, links: StaffLinkRepo, feed: FeedRepo) -> None:
        self.links = links
        self.feed = feed

    @app_commands.command(name="help")
    @app_commands.guild_only()
    async def help(self, interaction: Interaction) -> None:
        """What this bot does, and the commands you can use."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        linked = await self.links.get(guild_id=interaction.guild_id, member_id=interaction.user.id)
        embed = discord.Embed(
            title="Ticket Bridge",
            colour=discord.Colour(0x3498DB),
            description=(
                "Your group's Series support tickets, here in Discord. New tickets appear as cards in the staff "
                "channels; press **Claim**, then **Reply**, and the player gets your answer on Series, sent as "
                "your own Roblox account. The conversation follows in each card's thread."
            ),
        )
        staff = "\n".join(f"`{name}` {what}" for name, what in STAFF_COMMANDS)
        if linked is None and is_admin(interaction):
            staff += (
                "\n-# You aren't linked to a Roblox account yet, so these won't work for you. Link yourself: "
                f"`/staff link member:@{interaction.user.name} roblox:<your Roblox username>`."
            )
        elif linked is None:
            staff += (
                "\n-# You aren't linked to a Roblox account yet, so these won't work for you. Ask an admin, or "
                "try `/link-me` if you verified with Bloxlink or RoVer."
            )
        embed.add_field(name="For staff", value=staff, inline=False)
        if is_admin(interaction):
            embed.add_field(name="For admins", value="\n".join(f"`{n}` {w}" for n, w in ADMIN_COMMANDS), inline=False)
            embed.add_field(name="Setup checklist", value=await self._checklist(interaction), inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True)

    async def _checklist(self, interaction: Interaction) -> str:
        assert interaction.guild is not None and interaction.guild_id is not None
        routes = await self.feed.routes(guild_id=interaction.guild_id)
        links = await self.links.list(guild_id=interaction.guild_id)
        lines = [
            _check(bool(links), f"{len(links)} staff linked" if links else "Link your staff: `/staff link`"),
            _check(
                bool(routes),
                f"{len(routes)} channel{'s' if len(routes) != 1 else ''} showing tickets"
                if routes
                else "Choose a channel for tickets: `/feed set`",
            ),
        ]
        me = interaction.guild.me
        for route in routes[:5]:
            channel = interaction.guild.get_channel(route.channel_id)
            if not isinstance(channel, discord.TextChannel):
                lines.append(_check(False, f"<#{route.channel_id}> is gone: `/feed set` another channel"))
                continue
            perms = channel.permissions_for(me)
            missing = [p.replace("_", " ") for p in NEEDED if not getattr(perms, p)]
            lines.append(
                _check(
                    not missing,
                    f"{channel.mention}: " + (f"I need {', '.join(missing)}" if missing else "I can post there"),
                )
            )
        lines.append("Everything else: `/feed show`.")
        return "\n".join(lines)[:1024]


def _check(ok: bool, text: str) -> str:
    return ("✅ " if ok else "⬜ ") + text


async def setup(bot: TicketBot) -> None:
    await bot.add_cog(Help(links=bot.services.links, feed=bot.services.feed))
