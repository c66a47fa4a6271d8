"""What several test modules share: the one way to build an offline bot, the fakes' lifetimes, a clock, and the
SimCord world the cog tests act in. Fixtures live in ``conftest.py`` files; they use these helpers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import discord
import simcord

from bot.app import build_services
from bot.client import EXTENSIONS, TicketBot
from bot.config import Config
from bot.database import Database
from bot.models import Ticket
from bot.ratelimit import RateLimiter
from fakes.series import FakeSeries

__all__ = (
    "Cli",
    "STAFF_ROBLOX_ID",
    "UNLIMITED",
    "FakeClock",
    "World",
    "buttons",
    "card_for",
    "cards",
    "feed",
    "make_ticket",
    "max_in_any_window",
    "offline_bot",
    "poll",
    "running_cli",
    "sent",
    "running_fake",
    "settings",
    "thread_of",
    "thread_posts",
)

REPO = Path(__file__).resolve().parents[1]
STAFF_ROBLOX_ID = 987654321  # a member of "support-dept" in the fake's config

# SimCord runs the bot on a virtual clock, and parks any timer that would fire beyond the moment it is settling
# to; the limiter's timed wait (a sleep raced against a wake-up future) is not a wait SimCord recognises. So the
# cog tests run the limiter wide open and the fake without its limit: there we test Discord behaviour. The limiter
# itself is proven against the rate-limited fake in tests/test_api.py and tests/test_ratelimit.py.
UNLIMITED = 100_000


NOWHERE = "http://127.0.0.1:9"  # a closed local port: what a test doesn't fake is refused, never the network


def settings(series_url: str = NOWHERE, **extra: str) -> Config:
    """Settings as a deployer would give them, for a bot pointed at ``series_url`` (and nothing outside 127.0.0.1)."""
    return Config.from_env(
        {
            "DISCORD_TOKEN": "not-a-real-token",
            "SERIES_API_KEY": "test-key",
            "SERIES_API_URL": series_url,
            "ROBLOX_USERS_URL": NOWHERE,
            "ROBLOX_THUMBNAILS_URL": NOWHERE,
            **extra,
        }
    )


def offline_bot(
    config: Config,
    *,
    session: aiohttp.ClientSession,
    db: Database,
    limiter: RateLimiter | None = None,
    extensions: tuple[str, ...] = EXTENSIONS,
) -> TicketBot:
    """The bot exactly as ``python -m bot`` builds it (``bot.app.build_services``), never logged in."""
    services = build_services(
        config, session=session, db=db, limiter=limiter, roblox_limiter=RateLimiter(UNLIMITED) if limiter else None
    )
    return TicketBot(services, extensions=extensions)


@contextlib.asynccontextmanager
async def running_fake(**options: Any) -> AsyncIterator[FakeSeries]:
    """A fake Series listening on 127.0.0.1, always closed."""
    fake = FakeSeries(**options)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


class FakeClock:
    """A controllable clock: ``sleep`` moves time forward instead of waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def max_in_any_window(times: list[float], period: float) -> int:
    """The most events in any half-open window [t, t + period)."""
    times = sorted(times)
    best = 0
    j = 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + period:
            j += 1
        best = max(best, j - i)
    return best


def make_ticket(**overrides: Any) -> Ticket:
    """A ticket as Series' get endpoint gives it (two player messages out of key order, one system message)."""
    data = {
        "TicketId": "TICKET-1234567890-ABCD",
        "_id": "0123456789abcdef01234567",
        "Subject": "Help with ranking",
        "Category": "support",
        "Department": "support-dept",
        "Status": "open",
        "Priority": "high",
        "Author": {"UserId": 1, "Username": "p", "DisplayName": "P", "AvatarUrl": "https://a/b.png"},
        "Content": {
            "msj_2_b": {
                "Content": "second",
                "Author": 1,
                "Type": "author_message",
                "Timestamp": "2025-01-15T10:31:00.000Z",
            },
            "msj_1_a": {
                "Content": "first",
                "Author": 1,
                "Type": "author_message",
                "Timestamp": "2025-01-15T10:30:00.000Z",
            },
            "msj_3_c": {
                "Content": "claimed",
                "Author": 9,
                "Type": "system_message",
                "Timestamp": "2025-01-15T10:32:00.000Z",
            },
        },
        "ClaimedBy": None,
        "GameReport": False,
        "CreatedAt": "2025-01-15T10:30:00.000Z",
        "UpdatedAt": "2025-01-15T10:32:00.000Z",
    }
    data.update(overrides)
    return Ticket.from_api(data)


@dataclass
class World:
    """A staff server in SimCord, with the fake Series behind the bot."""

    env: simcord.Env
    fake: FakeSeries
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    admin: simcord.MemberActor
    staff: simcord.MemberActor
    player_fan: simcord.MemberActor  # an ordinary member with no permissions and no link

    @property
    def bot(self) -> TicketBot:
        return self.env.bot  # type: ignore[return-value]

    async def link(self, member: simcord.MemberActor, roblox_id: int = STAFF_ROBLOX_ID) -> None:
        result = await self.admin.slash(self.channel, "staff link", member=member, roblox=str(roblox_id))
        assert "inked" in result.response.content  # Linked, or Relinked

    async def accepted_reply(
        self, ticket_id: str, content: str, *, roblox_id: int = STAFF_ROBLOX_ID, in_channel: bool = True
    ) -> int:
        """A reply of the staff member's, saved in the outbox as if the bot stopped before sending it."""
        return await self.bot.services.replies.add(
            guild_id=self.guild.id,
            channel_id=self.channel.id if in_channel else None,
            member_id=self.staff.id,
            roblox_user_id=roblox_id,
            ticket_id=ticket_id,
            content=content,
        )

    async def allow(self, command: str, member: simcord.MemberActor) -> None:
        """A server admin lets ``member`` see ``command`` despite its default permissions (Server Settings →
        Integrations); the bot's own check must still refuse them."""
        [app_command] = [c for c in await self.bot.tree.fetch_commands() if c.name == command]
        self.guild.set_command_permissions(app_command, {member: True})
        await self.env.settle()

    async def poll(self) -> None:
        """Let one feed poll happen."""
        await self.env.advance_time(self.bot.services.settings.feed_poll_seconds)


def cards(channel: simcord.ChannelHandle) -> list[discord.Message]:
    """The ticket cards in a channel, oldest first (a card's footer is its ticket's id)."""
    return [
        m
        for m in channel.history()
        if m.type is discord.MessageType.default and m.embeds and (m.embeds[0].footer.text or "").startswith("TICKET-")
    ]


def card_for(channel: simcord.ChannelHandle, ticket_id: str) -> list[discord.Message]:
    return [m for m in channel.history() if m.embeds and m.embeds[0].footer.text == ticket_id]


def thread_posts(thread: simcord.ChannelHandle) -> list[discord.Message]:
    """The conversation in a card's thread: messages with an embed (events are one-line messages without)."""
    return [m for m in thread.history() if m.embeds]


def sent(text: str) -> bool:
    """Whether an answer is the bot's confirmation that a reply is on Series ("✅ **Sent** to …",
    "✅ Claimed … and **sent** your reply to …")."""
    return text.startswith("✅ ") and ("**Sent** to" in text or "and **sent** your reply to" in text)


def buttons(message: Any) -> list[str]:
    """The labels of a message's buttons, in order (a discord.Message or SimCord's response)."""
    rows = message.components
    if rows and isinstance(rows[0], dict):
        return [c["label"] for row in rows for c in row["components"]]
    return [c.label for row in rows for c in row.children]


def thread_of(world: World, message: discord.Message) -> simcord.ChannelHandle:
    [thread] = [t for t in world.channel.threads if t.id == message.id]
    return thread


async def ticket_with_thread(
    world: World, message: str = "hello"
) -> tuple[str, discord.Message, simcord.ChannelHandle]:
    """A new ticket with one player message after the first, polled: ``(its id, its card, the card's thread)``."""
    ticket_id = world.fake.create_ticket()["TicketId"]
    world.fake.author_message(ticket_id, message)
    await world.poll()
    [card] = card_for(world.channel, ticket_id)
    return ticket_id, card, thread_of(world, card)


def feed(world: World) -> Any:
    """The Feed cog."""
    return world.bot.get_cog("Feed")


async def poll(world: World) -> None:
    await world.poll()


@dataclass
class Cli:
    process: asyncio.subprocess.Process
    url: str
    banner: list[str] = field(default_factory=list)

    async def readline(self) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(10):
            return (await self.process.stdout.readline()).decode()

    async def stop(self) -> list[str]:
        """Ctrl+C; the exit code must be 0. Returns what it printed after the banner."""
        self.process.send_signal(signal.SIGINT)
        assert self.process.stdout is not None
        async with asyncio.timeout(20):
            rest = (await self.process.stdout.read()).decode()
            assert await self.process.wait() == 0
        return rest.splitlines()


@contextlib.asynccontextmanager
async def running_cli(module: str, *args: str) -> AsyncIterator[Cli]:
    """Run a fake's CLI, ``python -m module --port 0 *args``: yielded once it prints its address; always stopped."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "--port",
        "0",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdout is not None
    try:
        banner: list[str] = []
        url = None
        async with asyncio.timeout(20):
            while url is None:
                line = (await process.stdout.readline()).decode()
                assert line, f"the CLI exited early: {''.join(banner)}"
                banner.append(line)
                if match := re.search(r"(http://127\.0\.0\.1:\d+)", line):
                    url = match.group(1)
            while not banner[-1].startswith("Press Ctrl+C"):
                line = (await process.stdout.readline()).decode()
                assert line, f"the CLI exited early: {''.join(banner)}"
                banner.append(line)
        yield Cli(process, url, banner)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
