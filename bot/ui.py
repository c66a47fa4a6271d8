"""Delivering answers in Discord: the one error boundary, the reply box, and the buttons offered with a failed reply.

Slash commands (through ``BotTree.on_error``), buttons and boxes all end in :func:`report_error`, which logs what
needs logging and answers ephemerally exactly once via :func:`safe_reply`. A ``DynamicItem`` has no error hook at
all (discord.py only logs, and the user sees "This interaction failed"), so callbacks are wrapped with
:func:`guarded`; box submits are handled by the tickets cog from their payload (:func:`box_submission`).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

import discord
from discord import app_commands

from .api import SeriesError
from .errors import Offer, present
from .validation import MAX_REPLY_LENGTH

if TYPE_CHECKING:
    from .client import TicketBot

    Interaction = discord.Interaction[TicketBot]
else:
    Interaction = discord.Interaction

__all__ = (
    "OFFER_LABELS",
    "ReplyOfferButton",
    "box_submission",
    "guarded",
    "offer_view",
    "reply_box",
    "report_error",
    "safe_reply",
)

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

OFFER_LABELS = {
    "claimsend": "Claim and send",
    "retry": "Try again",
    "edit": "Edit and send",
    "check": "Check and send",
}


async def report_error(interaction: discord.Interaction, error: BaseException, *, where: str = "") -> None:
    """Log (with an error id when unexpected) and tell the user, ephemerally, exactly once."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    answer = present(original)
    content = answer.content
    if not answer.expected:
        error_id = secrets.token_hex(4)
        log.error(
            "Unexpected error %s in %s (user %s, guild %s)",
            error_id,
            where or _describe(interaction),
            interaction.user.id,
            interaction.guild_id,
            exc_info=original,
        )
        content = (
            f"Sorry, something went wrong on our side (error id `{error_id}`). "
            "Try again; if it keeps happening, give the error id to whoever runs the bot."
        )
    elif isinstance(original, SeriesError | app_commands.CheckFailure):
        log.info("%s refused for user %s: %s", where or _describe(interaction), interaction.user.id, content)
    await safe_reply(interaction, content, embeds=answer.embeds, view=offer_view(answer.offers))


async def safe_reply(
    interaction: discord.Interaction,
    content: str,
    *,
    embeds: Sequence[discord.Embed] = (),
    view: discord.ui.View | None = None,
) -> None:
    """Answer ephemerally whether or not the interaction was already acknowledged (Red's pattern)."""
    kwargs: dict[str, Any] = {"content": content[:2000], "embeds": list(embeds), "ephemeral": True}
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


def guarded(callback: F) -> F:
    """Wrap a ``DynamicItem.callback`` so any exception becomes an ephemeral answer, not a silent failure."""

    @functools.wraps(callback)
    async def wrapper(self: Any, interaction: discord.Interaction, *args: Any, **kwargs: Any) -> Any:
        try:
            return await callback(self, interaction, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - this is the error boundary
            await report_error(interaction, exc, where=type(self).__name__)
            return None

    return wrapper  # type: ignore[return-value]


# box:reply (the holder answers), box:claimreply (answering an unclaimed ticket claims it first); the last form is
# how boxes opened by older versions were named.
BOX_ID = re.compile(r"(?:box:(?P<mode>reply|claimreply)|ticket:replymodal):(?P<ticket_id>[^\s:]{1,64})")
BOX_INPUT = "reply_text"


def reply_box(
    ticket_id: str, *, default: str | None = None, claim: bool = False, about: str | None = None
) -> discord.ui.Modal:
    """The Reply box: one paragraph of up to 4000 characters.

    discord.py keeps an open modal by its ``custom_id`` alone, so two people answering one ticket (or a box opened
    before a restart) would leave a submit with no modal waiting, unanswered and its text lost. So this modal is
    only a picture of the box: it is stopped before it is sent, discord.py never holds it, and every submit is
    handled from its own payload by :func:`box_submission` (docs/discord-limits.md#modals-and-text-inputs).
    """
    mode = "claimreply" if claim else "reply"
    title = "Claim and reply" if claim else "Reply to the player"
    box = discord.ui.Modal(title=title, custom_id=f"box:{mode}:{ticket_id}", timeout=None)
    text: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        custom_id=BOX_INPUT,
        style=discord.TextStyle.paragraph,
        min_length=1,
        max_length=MAX_REPLY_LENGTH,
        default=default[:MAX_REPLY_LENGTH] if default else None,
        placeholder="Write your answer to the player",
    )
    if claim:
        hint = f"Sending this claims it for you: {about}" if about else "Sending this claims the ticket for you."
    else:
        hint = about or f"Ticket {ticket_id}"
    box.add_item(discord.ui.Label(text="Your reply", description=hint[:100], component=text))
    box.stop()
    return box


def box_submission(interaction: discord.Interaction) -> tuple[str, str, bool] | None:
    """``(ticket id, text, claim first)`` when ``interaction`` submits a Reply box (opened now or before a restart)."""
    if interaction.type is not discord.InteractionType.modal_submit or not isinstance(interaction.data, dict):
        return None
    match = BOX_ID.fullmatch(str(interaction.data.get("custom_id", "")))
    if match is None:
        return None
    text = _input_value(interaction.data.get("components", []), BOX_INPUT) or ""
    return match["ticket_id"], text, match["mode"] == "claimreply"


def _input_value(components: Any, custom_id: str) -> str | None:
    """The value of the text input ``custom_id`` anywhere in a submit's components (labels and action rows)."""
    for component in components if isinstance(components, list) else ():
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == custom_id and isinstance(component.get("value"), str):
            return component["value"]
        nested = [component["component"]] if isinstance(component.get("component"), dict) else []
        found = _input_value(nested + list(component.get("components") or []), custom_id)
        if found is not None:
            return found
    return None


class ReplyOfferButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"reply:(?P<action>claimsend|retry|edit|check):(?P<reply_id>[0-9]{1,18})",
):
    """A button under a failed reply. The text lives in the reply outbox, so it survives restarts too."""

    def __init__(self, action: str, reply_id: int) -> None:
        style = discord.ButtonStyle.secondary if action == "edit" else discord.ButtonStyle.primary
        super().__init__(
            discord.ui.Button(label=OFFER_LABELS[action], style=style, custom_id=f"reply:{action}:{reply_id}")
        )
        self.action = action
        self.reply_id = reply_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["action"], int(match["reply_id"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        desk = interaction.client.services.desk
        if self.action == "edit":
            await desk.edit_reply(interaction, self.reply_id)
        else:
            await desk.retry(interaction, self.reply_id, claim_first=self.action == "claimsend")


def offer_view(offers: Sequence[Offer]) -> discord.ui.View | None:
    """The buttons for ``offers``; ``None`` when there is nothing to offer."""
    if not offers:
        return None
    view = discord.ui.View(timeout=None)
    for offer in offers:
        view.add_item(ReplyOfferButton(offer.action, offer.reply_id))
    return view


# -- the Reply box's first step when the server has snippets ---------------------------------------------------------

SNIPPET_OPTIONS = 25  # Discord's most options in one select


class SnippetSelect(
    discord.ui.DynamicItem[discord.ui.Select],
    template=r"snip:(?P<mode>reply|claimreply):(?P<ticket_id>[^\s:]{1,64})",
):
    """Pick a snippet: the Reply box opens filled with it. Rebuilt from its custom id, so it survives restarts."""

    def __init__(self, ticket_id: str, claim: bool, options: Sequence[discord.SelectOption] = ()) -> None:
        mode = "claimreply" if claim else "reply"
        super().__init__(
            discord.ui.Select(
                custom_id=f"snip:{mode}:{ticket_id}",
                placeholder="Start from a snippet…",
                options=list(options) or [discord.SelectOption(label="(no snippets)", value="-")],
                min_values=1,
                max_values=1,
            )
        )
        self.ticket_id, self.claim = ticket_id, claim

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["ticket_id"], match["mode"] == "claimreply")

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        data = interaction.data if isinstance(interaction.data, dict) else {}
        values = data.get("values") or []
        name = str(values[0]) if values and values[0] != "-" else ""
        desk = interaction.client.services.desk
        await desk.open_box_from_snippet(interaction, self.ticket_id, self.claim, name)


class WriteOwnButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"own:(?P<mode>reply|claimreply):(?P<ticket_id>[^\s:]{1,64})",
):
    """Skip the snippets: the empty Reply box."""

    def __init__(self, ticket_id: str, claim: bool) -> None:
        mode = "claimreply" if claim else "reply"
        super().__init__(
            discord.ui.Button(
                label="Write my own", style=discord.ButtonStyle.primary, custom_id=f"own:{mode}:{ticket_id}"
            )
        )
        self.ticket_id, self.claim = ticket_id, claim

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["ticket_id"], match["mode"] == "claimreply")

    @guarded
    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.services.desk.open_box_from_snippet(interaction, self.ticket_id, self.claim, "")


def snippet_step(ticket_id: str, claim: bool, snippets: Sequence[Any]) -> discord.ui.View:
    """A select of the server's snippets (their text as the description) and **Write my own**."""
    options = [
        discord.SelectOption(label=f"+{s.name}", value=s.name, description=" ".join(s.body.split())[:100])
        for s in snippets[:SNIPPET_OPTIONS]
    ]
    view = discord.ui.View(timeout=None)
    view.add_item(SnippetSelect(ticket_id, claim, options))
    view.add_item(WriteOwnButton(ticket_id, claim))
    return view
