"""Capture what the REAL bot sends, for render.py: ``python docs/screenshots/capture.py`` writes ``scenes.json``.

Each scenario starts ``python -m bot`` (exactly as a user does) against the wire-level fake Discord
(``fakes/discord.py``) and the fake Series (``fakes/series.py``), plays a few steps as staff would (slash commands,
button clicks, things happening on Series) and picks the messages the bot posted, edited or answered ephemerally,
as recorded by the fake. Nothing is written by hand: the scene's messages are the bot's own payloads, only
mapped into render.py's scene format (author, timestamp, flags, the command that triggered a reply).

Deterministic on purpose: both fakes run on one virtual clock that only moves when a scenario says so (Discord ids
and message times, Series ticket ids and timestamps), and Series' random ids are seeded. Dev-only: nothing in
``bot/``, ``cogs/`` or ``tests/`` imports this.

Add a scene: write an ``async def`` that takes a :class:`World` and returns :func:`scene`, decorate it with
``@scenario``; see the examples at the bottom. ``--only NAME`` captures one and keeps the others from the old file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))  # the fakes, from any working directory

import fakes.discord  # noqa: E402
from fakes.discord import DISCORD_EPOCH_MS, FLAG_EPHEMERAL, MANAGE_GUILD, FakeDiscord, InteractionHandle  # noqa: E402
from fakes.processes import BotProcesses  # noqa: E402
from fakes.series import FakeSeries  # noqa: E402

Json = dict[str, Any]

OUT = HERE / "scenes.json"
TOKEN = "screenshots-discord-token"
KEY = "screenshots-series-key"
START = datetime(2025, 6, 12, 14, 0, tzinfo=UTC).timestamp()  # a Thursday afternoon; every world starts here
SEED = 7
POLL_SECONDS = 5  # the bot's minimum; a card or thread message appears within one poll
WAIT = 30.0

# Roblox staff ids known to the fake Series (fakes.series.DEFAULT_STAFF) and the Discord members linked to them.
STAFF = {"jordan": 987654321, "amy": 111111111, "bob": 555555555}
MENTION_EVERYONE = 1 << 17
USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


# --------------------------------------------------------------------------------------------- the virtual clock


class Clock:
    """Seconds since the epoch, moved only by :meth:`advance`: a scene's times never depend on how fast it ran."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def iso(self) -> str:
        return datetime.fromtimestamp(self.now, tz=UTC).isoformat()


class ClockedDiscord(FakeDiscord):
    """FakeDiscord whose snowflakes (and so message timestamps) come from the virtual clock."""

    def __init__(self, clock: Clock, **options: Any) -> None:
        self._virtual_clock = clock  # before super().__init__, which already makes ids
        super().__init__(**options)

    def _next_id(self) -> int:
        candidate = (int(self._virtual_clock() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(self._last_id + 1, candidate)
        return self._last_id


# --------------------------------------------------------------------------------------------- the world


@dataclass
class World:
    """One server, one bot process, both fakes; what the scenarios act on and read from."""

    discord: ClockedDiscord
    series: FakeSeries
    clock: Clock
    bot: BotProcesses
    guild: int
    channels: dict[str, int]
    roles: dict[str, int]
    users: dict[str, int]
    headers: dict[str, Json] = field(default_factory=dict)  # message id -> the interaction that produced it

    @property
    def channel(self) -> int:
        return self.channels["tickets"]

    # -- acting as people ----------------------------------------------------------------------------------------

    async def slash(
        self, user: str, command: str, options: Json | None = None, *, channel: int | None = None
    ) -> InteractionHandle:
        """``/command`` typed by ``user``; returns once the bot's (last) answer is there."""
        handle = await self.discord.slash(self.guild, channel or self.channel, self.users[user], command, options or {})
        await handle.final_message(timeout=WAIT)
        self._remember(handle, {"type": "command", "name": f"/{command}", **self._who(user)})
        return handle

    async def click(self, user: str, message: Json, label: str) -> InteractionHandle:
        """``user`` presses the button labelled ``label`` on ``message``; returns the handle at once (a modal, or
        an answer still on its way: wait on the handle)."""
        custom_id = next(
            c["custom_id"]
            for row in message.get("components", [])
            for c in row.get("components", [])
            if c.get("label") == label
        )
        return await self.discord.click(
            self.guild, int(message["channel_id"]), self.users[user], int(message["id"]), custom_id
        )

    async def answer(self, handle: InteractionHandle, user: str, source: Json) -> Json:
        """The visible answer to a click, remembered as a reply to the message whose button was pressed."""
        message = await handle.final_message(timeout=WAIT)
        self._remember(handle, {"type": "component", **self._who(user), "reply_to": source["id"]})
        return message

    def _who(self, user: str) -> Json:
        return {"user": self.name(self.users[user]), "user_id": str(self.users[user])}

    def _remember(self, handle: InteractionHandle, header: Json) -> None:
        for message_id in [handle.original_id, *handle.followup_ids]:
            if message_id is not None:
                self.headers[str(message_id)] = header

    # -- things happening on Series ------------------------------------------------------------------------------

    def ticket(self, **fields: Any) -> str:
        return self.series.create_ticket(**fields)["TicketId"]

    # -- reading what the bot did ---------------------------------------------------------------------------------

    async def card(self, ticket_id: str, *, channel: int | None = None, where: Callable[[Json], bool] | None = None):
        """The ticket's card (waiting for the feed to post it), optionally once ``where`` holds for it."""

        def is_card(m: Json) -> bool:
            title = (m.get("embeds") or [{}])[0].get("title") or ""
            return title.startswith(f"{ticket_id} ") and (where is None or where(m))

        return await self.discord.wait_for_message(channel or self.channel, is_card, timeout=WAIT)

    async def in_thread(self, thread_id: int, count: int) -> list[Json]:
        """The thread's messages once there are at least ``count``."""
        return await self.discord.wait_until(
            lambda: m if len(m := self.discord.messages(thread_id)) >= count else None,
            WAIT,
            f"{count} messages in thread {thread_id}",
        )

    def message(self, message_id: int | str) -> Json:
        return self.discord.message(int(message_id))

    def name(self, user_id: int | str) -> str:
        user = self.discord.user(int(user_id))
        return user.get("global_name") or user["username"]

    # -- mapping into render.py's format --------------------------------------------------------------------------

    def shot(self, message: Json) -> Json:
        """One recorded message as a scene message: the payload as the bot sent it, plus who and when."""
        author = message["author"]
        shown: Json = {
            "id": message["id"],
            "author": {
                "id": author["id"],
                "username": author.get("global_name") or author["username"],
                "avatar": None,  # no CDN here: render.py draws Discord's default avatar
                "bot": bool(author.get("bot")),
            },
            "timestamp": message["timestamp"],
            "edited_timestamp": message.get("edited_timestamp"),
            "flags": message.get("flags", 0),
            "content": message.get("content", ""),
            "embeds": message.get("embeds", []),
            "components": message.get("components", []),
            **self.pings(message),
        }
        header = self.headers.get(message["id"])
        if header is not None:
            header = dict(header)
            if "reply_to" in header:
                source = self.message(header["reply_to"])
                header["reply_to"] = {
                    "author": self.name(source["author"]["id"]),
                    "author_id": source["author"]["id"],
                    "bot": bool(source["author"].get("bot")),
                    **_summary(source),
                }
            shown["interaction"] = header
        thread = message.get("thread")
        if thread:
            shown["thread"] = {"name": thread["name"], "message_count": thread.get("message_count", 0)}
        return shown

    def pings(self, message: Json) -> Json:
        """Who Discord really pings with this message (it highlights the message for them): the mentions in the
        content that ``allowed_mentions`` lets through, roles only if mentionable (or the bot may mention all).

        Computed here rather than read from the fake's ``mentions``/``mention_roles``: the fake compares the ids
        discord.py sends in ``allowed_mentions`` (integers) with the ids in the content (strings), so it never
        records an allowed ping.
        """
        content = message.get("content") or ""
        allowed = message.get("allowed_mentions")
        parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
        users = {str(u) for u in (allowed or {}).get("users", [])}
        roles = {str(r) for r in (allowed or {}).get("roles", [])}
        can_ping_all = bool(self.discord.permissions(self.guild, int(self.discord.bot_user["id"])) & MENTION_EVERYONE)

        def role_pings(role_id: str) -> bool:
            if not ("roles" in parse or role_id in roles):
                return False
            role = self.discord.role(self.guild, int(role_id)) if int(role_id) in self.roles.values() else {}
            return bool(role.get("mentionable")) or can_ping_all

        return {
            "mentions": [u for u in dict.fromkeys(USER_MENTION.findall(content)) if "users" in parse or u in users],
            "mention_roles": [r for r in dict.fromkeys(ROLE_MENTION.findall(content)) if role_pings(r)],
            "mention_everyone": "everyone" in parse and can_ping_all and ("@everyone" in content or "@here" in content),
        }

    def names(self) -> Json:
        channels = {str(i): self.discord.channel(i)["name"] for i in self.channels.values()}
        threads = {t["id"]: t["name"] for parent in self.channels.values() for t in self.discord.threads(parent)}
        roles = {}
        for role_id in self.roles.values():
            role = self.discord.role(self.guild, role_id)
            roles[str(role_id)] = {"name": role["name"], "color": role["color"]}
        users = {str(i): self.name(i) for i in [*self.users.values(), int(self.discord.bot_user["id"])]}
        return {"users": users, "roles": roles, "channels": channels, "threads": threads}


def _summary(message: Json) -> Json:
    """What Discord shows of a replied-to message: its text, else that it has an embed."""
    if message.get("content"):
        return {"content": message["content"]}
    return {"content": "", "has_embed": bool(message.get("embeds"))}


def scene(
    world: World,
    name: str,
    title: str,
    messages: Sequence[Json],
    *,
    channel: str = "tickets",
    thread: int | None = None,
    modal: Json | None = None,
    viewer: str | None = None,
) -> Json:
    """A scene for render.py: messages in a channel (or a thread), optionally a modal on top, seen at ``clock``."""
    result: Json = {
        "name": name,
        "title": title,
        "now": world.clock.iso(),
        "channel": channel,
        "names": world.names(),
        "messages": [world.shot(m) for m in messages],
    }
    if viewer:
        viewer_id = world.users[viewer]
        roles = world.discord.member(world.guild, viewer_id)["roles"]
        result["viewer"] = {"id": str(viewer_id), "name": world.name(viewer_id), "roles": roles}
    if thread is not None:
        result["thread"] = world.discord.channel(thread)["name"]
    if modal is not None:
        result["modal"] = {**modal, "app": world.name(world.discord.bot_user["id"])}
    return result


@contextlib.asynccontextmanager
async def world(tmp: Path, settings: Json | None = None) -> AsyncIterator[World]:
    """A fresh server with staff, a bot process on its own database, both fakes on one virtual clock."""
    clock = Clock(START)
    fakes.discord._now = clock.iso  # edited_timestamp and thread times: virtual too (this process only)
    discord = ClockedDiscord(clock, token=TOKEN)
    guild = int(discord.add_guild("Staff HQ")["id"])
    channels = {name: int(discord.add_channel(guild, name)["id"]) for name in ("tickets", "mod-tickets", "staff-chat")}
    roles = {"Admins": int(discord.add_role(guild, "Admins", MANAGE_GUILD)["id"])}
    roles["Moderators"] = int(discord.add_role(guild, "Moderators")["id"])
    discord._roles[guild][roles["Moderators"]]["mentionable"] = True  # as the README's setup asks, so the ping pings
    users = {name: int(discord.add_user(name.title())["id"]) for name in ("mia", *STAFF)}
    discord.add_member(guild, users["mia"], roles=[roles["Admins"], roles["Moderators"]])
    for name in STAFF:
        discord.add_member(guild, users[name], roles=[roles["Moderators"]])
    series = FakeSeries(api_key=KEY, wall_clock=clock, seed=SEED)
    await discord.start()
    await series.start()
    bot = BotProcesses("bot", discord.base_url, tmp / "bot.log")
    try:
        await bot.start(
            {
                "DISCORD_TOKEN": TOKEN,
                "SERIES_API_KEY": KEY,
                "SERIES_API_URL": series.url,
                "DATABASE_PATH": str(tmp / "data" / "bot.db"),
                "DISCORD_GUILD_ID": str(guild),
                "FEED_POLL_SECONDS": str(POLL_SECONDS),
                **(settings or {}),
            }
        )
        await discord.wait_for_connection(timeout=WAIT)
        await discord.wait_for_commands({"staff", "reply", "ticket", "feed"}, guild_id=guild, timeout=WAIT)
        w = World(discord, series, clock, bot, guild, channels, roles, users)
        for name, roblox_id in STAFF.items():
            await w.slash("mia", "staff link", {"member": users[name], "roblox": str(roblox_id)})
        clock.advance(3600)  # the links were made an hour before the scene starts
        yield w
    except BaseException:
        print(bot.log(), file=sys.stderr)
        raise
    finally:
        await bot.kill_all()
        await series.close()
        await discord.close()


# --------------------------------------------------------------------------------------------- fixed data

PLAYER = {"username": "cool_player_99", "display_name": "Alex", "author_id": 2750001234}
RANK_TICKET = {
    "subject": "Passed the training but still rank 1",
    "message": (
        "Hi! I passed the trainee exam yesterday (score 92%) but I'm still rank 1 in the group. "
        "My username is cool_player_99. Can someone rank me? Thanks!"
    ),
    "priority": "high",
    **PLAYER,
}


async def new_card(w: World, *, ping: bool = True, **ticket: Any) -> tuple[str, Json]:
    """``/feed set`` (mentioning Moderators), then a ticket arrives on Series; returns its id and its card."""
    options: Json = {"channel": w.channel}
    if ping:
        options["ping_role"] = w.roles["Moderators"]
    await w.slash("mia", "feed set", options)
    w.clock.advance(40)
    ticket_id = w.ticket(**(ticket or RANK_TICKET))
    w.clock.advance(9)  # the next poll
    return ticket_id, await w.card(ticket_id)


# --------------------------------------------------------------------------------------------- the scenarios

Scenario = Callable[[World], Awaitable[Json]]
SCENARIOS: list[tuple[Scenario, Json]] = []


def scenario(fn: Scenario | None = None, **settings: Any) -> Any:
    """Register a scene; ``settings`` override the bot's (``FEED_POLL_SECONDS=15`` for a scene that shows it)."""

    def register(fn: Scenario) -> Scenario:
        SCENARIOS.append((fn, settings))
        return fn

    return register(fn) if fn is not None else register


@scenario
async def new_ticket(w: World) -> Json:
    await w.slash("mia", "feed set", {"channel": w.channel, "ping_role": w.roles["Moderators"]})
    setup = w.discord.messages(w.channel, include_ephemeral=True)[-1]
    w.clock.advance(40)
    ticket_id = w.ticket(**RANK_TICKET)
    w.clock.advance(9)
    card = await w.card(ticket_id)
    w.clock.advance(120)
    return scene(
        w,
        "new-ticket",
        "An admin routes tickets to #tickets with /feed set; a new ticket arrives as a card mentioning @Moderators",
        [setup, card],
        viewer="mia",
    )


@scenario
async def claimed(w: World) -> Json:
    ticket_id, card = await new_card(w)
    w.clock.advance(95)
    handle = await w.click("jordan", card, "Claim")
    answer = await w.answer(handle, "jordan", card)
    card = await w.card(ticket_id, where=lambda m: m["embeds"][0].get("color") != card["embeds"][0].get("color"))
    w.clock.advance(30)
    return scene(
        w,
        "claimed",
        "Jordan presses Claim: the card turns gold and names the claimer; Jordan's confirmation is private",
        [card, answer],
        viewer="jordan",
    )


@scenario
async def thread(w: World) -> Json:
    ticket_id, card = await new_card(w)
    w.clock.advance(60)
    await w.answer(await w.click("jordan", card, "Claim"), "jordan", card)
    w.clock.advance(120)
    w.series.author_message(ticket_id, "I'm in game now if that helps. Do I need to rejoin after the rank?")
    w.clock.advance(7)
    thread_id = int(card["id"])  # a card's thread has the card's id
    await w.in_thread(thread_id, 1)
    w.clock.advance(150)
    await w.slash(
        "jordan",
        "reply",
        {"ticket_id": ticket_id, "message": "Ranked you to Trainee! Yes, rejoin once so the new rank loads."},
        channel=thread_id,
    )
    await w.in_thread(thread_id, 2)
    w.clock.advance(300)
    w.series.staff_message(ticket_id, STAFF["amy"], "Welcome aboard! Your first shift briefing is on Saturday.")
    w.clock.advance(8)
    await w.in_thread(thread_id, 3)
    w.clock.advance(60)
    messages = [w.message(card["id"]), *w.discord.messages(thread_id, include_ephemeral=True)]
    return scene(
        w,
        "thread",
        "The card's thread: the player's message, Jordan's /reply from Discord, and Amy's reply on the Series website",
        messages,
        thread=thread_id,
        viewer="jordan",
    )


@scenario
async def reply_not_claimed(w: World) -> Json:
    ticket_id, _ = await new_card(w)
    w.clock.advance(180)
    text = "Hi Alex, I can rank you now. Please stay in the game for a minute."
    failed = await w.slash("jordan", "reply", {"ticket_id": ticket_id, "message": text})
    w.clock.advance(20)
    return scene(
        w,
        "reply-not-claimed",
        "Jordan uses /reply on a ticket nobody claimed: Series refuses, the text comes back with Claim and send",
        [failed.message],
        viewer="jordan",
    )


@scenario
async def ticket_show(w: World) -> Json:
    ticket_id, card = await new_card(w)
    w.clock.advance(60)
    await w.answer(await w.click("jordan", card, "Claim"), "jordan", card)
    w.clock.advance(240)
    w.series.staff_message(ticket_id, STAFF["jordan"], "Hi Alex! Which server were you in when you took the exam?")
    w.clock.advance(420)
    w.series.author_message(ticket_id, "The EU one, around 8pm yesterday.")
    w.clock.advance(600)
    shown = await w.slash("jordan", "ticket show", {"ticket_id": ticket_id})
    w.clock.advance(15)
    return scene(
        w,
        "ticket-show",
        "/ticket show: the ticket with its latest messages and its buttons, visible only to Jordan",
        [shown.message],
        viewer="jordan",
    )


@scenario(FEED_POLL_SECONDS="15")  # the default, since the answer shows it; this scene waits for no poll
async def feed_show(w: World) -> Json:
    await w.slash("mia", "feed set", {"channel": w.channel, "ping_role": w.roles["Moderators"]})
    await w.slash(
        "mia",
        "feed set",
        {"channel": w.channels["mod-tickets"], "department": "Moderation Department"},
    )
    w.clock.advance(86400)
    shown = await w.slash("mia", "feed show", channel=w.channels["staff-chat"])
    w.clock.advance(10)
    return scene(
        w,
        "feed-show",
        "/feed show: where tickets go (a default route and one for Moderation Department)",
        [shown.message],
        channel="staff-chat",
        viewer="mia",
    )


@scenario
async def staff_list(w: World) -> Json:
    w.clock.advance(600)
    shown = await w.slash("mia", "staff list", channel=w.channels["staff-chat"])
    w.clock.advance(10)
    return scene(
        w,
        "staff-list",
        "/staff list: who is linked to which Roblox account",
        [shown.message],
        channel="staff-chat",
        viewer="mia",
    )


@scenario
async def reply_modal(w: World) -> Json:
    ticket_id, card = await new_card(w)
    w.clock.advance(60)
    await w.answer(await w.click("jordan", card, "Claim"), "jordan", card)
    card = await w.card(ticket_id, where=lambda m: any(c.get("label") == "Unclaim" for c in _buttons(m)))
    w.clock.advance(45)
    handle = await w.click("jordan", card, "Reply")
    modal = await handle.wait_for_modal(timeout=WAIT)
    return scene(
        w,
        "reply-modal",
        "Jordan presses Reply on the card: a box for the answer opens over the channel",
        [w.message(card["id"])],
        modal=modal,
        viewer="jordan",
    )


@scenario
async def resolved(w: World) -> Json:
    ticket_id, card = await new_card(w)
    w.clock.advance(300)
    answer = await w.answer(await w.click("jordan", card, "Resolve"), "jordan", card)
    card = await w.card(ticket_id, where=lambda m: any(c.get("label") == "Reopen" for c in _buttons(m)))
    w.clock.advance(20)
    return scene(
        w, "resolved", "Jordan presses Resolve: the card turns green and offers Reopen", [card, answer], viewer="jordan"
    )


def _buttons(message: Json) -> list[Json]:
    return [c for row in message.get("components", []) for c in row.get("components", [])]


# --------------------------------------------------------------------------------------------- running


async def capture(only: set[str] | None) -> list[Json]:
    scenes = []
    for fn, settings in SCENARIOS:
        name = fn.__name__.replace("_", "-")
        if only and name not in only:
            continue
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"screenshots-{name}-") as tmp:
            async with world(Path(tmp), settings) as w:
                result = await fn(w)
                _check(w, result)
        scenes.append(result)
        print(f"captured {result['name']} ({len(result['messages'])} messages, {time.monotonic() - started:.1f}s)")
    return scenes


def _check(w: World, result: Json) -> None:
    """A capture that hid a bot error would render a lie: stop instead."""
    log = w.bot.log()
    if "Traceback" in log:
        raise RuntimeError(f"the bot logged a traceback during {result['name']}:\n{log}")
    if w.discord.unknown_routes or w.discord.server_errors:
        raise RuntimeError(f"the fake Discord saw unknown routes or errors: {w.discord.unknown_routes}")
    for message in result["messages"]:
        if message["flags"] & FLAG_EPHEMERAL and "interaction" not in message:
            raise RuntimeError(f"{result['name']}: an ephemeral message without the interaction that made it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="capture only this scene (repeatable); keep the others")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    only = set(args.only) if args.only else None
    scenes = asyncio.run(capture(only))
    if only and args.out.exists():
        fresh = {s["name"]: s for s in scenes}
        old = json.loads(args.out.read_text(encoding="utf-8"))["scenes"]
        scenes = [fresh.pop(s["name"], s) for s in old] + list(fresh.values())
    document = {"version": 1, "generated_by": "docs/screenshots/capture.py", "scenes": scenes}
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(Path.cwd()) if args.out.is_relative_to(Path.cwd()) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
