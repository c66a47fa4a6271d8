"""``/snippet``: the server's canned replies (``bot.snippets``), kept by admins, used by every linked staff member.

Staff send one with ``/reply message:+name`` (autocomplete offers them once ``+`` is typed) or pick one in the
Reply box's first step; the variables are filled in for the ticket at hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import admin_only
from bot.render import clip
from bot.snippets import VARIABLES, SnippetBook, snippet_choices
from bot.validation import MAX_REPLY_LENGTH

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

VARIABLE_HELP = ", ".join(f"{{{v}}}" for v in VARIABLES)
LIST_LIMIT = 3900


def _quoted(text: str, limit: int = 300) -> str:
    """A snippet's text shown back in a code block (so its braces and markdown show as typed)."""
    body = clip(text, limit).replace("```", "'''")
    return f"```\n{body}\n```"


class Snippets(commands.Cog):
    # Hidden from members without Manage Server; admin_only() checks again when a command runs.
    snippet = app_commands.Group(
        name="snippet",
        description="Canned replies staff can send with /reply message:+name",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, *, book: SnippetBook) -> None:
        self.book = book

    @snippet.command(name="add")
    @admin_only()
    @app_commands.describe(
        name="1-32 lower-case letters, digits or -, e.g. welcome",
        text=f"What the player reads; may use {VARIABLE_HELP}",
    )
    async def snippet_add(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 33],
        text: app_commands.Range[str, 1, MAX_REPLY_LENGTH],
    ) -> None:
        """Add a canned reply."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        saved = await self.book.add(guild_id=interaction.guild_id, name=name, body=text, by=interaction.user.id)
        await interaction.followup.send(
            f"✅ Added `+{saved}`. Staff send it with `/reply message:+{saved}`.\n{_quoted(text)}", ephemeral=True
        )

    @snippet.command(name="edit")
    @admin_only()
    @app_commands.describe(name="The snippet to change", text=f"Its new text; may use {VARIABLE_HELP}")
    async def snippet_edit(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 33],
        text: app_commands.Range[str, 1, MAX_REPLY_LENGTH],
    ) -> None:
        """Change a canned reply's text."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await self.book.edit(guild_id=interaction.guild_id, name=name, body=text, by=interaction.user.id)
        await interaction.followup.send(
            f"✅ Changed `+{change.snippet}`. It said:\n{_quoted(change.before or '')}", ephemeral=True
        )

    @snippet.command(name="remove")
    @admin_only()
    @app_commands.describe(name="The snippet to remove")
    async def snippet_remove(self, interaction: Interaction, name: app_commands.Range[str, 1, 33]) -> None:
        """Remove a canned reply."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await self.book.remove(guild_id=interaction.guild_id, name=name, by=interaction.user.id)
        await interaction.followup.send(
            f"✅ Removed `+{change.snippet}`. Its text, in case you want it back:\n{_quoted(change.before or '')}",
            ephemeral=True,
        )

    @snippet.command(name="list")
    @admin_only()
    async def snippet_list(self, interaction: Interaction) -> None:
        """Every canned reply in this server."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        snippets = await self.book.repo.list(guild_id=interaction.guild_id)
        embed = discord.Embed(title=f"Snippets ({len(snippets)})", colour=discord.Colour(0x5865F2))
        lines, used = [], 0
        for index, snippet in enumerate(snippets):
            line = f"**+{snippet.name}** · {clip(' '.join(snippet.body.split()), 90)}"
            if used + len(line) > LIST_LIMIT:
                lines.append(f"…and {len(snippets) - index} more")
                break
            lines.append(line)
            used += len(line) + 1
        embed.description = "\n".join(lines) or "No snippets yet. Add one with `/snippet add name text`."
        embed.set_footer(text=f"Variables: {VARIABLE_HELP}. Staff send one with /reply message:+name.")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @snippet_edit.autocomplete("name")
    @snippet_remove.autocomplete("name")
    async def name_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return []
        return await snippet_choices(self.book, interaction.guild_id, current, prefix="")


async def setup(bot: TicketBot) -> None:
    await bot.add_cog(Snippets(book=bot.services.snippets))
