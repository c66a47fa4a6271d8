"""The help desk: every staff interaction on a ticket, whichever way it arrived (slash command, button, box).

Each flow acknowledges first when it will do slow work (Discord allows 3 seconds), acts as the caller through
:class:`~bot.service.StaffActions`, answers exactly once (errors are raised to the one error boundary in
``bot.ui``), and tells the feed to refresh the card with a ``ticket_changed`` event.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypedDict

import discord

from .render import preview
from .service import ReplySent, StaffActions
from .ui import box_submission, reply_box
from .validation import clean_ticket_id, listed_ticket_id

if TYPE_CHECKING:
    from .client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

__all__ = ("Desk", "confirmation")


class Who(TypedDict):
    guild_id: int
    member_id: int


log = logging.getLogger(__name__)


def confirmation(sent: ReplySent) -> str:
    return f"✅ **Sent to `{sent.ticket_id}`.** {sent.api_message}\n> {preview(sent.text, 150)}"


class Desk:
    def __init__(self, *, actions: StaffActions) -> None:
        self.actions = actions

    async def _defer(self, interaction: Interaction) -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)

    # -- replies -------------------------------------------------------------------------------------------------

    async def reply(self, interaction: Interaction, ticket_id: str, text: str, *, typed: bool = True) -> None:
        """The one path for a reply, from /reply and from the box: send, confirm, or hand the text back."""
        await self._defer(interaction)
        assert interaction.guild_id is not None
        async with self.actions.in_flight():
            sent = await self.actions.reply(
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                member_id=interaction.user.id,
                ticket_id=ticket_id,
                text=text,
                typed=typed,
            )
        await self._sent(interaction, sent)

    async def submit_box(self, interaction: Interaction) -> bool:
        """Handle a Reply box's submit from its own payload; False if ``interaction`` is not one.

        No modal object waits for it (see ``bot.ui.reply_box``): two people's boxes for one ticket, and a box
        opened before a restart, are all answered, and their text is never lost.
        """
        submitted = box_submission(interaction)
        if submitted is None:
            return False
        ticket_id, text = submitted
        await self.reply(interaction, ticket_id, text, typed=False)
        return True

    async def retry(self, interaction: Interaction, reply_id: int, *, claim_first: bool) -> None:
        """**Check and send** / **Claim and send** on a saved reply."""
        await self._defer(interaction)
        async with self.actions.in_flight():
            sent = await self.actions.retry(reply_id=reply_id, member_id=interaction.user.id, claim_first=claim_first)
        await self._sent(interaction, sent)

    async def edit_reply(self, interaction: Interaction, reply_id: int) -> None:
        """**Edit and send**: the box again, filled with the saved text (a modal must be the first response)."""
        reply = await self.actions.own_reply(reply_id=reply_id, member_id=interaction.user.id)
        await interaction.response.send_modal(reply_box(reply.ticket_id, default=reply.content))

    async def open_reply_box(self, interaction: Interaction, ticket_id: str) -> None:
        # A modal must be the first response (docs/discord-limits.md#modal-first): nothing slow before this.
        await interaction.response.send_modal(reply_box(listed_ticket_id(ticket_id)))

    async def _sent(self, interaction: Interaction, sent: ReplySent) -> None:
        await interaction.followup.send(confirmation(sent), ephemeral=True)
        interaction.client.dispatch("ticket_changed", sent.ticket_id, sent)

    # -- other actions -------------------------------------------------------------------------------------------

    async def claim(self, interaction: Interaction, ticket_id: str, *, typed: bool = True) -> None:
        ticket_id = _clean(ticket_id, typed)
        await self._defer(interaction)
        message = await self.actions.claim(**self._who(interaction), ticket_id=ticket_id, typed=typed)
        await self._done(interaction, ticket_id, message)

    async def unclaim(self, interaction: Interaction, ticket_id: str, *, typed: bool = True) -> None:
        ticket_id = _clean(ticket_id, typed)
        await self._defer(interaction)
        message = await self.actions.unclaim(**self._who(interaction), ticket_id=ticket_id, typed=typed)
        await self._done(interaction, ticket_id, message)

    async def set_status(self, interaction: Interaction, ticket_id: str, status: str, *, typed: bool = True) -> None:
        ticket_id = _clean(ticket_id, typed)
        await self._defer(interaction)
        message = await self.actions.set_status(
            **self._who(interaction), ticket_id=ticket_id, status=status, typed=typed
        )
        await self._done(interaction, ticket_id, message)

    async def transfer(self, interaction: Interaction, ticket_id: str, department: str) -> None:
        ticket_id = _clean(ticket_id, True)
        await self._defer(interaction)
        message = await self.actions.transfer(**self._who(interaction), ticket_id=ticket_id, department_id=department)
        await self._done(interaction, ticket_id, message)

    @staticmethod
    def _who(interaction: Interaction) -> Who:
        assert interaction.guild_id is not None
        return {"guild_id": interaction.guild_id, "member_id": interaction.user.id}

    async def _done(self, interaction: Interaction, ticket_id: str, message: str) -> None:
        interaction.client.dispatch("ticket_changed", ticket_id, None)
        await interaction.followup.send(f"✅ `{ticket_id}`: {message}", ephemeral=True)


def _clean(ticket_id: str, typed: bool) -> str:
    return clean_ticket_id(ticket_id) if typed else listed_ticket_id(ticket_id)
