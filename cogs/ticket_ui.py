"""Buttons and the reply modal. Every button is a ``DynamicItem``: its ``custom_id`` carries only an id, so it
keeps working after a restart and always acts on fresh data."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.api import TICKET_ID_RE, SeriesError
from bot.errors import ReplyNotSent, UserFacingError
from bot.models import Ticket
from bot.render import preview
from bot.service import ReplySent
from bot.ui import BaseModal, guarded
from bot.validation import MAX_REPLY_LENGTH

if TYPE_CHECKING:
    from bot.client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

TICKET = TICKET_ID_RE.pattern
CLAIM_REQUIRED = "You must claim this ticket before replying"

# action -> (label, style, status it sets or None)
ACTIONS: dict[str, tuple[str, discord.ButtonStyle, str | None]] = {
    "claim": ("Claim", discord.ButtonStyle.success, None),
    "unclaim": ("Unclaim", discord.ButtonStyle.secondary, None),
    "resolve": ("Resolve", discord.ButtonStyle.success, "resolved"),
    "close": ("Close", discord.ButtonStyle.danger, "closed"),
    "reopen": ("Reopen", discord.ButtonStyle.primary, "open"),
}


def confirmation(sent: ReplySent) -> str:
    return f"✅ **Sent to `{sent.ticket_id}`.** {sent.api_message}\n> {preview(sent.text, 150)}"


def failure_view(error: ReplyNotSent, reply_id: int) -> discord.ui.View | None:
    """The buttons offered with a failed reply: only those that can work.

    - it may have arrived: **Check and send** (looks on the ticket first; no Edit, which would send blind);
    - not claimed (and nobody else holds it): **Claim and send**;
    - otherwise, when a resend could work: **Edit and send**.
    """
    view = discord.ui.View(timeout=None)
    if error.maybe_delivered:
        view.add_item(ReplyRetryButton("check", reply_id))
        return view
    if isinstance(error.cause, SeriesError) and error.cause.message == CLAIM_REQUIRED and not error.claimed_by_other:
        view.add_item(ReplyRetryButton("claimsend", reply_id))
    if error.retryable:
        view.add_item(ReplyRetryButton("edit", reply_id))
    return view if view.children else None


async def send_reply(interaction: Interaction, ticket_id: str, text: str) -> None:
    """The one path for a reply, from /reply and from the modal: defer, send, confirm or give the text back."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    bot = interaction.client
    assert interaction.guild_id is not None
    async with bot.actions.in_flight():
        await _send_reply(interaction, ticket_id, text)


async def _send_reply(interaction: Interaction, ticket_id: str, text: str) -> None:
    bot = interaction.client
    assert interaction.guild_id is not None
    try:
        sent = await bot.actions.reply(
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            member_id=interaction.user.id,
            ticket_id=ticket_id,
            text=text,
        )
    except ReplyNotSent as exc:
        exc.view = failure_view(exc, exc.reply_id)
        raise
    await interaction.followup.send(confirmation(sent), ephemeral=True)
    bot.dispatch("ticket_changed", sent.ticket_id, sent)


class ReplyModal(BaseModal, title="Reply to ticket"):
    """One paragraph input (up to 4000 characters) that posts through the same path as /reply."""

    def __init__(self, ticket_id: str, *, default: str | None = None) -> None:
        super().__init__(custom_id=f"ticket:replymodal:{ticket_id}", timeout=None)
        self.ticket_id = ticket_id
        self.text = discord.ui.TextInput(
            custom_id="reply_text",
            style=discord.TextStyle.paragraph,
            min_length=1,
            max_length=MAX_REPLY_LENGTH,
            default=default[:MAX_REPLY_LENGTH] if default else None,
            placeholder="Write your answer to the player",
        )
        self.add_item(discord.ui.Label(text="Your reply", description=f"Ticket {ticket_id}", component=self.text))

    async def on_submit(self, interaction: Interaction) -> None:  # type: ignore[override]
        await send_reply(interaction, self.ticket_id, self.text.value)


class ReplyButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"ticket:reply:(?P<ticket_id>{TICKET})"):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Reply", style=discord.ButtonStyle.primary, emoji="💬", custom_id=f"ticket:reply:{ticket_id}"
            )
        )
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: discord.ui.Button, match: re.Match[str]) -> Any:
        return cls(match["ticket_id"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        # A modal must be the first response (discord-limits C7): nothing slow before this.
        await interaction.response.send_modal(ReplyModal(self.ticket_id))


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
    async def from_custom_id(cls, interaction: Interaction, item: discord.ui.Button, match: re.Match[str]) -> Any:
        return cls(match["action"], match["ticket_id"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = await run_action(interaction, self.action, self.ticket_id)
        await interaction.followup.send(f"✅ `{self.ticket_id}`: {message}", ephemeral=True)


async def run_action(interaction: Interaction, action: str, ticket_id: str, **extra: str) -> str:
    """Claim, unclaim, a status change or a transfer, as the caller; tells the feed to refresh the card."""
    actions = interaction.client.actions
    assert interaction.guild_id is not None
    who = {"guild_id": interaction.guild_id, "member_id": interaction.user.id, "ticket_id": ticket_id}
    if action == "claim":
        message = await actions.claim(**who)
    elif action == "unclaim":
        message = await actions.unclaim(**who)
    elif action == "transfer":
        message = await actions.transfer(**who, department_id=extra["department_id"])
    else:
        status = extra.get("status") or ACTIONS[action][2]
        assert status is not None
        message = await actions.set_status(**who, status=status)
    interaction.client.dispatch("ticket_changed", ticket_id, None)
    return message


class ReplyRetryButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"reply:(?P<action>claimsend|edit|check):(?P<reply_id>[0-9]{1,18})",
):
    """Buttons under a failed reply. The text lives in the reply outbox, so they survive restarts too."""

    LABELS = {"claimsend": "Claim and send", "edit": "Edit and send", "check": "Check and send"}

    def __init__(self, action: str, reply_id: int) -> None:
        style = discord.ButtonStyle.secondary if action == "edit" else discord.ButtonStyle.success
        super().__init__(
            discord.ui.Button(label=self.LABELS[action], style=style, custom_id=f"reply:{action}:{reply_id}")
        )
        self.action = action
        self.reply_id = reply_id

    @classmethod
    async def from_custom_id(cls, interaction: Interaction, item: discord.ui.Button, match: re.Match[str]) -> Any:
        return cls(match["action"], int(match["reply_id"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        bot = interaction.client
        if self.action == "edit":
            reply = await bot.replies.get(self.reply_id)
            if reply is None or reply.member_id != interaction.user.id:
                raise UserFacingError("This button belongs to someone else's reply.")
            await interaction.response.send_modal(ReplyModal(reply.ticket_id, default=reply.content))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            async with bot.actions.in_flight():
                sent = await bot.actions.retry(
                    reply_id=self.reply_id, member_id=interaction.user.id, claim_first=self.action == "claimsend"
                )
        except ReplyNotSent as exc:
            exc.view = failure_view(exc, self.reply_id)
            raise
        await interaction.followup.send(confirmation(sent), ephemeral=True)
        bot.dispatch("ticket_changed", sent.ticket_id, sent)


def ticket_buttons(ticket: Ticket) -> discord.ui.View:
    """The buttons under a ticket: Claim or Unclaim, Reply, Resolve, Close, and Reopen where it applies.

    Game reports are read-only (no Reply); closed tickets keep only Reopen.
    """
    view = discord.ui.View(timeout=None)
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


DYNAMIC_ITEMS = (ReplyButton, TicketActionButton, ReplyRetryButton)
