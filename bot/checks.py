"""Who may run what, checked when a command runs.

Discord's ``default_member_permissions`` is only a default that server admins can change
(docs/discord-limits.md#permissions-are-a-hint), so the bot checks again itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from .errors import NotAllowed

__all__ = ("admin_only", "is_admin")

T = TypeVar("T")

ADMIN_REFUSAL = "Only members with the **Manage Server** permission can do this. Ask a server admin."


def is_admin(interaction: discord.Interaction) -> bool:
    """Server admins are members with Manage Server, in a server."""
    return interaction.guild is not None and interaction.permissions.manage_guild


def admin_only() -> Callable[[T], T]:
    """An app-command check: the command is for server admins (Manage Server)."""

    def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise NotAllowed(ADMIN_REFUSAL)
        return True

    return app_commands.check(predicate)
