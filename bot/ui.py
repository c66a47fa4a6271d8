"""Base classes for views, modals and dynamic items, so their errors reach ``bot.errors`` too.

Views and modals bypass ``tree.on_error``; a ``DynamicItem`` has no error hook at all (discord.py only logs,
and the user sees "This interaction failed"), so its callbacks are wrapped with :func:`guarded`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from .errors import report_error

__all__ = ("BaseModal", "BaseView", "guarded")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class BaseView(discord.ui.View):
    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await report_error(interaction, error, where=f"{type(self).__name__}:{getattr(item, 'custom_id', '?')}")


class BaseModal(discord.ui.Modal):
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error, where=f"{type(self).__name__}")


def guarded(callback: F) -> F:
    """Wrap a ``DynamicItem.callback`` so any exception becomes an ephemeral answer, not a silent failure."""

    @functools.wraps(callback)
    async def wrapper(self: Any, interaction: discord.Interaction, *args: Any, **kwargs: Any) -> Any:
        try:
            return await callback(self, interaction, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - this is the error boundary
            await report_error(interaction, exc, where=type(self).__name__)
            return None

    return wrapper  # type: ignore[return-value]
