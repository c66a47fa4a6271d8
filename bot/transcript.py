"""A ticket's whole conversation as one HTML file that looks like its Discord thread.

Every message (the player's, staff replies from Discord or the website, and Series' own notes such as claims)
with who wrote it and when, oldest first. Text is HTML-escaped (a player can't inject markup or script), line
breaks are kept, and web addresses become links, so attachments players paste as links open from the file.
Times are written in UTC and turned into the reader's own time zone by three lines of script; without script
the UTC times stay. Nothing is fetched from the network: the file reads the same offline, years later.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime

import discord

from .models import Ticket, TicketConfig, parse_time
from .names import Names
from .render import player_name, short_ref, status_label

__all__ = ("transcript_file", "transcript_filename", "transcript_html")

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""

_STYLE = """
body{margin:0;background:#313338;color:#dbdee1;font:16px/1.375 "gg sans","Noto Sans","Helvetica Neue",Arial,sans-serif}
header{padding:16px 20px;border-bottom:1px solid #3f4147}
h1{margin:0 0 4px;font-size:20px;color:#f2f3f5}
.meta{color:#b5bac1;font-size:14px}
main{padding:8px 0 24px}
.msg{display:flex;gap:16px;padding:6px 20px}
.msg:hover{background:#2e3035}
.avatar{flex:none;width:40px;height:40px;border-radius:50%;display:flex;align-items:center;justify-content:center;
font-weight:600;color:#fff}
.player .avatar{background:#5865f2}.staff .avatar{background:#23a55a}
.name{font-weight:600;color:#f2f3f5}.tag{margin-left:6px;font-size:12px;padding:1px 5px;border-radius:4px;
background:#4e5058;color:#fff}.staff .tag{background:#23a55a}
time{margin-left:8px;color:#949ba4;font-size:12px}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.note{padding:4px 20px 4px 76px;color:#949ba4;font-size:14px}
a{color:#00a8fc}
footer{padding:12px 20px;color:#949ba4;font-size:12px;border-top:1px solid #3f4147}
"""

_LOCAL_TIMES = (
    "for(const t of document.querySelectorAll('time[datetime]')){const d=new Date(t.getAttribute('datetime'));"
    "if(!isNaN(d))t.textContent=d.toLocaleString(undefined,{dateStyle:'medium',timeStyle:'short'})}"
)


def transcript_filename(ticket: Ticket) -> str:
    safe = re.sub(r"[^A-Za-z0-9-]", "", ticket.id) or "ticket"
    return f"{safe}-transcript.html"


def _linked(text: str) -> str:
    """Escape ``text`` for HTML and make its web addresses links (without the punctuation that ends a sentence)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        out.append(html.escape(text[last : match.start()]))
        out.append(f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{html.escape(url)}</a>')
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def _time(value: str) -> str:
    moment = parse_time(value)
    if moment is None:
        return ""
    utc = moment.astimezone(UTC)
    stamp = utc.isoformat(timespec="seconds").replace("+00:00", "Z")
    return f'<time datetime="{stamp}">{utc.strftime("%Y-%m-%d %H:%M UTC")}</time>'


def _initial(name: str) -> str:
    return html.escape((name.strip()[:1] or "?").upper())


def transcript_html(ticket: Ticket, *, speakers: Mapping[int, str], department: str = "", exported_at: str = "") -> str:
    """The page. ``speakers`` names staff by Roblox id (their Roblox names); ``department`` is the department's
    name."""
    player = player_name(ticket)
    subject = " ".join(ticket.subject.split()) or "(no subject)"
    rows = []
    for message in ticket.messages:
        when = _time(message.timestamp)
        if message.is_player or message.is_staff:
            if message.is_player:
                name, role, css = player, "Player", "player"
            else:
                name = speakers.get(message.author_id or 0) or (
                    f"Roblox user {message.author_id}" if message.author_id else "Staff"
                )
                role, css = "Staff", "staff"
            rows.append(
                f'<div class="msg {css}"><div class="avatar">{_initial(name)}</div><div>'
                f'<div><span class="name">{html.escape(name)}</span><span class="tag">{role}</span>{when}</div>'
                f'<div class="text">{_linked(message.content)}</div></div></div>'
            )
        else:
            rows.append(f'<div class="note">{_linked(message.content) or "(a note from Series)"}{when}</div>')
    meta = " · ".join(
        html.escape(part)
        for part in (
            player,
            status_label(ticket.status),
            department or ticket.department,
            f"opened {parse_time(ticket.created_at):%Y-%m-%d %H:%M} UTC" if parse_time(ticket.created_at) else "",
        )
        if part
    )
    count = sum(1 for m in ticket.messages if m.is_player or m.is_staff)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(subject)} {html.escape(short_ref(ticket.id))}</title><style>{_STYLE}</style></head>"
        f'<body><header><h1>{html.escape(subject)}</h1><div class="meta">{meta}</div>'
        f'<div class="meta">{html.escape(ticket.id)}</div></header><main>{"".join(rows)}</main>'
        f"<footer>{count} message{'s' if count != 1 else ''} · exported from Series by Ticket Bridge"
        f"{(' on ' + html.escape(exported_at)) if exported_at else ''}</footer>"
        f"<script>{_LOCAL_TIMES}</script></body></html>\n"
    )


async def transcript_file(ticket: Ticket, *, names: Names, config: TicketConfig | None) -> discord.File:
    """The transcript as a file to attach, with every staff member named (from the Roblox name cache)."""
    ids = {m.author_id for m in ticket.messages if m.is_staff and m.author_id}
    known = {ticket.claimed_by: ticket.claimed_by_name} if ticket.claimed_by and ticket.claimed_by_name else {}
    speakers = {i: await names.speaker(i, known=known) for i in ids}
    page = transcript_html(
        ticket,
        speakers=speakers,
        department=config.department_name(ticket.department) if config else ticket.department,
        exported_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return discord.File(io.BytesIO(page.encode("utf-8")), filename=transcript_filename(ticket))
