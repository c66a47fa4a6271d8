"""Turning Series data (written by untrusted players) into Discord text and embeds.

Player text is escaped first and truncated second (escaping adds characters;
docs/discord-limits.md#escape-then-truncate), never pings
(mentions are neutralised here as well as by the client-wide ``AllowedMentions.none()``), and masked links are
shown as plain text, so ``[click here](https://evil)`` cannot hide where it goes.
"""

from __future__ import annotations

import re

import discord

from .models import Message, Ticket, TicketConfig, parse_time

__all__ = (
    "EMBED_TOTAL_LIMIT",
    "STATUS_COLOURS",
    "choice_name",
    "clip",
    "player_text",
    "preview",
    "short_ref",
    "ticket_embed",
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

STATUS_COLOURS = {
    "open": discord.Colour.blurple(),
    "in-progress": discord.Colour.gold(),
    "resolved": discord.Colour.green(),
    "closed": discord.Colour.dark_grey(),
}
STATUS_LABELS = {"open": "Open", "in-progress": "In progress", "resolved": "Resolved", "closed": "Closed"}
PRIORITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "urgent": "🔴 Urgent"}

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


def choice_name(ticket: Ticket) -> str:
    """An autocomplete label: 1-100 characters (docs/discord-limits.md#autocomplete), plain text (Discord shows it
    raw)."""
    subject = " ".join(ticket.subject.translate(_INVISIBLE).split()) or "(no subject)"
    status = STATUS_LABELS.get(ticket.status, ticket.status)
    name = f"{ticket.id} · {status} · {subject}"
    return clip(name, 100)


def _safe_url(url: str) -> str | None:
    return url if url.startswith(("https://", "http://")) and len(url) <= URL_LIMIT else None


def _timestamp(value: str) -> str:
    when = parse_time(value)
    return discord.utils.format_dt(when, "R") if when else "unknown"


def ticket_embed(
    ticket: Ticket,
    config: TicketConfig | None = None,
    *,
    recent: int = 0,
    claimer_mention: str | None = None,
    note: str | None = None,
) -> discord.Embed:
    """The ticket as an embed: subject, author, status, priority, department, claim, and messages.

    With ``recent=0`` the description is the first player message (a feed card); otherwise the last
    ``recent`` messages are shown as fields (``/ticket show``). Always within Discord's embed limits.
    """
    status = STATUS_LABELS.get(ticket.status, ticket.status or "Unknown")
    embed = discord.Embed(
        title=clip(
            f"{ticket.id} · {player_text(ticket.subject, TITLE_LIMIT, placeholder='(no subject)')}", TITLE_LIMIT
        ),
        colour=STATUS_COLOURS.get(ticket.status, discord.Colour.light_grey()),
    )
    embed.set_author(name=clip(ticket.author.name, AUTHOR_LIMIT), icon_url=_safe_url(ticket.author.avatar_url) or None)
    department = config.department_name(ticket.department) if config else ticket.department
    category = config.category_name(ticket.category) if config else ticket.category
    embed.add_field(name="Status", value=status)
    embed.add_field(name="Priority", value=PRIORITY_LABELS.get(ticket.priority, ticket.priority or "—"))
    claimed = claimer_mention or (
        player_text(ticket.claimed_by_name, 200)
        if ticket.claimed_by_name
        else (str(ticket.claimed_by or "") or "Nobody")
    )
    if ticket.claimed_by and not claimer_mention and ticket.claimed_by_name:
        claimed = f"{claimed} ({ticket.claimed_by})"
    embed.add_field(name="Claimed by", value=clip(claimed, FIELD_VALUE_LIMIT))
    embed.add_field(name="Department", value=player_text(department or "—", FIELD_VALUE_LIMIT))
    embed.add_field(name="Category", value=player_text(category or "—", FIELD_VALUE_LIMIT))
    embed.add_field(name="Opened", value=_timestamp(ticket.created_at))
    if ticket.game_report:
        embed.add_field(
            name="Game report", value="View-only: Series does not accept replies to game reports.", inline=False
        )

    if recent:
        shown = [m for m in ticket.messages if m.is_player or m.is_staff][-recent:]
        if not shown:
            embed.description = "*No messages yet.*"
        budget = EMBED_TOTAL_LIMIT - len(embed) - 200
        per_message = max(100, min(FIELD_VALUE_LIMIT, budget // max(len(shown), 1)))
        for message in shown:
            embed.add_field(
                name=_message_heading(message, ticket), value=player_text(message.content, per_message), inline=False
            )
    else:
        first = ticket.first_message
        room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(embed) - 100)
        embed.description = player_text(first.content, room) if first else "*No message.*"
    footer = note or (f"Updated {ticket.updated_at[:19].replace('T', ' ')} UTC" if ticket.updated_at else None)
    if footer:
        embed.set_footer(text=clip(footer, FOOTER_LIMIT))
    return embed


def _message_heading(message: Message, ticket: Ticket) -> str:
    who = "Player" if message.is_player else "Staff"
    when = message.timestamp[:16].replace("T", " ") if message.timestamp else ""
    return clip(f"{who} · {when} UTC" if when else who, FIELD_NAME_LIMIT)
