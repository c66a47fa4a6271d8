"""What ``/feed show`` says: the routes and every problem, in pages that always fit Discord's limits.

An admin runs ``/feed show`` exactly when something is wrong, so the answer must never break because there is a
lot to say (docs/discord-limits.md#embed-limits): at most :data:`ROUTES_PER_PAGE` routes per page, each cut to
500 characters, and problems grouped by what went wrong (the same thread cap hitting 40 tickets is one line, not
40) in one field of at most 1,024. A page therefore stays far below the 25 fields and 6,000 characters Discord
allows. Pure: the cog gathers the facts, this lays them out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.render import clip, short_ref

__all__ = ("ROUTES_PER_PAGE", "RouteLine", "TicketTrouble", "feed_pages")

ROUTES_PER_PAGE = 6
FIELD_VALUE_LIMIT = 1024
REFS_SHOWN = 12


@dataclass(frozen=True, slots=True)
class RouteLine:
    name: str  # the department's name, or "All other departments"
    channel_id: int
    ping_role_id: int | None
    problems: tuple[str, ...] = ()  # what is wrong with the channel, in plain words
    reminders: str = ""  # "unclaimed after 30 min · player waiting after 2 h", or "no reminders"


@dataclass(frozen=True, slots=True)
class TicketTrouble:
    ticket_id: str
    problem: str


def feed_pages(
    routes: Sequence[RouteLine],
    troubles: Sequence[TicketTrouble],
    *,
    poll_seconds: float,
    series_problem: str | None = None,
    digest: str | None = None,
) -> list[discord.Embed]:
    """The pages of ``/feed show``; the first one always exists. ``series_problem`` (Series refusing the feed as
    a whole) leads the first page."""
    groups = _group(troubles)
    route_pages = [list(routes[i : i + ROUTES_PER_PAGE]) for i in range(0, len(routes), ROUTES_PER_PAGE)] or [[]]
    pages: list[discord.Embed] = []
    for index, chunk in enumerate(route_pages):
        embed = discord.Embed(title="Ticket feed", colour=discord.Colour.blurple())
        for route in chunk:
            embed.add_field(name=clip(route.name, 100), value=_route_value(route), inline=False)
        if index == 0:
            _add_troubles(embed, groups)
            if digest:
                embed.add_field(name="Weekly digest", value=clip(digest, 400), inline=False)
            broken = sum(bool(r.problems) for r in routes)
            summary = [f"{len(routes)} route{'s' if len(routes) != 1 else ''}"]
            if broken:
                summary.append(f"⚠️ {broken} with a problem")
            if troubles:
                summary.append(f"⚠️ {len(troubles)} ticket{'s' if len(troubles) != 1 else ''} waiting")
            embed.description = " · ".join(summary)
            if broken or troubles:
                embed.description += "\nFixed something? Run `/feed set` for that route again to retry now."
            if series_problem:
                embed.description = f"{clip(series_problem, 600)}\n\n{embed.description}"
                embed.colour = discord.Colour.red()
        footer = f"Checking Series every {poll_seconds:g} s"
        if len(route_pages) > 1:
            footer = f"Page {index + 1} of {len(route_pages)} · {footer}"
        embed.set_footer(text=footer)
        pages.append(embed)
    return pages


def _route_value(route: RouteLine) -> str:
    mention = f", mentions <@&{route.ping_role_id}>" if route.ping_role_id else ", no mention"
    lines = [f"→ <#{route.channel_id}>{mention}"]
    if route.reminders:
        lines.append(f"⏰ {route.reminders}")
    lines += [f"⚠️ {clip(p, 200)}" for p in route.problems[:3]]
    return clip("\n".join(lines), 400)


def _group(troubles: Sequence[TicketTrouble]) -> list[tuple[str, list[str]]]:
    by_problem: defaultdict[str, list[str]] = defaultdict(list)
    for trouble in troubles:
        by_problem[trouble.problem].append(trouble.ticket_id)
    return sorted(by_problem.items(), key=lambda item: (-len(item[1]), item[0]))


def _add_troubles(embed: discord.Embed, groups: list[tuple[str, list[str]]]) -> None:
    if not groups:
        return
    lines = []
    for problem, ticket_ids in groups:
        refs = " ".join(f"`{short_ref(t)}`" for t in ticket_ids[:REFS_SHOWN])
        more = f" and {len(ticket_ids) - REFS_SHOWN} more" if len(ticket_ids) > REFS_SHOWN else ""
        count = f"{len(ticket_ids)} tickets: " if len(ticket_ids) > 1 else ""
        lines.append(f"• {count}{clip(problem, 180)} ({refs}{more})")
    value, shown = "", 0
    for line in lines:
        if len(value) + len(line) + 40 > FIELD_VALUE_LIMIT:
            break
        value += line + "\n"
        shown += 1
    if shown < len(lines):
        value += f"…and {len(lines) - shown} other problems"
    embed.add_field(name="Tickets that can't be shown right now", value=value.strip(), inline=False)
