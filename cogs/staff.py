"""Linking staff members' Discord accounts to their Roblox user ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import admin_only
from bot.errors import InvalidInput
from bot.render import clip
from bot.repositories import StaffLinkRepo
from bot.validation import clean_roblox_id

if TYPE_CHECKING:
    from bot.client import TicketBot

LIST_LIMIT = 4000


def profile(roblox_user_id: int) -> str:
    return f"[{roblox_user_id}](https://www.roblox.com/users/{roblox_user_id}/profile)"


class Staff(commands.Cog):
    """Who is who: Discord members ↔ Roblox user ids (the ``staffUserId`` Series expects)."""

    # Hidden from members without Manage Server; admin_only() checks again when a command runs.
    staff = app_commands.Group(
        name="staff",
        description="Link staff to their Roblox accounts",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, *, links: StaffLinkRepo) -> None:
        self.links = links

    @staff.command(name="link")
    @admin_only()
    @app_commands.describe(
        member="The staff member to link",
        roblox_user_id="Their Roblox user id (the number in roblox.com/users/<id>/profile) or profile link",
    )
    async def staff_link(
        self, interaction: discord.Interaction, member: discord.Member, roblox_user_id: app_commands.Range[str, 1, 100]
    ) -> None:
        """Link a staff member to their Roblox account, so they can act on tickets (Manage Server)."""
        if member.bot:
            raise InvalidInput(f"{member.mention} is a bot. Only people can be linked to a Roblox account.")
        roblox_id = clean_roblox_id(roblox_user_id)
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)  # before the database, which may be busy
        old = await self.links.link(
            guild_id=interaction.guild_id, member_id=member.id, roblox_user_id=roblox_id, linked_by=interaction.user.id
        )
        if old is None:
            text = f"✅ Linked {member.mention} to Roblox user {profile(roblox_id)}."
        elif old == roblox_id:
            text = f"✅ {member.mention} was already linked to Roblox user {profile(roblox_id)}; nothing changed."
        else:
            text = f"✅ Relinked {member.mention} to Roblox user {profile(roblox_id)} (it was {profile(old)} before)."
        await interaction.followup.send(text, ephemeral=True, suppress_embeds=True)

    @staff.command(name="unlink")
    @admin_only()
    @app_commands.describe(member="The staff member to unlink (people who left the server can be unlinked too)")
    async def staff_unlink(self, interaction: discord.Interaction, member: discord.User) -> None:
        """Remove a staff member's Roblox link (Manage Server)."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        old = await self.links.unlink(guild_id=interaction.guild_id, member_id=member.id)
        if old is None:
            text = f"{member.mention} is not linked, so there was nothing to remove."
        else:
            text = f"✅ Unlinked {member.mention} (was Roblox user {profile(old)})."
        await interaction.followup.send(text, ephemeral=True, suppress_embeds=True)

    @staff.command(name="list")
    @admin_only()
    async def staff_list(self, interaction: discord.Interaction) -> None:
        """List every linked staff member in this server (Manage Server)."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        links = await self.links.list(guild_id=interaction.guild_id)
        if not links:
            await interaction.followup.send(
                "Nobody is linked yet. Link staff with `/staff link member roblox_user_id`.", ephemeral=True
            )
            return
        lines = [f"<@{link.member_id}> → Roblox `{link.roblox_user_id}`" for link in links]
        body = ""
        for shown, line in enumerate(lines):
            if len(body) + len(line) + 40 > LIST_LIMIT:
                body += f"…and {len(lines) - shown} more"
                break
            body += line + "\n"
        embed = discord.Embed(title=f"Linked staff ({len(links)})", description=body, colour=discord.Colour.blurple())
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="whoami")
    @app_commands.guild_only()
    async def whoami(self, interaction: discord.Interaction) -> None:
        """Which Roblox account you act as on Series."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        link = await self.links.get(guild_id=interaction.guild_id, member_id=interaction.user.id)
        if link is None:
            text = "You're not linked to a Roblox account yet. Ask a server admin to run `/staff link` for you."
        else:
            text = (
                f"You act on Series as Roblox user `{link.roblox_user_id}` ({clip(profile(link.roblox_user_id), 200)})."
            )
        await interaction.followup.send(text, ephemeral=True, suppress_embeds=True)


async def setup(bot: TicketBot) -> None:
    await bot.add_cog(Staff(links=bot.services.links))
