"""Behaviour tests of the cogs: the real bot, discord.py's real command tree and views, in SimCord.

Discord is simulated offline by SimCord; Series is the local fake server. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import discord
import pytest
import simcord
from discord import app_commands

from bot.api import SeriesClient, SeriesError
from bot.client import TicketBot
from bot.config import Config, Secret
from bot.database import Database
from bot.errors import UserFacingError
from bot.ratelimit import RateLimiter
from fakes.series import FakeSeries
from tests.conftest import running_fake

STAFF_ROBLOX_ID = 987654321  # a member of "support-dept" in the fake's config
EXPECTED_ERRORS = (UserFacingError, SeriesError, app_commands.CheckFailure, app_commands.TransformerError)


# SimCord runs the bot on a virtual clock, and parks any timer that would fire beyond the moment it is settling
# to; the limiter's timed wait (a sleep raced against a wake-up future) is not a wait SimCord recognises. So the
# cog tests run the limiter wide open and the fake without its limit: here we test Discord behaviour. The limiter
# itself is proven against the rate-limited fake in tests/test_api.py and tests/test_ratelimit.py.
UNLIMITED = 100_000


@pytest.fixture
async def fake_series() -> AsyncIterator[FakeSeries]:
    async with running_fake(api_key="test-key", rate_limit=None) as fake:
        yield fake


@pytest.fixture
def make_bot(fake_series: FakeSeries, http_session: aiohttp.ClientSession, db: Database) -> Callable[[], TicketBot]:
    """Build a bot the way ``__main__`` does, on the shared database: call it again to 'restart'."""
    config = Config.from_env(
        {"DISCORD_TOKEN": "not-a-real-token", "SERIES_API_KEY": "test-key", "SERIES_API_URL": fake_series.url}
    )

    def factory() -> TicketBot:
        api = SeriesClient(
            http_session,
            base_url=fake_series.url,
            api_key=Secret("test-key"),
            limiter=RateLimiter(UNLIMITED),
            timeout=2.0,
        )
        return TicketBot(config=config, api=api, db=db)

    return factory


def _unexpected(errors: list[BaseException]) -> list[BaseException]:
    out = []
    for error in errors:
        original = getattr(error, "original", error)
        if not isinstance(original, EXPECTED_ERRORS):
            out.append(error)
    return out


@pytest.fixture
def simcord_bot(make_bot) -> TicketBot:
    return make_bot()


@pytest.fixture
async def env(simcord_env: simcord.Env, request: pytest.FixtureRequest) -> AsyncIterator[simcord.Env]:
    # SimCord's own fixture (its plugin keeps the clock context right). Refusals (UserFacingError, Series
    # errors) reach tree.on_error, which SimCord records as "errors" although the bot answered them. Those are
    # expected; anything else fails the test.
    simcord_env.settle_timeout = 10
    yield simcord_env
    if request.node.get_closest_marker("unexpected_error") is None:
        assert not _unexpected(simcord_env.errors), simcord_env.errors


@dataclass
class World:
    env: simcord.Env
    fake: FakeSeries
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    admin: simcord.MemberActor
    staff: simcord.MemberActor
    player_fan: simcord.MemberActor  # an ordinary member with no permissions and no link

    async def link(self, member: simcord.MemberActor, roblox_id: int = STAFF_ROBLOX_ID) -> None:
        result = await self.admin.slash(self.channel, "staff link", member=member, roblox_user_id=str(roblox_id))
        assert "Linked" in result.response.content


@pytest.fixture
async def world(env: simcord.Env, fake_series: FakeSeries) -> World:
    guild = env.create_guild("Staff HQ")
    channel = guild.create_text_channel("tickets")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("admin"), roles=[admins])
    staff = guild.add_member(env.create_user("staffer"))
    fan = guild.add_member(env.create_user("someone"))
    await env.settle()
    return World(env=env, fake=fake_series, guild=guild, channel=channel, admin=admin, staff=staff, player_fan=fan)
