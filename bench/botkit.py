"""Build and start the real ``TicketBot`` the way ``bot/__main__.py`` does, against the fake Series and the fake
Discord (``fakes.discord``, the end-to-end tests' wire-level fake) on 127.0.0.1, and hand it gateway events.

``seed_discord`` gives the fake Discord the benchmarks' world (a "Staff HQ" guild with #tickets and a staff
member); its ids are the fake's, so ask the returned :class:`World` for them. ``start_bot`` runs the real
``bot.login`` (``GET /users/@me``, application info) and so the real ``setup_hook``: every extension in
``bot.client.EXTENSIONS`` loads and the slash commands are synced (``PUT`` to the fake).

The bot opens no gateway connection: the benchmarks measure the bot, not a websocket, so they hand it the events
themselves, built by the fake exactly as its gateway would send them. ``add_guild`` delivers the fake's
GUILD_CREATE, ``mark_ready`` stands in for READY (it sets the event ``wait_until_ready`` waits on, which is what
lets the feed's poll loop start), and interactions come from ``FakeDiscord.prepare_slash`` (the fake then accepts
their callbacks and stamps their arrival) and go in through ``ConnectionState.parse_interaction_create``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.api import SeriesClient
from bot.app import build_services
from bot.client import TicketBot
from bot.config import Config
from bot.database import Database
from bot.ratelimit import RateLimiter

from .common import API_KEY

if TYPE_CHECKING:  # the footprint child imports this module: it must load what the bot loads, not a fake server
    from fakes.discord import FakeDiscord, RecordedRequest

__all__ = (
    "TOKEN",
    "BotRig",
    "World",
    "add_guild",
    "card_posts",
    "mark_ready",
    "new_discord",
    "point_discord_at",
    "seed_discord",
    "start_bot",
)

TOKEN = "bench.not-a-real.token"


def new_discord() -> FakeDiscord:
    """The fake Discord the benchmarks' bot logs in to (it checks the token)."""
    from fakes.discord import FakeDiscord

    return FakeDiscord(token=TOKEN)


@dataclass(frozen=True)
class World:
    """What :func:`seed_discord` put on the fake Discord."""

    guild_id: int
    channel_id: int  # #tickets
    staff_id: int  # a plain member, linked to a Roblox id by the benchmarks that need it


def seed_discord(fake: FakeDiscord) -> World:
    """One guild with a #tickets text channel and a staff member. Call it on the fake's loop (``ServerThread``)."""
    guild_id = int(fake.add_guild("Staff HQ")["id"])
    channel_id = int(fake.add_channel(guild_id, "tickets")["id"])
    staff = fake.add_user("staffer")
    fake.add_member(guild_id, staff)
    return World(guild_id=guild_id, channel_id=channel_id, staff_id=int(staff["id"]))


def card_posts(fake: FakeDiscord, channel_id: int) -> list[tuple[float, str]]:
    """``(arrival, ticket id)`` of every card the bot posted to the channel and the fake answered, oldest first;
    arrival is ``time.perf_counter()`` on the fake's loop. Call it on the fake's loop."""
    return [
        (r.at, _ticket_id(r))
        for r in fake.find_requests("POST", f"/channels/{channel_id}/messages")
        if r.status is not None and r.status < 300
    ]


def _ticket_id(request: RecordedRequest) -> str:
    """A card's ticket id: its footer (the title is the ticket's subject)."""
    embeds = request.json.get("embeds") if isinstance(request.json, dict) else None
    return ((embeds[0].get("footer") or {}).get("text") or "") if embeds else ""


@dataclass
class BotRig:
    bot: TicketBot
    api: SeriesClient
    limiter: RateLimiter
    db: Database
    session: aiohttp.ClientSession

    async def close(self) -> None:
        await self.bot.close()
        await self.db.close()
        await self.session.close()


def point_discord_at(discord_url: str) -> None:
    # discord.py builds every REST URL (including interaction callbacks and webhooks) from Route.BASE.
    discord.http.Route.BASE = f"{discord_url}/api/v10"


async def start_bot(*, series_url: str, discord_url: str, db_path: Path, poll_seconds: float = 15.0) -> BotRig:
    point_discord_at(discord_url)
    config = Config.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "SERIES_API_KEY": API_KEY,
            "SERIES_API_URL": series_url,
            "DATABASE_PATH": str(db_path),
            "FEED_POLL_SECONDS": str(poll_seconds),
            "LOG_LEVEL": "WARNING",
        }
    )
    session = aiohttp.ClientSession()
    db = await Database.open(config.database_path)
    bot = TicketBot(build_services(config, session=session, db=db))
    workspace = bot.services.workspace
    rig = BotRig(bot=bot, api=workspace.client, limiter=workspace.limiter, db=db, session=session)
    try:
        await bot.login(config.discord_token.reveal())
    except BaseException:
        await rig.close()
        raise
    return rig


def mark_ready(bot: TicketBot) -> None:
    bot._ready.set()  # what READY from the gateway does for wait_until_ready()


def add_guild(bot: TicketBot, guild_create: dict[str, Any]) -> discord.Guild:
    """Hand the bot a guild as GUILD_CREATE does (``guild_create``: ``FakeDiscord.guild_create_payload``)."""
    return bot._connection._add_guild_from_data(guild_create)  # type: ignore[arg-type]
