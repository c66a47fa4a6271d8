"""The one place where exceptions become what a staff member reads.

Slash commands (through ``BotTree.on_error``), buttons and modals (through ``bot.ui``) all end in
:func:`report_error`, which logs what needs logging and answers ephemerally exactly once via :func:`safe_reply`.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from .api import SeriesError, SeriesRateLimited, SeriesUnauthorized, SeriesUnavailable

if TYPE_CHECKING:
    from discord.ui import View

__all__ = (
    "InvalidInput",
    "NotAllowed",
    "NotLinked",
    "ReplyNotSent",
    "UserFacingError",
    "report_error",
    "safe_reply",
    "text_embed",
    "user_message",
)

log = logging.getLogger(__name__)

EMBED_DESCRIPTION_LIMIT = 4096


class UserFacingError(app_commands.AppCommandError):
    """An error whose ``message`` is written for the staff member and safe to show as it is.

    ``embeds`` and ``view`` ride along with the message (the text they typed, a "Claim and send" button).
    """

    def __init__(self, message: str, *, embeds: Sequence[discord.Embed] = (), view: View | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.embeds = list(embeds)
        self.view = view


class InvalidInput(UserFacingError):
    """Input broke a rule; nothing was sent or stored. ``keep_text`` is given back to the user."""

    def __init__(self, message: str, *, keep_text: str | None = None) -> None:
        super().__init__(message, embeds=[text_embed(keep_text)] if keep_text else ())


class NotLinked(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            "Your Discord account isn't linked to a Roblox account yet, so the bot can't act for you on Series. "
            "Ask a server admin to run `/staff link` for you."
        )


class NotAllowed(UserFacingError):
    """A permission refusal, decided by the bot at run time."""


class ReplyNotSent(UserFacingError):
    """A reply that failed. Carries the text back, and buttons to retry, built by whoever raised it."""

    def __init__(
        self,
        cause: Exception,
        *,
        reply_id: int,
        ticket_id: str,
        text: str,
        maybe_delivered: bool = False,
        claimed_by_other: str | None = None,
        view: View | None = None,
    ) -> None:
        self.cause = cause
        self.reply_id = reply_id
        self.ticket_id = ticket_id
        self.text = text
        self.maybe_delivered = maybe_delivered
        self.claimed_by_other = claimed_by_other
        if maybe_delivered:
            message = (
                f"⚠️ **Your reply to `{ticket_id}` may or may not have been delivered.** {cause_text(cause)}\n"
                "The bot won't send it again by itself, so the player can't get it twice. Press **Check and send**: "
                "it looks for your reply on the ticket and sends it only if it isn't there."
            )
        elif claimed_by_other:
            message = (
                f"❌ **Your reply to `{ticket_id}` was not sent.** Series said: “{getattr(cause, 'message', cause)}”\n"
                f"It is claimed by **{claimed_by_other[:100]}**. "
                "Ask them to unclaim it (or to answer), then send again."
            )
        else:
            message = f"❌ **Your reply to `{ticket_id}` was not sent.** {user_message(cause)}"
        super().__init__(message, embeds=[text_embed(text)], view=view)

    @property
    def retryable(self) -> bool:
        """Whether sending the same reply again could work (not for game reports, refusals, missing tickets)."""
        if isinstance(self.cause, UserFacingError):
            return False
        return not (isinstance(self.cause, SeriesError) and self.cause.message in _FINAL_REFUSALS)


def text_embed(text: str, *, title: str = "Your text (saved, nothing is lost)") -> discord.Embed:
    """The staff member's own words, handed back so they can copy or resend them."""
    body = text if len(text) <= EMBED_DESCRIPTION_LIMIT else text[: EMBED_DESCRIPTION_LIMIT - 1] + "…"
    return discord.Embed(title=title, description=body, colour=discord.Colour.light_grey())


# What to do next after each documented Series error (series-api §1, §3). The API's own words come first.
_NEXT_STEPS: dict[str, str] = {
    "You must claim this ticket before replying": "Press **Claim and send**, or claim it with `/ticket claim` first.",
    "Cannot reply to game reports": "Game reports are view-only on Series; they can't be answered.",
    "Ticket not found": "Check the ticket id; the autocomplete list shows open tickets.",
    "Tickets module requires a Premium or Enterprise subscription": (
        "The Series workspace needs a Premium or Enterprise plan; ask its owner."
    ),
    "Tickets module is not enabled for this workspace": "Ask a Series admin to turn on the Tickets module.",
    "Ticket already claimed": "Someone else is handling it; ask them to unclaim it first.",
    "Ticket is not claimed": "Nobody holds this ticket, so there is nothing to unclaim.",
    "Department not found": "Pick a department from the autocomplete list.",
    "Invalid status. Must be one of: open, in-progress, resolved, closed": "Pick a status from the list.",
}


_FINAL_REFUSALS = frozenset(
    {
        "Cannot reply to game reports",
        "Ticket not found",
        "Tickets module requires a Premium or Enterprise subscription",
        "Tickets module is not enabled for this workspace",
    }
)


def cause_text(exc: Exception) -> str:
    """The plain reason for a transport failure."""
    return exc.message if isinstance(exc, SeriesError) else "Something went wrong."


def user_message(exc: BaseException) -> str:
    """Map any exception to the sentence a staff member should read (a pure table)."""
    if isinstance(exc, app_commands.CommandInvokeError):
        exc = exc.original
    elif isinstance(exc, app_commands.TransformerError) and isinstance(exc.__cause__, Exception):
        exc = exc.__cause__
    if isinstance(exc, UserFacingError):
        return exc.message
    if isinstance(exc, app_commands.TransformerError):
        if exc.type in (discord.AppCommandOptionType.user, discord.AppCommandOptionType.mentionable):
            return "That person isn't a member of this server (any more). Pick someone from the list."
        return "One of the values you gave isn't valid here. Pick it from the list Discord offers."
    if isinstance(exc, SeriesUnauthorized):
        return (
            f"Series said: “{exc.message}”. The bot's Series API key was refused; "
            "an admin needs to check `SERIES_API_KEY`."
        )
    if isinstance(exc, SeriesRateLimited):
        return "Series is busy right now (too many requests). Nothing was changed; try again in a few seconds."
    if isinstance(exc, SeriesUnavailable):
        return f"{exc.message} Nothing was changed on purpose; try again in a moment."
    if isinstance(exc, SeriesError):
        step = _NEXT_STEPS.get(exc.message, "")
        return f"Series said: “{exc.message}”" + (f"\n{step}" if step else "")
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
        return "The bot's database is busy right now. Nothing was changed; try again in a few seconds."
    if isinstance(exc, app_commands.MissingPermissions):
        return f"You need the {_perm_names(exc.missing_permissions)} permission to use this."
    if isinstance(exc, app_commands.BotMissingPermissions):
        return f"I need the {_perm_names(exc.missing_permissions)} permission here to do that."
    if isinstance(exc, app_commands.NoPrivateMessage):
        return "This only works inside a server."
    if isinstance(exc, app_commands.CheckFailure):
        return "You can't use this here."
    return ""


def _perm_names(perms: list[str]) -> str:
    return " and ".join(f"**{p.replace('_', ' ').replace('guild', 'server').title()}**" for p in perms)


async def report_error(interaction: discord.Interaction, error: BaseException, *, where: str = "") -> None:
    """Log (with an error id when unexpected) and tell the user, ephemerally, exactly once."""
    original = error
    if isinstance(error, app_commands.CommandInvokeError):
        original = error.original
    message = user_message(original)
    embeds: list[discord.Embed] = []
    view = None
    if isinstance(original, UserFacingError):
        embeds, view = original.embeds, original.view
    elif not message:
        error_id = secrets.token_hex(4)
        log.error(
            "Unexpected error %s in %s (user %s, guild %s)",
            error_id,
            where or _describe(interaction),
            interaction.user.id,
            interaction.guild_id,
            exc_info=original,
        )
        message = (
            f"Sorry, something went wrong on our side (error id `{error_id}`). "
            "Try again; if it keeps happening, give the error id to whoever runs the bot."
        )
    elif isinstance(original, SeriesError | app_commands.CheckFailure):
        log.info("%s refused for user %s: %s", where or _describe(interaction), interaction.user.id, message)
    await safe_reply(interaction, message, embeds=embeds, view=view)


async def safe_reply(
    interaction: discord.Interaction,
    content: str,
    *,
    embeds: Sequence[discord.Embed] = (),
    view: View | None = None,
) -> None:
    """Answer ephemerally whether or not the interaction was already acknowledged (Red's pattern)."""
    kwargs: dict = {"content": content[:2000], "embeds": list(embeds), "ephemeral": True}
    if view is not None:
        kwargs["view"] = view
    try:
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)
        else:
            await interaction.response.send_message(**kwargs)
    except discord.HTTPException:
        # Expired token (15 min) or a deleted channel: nothing more can be said to this user here.
        log.warning("Could not deliver a message to user %s", interaction.user.id, exc_info=True)


def _describe(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data = interaction.data or {}
    return str(data.get("custom_id", "interaction"))
