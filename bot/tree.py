"""The command tree: every slash-command error goes through ``bot.errors`` from here."""

from __future__ import annotations

import discord
from discord import app_commands

from .errors import report_error


class BotTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)
