"""The buttons under a ticket (its card, ``/ticket show``). Every button is a ``DynamicItem``: its ``custom_id``
carries only the ticket id, so it keeps working after a restart and always acts on fresh data. Callbacks only parse
and hand over to the help desk (``bot.desk``).

The main action comes first in the primary style: **Claim**, or **Reply** once someone holds the ticket, or
**Reopen** once it is done. Each meaning has its own colour (green resolves, red closes), and they fit one row on
a phone. **Close** asks first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.models import Ticket
from bot.ui import ReplyOfferButton, SnippetSelect, WriteOwnButton, guarded
from bot.validation import LISTED_ID

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

__all__ = ("DYNAMIC_ITEMS", "ReplyButton", "TicketActionButton", "close_confirmation", "ticket_buttons")

TICKET = LISTED_ID.pattern  # any id Series lists that fits a custom_id (docs/series-api.md#ticket-id-shape)
Style = discord.ButtonStyle

# action -> (label, style, the status it sets, if it is a status change)
ACTIONS: dict[str, tuple[str, discord.ButtonStyle, str | None]] = {
    "claim": ("Claim", Style.primary, None),
    "unclaim": ("Unclaim", Style.secondary, None),
    "resolve": ("Resolve", Style.success, "resolved"),
    "close": ("Close", Style.danger, None),  # asks first: see close_confirmation
    "closeyes": ("Close ticket", Style.danger, "closed"),
    "reopen": ("Reopen", Style.primary, "open"),
}


class ReplyButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"ticket:reply:(?P<ticket_id>{TICKET})"):
    def __init__(self, ticket_id: str, *, style: discord.ButtonStyle = Style.primary) -> None:
        super().__init__(discord.ui.Button(label="Reply", style=style, custom_id=f"ticket:reply:{ticket_id}"))
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
    template=rf"ticket:(?P<action>claim|unclaim|resolve|close|closeyes|reopen):(?P<ticket_id>{TICKET})",
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
        elif self.action == "close":
            question = desk.close_question(self.ticket_id)
            await interaction.response.send_message(question, view=close_confirmation(self.ticket_id), ephemeral=True)
        else:
            status = ACTIONS[self.action][2]
            assert status is not None
            await desk.set_status(interaction, self.ticket_id, status, typed=False)


def close_confirmation(ticket_id: str) -> discord.ui.View:
    """The one button under "Close this ticket?" (dismissing the message is the way to say no)."""
    view = discord.ui.View(timeout=None)
    view.add_item(TicketActionButton("closeyes", ticket_id))
    return view


def ticket_buttons(ticket: Ticket) -> discord.ui.View:
    """The buttons under a ticket, main action first; only the ones that can work."""
    view = discord.ui.View(timeout=None)
    if not LISTED_ID.fullmatch(ticket.id):
        return view  # an id that can't travel in a button: act on it with the commands or on Series
    if ticket.status == "closed":
        view.add_item(TicketActionButton("reopen", ticket.id))
        return view
    if ticket.status == "resolved":
        view.add_item(TicketActionButton("reopen", ticket.id))
        view.add_item(TicketActionButton("close", ticket.id))
        return view
    replyable = not ticket.game_report
    if ticket.claimed_by:
        if replyable:
            view.add_item(ReplyButton(ticket.id))
        view.add_item(TicketActionButton("unclaim", ticket.id))
    else:
        view.add_item(TicketActionButton("claim", ticket.id))
        if replyable:  # a reply from here claims the ticket first, and the box says so
            view.add_item(ReplyButton(ticket.id, style=Style.secondary))
    view.add_item(TicketActionButton("resolve", ticket.id))
    view.add_item(TicketActionButton("close", ticket.id))
    return view


DYNAMIC_ITEMS = (ReplyButton, TicketActionButton, ReplyOfferButton, SnippetSelect, WriteOwnButton)
