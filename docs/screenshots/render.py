"""Render: ``scenes.json`` -> pages that look like Discord's dark theme -> ``<scene>-<width>.png``. Stdlib only.

    python docs/screenshots/render.py [scenes.json] [--only NAME] [--widths 400,800] [--html-only]

Each message in a scene is a Discord API message payload as the bot sent it (``content``, ``embeds`` as
``discord.Embed.to_dict()`` gives them, ``components`` as discord.py sends them), plus ``author``, ``timestamp``,
``flags`` (64: "Only you can see this") and optionally ``interaction`` (the slash command or the message whose
button made this reply). A scene may show a ``thread`` (by name) instead of a channel, and a ``modal`` on top.
The page is built from ``@skyra/discord-components-core`` (loaded from ./node_modules, no network), re-themed by
``page/boot.js``, and shot with Debian's Chromium (one headless browser for all pages, driven over its DevTools
pipe): the viewport is set to the width, the page reports its height once it has settled, and the picture is
taken at exactly that size. Dev-only; see README.md here.

Scene file: ``{"scenes": [scene, ...]}`` (or a bare list), each scene::

    {"name": "new-ticket", "title": "caption", "widths": [400, 800], "now": "2025-06-12T15:02:49+00:00",
     "utc_offset_minutes": 0, "channel": "tickets", "thread": "thread name (optional)",
     "names": {"users": {id: name}, "roles": {id: {"name", "color"}}, "channels": {id: name}, "threads": {...}},
     "viewer": {"id", "name", "roles"}, "messages": [message, ...], "modal": {"title", "components", "app"}}

``now`` fixes what relative times (``<t:…:R>``, "Today at") are relative to, so the pictures never change by
themselves. At widths up to 500 px the page is laid out as Discord's phone app does: inline embed fields stacked.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NODE = HERE / "node_modules"
BUILD = HERE / "build"
TWEMOJI = NODE / "@twemoji" / "svg"
DISCORD_LOGO = NODE / "simple-icons" / "icons" / "discord.svg"
DEFAULT_WIDTHS = (400, 800)
PHONE_MAX_WIDTH = 500
MEASURE_HEIGHT = 2000
EPHEMERAL = 1 << 6
GROUP_SECONDS = 7 * 60  # Discord groups a sender's messages this close together under one name

Json = dict[str, Any]

IMPORT_MAP = {
    "lit": "lit/index.js",
    "lit/": "lit/",
    "lit-html": "lit-html/lit-html.js",
    "lit-html/": "lit-html/",
    "lit-element/": "lit-element/",
    "@lit/reactive-element": "@lit/reactive-element/reactive-element.js",
    "@lit/reactive-element/": "@lit/reactive-element/",
    "@lit/context": "@lit/context/index.js",
    "@lit-labs/ssr-dom-shim": "@lit-labs/ssr-dom-shim/index.js",
}
# Only local files: the page must not reach for any network, whatever a payload points at.
CSP = (
    "default-src 'none'; script-src file: 'unsafe-inline'; style-src file: 'unsafe-inline'; "
    "img-src file: data:; font-src file: data:"
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--allow-file-access-from-files",  # ES modules from file://
    "--host-resolver-rules=MAP * ~NOTFOUND",  # belt and braces: no name resolves
    "--force-device-scale-factor=1",
    "--remote-debugging-pipe",
)

# Discord's default avatars (no avatar set): blurple, grey, green, yellow, red, pink; chosen by (id >> 22) % 6.
DEFAULT_AVATAR_COLOURS = ("#5865f2", "#757e8a", "#3ba55c", "#faa61a", "#ed4245", "#eb459f")
BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "destructive", 5: "secondary", 6: "primary"}


# --------------------------------------------------------------------------------------------- context


@dataclass
class Context:
    """What rendering one scene needs to know: names for mentions, the fixed "now", the viewer, the layout."""

    names: Json
    now: datetime
    tz: timezone
    phone: bool
    viewer: Json = field(default_factory=dict)
    embed: bool = False  # rendering inside an embed (code looks different, nothing pings)
    raw_mentions: bool = False  # an embed title or field name: Discord leaves mentions, times and links as typed

    def user(self, user_id: str) -> str:
        return self.names.get("users", {}).get(user_id) or "unknown-user"

    def role(self, role_id: str) -> Json:
        return self.names.get("roles", {}).get(role_id) or {"name": "unknown-role", "color": 0}

    def channel(self, channel_id: str) -> tuple[str, bool]:
        threads = self.names.get("threads", {})
        if channel_id in threads:
            return threads[channel_id], True
        return self.names.get("channels", {}).get(channel_id) or "unknown", False


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------- times (en-US)


def _clock(when: datetime, seconds: bool = False) -> str:
    hour = when.hour % 12 or 12
    suffix = "AM" if when.hour < 12 else "PM"
    return f"{hour}:{when.minute:02d}:{when.second:02d} {suffix}" if seconds else f"{hour}:{when.minute:02d} {suffix}"


def _long_date(when: datetime) -> str:
    return f"{when.strftime('%B')} {when.day}, {when.year}"


def relative(when: datetime, now: datetime) -> str:
    """Discord's ``R`` style (moment.js ``fromNow`` thresholds): "a few seconds ago", "5 minutes ago", "in 2 days"."""
    delta = (when - now).total_seconds()
    s = abs(delta)
    minutes, hours, days = s / 60, s / 3600, s / 86400
    if s < 45:
        text = "a few seconds"
    elif s < 90:
        text = "a minute"
    elif minutes < 45:
        text = f"{round(minutes)} minutes"
    elif minutes < 90:
        text = "an hour"
    elif hours < 22:
        text = f"{round(hours)} hours"
    elif hours < 36:
        text = "a day"
    elif days < 26:
        text = f"{round(days)} days"
    elif days < 45:
        text = "a month"
    elif days < 320:
        text = f"{round(days / 30.4)} months"
    elif days < 548:
        text = "a year"
    else:
        text = f"{round(days / 365)} years"
    return f"in {text}" if delta > 0 else f"{text} ago"


def discord_timestamp(unix: int, style: str, ctx: Context) -> str:
    """``<t:unix:style>`` as an en-US viewer sees it, in the scene's time zone."""
    when = datetime.fromtimestamp(unix, tz=ctx.tz)
    if style == "R":
        return relative(when, ctx.now)
    if style == "t":
        return _clock(when)
    if style == "T":
        return _clock(when, seconds=True)
    if style == "d":
        return f"{when.month:02d}/{when.day:02d}/{when.year}"
    if style == "D":
        return _long_date(when)
    if style == "F":
        return f"{when.strftime('%A')}, {_long_date(when)} at {_clock(when)}"
    return f"{_long_date(when)} at {_clock(when)}"  # f, the default


def calendar(when: datetime, ctx: Context) -> str:
    """A message's time as Discord writes it beside the name: "Today at 3:02 PM", "Yesterday at …", "6/10/25, …"."""
    local, today = when.astimezone(ctx.tz), ctx.now.astimezone(ctx.tz).date()
    if local.date() == today:
        return f"Today at {_clock(local)}"
    if local.date() == today - timedelta(days=1):
        return f"Yesterday at {_clock(local)}"
    return f"{local.month}/{local.day}/{local.year % 100:02d}, {_clock(local)}"


# --------------------------------------------------------------------------------------------- images


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml," + urllib.parse.quote(svg, safe=" =:/'")


def _discord_logo_path() -> str:
    match = re.search(r'<path d="([^"]+)"', DISCORD_LOGO.read_text(encoding="utf-8"))
    if not match:
        raise RuntimeError(f"no path in {DISCORD_LOGO}")
    return match.group(1)


def default_avatar(user_id: str | int | None) -> str:
    """Discord's default avatar: its logo in white on one of six colours picked from the user id."""
    index = (int(user_id) >> 22) % 6 if user_id and str(user_id).isdigit() else 0
    return _data_uri(
        f"<svg xmlns='http://www.w3.org/2000/svg' width='80' height='80' viewBox='0 0 80 80'>"
        f"<circle cx='40' cy='40' r='40' fill='{DEFAULT_AVATAR_COLOURS[index]}'/>"
        f"<g transform='translate(18.4 18.4) scale(1.8)'><path fill='#fff' d='{_discord_logo_path()}'/></g></svg>"
    )


def placeholder_avatar() -> str:
    """Stands in for an avatar on someone else's CDN (not fetched): a grey head and shoulders."""
    return _data_uri(
        "<svg xmlns='http://www.w3.org/2000/svg' width='48' height='48' viewBox='0 0 48 48'>"
        "<rect width='48' height='48' fill='#4e5058'/><circle cx='24' cy='19' r='8' fill='#b5bac1'/>"
        "<path d='M9 44c1-9 7-14 15-14s14 5 15 14z' fill='#b5bac1'/></svg>"
    )


def placeholder_picture(width: int = 160, height: int = 90) -> str:
    """Stands in for an image on the web (not fetched)."""
    return _data_uri(
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
        f"<rect width='100%' height='100%' rx='4' fill='#4e5058'/>"
        f"<path d='M{width / 2 - 22} {height / 2 + 14}l14-18 10 12 7-8 13 14z' fill='#b5bac1'/>"
        f"<circle cx='{width / 2 + 12}' cy='{height / 2 - 10}' r='5' fill='#b5bac1'/></svg>"
    )


def image(url: str | None, *, avatar: bool = False) -> str | None:
    """A URL the page may load: local files and data: as they are, anything on the network as a placeholder."""
    if not url:
        return None
    if url.startswith("data:"):
        return url
    if url.startswith(("http://", "https://", "attachment://")):
        return placeholder_avatar() if avatar else placeholder_picture()
    return (HERE / url).resolve().as_uri()


# --------------------------------------------------------------------------------------------- emoji


# Characters below U+1F000 that are emoji by default (Unicode's Emoji_Presentation=Yes, emoji-data.txt 15.1). Any
# other one there (▶ ◀ ☀ ♥ ✔ ™ ⚠ ➡ …) is text unless VS16 (U+FE0F) follows it, and Discord draws it as text.
EMOJI_PRESENTATION_BMP = frozenset(
    [0x231A, 0x231B, 0x23E9, 0x23EA, 0x23EB, 0x23EC, 0x23F0, 0x23F3, 0x25FD, 0x25FE, 0x2614, 0x2615]
    + list(range(0x2648, 0x2654))
    + [0x267F, 0x2693, 0x26A1, 0x26AA, 0x26AB, 0x26BD, 0x26BE, 0x26C4, 0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2]
    + [0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A, 0x270B, 0x2728, 0x274C, 0x274E, 0x2753, 0x2754, 0x2755]
    + [0x2757, 0x2795, 0x2796, 0x2797, 0x27B0, 0x27BF, 0x2B1B, 0x2B1C, 0x2B50, 0x2B55]
)


def _text_by_default(chars: str) -> bool:
    """One character that is text unless VS16 follows it (a sequence, or anything from U+1F000 on, is emoji)."""
    return len(chars) == 1 and ord(chars) < 0x1F000 and ord(chars) not in EMOJI_PRESENTATION_BMP


class Emoji:
    """Unicode emoji as Twemoji images (what Discord draws), from @twemoji/svg in node_modules."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names = {p.stem for p in folder.glob("*.svg")} if folder.is_dir() else set()

    def file_for(self, chars: str) -> str | None:
        points = [f"{ord(c):x}" for c in chars]
        candidates = ["-".join(points)]
        if "200d" not in points:  # Twemoji's rule: drop VS16 except in ZWJ sequences
            candidates.append("-".join(p for p in points if p != "fe0f"))
        for name in candidates:
            if name in self.names:
                return name
        return None

    def split(self, text: str) -> list[tuple[str, str | None]]:
        """``text`` as runs of (plain text, None) and (emoji, twemoji file name)."""
        out: list[tuple[str, str | None]] = []
        plain, i = [], 0
        while i < len(text):
            c = text[i]
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if ord(c) >= 0x203C or (c in "#*0123456789" and nxt in ("\ufe0f", "\u20e3")):
                for length in range(min(10, len(text) - i), 0, -1):
                    name = None if _text_by_default(text[i : i + length]) else self.file_for(text[i : i + length])
                    if name:
                        if plain:
                            out.append(("".join(plain), None))
                            plain = []
                        out.append((text[i : i + length], name))
                        i += length
                        break
                else:
                    plain.append(c)
                    i += 1
                continue
            plain.append(c)
            i += 1
        if plain:
            out.append(("".join(plain), None))
        return out

    def html(self, text: str, *, jumbo: bool = False) -> str:
        parts = []
        for chunk, name in self.split(text):
            if name is None:
                parts.append(html.escape(chunk, quote=False))
            else:
                src = (self.folder / f"{name}.svg").as_uri()
                cls = "emoji jumbo" if jumbo else "emoji"
                parts.append(f'<img class="{cls}" src="{src}" alt="{html.escape(chunk)}" draggable="false">')
        return "".join(parts)

    def only_emoji(self, text: str) -> bool:
        runs = self.split(text.strip())
        count = sum(1 for _, name in runs if name)
        return 0 < count <= 27 and all(name or not chunk.strip() for chunk, name in runs)


EMOJI = Emoji(TWEMOJI)


def text(value: str) -> str:
    """Plain text (names, labels, footers): escaped, emoji as images."""
    return EMOJI.html(value)


def attr(value: Any) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------------------------- markdown


INLINE_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("escape", re.compile(r"\\([^0-9A-Za-z\s])")),
    ("code", re.compile(r"(`+)([\s\S]*?[^`])\1(?!`)")),
    ("user", re.compile(r"<@!?(\d{1,20})>")),
    ("role", re.compile(r"<@&(\d{1,20})>")),
    ("channel", re.compile(r"<#(\d{1,20})>")),
    ("slash", re.compile(r"</([\w\- ]{1,100}):(\d{1,20})>")),
    ("custom_emoji", re.compile(r"<(a?):(\w{2,32}):(\d{1,20})>")),
    ("timestamp", re.compile(r"<t:(-?\d{1,13})(?::([tTdDfFR]))?>")),
    ("everyone", re.compile(r"@(everyone|here)\b")),
    (
        "masked",
        re.compile(r"\[((?:\\.|[^\[\]\\\n])+)\]\(\s*<?(https?://[^\s<>()]+(?:\([^\s<>()]*\))?[^\s<>()]*)>?\s*\)"),
    ),
    ("autolink", re.compile(r"<(https?://[^\s<>]+)>")),
    ("url", re.compile(r"https?://[^\s<]+[^<.,:;\"')\]\s]")),
    ("bold", re.compile(r"\*\*((?:\\[\s\S]|[^\\])+?)\*\*(?!\*)")),
    ("underline", re.compile(r"__((?:\\[\s\S]|[^\\])+?)__(?!_)")),
    ("italic", re.compile(r"\*(?=\S)((?:\\[\s\S]|\*\*(?:\\[\s\S]|[^\\])+?\*\*|[^\\*])+?)(?<=\S)\*(?!\*)")),
    ("italic_", re.compile(r"_((?:\\[\s\S]|__|[^\\_])+?)_(?![A-Za-z0-9_])")),
    ("strike", re.compile(r"~~((?:\\[\s\S]|[^\\])+?)~~")),
    ("spoiler", re.compile(r"\|\|((?:\\[\s\S]|[^\\])+?)\|\|")),
]
STARTERS = set("\\`<@*_~|[h")


def inline(source: str, ctx: Context) -> str:
    """Discord's inline markdown: escapes, code, mentions, emoji, timestamps, links, bold/italic/underline/…"""
    out: list[str] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            out.append(EMOJI.html("".join(plain)))
            plain.clear()

    i = 0
    while i < len(source):
        c = source[i]
        match, kind = None, ""
        if c in STARTERS:
            for kind, pattern in INLINE_RULES:
                if kind == "italic_" and i > 0 and (source[i - 1].isalnum() or source[i - 1] == "_"):
                    continue
                if kind in ("url",) and not source.startswith("http", i):
                    continue
                match = pattern.match(source, i)
                if match:
                    break
        if not match:
            plain.append(c)
            i += 1
            continue
        flush()
        out.append(_inline_node(kind, match, ctx))
        i = match.end()
    flush()
    return "".join(out)


# Only an embed's description and field values draw these; in its title and field names they stay raw text.
DESCRIPTION_ONLY = frozenset({"user", "role", "channel", "slash", "timestamp", "everyone", "masked"})


def _inline_node(kind: str, m: re.Match[str], ctx: Context) -> str:
    if ctx.raw_mentions and kind in DESCRIPTION_ONLY:
        return EMOJI.html(m.group(0))
    if kind == "escape":
        return html.escape(m.group(1))
    if kind == "code":
        body = m.group(2)
        if len(m.group(1)) > 1:
            body = body.strip(" ")
        return f"<discord-code{' embed' if ctx.embed else ''}>{html.escape(body)}</discord-code>"
    if kind == "user":
        return f'<discord-mention type="user">{text(ctx.user(m.group(1)))}</discord-mention>'
    if kind == "role":
        role = ctx.role(m.group(1))
        colour = f' color="#{role["color"]:06x}"' if role.get("color") else ""
        return f'<discord-mention type="role"{colour}>{text(role["name"])}</discord-mention>'
    if kind == "channel":
        name, is_thread = ctx.channel(m.group(1))
        return f'<discord-mention type="{"thread" if is_thread else "channel"}">{text(name)}</discord-mention>'
    if kind == "slash":
        return f'<discord-mention type="slash">{text(m.group(1))}</discord-mention>'
    if kind == "custom_emoji":
        name = m.group(2)
        return (
            f'<img class="emoji" src="{attr(placeholder_picture(32, 32))}" alt=":{attr(name)}:" title=":{attr(name)}:">'
        )
    if kind == "timestamp":
        return f"<discord-time>{text(discord_timestamp(int(m.group(1)), m.group(2) or 'f', ctx))}</discord-time>"
    if kind == "everyone":
        return f'<discord-mention type="role">{text(m.group(1))}</discord-mention>'
    if kind == "masked":
        return f'<discord-link href="{attr(m.group(2))}">{inline(m.group(1), ctx)}</discord-link>'
    if kind in ("autolink", "url"):
        url = m.group(1) if kind == "autolink" else m.group(0)
        return f'<discord-link href="{attr(url)}">{html.escape(url)}</discord-link>'
    tags = {"bold": "strong", "underline": "u", "italic": "em", "italic_": "em", "strike": "s"}
    if kind in tags:
        tag = tags[kind]
        return f"<{tag}>{inline(m.group(1), ctx)}</{tag}>"
    if kind == "spoiler":
        return f"<discord-spoiler>{inline(m.group(1), ctx)}</discord-spoiler>"
    raise AssertionError(kind)


CODE_BLOCK = re.compile(r"(?<!\\)```(?:([A-Za-z0-9_+.#-]+)\n)?\n?([\s\S]*?)\n?```")
HEADING = re.compile(r"^(#{1,3}) (.+)$")
LIST_ITEM = re.compile(r"^(\s*)([-*]|\d{1,9}\.) (.+)$")


def markdown(source: str, ctx: Context) -> str:
    """Discord markdown, block level (code blocks, quotes, headings, -# subtext, lists) then inline."""
    out, pos = [], 0
    for m in CODE_BLOCK.finditer(source):
        before = source[pos : m.start()]
        out.append(_lines(before[:-1] if before.endswith("\n") else before, ctx))
        code = html.escape(m.group(2))
        out.append(f"<discord-code multiline{' embed' if ctx.embed else ''}>{code}</discord-code>")
        pos = m.end()
        if source.startswith("\n", pos):
            pos += 1
    out.append(_lines(source[pos:], ctx))
    return "".join(out)


def _lines(source: str, ctx: Context) -> str:
    if not source:
        return ""
    lines = source.split("\n")
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append("<br>".join(paragraph))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(">>> "):
            flush()
            out.append(f"<discord-quote>{markdown(chr(10).join([line[4:], *lines[i + 1 :]]), ctx)}</discord-quote>")
            break
        if line.startswith("> ") or line == ">":
            flush()
            quoted = []
            while i < len(lines) and (lines[i].startswith("> ") or lines[i] == ">"):
                quoted.append(lines[i][2:])
                i += 1
            out.append(f"<discord-quote>{_lines(chr(10).join(quoted), ctx)}</discord-quote>")
            continue
        heading = HEADING.match(line)
        if heading:
            flush()
            out.append(
                f'<discord-header level="{len(heading.group(1))}">{inline(heading.group(2), ctx)}</discord-header>'
            )
            i += 1
            continue
        if line.startswith("-# "):
            flush()
            out.append(f"<discord-subscript>{inline(line[3:], ctx)}</discord-subscript>")
            i += 1
            continue
        if LIST_ITEM.match(line):
            flush()
            items = []
            ordered = LIST_ITEM.match(line).group(2)[0].isdigit()  # type: ignore[union-attr]
            while i < len(lines) and (item := LIST_ITEM.match(lines[i])) and item.group(2)[0].isdigit() == ordered:
                items.append(f"<li>{inline(item.group(3), ctx)}</li>")
                i += 1
            tag = "ol" if ordered else "ul"
            out.append(f'<{tag} style="margin:4px 0;padding-left:1.5rem">{"".join(items)}</{tag}>')
            continue
        paragraph.append(inline(line, ctx))
        i += 1
    flush()
    return "".join(out)


BLOCK_MARKER = re.compile(r"^(?:-# |#{1,3} |>>> |> )")


def plain_markdown(source: str, ctx: Context) -> str:
    """One line as a reply or thread preview shows it: inline markdown only (no subtext, heading or quote
    markers), newlines as spaces."""
    lines = [BLOCK_MARKER.sub("", line) for line in source.split("\n")]
    return inline(" ".join(" ".join(lines).split()), ctx)


# --------------------------------------------------------------------------------------------- embeds


def embed_html(embed: Json, ctx: Context) -> str:
    ectx = Context(ctx.names, ctx.now, ctx.tz, ctx.phone, ctx.viewer, embed=True)
    attrs = []
    if embed.get("color") is not None:
        attrs.append(f'color="#{int(embed["color"]):06x}"')
    author = embed.get("author") or {}
    if author.get("name"):
        attrs.append(f'author-name="{attr(author["name"])}"')
        if author.get("icon_url"):
            attrs.append(f'author-image="{attr(image(author["icon_url"], avatar=True))}"')
        if author.get("url"):
            attrs.append(f'author-url="{attr(author["url"])}"')
    thumbnail = (embed.get("thumbnail") or {}).get("url")
    if thumbnail:
        attrs.append(f'thumbnail="{attr(image(thumbnail))}"')
    if (embed.get("image") or {}).get("url"):
        attrs.append(f'image="{attr(image(embed["image"]["url"]))}"')
    body = []
    head = []
    if embed.get("title"):
        title = inline(embed["title"], dataclasses.replace(ectx, raw_mentions=True))
        if embed.get("url"):
            title = f'<a href="{attr(embed["url"])}">{title}</a>'
        head.append(f'<div class="embed-title">{title}</div>')
    if embed.get("description"):
        head.append(f'<div class="embed-description">{markdown(embed["description"], ectx)}</div>')
    if head:
        body.append(f'<discord-embed-description slot="description">{"".join(head)}</discord-embed-description>')
    fields = embed.get("fields") or []
    if fields:
        body.append(
            f'<discord-embed-fields slot="fields">{fields_html(fields, ectx, bool(thumbnail))}</discord-embed-fields>'
        )
    footer = embed.get("footer") or {}
    when = parse_time(embed.get("timestamp"))
    if footer.get("text") or when:
        parts = []
        if footer.get("text"):
            parts.append(text(footer["text"]))
        if when:
            if parts:
                parts.append('<span class="footer-separator">•</span>')
            parts.append(text(calendar(when, ctx)))
        icon = image(footer.get("icon_url"), avatar=True)
        icon_attr = f' footer-image="{attr(icon)}"' if icon and footer.get("text") else ""
        body.append(
            f'<discord-embed-footer slot="footer"{icon_attr}><span>{"".join(parts)}</span></discord-embed-footer>'
        )
    return f'<discord-embed slot="embeds" {" ".join(attrs)}>{"".join(body)}</discord-embed>'


def fields_html(fields: list[Json], ctx: Context, thumbnail: bool) -> str:
    """Fields laid out as Discord does: runs of inline fields share a row (3 a row, 2 beside a thumbnail), each
    row split evenly across 12 columns. On a phone Discord stacks every field."""
    per_row = 2 if thumbnail else 3
    rows: list[list[Json]] = []
    for f in fields:
        if f.get("inline") and not ctx.phone and rows and rows[-1][0].get("inline") and len(rows[-1]) < per_row:
            rows[-1].append(f)
        else:
            rows.append([f])
    out = []
    names = dataclasses.replace(ctx, raw_mentions=True)
    for row in rows:
        span = 12 // len(row)
        for k, f in enumerate(row):
            column = f"{1 + k * span} / {1 + (k + 1) * span}"
            out.append(
                f'<discord-embed-field style="grid-column: {column}">'
                f'<div class="field-name">{inline(f.get("name", ""), names)}</div>'
                f'<div class="field-value">{markdown(f.get("value", ""), ctx)}</div></discord-embed-field>'
            )
    return "".join(out)


# --------------------------------------------------------------------------------------------- components


def components_html(rows: list[Json], ctx: Context) -> str:
    out = []
    for row in rows:
        kind = row.get("type")
        if kind == 1:
            out.append(_action_row(row, ctx))
        else:
            out.append(_v2(row, ctx))
    return f'<discord-attachments slot="components">{"".join(out)}</discord-attachments>' if out else ""


def _action_row(row: Json, ctx: Context) -> str:
    return f"<discord-action-row>{''.join(_row_item(c, ctx) for c in row.get('components', []))}</discord-action-row>"


def _emoji_src(emoji: Json | None) -> tuple[str, str] | None:
    if not emoji:
        return None
    if emoji.get("id"):
        return placeholder_picture(32, 32), f":{emoji.get('name', '')}:"
    name = emoji.get("name") or ""
    file = EMOJI.file_for(name)
    return ((TWEMOJI / f"{file}.svg").as_uri(), name) if file else None


def _row_item(component: Json, ctx: Context) -> str:
    kind = component.get("type")
    if kind == 2:
        style = BUTTON_STYLES.get(component.get("style", 2), "secondary")
        attrs = [f'type="{style}"']
        if component.get("disabled"):
            attrs.append("disabled")
        if component.get("style") == 5 and component.get("url"):
            attrs.append(f'url="{attr(component["url"])}"')
        emoji = _emoji_src(component.get("emoji"))
        if emoji:
            attrs.append(f'emoji="{attr(emoji[0])}" emoji-name="{attr(emoji[1])}"')
        label = text(component.get("label") or "")
        return f"<discord-button {' '.join(attrs)}>{label}</discord-button>"
    if kind in (3, 5, 6, 7, 8):
        placeholder = component.get("placeholder") or "Make a selection"
        if kind == 3:
            chosen = [o.get("label", "") for o in component.get("options", []) if o.get("default")]
            placeholder = ", ".join(chosen) or placeholder
        disabled = " disabled" if component.get("disabled") else ""
        return f'<discord-string-select-menu placeholder="{attr(placeholder)}"{disabled}></discord-string-select-menu>'
    return f'<span class="system-note">[component type {attr(kind)}]</span>'


def _v2(component: Json, ctx: Context) -> str:
    """Components v2 (text display, container, section, separator, thumbnail): Discord's newer message layout."""
    kind = component.get("type")
    if kind == 10:
        return f'<div class="v2-text">{markdown(component.get("content", ""), ctx)}</div>'
    if kind == 14:
        hidden = "" if component.get("divider", True) else " invisible"
        return f'<div class="v2-separator{hidden}"></div>'
    if kind == 17:
        colour = component.get("accent_color")
        style = f' style="--accent: #{colour:06x}"' if colour is not None else ""
        accent = " accent" if colour is not None else ""
        inner = "".join(_v2(c, ctx) for c in component.get("components", []))
        return f'<div class="v2-container{accent}"{style}>{inner}</div>'
    if kind == 9:
        texts = "".join(_v2(c, ctx) for c in component.get("components", []))
        accessory = component.get("accessory") or {}
        side = _v2(accessory, ctx) if accessory.get("type") == 11 else ""
        if accessory.get("type") == 2:
            side = f"<discord-action-row>{_row_item(accessory, ctx)}</discord-action-row>"
        return f'<div class="v2-section"><div class="v2-section-text">{texts}</div>{side}</div>'
    if kind == 11:
        url = (component.get("media") or {}).get("url")
        return f'<img class="v2-thumbnail" src="{attr(image(url) or placeholder_picture())}" alt="">'
    if kind == 1:
        return _action_row(component, ctx)
    return f'<div class="system-note">[component type {attr(kind)}]</div>'


# --------------------------------------------------------------------------------------------- messages


def _pinged(message: Json, viewer: Json) -> bool:
    """Discord highlights a message for the people it really pinged (mentions after allowed_mentions)."""
    if not viewer:
        return False
    if message.get("mention_everyone"):
        return True
    if viewer.get("id") in (message.get("mentions") or []):
        return True
    return bool(set(viewer.get("roles") or []) & set(message.get("mention_roles") or []))


def avatar_of(author: Json) -> str:
    return image(author.get("avatar"), avatar=True) or default_avatar(author.get("id"))


def message_html(message: Json, ctx: Context, *, grouped: bool, starter: bool = False) -> str:
    author = message.get("author") or {}
    when = parse_time(message.get("timestamp")) or ctx.now
    attrs = [
        f'author="{attr(author.get("username", "Unknown"))}"',
        f'avatar="{attr(avatar_of(author))}"',
        f'timestamp="{attr(calendar(when, ctx))}"',
    ]
    if author.get("bot"):
        attrs.append("bot")
    if message.get("flags", 0) & EPHEMERAL:
        attrs.append("ephemeral")
    if message.get("edited_timestamp") and message.get("content"):
        attrs.append("edited")  # Discord writes "(edited)" after the text; an embed-only message shows none
    if grouped:
        attrs.append("message-body-only")
    if _pinged(message, ctx.viewer):
        attrs.append("highlight")
    body = []
    header = message.get("interaction")
    if header:
        body.append(interaction_html(header, ctx))
    content = message.get("content") or ""
    if content:
        jumbo = EMOJI.only_emoji(content) and not any(ch in content for ch in "<*_`")
        body.append(EMOJI.html(content.strip(), jumbo=True) if jumbo else markdown(content, ctx))
    for embed in message.get("embeds") or []:
        body.append(embed_html(embed, ctx))
    body.append(components_html(message.get("components") or [], ctx))
    thread = message.get("thread")
    if thread and not starter:
        body.append(thread_html(thread, ctx))
    return f"<discord-message {' '.join(attrs)}>{''.join(body)}</discord-message>"


def thread_html(thread: Json, ctx: Context) -> str:
    """The thread under the message it started from: its name, "N Messages ›", and its latest message in one line
    (avatar, name, text or "Click to see attachment", how long ago), as Discord shows it."""
    count = thread.get("message_count", 0)
    cta = f"{count} Message{'s' if count != 1 else ''}"
    last = thread.get("last_message")
    if isinstance(last, dict):
        preview = plain_markdown(last.get("content") or "", ctx) if last.get("content") else ""
        if not preview:
            preview = "<em>Click to see attachment</em>" if last.get("has_embed") else ""
        when = parse_time(last.get("timestamp"))
        ago = relative(when, ctx.now) if when else ""
        bot = " bot" if last.get("bot") else ""
        inner = (
            f'<discord-thread-message author="{attr(last.get("author", ""))}"{bot} '
            f'avatar="{attr(default_avatar(last.get("author_id")))}" relative-timestamp="{attr(ago)}">'
            f"{preview}</discord-thread-message>"
        )
    else:
        inner = text(last or "There are no recent messages in this thread.")
    return f'<discord-thread slot="thread" name="{attr(thread["name"])}" cta="{attr(cta)}">{inner}</discord-thread>'


def interaction_html(header: Json, ctx: Context) -> str:
    """The line above an interaction's answer: "Mia used /feed set", or a reply to the message whose button it was."""
    if header.get("type") == "command":
        user = header.get("user", "")
        return (
            f'<discord-command slot="reply" type="slash_command" author="{attr(user)}" '
            f'avatar="{attr(default_avatar(header.get("user_id")))}" command="{attr(header.get("name", ""))}">'
            "</discord-command>"
        )
    source = header.get("reply_to") or {}
    preview = plain_markdown(source.get("content") or "", ctx) if source.get("content") else ""
    if not preview:
        preview = "<em>Click to see attachment</em>" if source.get("has_embed") else "<em>Click to see command</em>"
    bot = " bot" if source.get("bot") else ""
    return (
        f'<discord-reply slot="reply" author="{attr(source.get("author", ""))}"{bot} '
        f'avatar="{attr(default_avatar(source.get("author_id")))}">{preview}</discord-reply>'
    )


def messages_html(messages: list[Json], ctx: Context, *, thread_view: bool) -> str:
    out, previous = [], None
    for index, message in enumerate(messages):
        grouped = False
        if previous is not None and not (thread_view and index == 1):
            same = (previous.get("author") or {}).get("id") == (message.get("author") or {}).get("id")
            t0, t1 = parse_time(previous.get("timestamp")), parse_time(message.get("timestamp"))
            close = t0 is not None and t1 is not None and (t1 - t0).total_seconds() < GROUP_SECONDS
            same_kind = bool(previous.get("flags", 0) & EPHEMERAL) == bool(message.get("flags", 0) & EPHEMERAL)
            grouped = same and close and same_kind and not message.get("interaction")
        starter = thread_view and index == 0  # a thread shows the message it started from on top, without its box
        out.append(message_html(message, ctx, grouped=grouped, starter=starter))
        previous = message
    return "\n".join(out)


def modal_html(modal: Json, ctx: Context) -> str:
    app = modal.get("app") or "App"
    fields = []
    for component in modal.get("components") or []:
        kind = component.get("type")
        if kind == 18:  # Label: label, description, one component
            inner = component.get("component") or {}
            fields.append(_modal_field(component.get("label", ""), component.get("description"), inner, ctx))
        elif kind == 1:  # legacy: an action row holding one text input with its own label
            for inner in component.get("components") or []:
                fields.append(_modal_field(inner.get("label", ""), None, inner, ctx))
        elif kind == 10:
            fields.append(f'<div class="modal-field modal-text">{markdown(component.get("content", ""), ctx)}</div>')
    avatar = default_avatar(modal.get("app_id"))
    return (
        f'<discord-modal modal-id="modal" modal-title="{attr(modal.get("title", ""))}" author="{attr(app)}" '
        f'avatar="{attr(avatar)}">{"".join(fields)}</discord-modal>'
    )


def _modal_field(label: str, description: str | None, inner: Json, ctx: Context) -> str:
    required = inner.get("required", True)
    star = '<span class="required">*</span>' if required else ""
    parts = [f'<div class="modal-label">{text(label)}{star}</div>']
    if description:
        parts.append(f'<div class="modal-description">{text(description)}</div>')
    if inner.get("type") == 4:
        paragraph = " paragraph" if inner.get("style") == 2 else ""
        value = inner.get("value")
        shown = text(value) if value else f'<span class="placeholder">{text(inner.get("placeholder") or "")}</span>'
        parts.append(f'<div class="modal-input{paragraph}">{shown}</div>')
    else:
        placeholder = inner.get("placeholder") or "Make a selection"
        parts.append(f'<discord-string-select-menu placeholder="{attr(placeholder)}"></discord-string-select-menu>')
    return f'<div class="modal-field">{"".join(parts)}</div>'


def page(scene: Json, width: int, *, names: Json, root: Path) -> str:
    """The scene as one HTML page, with paths relative to ``root`` (the folder the page is written to)."""
    offset = timezone(timedelta(minutes=int(scene.get("utc_offset_minutes", 0))))
    now = parse_time(scene.get("now")) or datetime.now(tz=UTC)
    merged = {
        k: {**names.get(k, {}), **(scene.get("names") or {}).get(k, {})}
        for k in ("users", "roles", "channels", "threads")
    }
    ctx = Context(merged, now, offset, width <= PHONE_MAX_WIDTH, scene.get("viewer") or {})
    thread = scene.get("thread")
    header = (
        f'channel-type="thread" channel-name="{attr(thread)}"'
        if thread
        else f'channel-type="text" channel-name="{attr(scene.get("channel", "general"))}"'
    )
    node = os.path.relpath(NODE, root)
    imports = {k: f"{node}/{v}" for k, v in IMPORT_MAP.items()}
    body = messages_html(scene.get("messages") or [], ctx, thread_view=bool(thread))
    modal = modal_html(scene["modal"], ctx) if scene.get("modal") else ""
    page_dir = os.path.relpath(HERE / "page", root)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width={width}">
<title>loading</title>
<link rel="stylesheet" href="{page_dir}/page.css">
<script type="importmap">{json.dumps({"imports": imports})}</script>
<script type="module" src="{page_dir}/boot.js"></script>
</head>
<body class="{"phone" if ctx.phone else "desktop"}">
<!-- {attr(scene.get("title", ""))} -->
<discord-messages {header}>
{body}
{modal}
</discord-messages>
</body>
</html>
"""


# --------------------------------------------------------------------------------------------- Chromium


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("render.py: Chromium not found; run docs/screenshots/setup.sh")


class Browser:
    """One headless Chromium, driven over its DevTools pipe (fd 3 in, fd 4 out, JSON messages ending in NUL).

    Not ``--screenshot --window-size=W,H``: headless Chromium lays a page out at least 500 px wide whatever the
    window size, so a 400 px shot would be the left part of a 500 px layout. Here the viewport is set exactly
    (``Emulation.setDeviceMetricsOverride``), the height is read from the page once it has settled, and the picture
    is taken at that size, all in one browser for every page.
    """

    def __init__(self) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="screenshots-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # in the child: its fd 3 reads our commands, its fd 4 writes its answers
            os.dup2(to_chrome_r, 100)
            os.dup2(from_chrome_w, 101)
            os.dup2(100, 3)
            os.dup2(101, 4)
            os.close(100)
            os.close(101)

        self.process = subprocess.Popen(  # noqa: S603 - our own flags, a local file
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,  # noqa: PLW1509 - single-threaded here
            close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next = 0
        self.events: list[Json] = []

    def send(self, method: str, params: Json | None = None, *, session: str | None = None) -> Json:
        self._next += 1
        message: Json = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def _read(self) -> Json:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self.profile.cleanup()

    def shoot(self, url: str, width: int, out: Path, *, timeout: float = 30.0) -> None:
        """Open ``url`` at ``width`` px, wait for boot.js to report the height, and save the page as a PNG."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            metrics = {"width": width, "height": MEASURE_HEIGHT, "deviceScaleFactor": 1, "mobile": False}
            self.send("Emulation.setDeviceMetricsOverride", metrics, session=session)
            self.send("Page.navigate", {"url": url}, session=session)
            deadline = time.monotonic() + timeout
            title = ""
            while time.monotonic() < deadline:
                title = self._evaluate("document.title", session)
                if title.startswith(("ready:", "error:")):
                    break
                time.sleep(0.05)
            if not title.startswith("ready:"):
                raise RuntimeError(f"{url}: the page did not settle ({title or 'no title'})")
            height = int(title.split(":", 1)[1])
            self.send("Emulation.setDeviceMetricsOverride", {**metrics, "height": height}, session=session)
            self._evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))", session)
            clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
            shot = self.send("Page.captureScreenshot", {"format": "png", "clip": clip}, session=session)
            out.write_bytes(base64.b64decode(shot["data"]))
        finally:
            self.send("Target.closeTarget", {"targetId": target})

    def _evaluate(self, expression: str, session: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session=session
        )
        return result.get("result", {}).get("value")


def render_one(browser: Browser | None, scene: Json, width: int, names: Json, out_dir: Path) -> Path:
    BUILD.mkdir(parents=True, exist_ok=True)
    page_path = BUILD / f"{scene['name']}-{width}.html"
    page_path.write_text(page(scene, width, names=names, root=BUILD), encoding="utf-8")
    if browser is None:
        return page_path
    png = out_dir / f"{scene['name']}-{width}.png"
    browser.shoot(page_path.as_uri(), width, png)
    return png


def gallery(scenes: list[Json]) -> None:
    """GALLERY.md: every scene's caption and pictures, so the list never falls behind scenes.json."""
    lines = [
        "# Screenshots",
        "",
        "Generated by `render.py` from `scenes.json` (itself captured from the real bot by `capture.py`); "
        "do not edit by hand. Phone width first, then desktop.",
        "",
    ]
    for scene in scenes:
        lines += [f"## {scene['name']}", "", scene.get("title", ""), ""]
        for width in scene.get("widths") or DEFAULT_WIDTHS:
            lines.append(f'<img src="{scene["name"]}-{width}.png" width="{width}"> ')
        lines.append("")
    (HERE / "GALLERY.md").write_text("\n".join(lines), encoding="utf-8")


def load(path: Path) -> tuple[list[Json], Json]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, list):
        return document, {}
    return document["scenes"], document.get("names") or {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("scenes", nargs="?", type=Path, default=HERE / "scenes.json")
    parser.add_argument("--only", action="append", help="render only this scene (repeatable)")
    parser.add_argument("--widths", help="comma-separated widths instead of each scene's own, e.g. 400,800")
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNGs go (default: next to this script)")
    parser.add_argument("--html-only", action="store_true", help="write the pages to build/ and stop")
    args = parser.parse_args(argv)
    if not (NODE / "@skyra" / "discord-components-core").is_dir():
        raise SystemExit("render.py: node_modules is missing; run docs/screenshots/setup.sh")
    scenes, names = load(args.scenes)
    if args.only:
        unknown = set(args.only) - {s["name"] for s in scenes}
        if unknown:
            raise SystemExit(f"render.py: no scene named {', '.join(sorted(unknown))}")
        scenes = [s for s in scenes if s["name"] in args.only]
    widths = [int(w) for w in args.widths.split(",")] if args.widths else None
    jobs = [(s, w) for s in scenes for w in (widths or s.get("widths") or DEFAULT_WIDTHS)]
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.only and not widths and args.out == HERE and args.scenes.resolve() == (HERE / "scenes.json"):
        gallery(scenes)
    browser = None if args.html_only else Browser()
    failed = 0
    try:
        for scene, width in jobs:
            try:
                path = render_one(browser, scene, width, names, args.out)
            except Exception as exc:  # noqa: BLE001 - report every failed picture, then fail
                failed += 1
                print(f"FAILED {scene['name']} at {width}px: {exc}", file=sys.stderr)
                continue
            print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
    finally:
        if browser is not None:
            browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
