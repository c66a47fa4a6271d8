"""Who is who: staff members' Discord accounts linked to their Roblox accounts (the ``staffUserId`` Series expects).

Admins link by name, profile link or id, or to the account Bloxlink/RoVer verified (``/staff link``); members link
themselves to their verified account when it belongs to a department on Series (``/link-me``). The rules live in
``bot.identity``; this module asks and answers.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.cache import ConfigCache
from bot.checks import ADMIN_REFUSAL, admin_only
from bot.errors import InvalidInput, NotAllowed
from bot.identity import Identity, Linked
from bot.render import player_text, profile_url
from bot.repositories import StaffLinkRepo
from bot.roblox import RobloxDirectory
from bot.ui import guarded

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

LIST_LIMIT = 3800
LIST_BUDGET = 2.0  # seconds Roblox may take to name everyone in /staff list (the answer is deferred)
LINK_COLOUR = discord.Colour(0x2ECC71)


def roblox_line(roblox_id: int, user: Any | None) -> str:
    """**Display** (@name) · id, linked to the profile; the id alone (marked as not looked up yet) without a name."""
    url = profile_url(roblox_id)
    if user is None:
        return f"[{roblox_id}]({url}) (name not known yet)"
    display = player_text(user.display_name or user.name, 60)
    name = player_text(user.name, 40)
    return (
        f"**{display}** ([@{name}]({url}) · {roblox_id})" if display != name else f"**[@{name}]({url})** · {roblox_id}"
    )


def linked_answer(member: discord.abc.User, linked: Linked) -> tuple[str, discord.Embed]:
    """What the admin (or the member) reads after a link: who, as whom, what it replaced, how it was proven."""
    how = "" if linked.source == "typed" else f" (verified with {linked.source})"
    if linked.previous == linked.roblox_id:
        head = f"✅ {member.mention} was already linked to this account; nothing changed."
    elif linked.previous:
        head = f"✅ Relinked {member.mention}{how}. Before, they acted as Roblox user {linked.previous}."
    else:
        head = f"✅ Linked {member.mention}{how}."
    embed = discord.Embed(
        colour=LINK_COLOUR, description=f"Acts on Series as {roblox_line(linked.roblox_id, linked.user)}"
    )
    if linked.headshot:
        embed.set_thumbnail(url=linked.headshot)
    return head, embed


class UndoLinkButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"staff:undo:(?P<member>[0-9]{1,20}):(?P<made>[0-9]{1,19}):(?P<previous>[0-9]{1,19})",
):
    """Undo a link just made: back to the previous account, or unlinked. Only while the link is still that one."""

    def __init__(self, member: int, made: int, previous: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Undo", style=discord.ButtonStyle.secondary, custom_id=f"staff:undo:{member}:{made}:{previous}"
            )
        )
        self.member, self.made, self.previous = member, made, previous

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["member"]), int(match["made"]), int(match["previous"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        identity = interaction.client.services.identity
        assert interaction.guild_id is not None
        if interaction.user.id != self.member and not interaction.permissions.manage_guild:
            raise NotAllowed(ADMIN_REFUSAL)
        result = await identity.undo(
            guild_id=interaction.guild_id,
            member_id=self.member,
            made=self.made,
            previous=self.previous or None,
            by=interaction.user.id,
        )
        text = (
            f"↩️ Undone: <@{self.member}> acts as Roblox user {self.previous} again."
            if self.previous
            else (f"↩️ Undone: <@{self.member}> isn't linked any more.")
        )
        await interaction.response.edit_message(
            content=text if result.startswith("ok") else result, embed=None, view=None
        )


def undo_view(linked: Linked) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if linked.previous != linked.roblox_id:
        view.add_item(UndoLinkButton(linked.member_id, linked.roblox_id, linked.previous or 0))
    return view


class Staff(commands.Cog):
    """Linking Discord members to their Roblox accounts."""

    # Hidden from members without Manage Server; admin_only() checks again when a command runs.
    staff = app_commands.Group(
        name="staff",
        description="Link staff to their Roblox accounts",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(
        self, bot: TicketBot, *, links: StaffLinkRepo, identity: Identity, roblox: RobloxDirectory, config: ConfigCache
    ) -> None:
        self.bot = bot
        self.links = links
        self.identity = identity
        self.roblox = roblox
        self.config = config

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(UndoLinkButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(UndoLinkButton)

    @staff.command(name="link")
    @admin_only()
    @app_commands.describe(
        member="The staff member",
        roblox="Their Roblox username, profile link or id (leave empty: the account they verified)",
    )
    async def staff_link(
        self, interaction: Interaction, member: discord.Member, roblox: app_commands.Range[str, 1, 100] | None = None
    ) -> None:
        """Link a staff member to their Roblox account, so they can work on tickets."""
        if member.bot:
            raise InvalidInput(f"{member.mention} is a bot. Only people can be linked to a Roblox account.")
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)  # Roblox and the database may be slow
        if roblox is None:
            linked = await self.identity.link_verified(
                guild_id=interaction.guild_id, member_id=member.id, by=interaction.user.id
            )
        else:
            linked = await self.identity.link_typed(
                guild_id=interaction.guild_id, member_id=member.id, text=roblox, by=interaction.user.id
            )
        head, embed = linked_answer(member, linked)
        await interaction.followup.send(head, embed=embed, view=undo_view(linked), ephemeral=True)

    @staff.command(name="unlink")
    @admin_only()
    @app_commands.describe(member="The staff member (people who left the server can be unlinked too)")
    async def staff_unlink(self, interaction: Interaction, member: discord.User) -> None:
        """Remove a staff member's Roblox link."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        old = await self.links.unlink(guild_id=interaction.guild_id, member_id=member.id)
        if old is None:
            text = f"{member.mention} is not linked, so there was nothing to remove."
        else:
            user = await self.roblox.cached(old)
            text = f"✅ Unlinked {member.mention} (they acted as {roblox_line(old, user)})."
        await interaction.followup.send(text, ephemeral=True, suppress_embeds=True)

    @staff.command(name="list")
    @admin_only()
    async def staff_list(self, interaction: Interaction) -> None:
        """Everyone linked here, with their Roblox names, and who is missing."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        links = await self.links.list(guild_id=interaction.guild_id)
        config = await self.config.get_or_none()
        members = {m for d in (config.departments.values() if config else ()) for m in d.members}
        linked_ids = {link.roblox_user_id for link in links}
        missing = sorted(members - linked_ids)
        # All at once, within one budget: Roblox's own limiter queues them, and what it can't answer in time
        # shows from the cache (or as not known yet) and is filled in by the maintenance loop.
        users = await asyncio.gather(
            *(self.roblox.lookup(i, deadline=LIST_BUDGET) for i in [*(x.roblox_user_id for x in links), *missing])
        )
        lines = []
        for link, user in zip(links, users, strict=False):
            flag = " ⚠️ in no department" if config is not None and link.roblox_user_id not in members else ""
            lines.append(f"<@{link.member_id}> → {roblox_line(link.roblox_user_id, user)}{flag}")
        unlinked = [roblox_line(i, user) for i, user in zip(missing, users[len(links) :], strict=True)]
        embed = discord.Embed(title=f"Linked staff ({len(links)})", colour=discord.Colour(0x3498DB))
        embed.description = _fit(lines, "Nobody is linked yet. Link staff with `/staff link`, or let them `/link-me`.")
        if unlinked:
            embed.add_field(
                name=f"On Series, in a department, but not linked ({len(unlinked)})",
                value=_fit(unlinked, "", limit=1000),
                inline=False,
            )
        if config is None:
            embed.set_footer(text="Series' departments couldn't be read, so nobody is flagged.")
        elif any("⚠️" in line for line in lines):
            embed.set_footer(text="⚠️ in no department: Series lists that Roblox account in none of its departments.")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="whoami")
    @app_commands.guild_only()
    async def whoami(self, interaction: Interaction) -> None:
        """Which Roblox account you act as on Series."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        link = await self.links.get(guild_id=interaction.guild_id, member_id=interaction.user.id)
        if link is None:
            how = " You can also `/link-me` to the account you verified." if self.identity.self_link else ""
            text = f"You're not linked to a Roblox account yet. Ask a server admin to run `/staff link` for you.{how}"
        else:
            user = await self.roblox.lookup(link.roblox_user_id, deadline=1.0)
            text = f"You act on Series as {roblox_line(link.roblox_user_id, user)}."
        await interaction.followup.send(text, ephemeral=True, suppress_embeds=True)

    @app_commands.command(name="link-me")
    @app_commands.guild_only()
    async def link_me(self, interaction: Interaction) -> None:
        """Link yourself to the Roblox account you verified (staff on Series only)."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        linked = await self.identity.link_me(guild_id=interaction.guild_id, member_id=interaction.user.id)
        head, embed = linked_answer(interaction.user, linked)
        await interaction.followup.send(head, embed=embed, view=undo_view(linked), ephemeral=True)


def _fit(lines: list[str], empty: str, *, limit: int = LIST_LIMIT) -> str:
    body = ""
    for shown, line in enumerate(lines):
        if len(body) + len(line) + 40 > limit:
            return body + f"…and {len(lines) - shown} more"
        body += line + "\n"
    return body.strip() or empty or "—"


async def setup(bot: TicketBot) -> None:
    services = bot.services
    await bot.add_cog(
        Staff(
            bot,
            links=services.links,
            identity=services.identity,
            roblox=services.roblox,
            config=services.workspace.config,
        )
    )
