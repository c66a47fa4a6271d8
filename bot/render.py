"""Turning Series data (written by untrusted players) into Discord text and embeds.

Player text is escaped first and truncated second (escaping adds characters;
docs/discord-limits.md#escape-then-truncate), never pings
(mentions are neutralised here as well as by the client-wide ``AllowedMentions.none()``), and masked links are
shown as plain text, so ``[click here](https://evil)`` cannot hide where it goes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import discord

from .models import Message, Ticket, TicketConfig, parse_time

__all__ = (
    "EMBED_TOTAL_LIMIT",
    "STATUS_COLOURS",
    "StatusChange",
    "card_embed",
    "choice_name",
    "clip",
    "detail_embed",
    "event_line",
    "message_embed",
    "moved_embed",
    "player_name",
    "player_text",
    "preview",
    "profile_url",
    "short_ref",
    "status_change",
    "status_label",
    "thread_name",
    "ticket_label",
)

# docs/discord-limits.md#embed-limits
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
FIELD_NAME_LIMIT = 256
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
URL_LIMIT = 2048

# A card's colour says its state at a glance; none of them is Discord's own blurple, and the thread's message
# colours (who is speaking) are different again.
STATUS_COLOURS = {
    "open": discord.Colour(0x3498DB),  # blue: waiting for someone
    "in-progress": discord.Colour(0xF1C40F),  # yellow: someone is on it
    "resolved": discord.Colour(0x2ECC71),  # green: done
    "closed": discord.Colour(0x95A5A6),  # grey: closed
}
NOBODY_COLOUR = discord.Colour(0xE67E22)  # orange: in progress, but nobody holds it
MOVED_COLOUR = discord.Colour(0x4F545C)  # dark grey: this card is history; the ticket lives elsewhere
PLAYER_COLOUR = discord.Colour(0x1ABC9C)  # teal: the player speaking
STAFF_COLOUR = discord.Colour(0x9B59B6)  # purple: staff speaking
STATUS_LABELS = {"open": "Open", "in-progress": "In progress", "resolved": "Resolved", "closed": "Closed"}
PRIORITY_LABELS = {"low": "Low", "medium": "Medium", "high": "🟠 High", "urgent": "🔴 Urgent"}
DEFAULT_PRIORITY = "medium"
PROFILE_URL = "https://www.roblox.com/users/{id}/profile"
_NO_NAMES: Mapping[int, str] = MappingProxyType({})

_MASKED_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?\s*(?:\"[^\"]*\")?\)")
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with … when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Don't leave a backslash that escapes nothing at the end (it would escape the ellipsis): an odd run of
    # trailing backslashes means the last one was cut from the character it escaped.
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    return cut + "…"


def _escape_brackets(text: str) -> str:
    """Escape every ``[`` and ``]`` not escaped yet, so no masked link can form, whatever shape it has."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i : i + 2])
            i += 2
            continue
        out.append("\\" + char if char in "[]" else char)
        i += 1
    return "".join(out)


def player_text(text: str, limit: int, *, placeholder: str = "*(empty)*") -> str:
    """Make untrusted text safe to show: unmask links, escape markdown and mentions, then clip.

    The common masked link becomes ``label (address)``; then every bracket left is escaped, so no other shape
    (a newline in the label, nested brackets) can still hide an address behind a label.
    """
    text = text.translate(_INVISIBLE)  # bidi overrides and zero-width characters can disguise text
    text = _MASKED_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = discord.utils.escape_markdown(text)
    text = discord.utils.escape_mentions(text)
    text = _escape_brackets(text)
    text = text.strip()
    if not text:
        return clip(placeholder, limit)
    return clip(text, limit)


def short_ref(ticket_id: str) -> str:
    """A short handle people can say and type: ``TICKET-1749740440000-UJZD`` → ``#UJZD``.

    The full id stays on the card; this is for titles, thread names and confirmations. Ids of another shape give
    their last six characters.
    """
    tail = ticket_id.rsplit("-", 1)[-1] if ticket_id.startswith("TICKET-") else ticket_id[-6:]
    return "#" + (tail or ticket_id or "?")


def preview(text: str, limit: int = 100) -> str:
    """A one-line start of some text, for confirmations."""
    line = " ".join(text.split())
    return player_text(line, limit)


def status_label(status: str) -> str:
    """A status as the cards show it (``in-progress`` → "In progress")."""
    return STATUS_LABELS.get(status, status.replace("-", " ").capitalize() or "Unknown")


def profile_url(user_id: int | None) -> str | None:
    return PROFILE_URL.format(id=user_id) if user_id else None


def player_name(ticket: Ticket) -> str:
    """The player as people know them: display name, with the username when it differs (plain text)."""
    return " ".join(ticket.author.name.translate(_INVISIBLE).split()) or "Unknown player"


def _plain_subject(ticket: Ticket) -> str:
    return " ".join(ticket.subject.translate(_INVISIBLE).split()) or "(no subject)"


def ticket_label(ticket: Ticket, *, limit: int = 80) -> str:
    """How confirmations name a ticket: **its subject** and its short reference, safe to show."""
    return f"**{player_text(_plain_subject(ticket), limit)}** ({short_ref(ticket.id)})"


def thread_name(ticket: Ticket) -> str:
    """A thread's name leads with the subject; the short reference ends it (1-100 characters, plain text)."""
    ref = f" · {short_ref(ticket.id)}"
    subject = discord.utils.escape_mentions(_plain_subject(ticket))
    return clip(subject, 100 - len(ref)) + ref


def choice_name(ticket: Ticket) -> str:
    """An autocomplete label that reads like the ticket: "subject · player · status · #REF", 1-100 characters
    (docs/discord-limits.md#autocomplete), plain text (Discord shows it raw). The subject is cut first, so the
    player, status and reference always show."""
    tail = f" · {clip(player_name(ticket), 30)} · {clip(status_label(ticket.status), 20)} · {short_ref(ticket.id)}"
    return clip(_plain_subject(ticket), 100 - len(tail)) + tail


def _safe_url(url: str) -> str | None:
    return url if url.startswith(("https://", "http://")) and len(url) <= URL_LIMIT else None


def _relative(value: str) -> str:
    when = parse_time(value)
    return discord.utils.format_dt(when, "R") if when else "at an unknown time"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """Who resolved or closed a ticket, and when, as far as Series' own event messages tell."""

    by: int | None
    at: str


def status_change(ticket: Ticket) -> StatusChange | None:
    """The latest event on the ticket that set its current status (resolved or closed), if Series recorded one.

    Series' event messages are undocumented (docs/series-api.md#system-messages): any message that is neither the
    player's nor staff's and names the status counts; otherwise the card says only when the ticket last changed.
    """
    if ticket.is_active:
        return None
    for message in reversed(ticket.messages):
        if not (message.is_player or message.is_staff) and ticket.status in message.content.lower():
            return StatusChange(message.author_id, message.timestamp)
    return StatusChange(None, ticket.updated_at) if ticket.updated_at else None


def _who(roblox_id: int | None, names: Mapping[int, str], fallback: str = "") -> str:
    if roblox_id and roblox_id in names:
        return names[roblox_id]
    return player_text(fallback, 100, placeholder="") if fallback else (f"Roblox user {roblox_id}" if roblox_id else "")


def _status_value(ticket: Ticket, names: Mapping[int, str]) -> str:
    label = status_label(ticket.status)
    if ticket.status == "in-progress" and not ticket.claimed_by:
        return f"{label} · nobody holds it"
    change = status_change(ticket)
    if change is not None:
        by = _who(change.by, names)
        return f"{label}{' by ' + by if by else ''} {_relative(change.at)}"
    return label


def claimed_by(ticket: Ticket, names: Mapping[int, str]) -> str:
    """ "Claimed by" the same way everywhere: the linked Discord member, else the Roblox name Series gives."""
    if not ticket.claimed_by:
        return "Nobody"
    return _who(ticket.claimed_by, names, ticket.claimed_by_name)


def _card_base(ticket: Ticket, colour: discord.Colour) -> discord.Embed:
    embed = discord.Embed(title=player_text(ticket.subject, TITLE_LIMIT, placeholder="(no subject)"), colour=colour)
    embed.set_author(
        name=clip(player_name(ticket), AUTHOR_LIMIT),
        url=profile_url(ticket.author.user_id),
        icon_url=_safe_url(ticket.author.avatar_url) or None,
    )
    embed.set_footer(text=clip(ticket.id, FOOTER_LIMIT))  # the full id, to copy; titles use the short reference
    return embed


def card_embed(
    ticket: Ticket, config: TicketConfig | None = None, *, names: Mapping[int, str] = _NO_NAMES
) -> discord.Embed:
    """A ticket's card: made for a phone. Subject and player first, then Status, Claimed by and Opened; the
    priority only when it isn't the default, the category only when it says more than the department."""
    colour = STATUS_COLOURS.get(ticket.status, discord.Colour.light_grey())
    if ticket.status == "in-progress" and not ticket.claimed_by:
        colour = NOBODY_COLOUR
    embed = _card_base(ticket, colour)
    embed.add_field(name="Status", value=clip(_status_value(ticket, names), FIELD_VALUE_LIMIT))
    if ticket.is_active:
        embed.add_field(name="Claimed by", value=clip(claimed_by(ticket, names), FIELD_VALUE_LIMIT))
    embed.add_field(name="Opened", value=_relative(ticket.created_at))
    if ticket.priority and ticket.priority != DEFAULT_PRIORITY:
        embed.add_field(name="Priority", value=PRIORITY_LABELS.get(ticket.priority, player_text(ticket.priority, 50)))
    if config is not None:
        department = config.department_name(ticket.department)
        category = config.category_name(ticket.category)
        if category and category.casefold() not in department.casefold():
            embed.add_field(name="Category", value=player_text(category, FIELD_VALUE_LIMIT))
    if ticket.game_report:
        embed.add_field(name="Game report", value="View-only: Series takes no replies to game reports.", inline=False)
    first = ticket.first_message
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(embed) - 100)
    embed.description = player_text(first.content, room) if first else "*No message.*"
    return embed


def moved_embed(ticket: Ticket, *, channel_id: int, by: str) -> discord.Embed:
    """The old card of a ticket that moved to another channel: greyed, and saying where it went and who moved it."""
    embed = _card_base(ticket, MOVED_COLOUR)
    who = f" by {by}" if by else ""
    embed.description = f"➡️ Moved to <#{channel_id}>{who} {discord.utils.format_dt(discord.utils.utcnow(), 'R')}."
    return embed


def detail_embed(
    ticket: Ticket, config: TicketConfig | None = None, *, names: Mapping[int, str] = _NO_NAMES, recent: int = 5
) -> discord.Embed:
    """``/ticket show``: the card, then the last ``recent`` messages of the conversation, each under its speaker."""
    embed = card_embed(ticket, config, names=names)
    first = ticket.first_message  # already the card's own text
    shown = [m for m in ticket.messages if (m.is_player or m.is_staff) and m is not first][-recent:]
    budget = EMBED_TOTAL_LIMIT - len(embed) - 200
    per_message = max(100, min(FIELD_VALUE_LIMIT - 40, budget // max(len(shown), 1)))
    for message in shown:
        # Field names show mentions and <t:…> times as raw text, so who and when go in the value.
        if message.is_player:
            name, head = player_name(ticket), _relative(message.timestamp)
        else:
            name = "Staff reply"
            head = " · ".join(p for p in (_who(message.author_id, names) or "Staff", _relative(message.timestamp)) if p)
        value = f"{head}\n{player_text(message.content, per_message)}"
        embed.add_field(name=clip(name, FIELD_NAME_LIMIT), value=clip(value, FIELD_VALUE_LIMIT), inline=False)
    return embed


def message_embed(ticket: Ticket, message: Message, *, speaker: str) -> discord.Embed:
    """One message of the conversation in its thread, under its speaker's name, at its own time."""
    text = player_text(message.content, DESCRIPTION_LIMIT)
    if text.endswith("…") and len(message.content) > 3000:
        note = "\n-# Cut to fit Discord; all of it is on Series."
        text = clip(text, DESCRIPTION_LIMIT - len(note)) + note
    embed = discord.Embed(
        description=text,
        colour=PLAYER_COLOUR if message.is_player else STAFF_COLOUR,
        timestamp=parse_time(message.timestamp),
    )
    if message.is_player:
        embed.set_author(
            name=clip(speaker, AUTHOR_LIMIT),
            url=profile_url(ticket.author.user_id),
            icon_url=_safe_url(ticket.author.avatar_url) or None,
        )
    else:
        embed.set_author(name=clip(speaker, AUTHOR_LIMIT))
    return embed


def event_line(message: Message) -> str:
    """A claim, status change or transfer as one quiet line in the thread."""
    when = parse_time(message.timestamp)
    stamp = f" · {discord.utils.format_dt(when, 't')}" if when else ""
    return clip(f"-# {player_text(message.content, 300, placeholder='Something changed on Series')}{stamp}", 400)
