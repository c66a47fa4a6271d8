"""Capture what the REAL bot sends, for render.py: ``python docs/screenshots/capture.py`` writes ``scenes.json``.

Each scenario starts ``python -m bot`` (exactly as a user does) against the wire-level fake Discord
(``fakes/discord.py``), the fake Series (``fakes/series.py``) and the fake Roblox users and thumbnails APIs
(``fakes/roblox.py``, so staff names resolve as they would in production), plays a few steps as staff would (slash
commands, button clicks, a Reply box, things happening on Series) and picks the messages the bot posted, edited or
answered ephemerally, as recorded by the fake. Nothing is written by hand: the scene's messages are the bot's own
payloads, only mapped into render.py's scene format (author, timestamp, flags, the command that triggered a reply).

Deterministic on purpose: every fake runs on one virtual clock that only moves when a scenario says so (Discord ids
and message times, Series ticket ids and timestamps), Series' random ids are seeded, and the bot process reads the
same clock: ``libfaketime`` (installed by setup.sh) gives it the virtual time as its wall clock, so what the bot
stamps itself ("moved … ago", its outbox, its audit log) agrees with everything else. Its monotonic clock stays
real, so its timers (polls, timeouts) run normally. Dev-only: nothing in ``bot/``, ``cogs/`` or ``tests/`` imports
this.

Add a scene: write an ``async def`` that takes a :class:`World` and returns :func:`scene`, decorate it with
``@scenario``; see the examples at the bottom. ``--only NAME`` captures one and keeps the others from the old file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
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
from fakes.roblox import FakeRoblox  # noqa: E402
from fakes.series import FakeSeries  # noqa: E402

Json = dict[str, Any]

OUT = HERE / "scenes.json"
TOKEN = "screenshots-discord-token"
KEY = "screenshots-series-key"
START = datetime(2025, 6, 12, 14, 0, tzinfo=UTC).timestamp()  # a Thursday afternoon; every world starts here
SEED = 7
POLL_SECONDS = 5  # the bot's minimum; a card or thread message appears within one poll
WAIT = 30.0
COMMANDS = {"staff", "reply", "ticket", "feed", "help", "whoami"}

# Roblox staff ids known to the fake Series (fakes.series.DEFAULT_STAFF) and the Discord members linked to them.
STAFF = {"jordan": 987654321, "amy": 111111111, "bob": 555555555}
# Their Roblox accounts, in both the fake Series (claimer names, its event lines) and the fake Roblox (the names the
# bot looks up). The fakes' default for 987654321 is "Staff Member", which would read as a role, not a person.
ROBLOX_ACCOUNTS = {
    987654321: ("JordanPlays", "Jordan"),
    111111111: ("helper_amy", "Amy"),
    555555555: ("mod_bob", "Bob"),
}
MENTION_EVERYONE = 1 << 17
USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


# --------------------------------------------------------------------------------------------- the virtual clock


def _libfaketime() -> str:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not found:
        raise SystemExit("capture.py: libfaketime is missing (the bot's clock must be the virtual one); run setup.sh")
    return found[0]


class Clock:
    """Seconds since the epoch, moved only by :meth:`advance`: a scene's times never depend on how fast it ran.

    Every value is also written to ``file``, where libfaketime reads it as the bot process's wall clock (whole
    seconds, frozen until the next advance; replaced atomically, so the bot never reads half a line).
    """

    def __init__(self, start: float, file: Path) -> None:
        self.now = float(int(start))
        self.file = file
        self._write()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds)
        self._write()

    def iso(self) -> str:
        return datetime.fromtimestamp(self.now, tz=UTC).isoformat()

    def _write(self) -> None:
        stamp = datetime.fromtimestamp(self.now, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        part = self.file.with_suffix(".part")
        part.write_text(stamp + "\n", encoding="ascii")
        part.replace(self.file)

    def bot_env(self) -> dict[str, str]:
        """What makes a process read this clock as its wall clock (its monotonic clock stays real)."""
        return {
            "LD_PRELOAD": _libfaketime(),
            "FAKETIME_TIMESTAMP_FILE": str(self.file),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "TZ": "UTC",
        }


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
    """One server, one bot process, the fakes; what the scenarios act on and read from."""

    discord: ClockedDiscord
    series: FakeSeries
    roblox: FakeRoblox
    clock: Clock
    bot: BotProcesses
    env: dict[str, str]
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
        custom_id = next(c["custom_id"] for c in _buttons(message) if c.get("label") == label)
        return await self.discord.click(
            self.guild, int(message["channel_id"]), self.users[user], int(message["id"]), custom_id
        )

    async def submit(self, user: str, source: Json, modal: Json, values: Json) -> InteractionHandle:
        """``user`` fills in the box the bot opened from a button on ``source`` and presses Submit."""
        return await self.discord.submit_modal(
            self.guild, int(source["channel_id"]), self.users[user], modal["custom_id"], values
        )

    async def answer(self, handle: InteractionHandle, user: str, source: Json) -> Json:
        """The visible answer to a click (or to a box opened by one), remembered as a reply to the message whose
        button was pressed, as Discord shows it."""
        message = await handle.final_message(timeout=WAIT)
        self._remember(handle, {"type": "component", **self._who(user), "reply_to": source["id"]})
        return message

    def _who(self, user: str) -> Json:
        return {"user": self.name(self.users[user]), "user_id": str(self.users[user])}

    def _remember(self, handle: InteractionHandle, header: Json) -> None:
        for message_id in [handle.original_id, *handle.followup_ids]:
            if message_id is not None:
                self.headers[str(message_id)] = header

    # -- time ------------------------------------------------------------------------------------------------------

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass, once the bot has finished what it was doing: whatever it posts lands at the time
        it would in real life, however slow this machine is."""
        await self.settle()
        self.clock.advance(seconds)

    async def settle(self, quiet: float = 0.8) -> None:
        """Wait until the bot has sent Discord nothing for ``quiet`` real seconds (an action's card refresh and
        thread messages follow it within a few hundred milliseconds; an idle poll sends Discord nothing)."""
        deadline = time.monotonic() + WAIT
        seen, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.discord.requests)
            if count != seen:
                seen, since = count, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"the bot never went quiet ({seen} Discord requests so far)")

    # -- things happening on Series ------------------------------------------------------------------------------

    def ticket(self, **fields: Any) -> str:
        return self.series.create_ticket(**fields)["TicketId"]

    # -- the bot itself --------------------------------------------------------------------------------------------

    async def restart(self, *, down_for: float) -> None:
        """Kill the bot (SIGKILL: no goodbye), let ``down_for`` seconds pass, and start it again on its database."""
        await self.settle()
        await self.bot.kill_all()
        await self.discord.wait_for_disconnect(timeout=WAIT)
        self.clock.advance(down_for)
        before = self.discord.identify_count
        await self.bot.start(self.env)
        await self.discord.wait_for_connection(timeout=WAIT, identify_count=before + 1)

    # -- reading what the bot did ---------------------------------------------------------------------------------

    async def card(self, ticket_id: str, *, channel: int | None = None, where: Callable[[Json], bool] | None = None):
        """The ticket's card in ``channel`` (waiting for the feed to post it), optionally once ``where`` holds.
        A card is the bot's message whose embed footer is the ticket id."""

        def is_card(m: Json) -> bool:
            footer = ((m.get("embeds") or [{}])[0].get("footer") or {}).get("text") or ""
            return footer == ticket_id and (where is None or where(m))

        return await self.discord.wait_for_message(channel or self.channel, is_card, timeout=WAIT)

    async def in_thread(self, thread_id: int, where: Callable[[Json], bool]) -> Json:
        """The first message in the thread for which ``where`` holds, once the bot has posted it."""
        return await self.discord.wait_for_message(thread_id, where, timeout=WAIT)

    def message(self, message_id: int | str) -> Json:
        return self.discord.message(int(message_id))

    def name(self, user_id: int | str) -> str:
        user = self.discord.user(int(user_id))
        return user.get("global_name") or user["username"]

    # -- mapping into render.py's format --------------------------------------------------------------------------

    def shot(self, message: Json) -> Json:
        """One recorded message as a scene message: the payload as the bot last sent or edited it (as it stands
        when the scene is shot, not when a step first saw it), plus who and when."""
        message = self.message(message["id"])
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
            posted = self.discord.messages(int(thread["id"]))
            if posted:  # the preview under the card shows the thread's latest message
                last = posted[-1]
                shown["thread"]["last_message"] = {
                    "author": self.name(last["author"]["id"]),
                    "author_id": last["author"]["id"],
                    "bot": bool(last["author"].get("bot")),
                    "timestamp": last["timestamp"],
                    **_summary(last),
                }
        return shown

    def pings(self, message: Json) -> Json:
        """Who Discord really pings with this message (it highlights the message for them): the mentions in the
        content that ``allowed_mentions`` lets through, roles only if mentionable (or the bot may mention all).

        Computed here rather than read from the fake's ``mentions``/``mention_roles``: the fake compares the ids
        discord.py sends in ``allowed_mentions`` (integers) with the ids in the content (strings), so it never
        records an allowed ping (fakes/discord.py ``_compute_mentions``; not ours to fix from here).
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


async def _until(predicate: Callable[[], bool], what: str = "") -> None:
    """Wait for something the fake Discord isn't told about (a request reaching the fake Series)."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.05)


def _shown(handle: InteractionHandle) -> Json:
    """The answer an interaction left visible (``slash`` already waited for it)."""
    message = handle.message
    assert message is not None, handle
    return message


def _summary(message: Json) -> Json:
    """What Discord shows of a replied-to message: its text, else that it has an embed."""
    if message.get("content"):
        return {"content": message["content"]}
    return {"content": "", "has_embed": bool(message.get("embeds"))}


def _buttons(message: Json) -> list[Json]:
    return [c for row in message.get("components", []) for c in row.get("components", [])]


def _labels(message: Json) -> list[str]:
    return [c.get("label", "") for c in _buttons(message)]


def _text(message: Json) -> str:
    """A message's words: its content and its first embed's description."""
    embed = (message.get("embeds") or [{}])[0]
    return f"{message.get('content') or ''}\n{embed.get('description') or ''}"


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
    """A fresh server with staff, a bot process on its own database, the fakes on one virtual clock."""
    clock = Clock(START, tmp / "clock")
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
    roblox = FakeRoblox()
    for roblox_id, (username, display) in ROBLOX_ACCOUNTS.items():
        series.staff_names[roblox_id] = (username, display)
        roblox.add_user(roblox_id, username, display)
    await discord.start()
    await series.start()
    await roblox.start()
    bot = BotProcesses("bot", discord.base_url, tmp / "bot.log")
    env = {
        "DISCORD_TOKEN": TOKEN,
        "SERIES_API_KEY": KEY,
        "SERIES_API_URL": series.url,
        "ROBLOX_USERS_URL": roblox.url,
        "ROBLOX_THUMBNAILS_URL": roblox.url,
        "DATABASE_PATH": str(tmp / "data" / "bot.db"),
        "DISCORD_GUILD_ID": str(guild),
        "FEED_POLL_SECONDS": str(POLL_SECONDS),
        **clock.bot_env(),
        **(settings or {}),
    }
    try:
        await bot.start(env)
        await discord.wait_for_connection(timeout=WAIT)
        await discord.wait_for_commands(COMMANDS, guild_id=guild, timeout=WAIT)
        w = World(discord, series, roblox, clock, bot, env, guild, channels, roles, users)
        for name, roblox_id in STAFF.items():
            await w.slash("mia", "staff link", {"member": users[name], "roblox": str(roblox_id)})
        await w.advance(3600)  # the links were made an hour before the scene starts
        yield w
    except BaseException:
        print(bot.log(), file=sys.stderr)
        raise
    finally:
        await bot.kill_all()
        await roblox.close()
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
# A queue as a busy evening leaves it: (subject, player username, display name, priority, who claimed it).
QUEUE = [
    ("Passed the training but still rank 1", "cool_player_99", "Alex", "high", None),
    ("Got kicked for AFK while my game froze", "pixelkid2011", "pixelkid2011", "medium", "amy"),
    ("Someone is exploiting in the EU server", "NightOwl_RBLX", "Night Owl", "urgent", "jordan"),
    ("Can I appeal my ban from last month?", "builder_bee", "Bee", "medium", None),
    ("Shop bought item never arrived", "sk8r_lena", "Lena", "high", "jordan"),
    ("How do I join the police team?", "tomtom_yt", "Tom", "low", None),
    ("Voice chat is broken in the lobby", "marsrover77", "marsrover77", "medium", None),
    ("My friend got wrongly warned", "luna_plays", "Luna ✨", "medium", "amy"),
    ("Rank not updating after group join", "Derpy_Dan", "Dan", "medium", None),
    ("Refund for double charged gamepass", "qwertyuiop_0", "Q", "high", None),
    ("Harassment in the trade hub", "sunny_side_up", "Sunny", "urgent", None),
    ("Question about the summer event", "cat_lover_3000", "Mittens", "low", None),
]


async def feed_set(
    w: World, *, ping: bool = True, channel: str = "tickets", department: str | None = None, typed_in: str = "tickets"
) -> Json:
    """``/feed set`` by Mia in ``typed_in`` (mentioning Moderators unless ``ping`` is off); returns her answer."""
    options: Json = {"channel": w.channels[channel]}
    if ping:
        options["ping_role"] = w.roles["Moderators"]
    if department:
        options["department"] = department
    return _shown(await w.slash("mia", "feed set", options, channel=w.channels[typed_in]))


async def new_card(w: World, *, ping: bool = True, **ticket: Any) -> tuple[str, Json]:
    """``/feed set`` (mentioning Moderators), then a ticket arrives on Series; returns its id and its card."""
    await feed_set(w, ping=ping)
    await w.advance(40)
    ticket_id = w.ticket(**(ticket or RANK_TICKET))
    w.clock.advance(9)  # the next poll (no settling in between: the bot sees the ticket only at this time)
    return ticket_id, await w.card(ticket_id)


async def claimed_card(w: World, user: str = "jordan") -> tuple[str, Json]:
    """A new ticket's card, claimed by ``user`` a minute after it arrived; returns the id and the card as now."""
    ticket_id, card = await new_card(w)
    await w.advance(60)
    await w.answer(await w.click(user, card, "Claim"), user, card)
    await w.in_thread(int(card["id"]), lambda m: "claimed" in _text(m))
    return ticket_id, await w.card(ticket_id, where=lambda m: "Unclaim" in _labels(m))


# --------------------------------------------------------------------------------------------- the scenarios

Scenario = Callable[[World], Awaitable[Json]]
SCENARIOS: list[tuple[Scenario, Json, tuple[str, ...]]] = []


def scenario(fn: Scenario | None = None, *, allow_routes: tuple[str, ...] = (), **settings: Any) -> Any:
    """Register a scene; ``settings`` override the bot's (``FEED_POLL_SECONDS=15`` for a scene that shows it).
    ``allow_routes``: Discord routes the fake doesn't have that this scene expects the bot to try (and to cope with
    their 404), as ``"METHOD /path"``."""

    def register(fn: Scenario) -> Scenario:
        SCENARIOS.append((fn, settings, allow_routes))
        return fn

    return register(fn) if fn is not None else register


@scenario
async def new_ticket(w: World) -> Json:
    setup = await feed_set(w)
    await w.advance(40)
    ticket_id = w.ticket(**RANK_TICKET)
    w.clock.advance(9)
    card = await w.card(ticket_id)
    await w.advance(120)
    return scene(
        w,
        "new-ticket",
        "An admin routes tickets to #tickets with /feed set (nothing open yet); a new ticket arrives as a card "
        "mentioning @Moderators",
        [setup, card],
        viewer="mia",
    )


@scenario
async def feed_set_backfill(w: World) -> Json:
    await w.settle()
    for subject, username, display, priority, _ in QUEUE[:3]:
        w.ticket(subject=subject, username=username, display_name=display, priority=priority, message="Please help.")
        w.clock.advance(700)
    w.clock.advance(1800)
    answer = await feed_set(w, typed_in="staff-chat")
    await w.advance(15)
    return scene(
        w,
        "feed-set-backfill",
        "/feed set over three tickets already open: only new ones will appear unless the admin presses Post all 3",
        [answer],
        channel="staff-chat",
        viewer="mia",
    )


@scenario
async def claimed(w: World) -> Json:
    ticket_id, card = await new_card(w)
    await w.advance(95)
    handle = await w.click("jordan", card, "Claim")
    answer = await w.answer(handle, "jordan", card)
    card = await w.card(ticket_id, where=lambda m: "Unclaim" in _labels(m))
    await w.in_thread(int(card["id"]), lambda m: "claimed" in _text(m))  # the claim opens the card's thread
    await w.advance(30)
    return scene(
        w,
        "claimed",
        "Jordan presses Claim: the card names him, Reply comes first; his confirmation is private",
        [card, answer],
        viewer="jordan",
    )


@scenario
async def close_confirm(w: World) -> Json:
    ticket_id, card = await claimed_card(w)
    await w.advance(400)
    answer = await w.answer(await w.click("jordan", card, "Close"), "jordan", card)
    await w.advance(5)
    return scene(
        w,
        "close-confirm",
        "Jordan presses Close: the bot asks first, privately, with a Close ticket button",
        [w.message(card["id"]), answer],
        viewer="jordan",
    )


@scenario
async def claim_reply_modal(w: World) -> Json:
    ticket_id, card = await new_card(w)
    await w.advance(70)
    handle = await w.click("jordan", card, "Reply")
    modal = await handle.wait_for_modal(timeout=WAIT)
    await w.settle()
    return scene(
        w,
        "claim-reply-modal",
        "Jordan presses Reply on a card nobody holds: the box says sending it claims the ticket",
        [w.message(card["id"])],
        modal=modal,
        viewer="jordan",
    )


@scenario
async def reply_modal(w: World) -> Json:
    ticket_id, card = await claimed_card(w)
    await w.advance(45)
    handle = await w.click("jordan", card, "Reply")
    modal = await handle.wait_for_modal(timeout=WAIT)
    await w.settle()
    return scene(
        w,
        "reply-modal",
        "Jordan presses Reply on the card he holds: a box for the answer opens over the channel",
        [w.message(card["id"])],
        modal=modal,
        viewer="jordan",
    )


@scenario
async def thread(w: World) -> Json:
    ticket_id, card = await new_card(w)
    thread_id = int(card["id"])  # a card's thread has the card's id
    await w.advance(60)
    await w.answer(await w.click("jordan", card, "Claim"), "jordan", card)
    await w.in_thread(thread_id, lambda m: "claimed" in _text(m))
    await w.advance(120)
    w.series.author_message(ticket_id, "I'm in game now if that helps. Do I need to rejoin after the rank?")
    w.clock.advance(7)
    await w.in_thread(thread_id, lambda m: "in game now" in _text(m))
    await w.advance(150)
    await w.slash(
        "jordan",
        "reply",
        {"ticket_id": ticket_id, "message": "Ranked you to Trainee! Yes, rejoin once so the new rank loads."},
        channel=thread_id,
    )
    await w.in_thread(thread_id, lambda m: "Ranked you" in _text(m) and not m["flags"] & FLAG_EPHEMERAL)
    await w.advance(300)
    w.series.staff_message(ticket_id, STAFF["amy"], "Welcome aboard! Your first shift briefing is on Saturday.")
    w.clock.advance(8)
    await w.in_thread(thread_id, lambda m: "Welcome aboard" in _text(m))
    await w.advance(60)
    messages = [w.message(card["id"]), *w.discord.messages(thread_id, include_ephemeral=True)]
    return scene(
        w,
        "thread",
        "The card's thread: Jordan's claim, the player's message (pinging Jordan), Jordan's /reply from Discord, "
        "and Amy's reply on the Series website",
        messages,
        thread=thread_id,
        viewer="jordan",
    )


@scenario
async def reply_not_claimed(w: World) -> Json:
    ticket_id, _ = await new_card(w)
    await w.advance(180)
    text = "Hi Alex, I can rank you now. Please stay in the game for a minute."
    failed = await w.slash("jordan", "reply", {"ticket_id": ticket_id, "message": text})
    await w.advance(20)
    return scene(
        w,
        "reply-not-claimed",
        "Jordan uses /reply on a ticket nobody claimed: Series refuses, the text comes back with Claim and send",
        [_shown(failed)],
        viewer="jordan",
    )


@scenario
async def reply_try_again(w: World) -> Json:
    ticket_id, card = await claimed_card(w)
    await w.advance(240)
    await w.series.close()  # Series is down: nothing listens on its address, every connection is refused
    handle = await w.click("jordan", card, "Reply")
    modal = await handle.wait_for_modal(timeout=WAIT)
    await w.advance(90)  # typing on a phone
    text = "Ranked you to Trainee! Rejoin once so the new rank loads, and welcome to the team."
    submitted = await w.submit("jordan", card, modal, {"reply_text": text})
    answer = await w.answer(submitted, "jordan", card)
    await w.advance(10)
    return scene(
        w,
        "reply-try-again",
        "Series is unreachable when Jordan sends his reply from the box: nothing arrived, so the bot offers "
        "Try again, with his text handed back",
        [w.message(card["id"]), answer],
        viewer="jordan",
    )


@scenario
async def ticket_show(w: World) -> Json:
    ticket_id, card = await claimed_card(w)
    await w.advance(240)
    w.series.staff_message(ticket_id, STAFF["jordan"], "Hi Alex! Which server were you in when you took the exam?")
    w.clock.advance(5)
    await w.in_thread(int(card["id"]), lambda m: "Which server" in _text(m))
    await w.advance(415)
    w.series.author_message(ticket_id, "The EU one, around 8pm yesterday.")
    w.clock.advance(5)
    await w.in_thread(int(card["id"]), lambda m: "The EU one" in _text(m))
    await w.advance(595)
    shown = await w.slash("jordan", "ticket show", {"ticket_id": ticket_id})
    await w.advance(15)
    return scene(
        w,
        "ticket-show",
        "/ticket show: the ticket with its latest messages and its buttons, visible only to Jordan",
        [_shown(shown)],
        viewer="jordan",
    )


@scenario
async def ticket_list(w: World) -> Json:
    await feed_set(w)
    await w.settle()
    ids = []  # all of it between two polls: the bot sees the evening's queue at once, whatever the machine's speed
    for subject, username, display, priority, claimer in QUEUE:
        w.clock.advance(900)
        ticket_id = w.ticket(
            subject=subject,
            username=username,
            display_name=display,
            priority=priority,
            author_id=3000000000 + len(ids),
            message="(see subject)",
        )
        if claimer:
            w.clock.advance(120)
            w.series.claim(ticket_id, STAFF[claimer])
        ids.append(ticket_id)
    w.clock.advance(9)
    for ticket_id, (*_, claimer) in zip(ids, QUEUE, strict=True):
        card = await w.card(ticket_id)
        if claimer:  # a claimed ticket's card opens its thread with the claim
            await w.in_thread(int(card["id"]), lambda m: "claimed" in _text(m))
    await w.advance(1200)
    shown = await w.slash("jordan", "ticket list")
    await w.advance(10)
    return scene(
        w,
        "ticket-list",
        "/ticket list: the queue, oldest first, ten to a page, each ticket a link to its card or thread",
        [_shown(shown)],
        viewer="jordan",
    )


@scenario
async def resolved(w: World) -> Json:
    ticket_id, card = await new_card(w)
    await w.advance(300)
    answer = await w.answer(await w.click("jordan", card, "Resolve"), "jordan", card)
    card = await w.card(ticket_id, where=lambda m: "Reopen" in _labels(m))
    await w.in_thread(int(card["id"]), lambda m: "resolved" in _text(m))
    await w.advance(20)
    return scene(
        w,
        "resolved",
        "Jordan presses Resolve: the card turns green, says who resolved it and when, and offers Reopen",
        [card, answer],
        viewer="jordan",
    )


@scenario
async def moved(w: World) -> Json:
    await feed_set(w)
    await feed_set(w, ping=False, channel="mod-tickets", department="Moderation Department")
    await w.advance(40)
    ticket_id = w.ticket(**RANK_TICKET)
    w.clock.advance(9)
    await w.card(ticket_id)
    await w.advance(600)
    options = {"ticket_id": ticket_id, "department": "Moderation Department"}
    answer = _shown(await w.slash("jordan", "ticket transfer", options))
    old = await w.card(ticket_id, where=lambda m: "Moved to" in _text(m))
    new = await w.card(ticket_id, channel=w.channels["mod-tickets"])
    await w.in_thread(int(new["id"]), lambda m: "transferred" in _text(m))  # its new thread starts with the move
    await w.advance(30)
    return scene(
        w,
        "moved",
        "Jordan transfers the ticket to Moderation Department: its old card in #tickets greys out and says where "
        "it went",
        [old, answer],
        viewer="jordan",
    )


@scenario(FEED_POLL_SECONDS="15")  # the default, since the answer shows it; this scene waits for no poll
async def feed_show(w: World) -> Json:
    await feed_set(w, typed_in="staff-chat")
    await feed_set(w, ping=False, channel="mod-tickets", department="Moderation Department", typed_in="staff-chat")
    await w.advance(86400)
    shown = await w.slash("mia", "feed show", channel=w.channels["staff-chat"])
    await w.advance(10)
    return scene(
        w,
        "feed-show",
        "/feed show: where tickets go (a default route and one for Moderation Department)",
        [_shown(shown)],
        channel="staff-chat",
        viewer="mia",
    )


@scenario
async def staff_list(w: World) -> Json:
    await w.advance(600)
    shown = await w.slash("mia", "staff list", channel=w.channels["staff-chat"])
    await w.advance(10)
    return scene(
        w,
        "staff-list",
        "/staff list: who is linked to which Roblox account",
        [_shown(shown)],
        channel="staff-chat",
        viewer="mia",
    )


@scenario
async def help(w: World) -> Json:  # noqa: A001 - the command's name
    await feed_set(w, typed_in="staff-chat")
    await w.advance(3600)
    shown = await w.slash("mia", "help", channel=w.channels["staff-chat"])
    await w.advance(10)
    return scene(
        w,
        "help",
        "/help as an admin: what the bot does, the commands, and a setup checklist of this server",
        [_shown(shown)],
        channel="staff-chat",
        viewer="mia",
    )


# The fake Discord has no DM channels, so the bot's DM fails as it does for anyone whose DMs are closed, and the bot
# falls back to mentioning them in the channel where they sent the reply: that fallback is what this scene shows.
@scenario(allow_routes=("POST /users/@me/channels",))
async def after_restart(w: World) -> Json:
    ticket_id, card = await claimed_card(w)
    await w.advance(200)
    # Series takes the reply but holds its answer; the bot is killed while it waits.
    w.series.fail_next("POST", rf"^/tickets/{ticket_id}/reply$", delay=60)
    text = "Ranked you to Trainee! Rejoin once so the new rank loads."
    await w.discord.slash(w.guild, w.channel, w.users["jordan"], "reply", {"ticket_id": ticket_id, "message": text})
    await _until(lambda: any(r.method == "POST" and r.path.endswith("/reply") for r in w.series.requests))
    await w.restart(down_for=120)
    summary = await w.discord.wait_for_message(w.channel, lambda m: "restarted" in (m.get("content") or ""), WAIT)
    await w.in_thread(int(card["id"]), lambda m: "Ranked you" in _text(m))  # the next poll mirrors the reply
    await w.advance(30)
    return scene(
        w,
        "after-restart",
        "The bot was killed while Jordan's reply was on its way; after the restart it delivers it and tells him "
        "(here in the channel, as his DMs can't be reached)",
        [w.message(card["id"]), summary],
        viewer="jordan",
    )


# --------------------------------------------------------------------------------------------- running


async def capture(only: set[str] | None) -> list[Json]:
    scenes = []
    for fn, settings, allow_routes in SCENARIOS:
        name = fn.__name__.replace("_", "-")
        if only and name not in only:
            continue
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"screenshots-{name}-") as tmp:
            async with world(Path(tmp), settings) as w:
                result = await fn(w)
                _check(w, result, allow_routes)
        scenes.append(result)
        print(f"captured {result['name']} ({len(result['messages'])} messages, {time.monotonic() - started:.1f}s)")
    return scenes


def _check(w: World, result: Json, allow_routes: tuple[str, ...] = ()) -> None:
    """A capture that hid a bot error would render a lie: stop instead."""
    log = w.bot.log()
    if "Traceback" in log:
        raise RuntimeError(f"the bot logged a traceback during {result['name']}:\n{log}")
    unknown = [r for r in w.discord.unknown_routes if f"{r.method} {r.path}" not in allow_routes]
    if unknown or w.discord.server_errors:
        routes = [f"{r.method} {r.path}" for r in unknown]
        raise RuntimeError(f"the fake Discord saw unknown routes or errors: {routes} {w.discord.server_errors}")
    for message in result["messages"]:
        if message["flags"] & FLAG_EPHEMERAL and "interaction" not in message:
            raise RuntimeError(f"{result['name']}: an ephemeral message without the interaction that made it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", help="capture only this scene (repeatable); keep the others")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    only = set(args.only) if args.only else None
    known = {fn.__name__.replace("_", "-") for fn, _, _ in SCENARIOS}
    if only and only - known:
        raise SystemExit(f"capture.py: no scene named {', '.join(sorted(only - known))} (known: {sorted(known)})")
    scenes = asyncio.run(capture(only))
    if only and args.out.exists():
        fresh = {s["name"]: s for s in scenes}
        old = json.loads(args.out.read_text(encoding="utf-8"))["scenes"]
        scenes = [fresh.pop(s["name"], s) for s in old if s["name"] in known] + list(fresh.values())
        order = [fn.__name__.replace("_", "-") for fn, _, _ in SCENARIOS]
        scenes.sort(key=lambda s: order.index(s["name"]))
    document = {"version": 1, "generated_by": "docs/screenshots/capture.py", "scenes": scenes}
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(Path.cwd()) if args.out.is_relative_to(Path.cwd()) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
