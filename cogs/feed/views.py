"""The page buttons under ``/feed show``. Each button carries only the page number, and recomputes the report, so
it shows what is true now and keeps working after a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.checks import ADMIN_REFUSAL
from bot.errors import NotAllowed
from bot.ui import guarded

if TYPE_CHECKING:
    from bot.client import TicketBot

    from .cog import Feed

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

__all__ = ("BackfillButton", "FeedPageButton", "backfill_choice", "pager")


class FeedPageButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"feed:page:(?P<page>[0-9]{1,3}):(?P<dir>[pn])"
):
    def __init__(self, page: int, direction: str, *, disabled: bool = False) -> None:
        label = "◀ Previous" if direction == "p" else "Next ▶"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"feed:page:{page}:{direction}",
                disabled=disabled,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["page"]), match["dir"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        feed: Feed | None = interaction.client.get_cog("Feed")  # type: ignore[assignment]
        assert feed is not None and interaction.guild_id is not None
        pages = await feed.report(interaction.guild_id)
        if pages is None:
            await interaction.response.edit_message(content="No routes any more.", embed=None, view=None)
            return
        page = min(self.page, len(pages) - 1)
        await interaction.response.edit_message(embed=pages[page], view=pager(page, len(pages)))


def pager(page: int, pages: int) -> discord.ui.View:
    """Previous and Next, when there is more than one page (an empty view otherwise, which shows nothing)."""
    if pages <= 1:
        return discord.ui.View(timeout=None)
    view = discord.ui.View(timeout=None)
    view.add_item(FeedPageButton(max(page - 1, 0), "p", disabled=page == 0))
    view.add_item(FeedPageButton(min(page + 1, pages - 1), "n", disabled=page >= pages - 1))
    return view


class BackfillButton(discord.ui.DynamicItem[discord.ui.Button], template=r"feed:backfill:(?P<department>[^\s:]{0,60})"):
    """ "Post them all" under /feed set, when the new route covers tickets that were already open."""

    def __init__(self, department: str, count: int = 0) -> None:
        label = f"Post all {count}" if count else "Post them all"
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.primary, custom_id=f"feed:backfill:{department}")
        )
        self.department = department

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["department"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        if not interaction.permissions.manage_guild:
            raise NotAllowed(ADMIN_REFUSAL)
        feed: Feed | None = interaction.client.get_cog("Feed")  # type: ignore[assignment]
        assert feed is not None and interaction.guild_id is not None
        await feed.post_existing(interaction.guild_id, self.department)
        await interaction.response.edit_message(
            content="✅ The open tickets will appear too, within a poll or two.", view=None
        )


def backfill_choice(department: str, count: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if len(department) <= 60:
        view.add_item(BackfillButton(department, count))
    return view
