"""The command tree's gate: outside the home server, every interaction gets a refusal it can show."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord

from bot.tree import BotTree


@dataclass
class Response:
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def is_done(self) -> bool:
        return bool(self.calls)

    async def send_message(self, **kwargs: Any) -> None:
        self.calls.append(("message", kwargs))

    async def autocomplete(self, choices: list[Any]) -> None:
        self.calls.append(("autocomplete", choices))


def interaction(kind: discord.InteractionType, guild_id: int | None) -> Any:
    return SimpleNamespace(
        client=SimpleNamespace(home_guild_id=1),
        guild_id=guild_id,
        type=kind,
        response=Response(),
        user=SimpleNamespace(id=5),
    )


async def check(kind: discord.InteractionType, guild_id: int | None) -> tuple[bool, list]:
    tree = BotTree.__new__(BotTree)  # only interaction_check is exercised; it needs no client state
    itx = interaction(kind, guild_id)
    allowed = await tree.interaction_check(itx)
    return allowed, itx.response.calls


async def test_the_home_server_and_direct_messages_pass():
    assert await check(discord.InteractionType.application_command, 1) == (True, [])
    assert await check(discord.InteractionType.application_command, None) == (True, [])


async def test_a_command_elsewhere_is_refused_ephemerally():
    allowed, [(kind, kwargs)] = await check(discord.InteractionType.application_command, 2)
    assert not allowed and kind == "message" and kwargs["ephemeral"] and "only works in the server" in kwargs["content"]


async def test_an_autocomplete_elsewhere_gets_empty_choices_not_a_message():
    assert await check(discord.InteractionType.autocomplete, 2) == (False, [("autocomplete", [])])
