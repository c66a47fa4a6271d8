"""The help desk: every staff interaction on a ticket, whichever way it arrived (slash command, button, box).

Each flow acknowledges first when it will do slow work (Discord allows 3 seconds), acts as the caller through
:class:`~bot.service.StaffActions`, answers exactly once (errors are raised to the one error boundary in
``bot.ui``), and tells the feed to refresh the card with a ``ticket_changed`` event. Confirmations are written here,
in our own words: they name the ticket by its subject and short reference, and don't repeat Series' sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TypedDict

import discord

from .cache import TicketCache
from .errors import NotAllowed, NotLinked, ReplyNotSent, UserFacingError
from .models import Ticket
from .render import player_text, preview, short_ref, status_label, ticket_label
from .service import ALREADY_ARRIVED, Done, ReplySent, StaffActions
from .snippets import SnippetBook, snippet_reference
from .ui import box_submission, reply_box, snippet_step
from .validation import clean_ticket_id, listed_ticket_id

if TYPE_CHECKING:
    from .client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

__all__ = ("Desk", "confirmation")

log = logging.getLogger(__name__)

SNIPPET_TICKET_WAIT = 1.5  # seconds: the box must open within Discord's 3


class Who(TypedDict):
    guild_id: int
    member_id: int


def confirmation(sent: ReplySent) -> str:
    """What a staff member reads once their reply is on Series."""
    ticket = sent.ticket
    quote = f"\n> {preview(sent.text, 150)}"
    if sent.api_message == ALREADY_ARRIVED:
        return f"✅ It had already arrived on `{short_ref(sent.ticket_id)}`, so it wasn't sent again.{quote}"
    if ticket is None:
        return f"✅ **Sent** to `{short_ref(sent.ticket_id)}`.{quote}"
    player = player_text(ticket.author.display_name or ticket.author.username or "the player", 60)
    if sent.claimed:
        return f"✅ Claimed {ticket_label(ticket)} and **sent** your reply to {player}.{quote}"
    return f"✅ **Sent** to {player} on {ticket_label(ticket)}.{quote}"


def done_text(action: str, done: Done, *, department: str | None = None) -> str:
    label = ticket_label(done.ticket)
    if action == "claim":
        return f"✅ {label} is yours now. Reply from its card, or with `/reply`."
    if action == "unclaim":
        return f"✅ You let go of {label}; anyone can claim it now."
    if action == "transfer":
        return f"✅ Moved {label} to **{player_text(department or 'the other department', 100)}**."
    return {
        "resolved": f"✅ {label} is resolved.",
        "closed": f"✅ Closed {label}.",
        "open": f"✅ Reopened {label}.",
    }.get(action, f"✅ {label} is {status_label(action).lower()} now.")


class Desk:
    def __init__(self, *, actions: StaffActions, tickets: TicketCache, snippets: SnippetBook) -> None:
        self.actions = actions
        self.tickets = tickets
        self.snippets = snippets

    async def _defer(self, interaction: Interaction) -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)

    # -- replies -------------------------------------------------------------------------------------------------

    async def reply(
        self, interaction: Interaction, ticket_id: str, text: str, *, typed: bool = True, claim_first: bool = False
    ) -> None:
        """The one path for a reply, from /reply and from the box: send, confirm, or hand the text back."""
        await self._defer(interaction)
        assert interaction.guild_id is not None
        authorized = None
        name = snippet_reference(text)
        if name is not None:  # "+name": the snippet, filled in for this ticket (bot/snippets.py)
            snippet = await self.snippets.get(guild_id=interaction.guild_id, name=name)
            staff_id = await self.actions.staff_id(guild_id=interaction.guild_id, member_id=interaction.user.id)
            authorized = await self.actions.authorize(_clean(ticket_id, typed), staff_id)
            text = await self.snippets.render(
                snippet, authorized, staff_id=staff_id, staff_fallback=interaction.user.display_name
            )
        async with self.actions.in_flight(), self._named_on_failure():
            sent = await self.actions.reply(
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                member_id=interaction.user.id,
                ticket_id=ticket_id,
                text=text,
                typed=typed,
                claim_first=claim_first,
                authorized=authorized,
            )
        await self._sent(interaction, sent)

    @contextlib.asynccontextmanager
    async def _named_on_failure(self) -> AsyncIterator[None]:
        """A failed reply names its ticket by subject even when Series couldn't be asked (the usual outage case):
        from what the bot last saw of it."""
        try:
            yield
        except ReplyNotSent as exc:
            if exc.ticket is None:
                exc.ticket = self.tickets.get(exc.ticket_id)
            raise

    async def submit_box(self, interaction: Interaction) -> bool:
        """Handle a Reply box's submit from its own payload; False if ``interaction`` is not one.

        No modal object waits for it (see ``bot.ui.reply_box``): two people's boxes for one ticket, and a box
        opened before a restart, are all answered, and their text is never lost.
        """
        submitted = box_submission(interaction)
        if submitted is None:
            return False
        ticket_id, text, claim_first = submitted
        await self.reply(interaction, ticket_id, text, typed=False, claim_first=claim_first)
        return True

    async def retry(self, interaction: Interaction, reply_id: int, *, claim_first: bool) -> None:
        """**Check and send** / **Claim and send** / **Try again** on a saved reply."""
        await self._defer(interaction)
        async with self.actions.in_flight(), self._named_on_failure():
            sent = await self.actions.retry(reply_id=reply_id, member_id=interaction.user.id, claim_first=claim_first)
        await self._sent(interaction, sent)

    async def edit_reply(self, interaction: Interaction, reply_id: int) -> None:
        """**Edit and send**: the box again, filled with the saved text (a modal must be the first response)."""
        reply = await self.actions.own_reply(reply_id=reply_id, member_id=interaction.user.id)
        cached = self.tickets.get(reply.ticket_id)
        claim = cached is not None and not cached.claimed_by
        await interaction.response.send_modal(reply_box(reply.ticket_id, default=reply.content, claim=claim))

    async def open_reply_box(self, interaction: Interaction, ticket_id: str) -> None:
        """The Reply button: the box, when a reply can succeed; otherwise, at once, why not.

        A modal must be the first response (docs/discord-limits.md#modal-first), so only quick checks come first:
        the caller's link (one indexed row) and what the bot last saw of the ticket.
        """
        ticket_id = listed_ticket_id(ticket_id)
        assert interaction.guild_id is not None
        link = await self.actions.links.get(guild_id=interaction.guild_id, member_id=interaction.user.id)
        if link is None:
            raise NotLinked()
        ticket = self.tickets.get(ticket_id)
        if ticket is not None and ticket.game_report:
            raise NotAllowed(f"{ticket_label(ticket)} is a game report; Series takes no replies to those.")
        if ticket is not None and ticket.claimed_by and ticket.claimed_by != link.roblox_user_id:
            holder = player_text(ticket.claimed_by_name or f"Roblox user {ticket.claimed_by}", 100)
            raise NotAllowed(
                f"**{holder}** holds {ticket_label(ticket)}, so Series takes replies only from them. "
                "Ask them to unclaim it if you should take over."
            )
        claim = ticket is not None and not ticket.claimed_by
        about = f"{_subject(ticket)} · {short_ref(ticket_id)}" if ticket is not None else None
        snippets = await self.snippets.repo.list(guild_id=interaction.guild_id)
        if snippets:  # first step: start from a snippet, or write from scratch
            await interaction.response.send_message(
                f"Reply to {ticket_label(ticket) if ticket is not None else f'`{short_ref(ticket_id)}`'}: start from "
                "a snippet, or write your own.",
                view=snippet_step(ticket_id, claim, snippets),
                ephemeral=True,
            )
            return
        await interaction.response.send_modal(reply_box(ticket_id, claim=claim, about=about))

    async def open_box_from_snippet(self, interaction: Interaction, ticket_id: str, claim: bool, name: str) -> None:
        """The snippet step's answer: the box, filled with the snippet (or empty), ready to edit and send.

        A modal must be the first response within 3 seconds, so the variables are filled in from what the bot last
        saw of the ticket (the feed keeps every active ticket), or from Series if that takes under a second and a
        half; the text can be edited in the box before sending."""
        assert interaction.guild_id is not None
        ticket_id = listed_ticket_id(ticket_id)
        ticket = self.tickets.get(ticket_id)
        about = f"{_subject(ticket)} · {short_ref(ticket_id)}" if ticket is not None else None
        default = None
        if name:
            snippet = await self.snippets.get(guild_id=interaction.guild_id, name=name)
            link = await self.actions.links.get(guild_id=interaction.guild_id, member_id=interaction.user.id)
            if link is None:
                raise NotLinked()
            if ticket is None:
                try:
                    ticket = await asyncio.wait_for(
                        self.actions.authorize(ticket_id, link.roblox_user_id), SNIPPET_TICKET_WAIT
                    )
                except TimeoutError:
                    raise UserFacingError(
                        "I couldn't load this ticket in time to fill in the snippet. Try again, or send it with "
                        f"`/reply message:+{snippet.name}`."
                    ) from None
            default = await self.snippets.render(
                snippet, ticket, staff_id=link.roblox_user_id, staff_fallback=interaction.user.display_name
            )
        await interaction.response.send_modal(reply_box(ticket_id, claim=claim, about=about, default=default))

    async def _sent(self, interaction: Interaction, sent: ReplySent) -> None:
        await interaction.followup.send(confirmation(sent), ephemeral=True)
        interaction.client.dispatch("ticket_changed", sent.ticket_id, sent)

    # -- other actions -------------------------------------------------------------------------------------------

    async def claim(self, interaction: Interaction, ticket_id: str, *, typed: bool = True) -> None:
        ticket_id = _clean(ticket_id, typed)
        await self._defer(interaction)
        done = await self.actions.claim(**self._who(interaction), ticket_id=ticket_id, typed=typed)
        await self._done(interaction, done, done_text("claim", done))

    async def unclaim(self, interaction: Interaction, ticket_id: str, *, typed: bool = True) -> None:
        ticket_id = _clean(ticket_id, typed)
        await self._defer(interaction)
        done = await self.actions.unclaim(**self._who(interaction), ticket_id=ticket_id, typed=typed)
        await self._done(interaction, done, done_text("unclaim", done))

    async def set_status(self, interaction: Interaction, ticket_id: str, status: str, *, typed: bool = True) -> None:
        ticket_id = _clean(ticket_id, typed)
        await self._defer(interaction)
        done = await self.actions.set_status(**self._who(interaction), ticket_id=ticket_id, status=status, typed=typed)
        await self._done(interaction, done, done_text(status, done))

    async def transfer(self, interaction: Interaction, ticket_id: str, department: str) -> None:
        ticket_id = _clean(ticket_id, True)
        await self._defer(interaction)
        target = await self.actions.resolve_department(department)
        done = await self.actions.transfer(**self._who(interaction), ticket_id=ticket_id, department_id=target)
        config = self.actions.config.value
        name = config.department_name(target) if config else target
        await self._done(interaction, done, done_text("transfer", done, department=name))

    def close_question(self, ticket_id: str) -> str:
        """**Close** asks first, since closing ends the conversation for the player (answered from memory, at once)."""
        ticket = self.tickets.get(listed_ticket_id(ticket_id))
        label = ticket_label(ticket) if ticket is not None else f"`{short_ref(ticket_id)}`"
        return f"Close {label}? The player can't write on it any more once it's closed; **Reopen** brings it back."

    @staticmethod
    def _who(interaction: Interaction) -> Who:
        assert interaction.guild_id is not None
        return {"guild_id": interaction.guild_id, "member_id": interaction.user.id}

    async def _done(self, interaction: Interaction, done: Done, text: str) -> None:
        interaction.client.dispatch("ticket_changed", done.ticket.id, None)
        await interaction.followup.send(text, ephemeral=True)


def _subject(ticket: Ticket) -> str:
    return " ".join(ticket.subject.split())[:60] or "(no subject)"


def _clean(ticket_id: str, typed: bool) -> str:
    return clean_ticket_id(ticket_id) if typed else listed_ticket_id(ticket_id)
