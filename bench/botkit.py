"""Build and start the real ``TicketBot`` the way ``bot/__main__.py`` does, against the fake Series and the fake
Discord (``bench.fake_discord``) on 127.0.0.1, and hand it gateway events.

``start_bot`` runs the real ``bot.login`` (``GET /users/@me``, application info) and so the real ``setup_hook``:
every extension in ``bot.client.EXTENSIONS`` loads and the slash commands are synced (``PUT`` to the fake).
There is no gateway connection; ``mark_ready`` stands in for READY (it sets the event ``wait_until_ready``
waits on, which is what lets the feed's poll loop start).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bot.api import SeriesClient
from bot.app import build_services
from bot.client import TicketBot
from bot.config import Config
from bot.database import Database
from bot.ratelimit import RateLimiter

from .common import API_KEY
from .fake_discord import APPLICATION_ID

__all__ = ("BotRig", "GUILD_ID", "CHANNEL_ID", "STAFF_MEMBER_ID", "add_guild", "interaction_payload", "start_bot")

GUILD_ID = 1_300_000_000_000_000_100
CHANNEL_ID = 1_300_000_000_000_000_200
STAFF_MEMBER_ID = 1_300_000_000_000_000_300
TOKEN = "bench.not-a-real.token"

_ids = itertools.count(1_300_000_000_000_100_000)


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


def add_guild(bot: TicketBot) -> discord.Guild:
    """One guild with a #tickets text channel, as GUILD_CREATE would deliver it."""
    everyone = discord.Permissions.all().value
    data: dict[str, Any] = {
        "id": str(GUILD_ID),
        "name": "Staff HQ",
        "owner_id": str(STAFF_MEMBER_ID),
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": str(everyone),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": [
            {
                "id": str(CHANNEL_ID),
                "type": 0,
                "name": "tickets",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
            }
        ],
        "threads": [],
        "members": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
    }
    return bot._connection._add_guild_from_data(data)  # type: ignore[arg-type]


def interaction_payload(command: str, options: dict[str, str], *, member_id: int = STAFF_MEMBER_ID) -> dict[str, Any]:
    """An INTERACTION_CREATE for a slash command with string options, from ``member_id`` in the guild."""
    return {
        "id": str(next(_ids)),
        "application_id": str(APPLICATION_ID),
        "type": 2,
        "token": f"interaction-token-{next(_ids)}",
        "version": 1,
        "guild_id": str(GUILD_ID),
        "channel_id": str(CHANNEL_ID),
        "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "tickets", "position": 0},
        "member": {
            "user": {
                "id": str(member_id),
                "username": "staffer",
                "discriminator": "0",
                "global_name": None,
                "avatar": None,
            },
            "roles": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(discord.Permissions.none().value),
        },
        "app_permissions": str(discord.Permissions.all().value),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "data": {
            "id": str(next(_ids)),
            "name": command,
            "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()],
        },
    }
