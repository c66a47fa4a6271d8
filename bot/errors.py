"""What can go wrong for a staff member, and the one place where it becomes what they read.

Exceptions carry data (the cause, the reply id, the text they typed). :func:`present` turns any exception into an
:class:`Answer`: the sentence, the embeds that hand their text back, and the follow-up actions that can work (for
a failed reply: **Check and send**, **Claim and send**, **Edit and send**). ``bot.ui`` delivers answers.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import discord
from discord import app_commands

from .api import SeriesError, SeriesMessage, SeriesRateLimited, SeriesUnauthorized, SeriesUnavailable
from .models import Ticket

__all__ = (
    "Answer",
    "InvalidInput",
    "NotAllowed",
    "NotLinked",
    "Offer",
    "ReplyNotSent",
    "UserFacingError",
    "present",
    "text_embed",
    "user_message",
)

EMBED_DESCRIPTION_LIMIT = 4096


class UserFacingError(app_commands.AppCommandError):
    """A refusal whose ``message`` is written for the staff member. ``text`` is what they typed, handed back."""

    def __init__(self, message: str, *, text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.text = text


class InvalidInput(UserFacingError):
    """Input broke a rule; nothing was sent or stored."""


class NotAllowed(UserFacingError):
    """A permission refusal, decided by the bot at run time."""


class NotLinked(UserFacingError):
    """The caller has no Roblox link, so the bot can't act for them on Series."""

    def __init__(self, *, text: str | None = None) -> None:
        super().__init__(
            "Your Discord account isn't linked to a Roblox account yet, so the bot can't act for you on Series. "
            "Ask a server admin to run `/staff link` for you.",
            text=text,
        )


class ReplyNotSent(UserFacingError):
    """A reply that failed. The text is in the outbox under ``reply_id``; :func:`present` words it."""

    def __init__(
        self,
        cause: Exception,
        *,
        reply_id: int,
        ticket_id: str,
        text: str,
        maybe_delivered: bool = False,
        claimed_by_other: str | None = None,
        ticket: Ticket | None = None,
    ) -> None:
        super().__init__(getattr(cause, "message", str(cause)), text=text)
        self.ticket = ticket
        self.cause = cause
        self.reply_id = reply_id
        self.ticket_id = ticket_id
        self.maybe_delivered = maybe_delivered
        self.claimed_by_other = claimed_by_other


@dataclass(frozen=True, slots=True)
class Offer:
    """A follow-up action offered under an answer: ``action`` on the saved reply ``reply_id``."""

    action: str  # "check", "retry", "claimsend" or "edit" (bot.ui.OFFER_LABELS)
    reply_id: int


@dataclass(frozen=True, slots=True)
class Answer:
    content: str
    embeds: tuple[discord.Embed, ...] = ()
    offers: tuple[Offer, ...] = ()
    expected: bool = True  # False: a bug; the caller logs it with an error id


def text_embed(text: str, *, title: str = "Your text (saved, nothing is lost)") -> discord.Embed:
    """The staff member's own words, handed back so they can copy or resend them."""
    body = text if len(text) <= EMBED_DESCRIPTION_LIMIT else text[: EMBED_DESCRIPTION_LIMIT - 1] + "…"
    return discord.Embed(title=title, description=body, colour=discord.Colour.light_grey())


# What to do next after each documented Series error (docs/series-api.md#error-strings). Series' words come first.
_NEXT_STEPS: dict[str, str] = {
    SeriesMessage.CLAIM_REQUIRED: "Press **Claim and send**, or claim it with `/ticket claim` first.",
    SeriesMessage.GAME_REPORT: "Game reports are view-only on Series; they can't be answered.",
    SeriesMessage.TICKET_NOT_FOUND: "Check the ticket id; the autocomplete list shows open tickets.",
    SeriesMessage.PREMIUM_REQUIRED: "The Series workspace needs a Premium or Enterprise plan; ask its owner.",
    SeriesMessage.MODULE_DISABLED: "Ask a Series admin to turn on the Tickets module.",
    SeriesMessage.ALREADY_CLAIMED: "Someone else is handling it; ask them to unclaim it first.",
    SeriesMessage.NOT_CLAIMED: "Nobody holds this ticket, so there is nothing to unclaim.",
    SeriesMessage.DEPARTMENT_NOT_FOUND: "Pick a department from the autocomplete list.",
    SeriesMessage.INVALID_STATUS: "Pick a status from the list.",
}

# Refusals that sending the same reply again can't fix.
_FINAL_REFUSALS = frozenset(
    {
        SeriesMessage.GAME_REPORT,
        SeriesMessage.TICKET_NOT_FOUND,
        SeriesMessage.PREMIUM_REQUIRED,
        SeriesMessage.MODULE_DISABLED,
    }
)


def _unwrap(exc: BaseException) -> BaseException:
    if isinstance(exc, app_commands.CommandInvokeError):
        return exc.original
    if isinstance(exc, app_commands.TransformerError) and isinstance(exc.__cause__, Exception):
        return exc.__cause__
    return exc


def user_message(exc: BaseException) -> str:
    """The sentence a staff member reads for ``exc`` (a pure table); ``""`` for an unexpected error."""
    exc = _unwrap(exc)
    if isinstance(exc, ReplyNotSent):
        return _reply_not_sent(exc)
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


# A failed reply in plain words: what happened and what to do, before Series' own sentence (docs/series-api.md).
_PLAIN_REFUSALS: dict[str, str] = {
    SeriesMessage.CLAIM_REQUIRED: "Nobody has claimed it yet. Press **Claim and send** and it goes out as you.",
    SeriesMessage.GAME_REPORT: "It's a game report, and Series takes no replies to those.",
    SeriesMessage.TICKET_NOT_FOUND: "Series can't find that ticket.",
    SeriesMessage.PREMIUM_REQUIRED: "The Series workspace's plan doesn't include tickets right now. Ask its owner.",
    SeriesMessage.MODULE_DISABLED: "Tickets are switched off in the Series workspace. Ask a Series admin.",
    SeriesMessage.ALREADY_CLAIMED: "Someone else claimed it first.",
}


def _named(exc: ReplyNotSent) -> str:
    if exc.ticket is not None:
        from .render import ticket_label  # render imports models only; imported here to keep errors light

        return ticket_label(exc.ticket)
    from .render import short_ref

    return f"`{short_ref(exc.ticket_id)}`"


def _reply_not_sent(exc: ReplyNotSent) -> str:
    ticket = _named(exc)
    cause = exc.cause
    said = f"\n-# Series said: “{cause.message}”" if isinstance(cause, SeriesError) and cause.status else ""
    if exc.maybe_delivered:
        reason = cause.message if isinstance(cause, SeriesError) else "The answer was lost."
        return (
            f"⚠️ Your reply to {ticket} **may or may not have arrived.** {reason}\n"
            "It won't be sent again by itself, so the player can't get it twice. **Check and send** looks for it "
            "on the ticket first and sends it only if it isn't there."
        )
    if exc.claimed_by_other:
        return (
            f"❌ Your reply to {ticket} **wasn't sent.** **{exc.claimed_by_other[:100]}** holds this ticket, so "
            "Series takes replies only from them. Ask them to unclaim it (or to answer), then **Edit and send**." + said
        )
    if isinstance(cause, SeriesUnavailable | SeriesRateLimited):
        return f"❌ Your reply to {ticket} **wasn't sent.** {cause.message} Nothing arrived; press **Try again**."
    if isinstance(cause, SeriesError) and cause.message in _PLAIN_REFUSALS:
        return f"❌ Your reply to {ticket} **wasn't sent.** {_PLAIN_REFUSALS[cause.message]}{said}"
    return f"❌ Your reply to {ticket} **wasn't sent.** {user_message(cause)}"


def _offers(exc: ReplyNotSent) -> tuple[Offer, ...]:
    """Only the follow-ups that can work: Check and send when it may have arrived (never a blind resend), Try again
    when Series wasn't reached, Claim and send when nobody holds the ticket, Edit and send when a resend could
    succeed at all."""
    if exc.maybe_delivered:
        return (Offer("check", exc.reply_id),)
    cause = exc.cause
    if isinstance(cause, SeriesUnavailable | SeriesRateLimited):
        return (Offer("retry", exc.reply_id), Offer("edit", exc.reply_id))
    offers = []
    if isinstance(cause, SeriesError) and cause.message == SeriesMessage.CLAIM_REQUIRED and not exc.claimed_by_other:
        offers.append(Offer("claimsend", exc.reply_id))
    final = isinstance(cause, UserFacingError) or (isinstance(cause, SeriesError) and cause.message in _FINAL_REFUSALS)
    if not final:
        offers.append(Offer("edit", exc.reply_id))
    return tuple(offers)


def present(exc: BaseException) -> Answer:
    """The whole answer to ``exc``: sentence, the caller's text handed back, and what they can do next."""
    exc = _unwrap(exc)
    content = user_message(exc)
    if not content:
        return Answer(content="", expected=False)
    embeds = (text_embed(exc.text),) if isinstance(exc, UserFacingError) and exc.text else ()
    offers = _offers(exc) if isinstance(exc, ReplyNotSent) else ()
    return Answer(content=content, embeds=embeds, offers=offers)


def _perm_names(perms: list[str]) -> str:
    return " and ".join(f"**{p.replace('_', ' ').replace('guild', 'server').title()}**" for p in perms)
