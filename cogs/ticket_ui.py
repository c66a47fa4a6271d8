"""The buttons under a ticket (a card, ``/ticket show``). Every button is a ``DynamicItem``: its ``custom_id`` carries
only the ticket id, so it keeps working after a restart and always acts on fresh data. Callbacks only parse and
hand over to the help desk (``bot.desk``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.models import Ticket
from bot.ui import ReplyOfferButton, guarded
from bot.validation import LISTED_ID

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

__all__ = ("DYNAMIC_ITEMS", "ReplyButton", "TicketActionButton", "ticket_buttons")

TICKET = LISTED_ID.pattern  # any id Series lists that fits a custom_id (docs/series-api.md#ticket-id-shape)

# action -> (label, style, the status it sets, if it is a status change)
ACTIONS: dict[str, tuple[str, discord.ButtonStyle, str | None]] = {
    "claim": ("Claim", discord.ButtonStyle.success, None),
    "unclaim": ("Unclaim", discord.ButtonStyle.secondary, None),
    "resolve": ("Resolve", discord.ButtonStyle.success, "resolved"),
    "close": ("Close", discord.ButtonStyle.danger, "closed"),
    "reopen": ("Reopen", discord.ButtonStyle.primary, "open"),
}


class ReplyButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"ticket:reply:(?P<ticket_id>{TICKET})"):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Reply", style=discord.ButtonStyle.primary, emoji="💬", custom_id=f"ticket:reply:{ticket_id}"
            )
        )
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["ticket_id"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.services.desk.open_reply_box(interaction, self.ticket_id)


class TicketActionButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"ticket:(?P<action>claim|unclaim|resolve|close|reopen):(?P<ticket_id>{TICKET})",
):
    def __init__(self, action: str, ticket_id: str) -> None:
        label, style, _ = ACTIONS[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"ticket:{action}:{ticket_id}"))
        self.action = action
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["action"], match["ticket_id"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        desk = interaction.client.services.desk
        if self.action == "claim":
            await desk.claim(interaction, self.ticket_id, typed=False)
        elif self.action == "unclaim":
            await desk.unclaim(interaction, self.ticket_id, typed=False)
        else:
            status = ACTIONS[self.action][2]
            assert status is not None
            await desk.set_status(interaction, self.ticket_id, status, typed=False)


def ticket_buttons(ticket: Ticket) -> discord.ui.View:
    """The buttons under a ticket: Claim or Unclaim, Reply, Resolve, Close, and Reopen where it applies.

    Game reports are read-only (no Reply); closed tickets keep only Reopen.
    """
    view = discord.ui.View(timeout=None)
    if not LISTED_ID.fullmatch(ticket.id):
        return view  # an id that can't travel in a button: act on it with the commands or on Series
    if ticket.status == "closed":
        view.add_item(TicketActionButton("reopen", ticket.id))
        return view
    view.add_item(TicketActionButton("unclaim" if ticket.claimed_by else "claim", ticket.id))
    if not ticket.game_report:
        view.add_item(ReplyButton(ticket.id))
    if ticket.status == "resolved":
        view.add_item(TicketActionButton("reopen", ticket.id))
    else:
        view.add_item(TicketActionButton("resolve", ticket.id))
    view.add_item(TicketActionButton("close", ticket.id))
    return view


DYNAMIC_ITEMS = (ReplyButton, TicketActionButton, ReplyOfferButton)
