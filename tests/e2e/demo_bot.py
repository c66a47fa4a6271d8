"""A tiny discord.py bot that only exists to prove FakeDiscord: ``python -m tests.e2e.demo_bot``.

Environment: ``DISCORD_TOKEN``; ``DEMO_CHANNEL_ID`` (on ready: an embed there, a thread on it, a message in the
thread, then the thread archived); ``DEMO_GUILD_ID`` (the ``/demo`` group is synced to that guild only).
Run it against the fake with ``TICKET_BRIDGE_FAKE_DISCORD`` and ``fakes/redirect`` on ``PYTHONPATH`` (sitecustomize.py).

Commands: ``/ping`` (defer ephemeral + followup), ``/echo text`` (a persistent ``demo:btn:<n>`` button that opens a
modal with a Label-wrapped paragraph input; the submit answers ephemerally), ``/pick fruit`` (autocomplete),
``/demo whois member`` (guild command group; a member option).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

log = logging.getLogger("demo_bot")

FRUITS = ("apple", "apricot", "banana", "cherry")
_button_numbers = itertools.count(1)


class DemoModal(discord.ui.Modal):
    def __init__(self, n: int) -> None:
        super().__init__(title=f"Reply #{n}", custom_id=f"demo:modal:{n}", timeout=None)
        self.n = n
        self.body: discord.ui.TextInput[DemoModal] = discord.ui.TextInput(
            custom_id="body", style=discord.TextStyle.paragraph, max_length=500
        )
        self.add_item(discord.ui.Label(text="Your reply", component=self.body))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Got #{self.n}: {self.body.value}", ephemeral=True)


class DemoButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"demo:btn:(?P<n>[0-9]{1,9})"):
    def __init__(self, n: int) -> None:
        super().__init__(
            discord.ui.Button(label=f"Reply #{n}", style=discord.ButtonStyle.primary, custom_id=f"demo:btn:{n}")
        )
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DemoButton:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(DemoModal(self.n))


class DemoBot(commands.Bot):
    def __init__(self, *, channel_id: int | None, guild_id: int | None) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(), help_command=None)
        self.channel_id = channel_id
        self.guild_id = guild_id
        self._announced = False

    async def setup_hook(self) -> None:
        self.add_dynamic_items(DemoButton)
        self.tree.add_command(ping)
        self.tree.add_command(echo)
        self.tree.add_command(pick)
        await self.tree.sync()
        if self.guild_id is not None:
            guild = discord.Object(self.guild_id)
            self.tree.add_command(DemoGroup(), guild=guild)
            await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        log.info("ready as %s in %d guild(s)", self.user, len(self.guilds))
        if self._announced or self.channel_id is None:
            return
        self._announced = True
        channel = self.get_channel(self.channel_id)
        assert isinstance(channel, discord.TextChannel), channel
        embed = discord.Embed(title="Demo bot online", description="Hello from the demo bot")
        message = await channel.send(embed=embed)
        thread = await message.create_thread(name="demo thread")
        await thread.send("first post in the thread")
        await thread.edit(archived=True)
        log.info("announced in %s, thread %s archived", channel.id, thread.id)


@app_commands.command(description="Deferred ephemeral pong")
async def ping(interaction: discord.Interaction) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    await interaction.followup.send("pong", ephemeral=True)


@app_commands.command(description="Echo text with a reply button")
@app_commands.describe(text="What to echo")
async def echo(interaction: discord.Interaction, text: str) -> None:
    view = discord.ui.View(timeout=None)
    view.add_item(DemoButton(next(_button_numbers)))
    await interaction.response.send_message(text, view=view, allowed_mentions=discord.AllowedMentions.none())


@app_commands.command(description="Pick a fruit")
async def pick(interaction: discord.Interaction, fruit: str) -> None:
    await interaction.response.send_message(f"picked {fruit}", ephemeral=True)


@pick.autocomplete("fruit")
async def pick_fruit(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=f.title(), value=f) for f in FRUITS if f.startswith(current.lower())]


class DemoGroup(app_commands.Group, name="demo", description="Demo group"):
    @app_commands.command(description="Describe a member")
    async def whois(self, interaction: discord.Interaction, member: discord.Member) -> None:
        roles = sorted(r.name for r in member.roles if not r.is_default())
        staff = interaction.permissions.manage_guild
        await interaction.response.send_message(
            f"{member.display_name} ({member.id}) roles={roles} asked_by_staff={staff}", ephemeral=True
        )


def _optional_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def main() -> None:
    bot = DemoBot(channel_id=_optional_int("DEMO_CHANNEL_ID"), guild_id=_optional_int("DEMO_GUILD_ID"))
    bot.run(os.environ["DISCORD_TOKEN"], log_level=logging.INFO, root_logger=True)


if __name__ == "__main__":
    main()
