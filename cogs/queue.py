"""``/ticket list``: the queue of open and in-progress tickets, urgent and high ones first and then the oldest,
ten to a page, each one tap from its card or thread. The page buttons carry only the filter and the page, and
recompute it, so they show what is true now and keep working after a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.models import Ticket, parse_time
from bot.render import PRIORITY_LABELS, clip, player_name, player_text, short_ref, status_label
from bot.ui import guarded

if TYPE_CHECKING:
    from bot.client import TicketBot

    from .tickets import Tickets

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

__all__ = ("PER_PAGE", "QueuePageButton", "queue_page")

PER_PAGE = 10
TITLES = {"all": "The queue", "mine": "Your tickets", "unclaimed": "Tickets nobody holds yet"}
URGENCY = {"urgent": 0, "high": 1}  # first on the list; every other priority after them, oldest first


def _select(tickets: list[Ticket], show: str, staff_id: int, department: str) -> list[Ticket]:
    if department:
        tickets = [t for t in tickets if t.department == department]
    if show == "mine":
        return [t for t in tickets if t.claimed_by == staff_id]
    if show == "unclaimed":
        return [t for t in tickets if not t.claimed_by]
    return tickets


async def queue_page(
    cog: Tickets, guild_id: int, staff_id: int, show: str, department: str, page: int
) -> tuple[discord.Embed, discord.ui.View]:
    """One page of the queue, from what the bot knows (no Series request: the feed keeps it current)."""
    tickets = sorted(
        _select(cog.cache.active(), show, staff_id, department), key=lambda t: URGENCY.get(t.priority, 2)
    )  # a stable sort: oldest first within each group
    pages = max((len(tickets) + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(max(page, 0), pages - 1)
    lines = []
    for ticket in tickets[page * PER_PAGE : (page + 1) * PER_PAGE]:
        card = await cog.feed.card(guild_id=guild_id, ticket_id=ticket.id)
        link = None
        if card is not None and card.thread_id:
            link = f"https://discord.com/channels/{guild_id}/{card.thread_id}"
        elif card is not None and card.message_id:
            link = f"https://discord.com/channels/{guild_id}/{card.channel_id}/{card.message_id}"
        ref = f"[{short_ref(ticket.id)}]({link})" if link else short_ref(ticket.id)
        opened = parse_time(ticket.created_at)
        when = f" · opened {discord.utils.format_dt(opened, 'R')}" if opened else ""
        holder = ""
        if ticket.claimed_by:
            holder = (
                " · yours"
                if ticket.claimed_by == staff_id
                else f" · {player_text(ticket.claimed_by_name or 'claimed', 40)}"
            )
        subject = player_text(" ".join(ticket.subject.split()) or "(no subject)", 80)
        who = player_text(player_name(ticket), 40)
        urgent = f"{PRIORITY_LABELS[ticket.priority]} · " if ticket.priority in URGENCY else ""
        lines.append(f"**{subject}**\n{urgent}{ref} · {who} · {status_label(ticket.status)}{holder}{when}")
    embed = discord.Embed(title=TITLES.get(show, "The queue"), colour=discord.Colour(0x3498DB))
    if department:
        config = cog.config.value
        embed.title = f"{embed.title} · {clip(config.department_name(department) if config else department, 100)}"
    embed.description = "\n\n".join(lines) if lines else "Nothing here. 🎉"
    embed.set_footer(
        text=f"{len(tickets)} open or in progress · page {page + 1} of {pages} · urgent first, then oldest"
    )
    view = discord.ui.View(timeout=None)
    if pages > 1 and len(department) <= 60:
        view.add_item(QueuePageButton(show, page - 1, department, label="◀ Previous", disabled=page == 0))
        view.add_item(QueuePageButton(show, page + 1, department, label="Next ▶", disabled=page >= pages - 1))
    return embed, view


class QueuePageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"queue:(?P<show>all|mine|unclaimed):(?P<page>-?[0-9]{1,3}):(?P<department>[^\s:]{0,60})",
):
    def __init__(self, show: str, page: int, department: str, *, label: str = "Next ▶", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"queue:{show}:{page}:{department}",
                disabled=disabled,
            )
        )
        self.show, self.page, self.department = show, page, department

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["show"], int(match["page"]), match["department"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        cog: Tickets | None = interaction.client.get_cog("Tickets")  # type: ignore[assignment]
        assert cog is not None and interaction.guild_id is not None
        staff_id = await cog.actions.staff_id(guild_id=interaction.guild_id, member_id=interaction.user.id)
        embed, view = await queue_page(cog, interaction.guild_id, staff_id, self.show, self.department, self.page)
        await interaction.response.edit_message(embed=embed, view=view)
