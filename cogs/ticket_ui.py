"""The buttons under a ticket (its card, ``/ticket show``). Every button is a ``DynamicItem``: its ``custom_id``
carries only the ticket id, so it keeps working after a restart and always acts on fresh data. Callbacks only parse
and hand over to the help desk (``bot.desk``).

The main action comes first in the primary style: **Claim**, or **Reply** once someone holds the ticket, or
**Reopen** once it is done. Each meaning has its own colour (green resolves, red closes). Four buttons don't fit
one row on a 360-400 px phone, and Discord would wrap the last one (**Close**) alone onto a second row under the
thumb; so the layout is two rows on purpose: what you do (Claim/Reply, Resolve) on the first, what you do less and
undo less easily (Unclaim, Close) on the second. **Close** asks first, and the question has a way to say no.
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
    "keepopen": ("Keep it open", Style.secondary, None),
    "reopen": ("Reopen", Style.primary, "open"),
}
MAIN_ROW, SECOND_ROW = 0, 1


class ReplyButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"ticket:reply:(?P<ticket_id>{TICKET})"):
    def __init__(self, ticket_id: str, *, style: discord.ButtonStyle = Style.primary, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(label="Reply", style=style, custom_id=f"ticket:reply:{ticket_id}"), row=row)
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
    template=rf"ticket:(?P<action>claim|unclaim|resolve|close|closeyes|keepopen|reopen):(?P<ticket_id>{TICKET})",
):
    def __init__(self, action: str, ticket_id: str, *, row: int | None = None) -> None:
        label, style, _ = ACTIONS[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"ticket:{action}:{ticket_id}"), row=row)
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
        elif self.action == "keepopen":
            await interaction.response.edit_message(content="Nothing changed: the ticket stays as it was.", view=None)
        else:
            status = ACTIONS[self.action][2]
            assert status is not None
            await desk.set_status(interaction, self.ticket_id, status, typed=False)


def close_confirmation(ticket_id: str) -> discord.ui.View:
    """Under "Close this ticket?": yes, or keep it open."""
    view = discord.ui.View(timeout=None)
    view.add_item(TicketActionButton("closeyes", ticket_id))
    view.add_item(TicketActionButton("keepopen", ticket_id))
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
            view.add_item(ReplyButton(ticket.id, row=MAIN_ROW))
        view.add_item(TicketActionButton("resolve", ticket.id, row=MAIN_ROW))
        view.add_item(TicketActionButton("unclaim", ticket.id, row=SECOND_ROW))
    else:
        view.add_item(TicketActionButton("claim", ticket.id, row=MAIN_ROW))
        if replyable:  # a reply from here claims the ticket first, and the box says so
            view.add_item(ReplyButton(ticket.id, style=Style.secondary, row=MAIN_ROW))
        view.add_item(TicketActionButton("resolve", ticket.id, row=SECOND_ROW))
    view.add_item(TicketActionButton("close", ticket.id, row=SECOND_ROW))
    return view


DYNAMIC_ITEMS = (ReplyButton, TicketActionButton, ReplyOfferButton, SnippetSelect, WriteOwnButton)
