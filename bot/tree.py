"""The command tree: every slash-command error goes through ``bot.ui.report_error`` from here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from .ui import report_error, safe_reply

if TYPE_CHECKING:
    from .client import TicketBot


class BotTree(app_commands.CommandTree["TicketBot"]):
    async def interaction_check(self, interaction: discord.Interaction[TicketBot]) -> bool:
        """With ``DISCORD_GUILD_ID`` set, the bot serves only that server: the Series key is one workspace's."""
        home = interaction.client.home_guild_id
        if home is None or interaction.guild_id in (None, home):
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            # An autocomplete can only be answered with choices (docs/discord-limits.md#autocomplete).
            await interaction.response.autocomplete([])
        else:
            await safe_reply(interaction, "This bot only works in the server it was set up for.")
        return False

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)
