"""Snippets (canned replies): named texts admins keep per server, sent with ``/reply message:+name`` or picked in
the Reply box's first step.

A name is 1 to 32 of ``a-z``, ``0-9`` and ``-``. A text may use ``{player}`` (the player's display name, else
their username), ``{subject}``, ``{ticket}`` (the TicketId) and ``{staff}`` (the sender's Roblox display name,
else username); ``{{`` and ``}}`` write a brace. Anything else in braces is refused when the snippet is saved,
so a typo never reaches a player. Series' 4000-character limit is checked after the variables are filled in,
for the ticket at hand, before anything is sent. Every change is audited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from discord import app_commands

from .errors import InvalidInput
from .models import Ticket
from .render import clip
from .repositories import AuditRepo, Snippet, SnippetRepo
from .roblox import RobloxDirectory
from .validation import MAX_REPLY_LENGTH

__all__ = (
    "NAME",
    "VARIABLES",
    "SnippetBook",
    "check_body",
    "check_name",
    "expand",
    "snippet_choices",
    "snippet_reference",
)

NAME = re.compile(r"[a-z0-9-]{1,32}")
VARIABLES = ("player", "subject", "ticket", "staff")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]{0,40})\}")
_REFERENCE = re.compile(r"\+([a-z0-9-]{1,32})")
STAFF_LOOKUP_DEADLINE = 1.0


def check_name(raw: str) -> str:
    """The name as stored (a leading ``+`` and surrounding spaces dropped), or :class:`InvalidInput`."""
    name = raw.strip().removeprefix("+")
    if NAME.fullmatch(name):
        return name
    lowered = name.lower().replace(" ", "-").replace("_", "-")
    hint = f" Try `{lowered}`." if NAME.fullmatch(lowered) else ""
    raise InvalidInput(
        f"`{_plain(name)}` can't be a snippet name: use 1 to 32 lower-case letters, digits or `-`.{hint}"
    )


def check_body(body: str) -> str:
    """The text as stored, or :class:`InvalidInput` naming the first unknown variable."""
    text = body.strip()
    if not text:
        raise InvalidInput("A snippet needs some text.")
    if len(text) > MAX_REPLY_LENGTH:
        raise InvalidInput(f"A snippet can be at most {MAX_REPLY_LENGTH:,} characters; this one is {len(text):,}.")
    for match in _TOKEN.finditer(text):
        name = match.group(1)
        if name is None or name in VARIABLES:
            continue
        close = next((v for v in VARIABLES if v == name.strip().lower()), None)
        hint = f" Did you mean `{{{close}}}`?" if close else ""
        raise InvalidInput(
            f"`{{{_plain(name)}}}` isn't a variable the bot knows.{hint} The variables are "
            + ", ".join(f"`{{{v}}}`" for v in VARIABLES)
            + "; write `{{` or `}}` for a brace.",
            text=text,
        )
    return text


def expand(body: str, values: Mapping[str, str]) -> str:
    """Fill in the variables (``values`` has one for each of :data:`VARIABLES`)."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        return values.get(name, token) if name is not None else token

    return _TOKEN.sub(one, body)


def snippet_reference(text: str) -> str | None:
    """The snippet name when a whole message is ``+name``, else None."""
    match = _REFERENCE.fullmatch(text.strip())
    return match.group(1) if match else None


def _plain(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")[:40] or " "


@dataclass(frozen=True, slots=True)
class Change:
    snippet: str
    before: str | None  # the text it replaced, for edit and remove


class SnippetBook:
    """The rules above, on top of the table; what the cogs and the reply path call."""

    def __init__(self, *, repo: SnippetRepo, audit: AuditRepo, roblox: RobloxDirectory) -> None:
        self.repo = repo
        self.audit = audit
        self.roblox = roblox

    async def add(self, *, guild_id: int, name: str, body: str, by: int) -> str:
        name, body = check_name(name), check_body(body)
        if not await self.repo.add(guild_id=guild_id, name=name, body=body, by=by):
            raise InvalidInput(f"There is already a snippet `+{name}`. Change it with `/snippet edit`.", text=body)
        await self._audit(guild_id, by, f"snippet add +{name}", f"ok: {len(body)} characters")
        return name

    async def edit(self, *, guild_id: int, name: str, body: str, by: int) -> Change:
        name, body = check_name(name), check_body(body)
        before = await self.repo.edit(guild_id=guild_id, name=name, body=body, by=by)
        if before is None:
            raise InvalidInput(f"There is no snippet `+{name}`. Add it with `/snippet add`.", text=body)
        await self._audit(guild_id, by, f"snippet edit +{name}", f"ok: {len(before)} → {len(body)} characters")
        return Change(name, before)

    async def remove(self, *, guild_id: int, name: str, by: int) -> Change:
        name = check_name(name)
        before = await self.repo.remove(guild_id=guild_id, name=name)
        if before is None:
            raise InvalidInput(f"There is no snippet `+{name}`; `/snippet list` shows them.")
        await self._audit(guild_id, by, f"snippet remove +{name}", "ok")
        return Change(name, before)

    async def get(self, *, guild_id: int, name: str) -> Snippet:
        snippet = await self.repo.get(guild_id=guild_id, name=name)
        if snippet is None:
            raise InvalidInput(f"There is no snippet `+{_plain(name)}`; `/snippet list` shows them.")
        return snippet

    async def values(self, ticket: Ticket, *, staff_id: int, staff_fallback: str) -> dict[str, str]:
        """The variables for this ticket and sender. ``staff_fallback`` (their Discord name) stands in when
        Roblox can't say who ``staff_id`` is in time."""
        user = await self.roblox.lookup(staff_id, deadline=STAFF_LOOKUP_DEADLINE)
        return {
            "player": ticket.author.display_name or ticket.author.username or "there",
            "subject": ticket.subject,
            "ticket": ticket.id,
            "staff": (user.display_name or user.name) if user is not None else staff_fallback,
        }

    async def render(self, snippet: Snippet, ticket: Ticket, *, staff_id: int, staff_fallback: str) -> str:
        """The snippet as this ticket's player will read it; refused if it is then too long for Series."""
        text = expand(snippet.body, await self.values(ticket, staff_id=staff_id, staff_fallback=staff_fallback))
        if len(text.strip()) > MAX_REPLY_LENGTH:
            raise InvalidInput(
                f"`+{snippet.name}` comes to {len(text.strip()):,} characters for this ticket; Series replies can be "
                f"at most {MAX_REPLY_LENGTH:,}. Shorten the snippet, or write this reply yourself.",
                text=text.strip(),
            )
        return text

    async def _audit(self, guild_id: int, by: int, action: str, result: str) -> None:
        await self.audit.record(
            guild_id=guild_id, member_id=by, roblox_user_id=None, ticket_id="", action=action, result=result
        )


async def snippet_choices(
    book: SnippetBook, guild_id: int, current: str, *, prefix: str = "+"
) -> list[app_commands.Choice[str]]:
    """Snippets whose name starts with what was typed (after a ``+``), their text as the label."""
    wanted = current.strip().removeprefix("+").lower()
    choices = []
    for snippet in await book.repo.list(guild_id=guild_id):
        if snippet.name.startswith(wanted) or (wanted and wanted in snippet.name):
            label = f"+{snippet.name} · {' '.join(snippet.body.split())}"
            choices.append(app_commands.Choice(name=clip(label, 100), value=f"{prefix}{snippet.name}"))
    return choices[:25]
