"""Fixtures every test module may use: a real database, the fake Series, an HTTP session, and the bot in SimCord.

SimCord simulates Discord offline and runs the real bot, discord.py's real command tree and views; Series is the
local fake server. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import discord
import pytest
import simcord
from discord import app_commands

from bot.api import SeriesError
from bot.client import TicketBot
from bot.database import Database
from bot.errors import UserFacingError
from bot.ratelimit import RateLimiter
from fakes.roblox import FakeRoblox
from fakes.series import FakeSeries
from tests.helpers import UNLIMITED, World, offline_bot, running_fake, settings


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    """A real file database (WAL, migrations), always closed: an open aiosqlite connection hangs pytest."""
    database = await Database.open(tmp_path / "data" / "bot.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def fake_series() -> AsyncIterator[FakeSeries]:
    """The fake Series with its documented limit of 25 requests per sliding second."""
    async with running_fake(api_key="test-key") as fake:
        yield fake


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


EXPECTED_ERRORS = (UserFacingError, SeriesError, app_commands.CheckFailure, app_commands.TransformerError)


@pytest.fixture
async def open_series() -> AsyncIterator[FakeSeries]:
    """The fake Series without its rate limit, for the SimCord tests (see ``tests.helpers.UNLIMITED``)."""
    async with running_fake(api_key="test-key", rate_limit=None) as fake:
        yield fake


@pytest.fixture
async def roblox_fake() -> AsyncIterator[FakeRoblox]:
    """Roblox's users and thumbnails APIs (fakes/roblox.py), so names resolve as they would for real."""
    fake = FakeRoblox()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
def bot_settings() -> dict[str, str]:
    """Extra settings for the bot under test; a test module overrides this fixture to change them."""
    return {"SERIES_TIMEOUT": "2"}


@pytest.fixture
def make_bot(
    open_series: FakeSeries,
    roblox_fake: FakeRoblox,
    http_session: aiohttp.ClientSession,
    db: Database,
    bot_settings: dict[str, str],
) -> Callable[[], TicketBot]:
    """Build a bot the way ``__main__`` does, on the shared database: call it again to 'restart'."""
    roblox = {"ROBLOX_USERS_URL": roblox_fake.url, "ROBLOX_THUMBNAILS_URL": roblox_fake.url}
    config = settings(open_series.url, **roblox, **bot_settings)
    return lambda: offline_bot(config, session=http_session, db=db, limiter=RateLimiter(UNLIMITED))


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


@pytest.fixture
async def world(env: simcord.Env, open_series: FakeSeries) -> World:
    guild = env.create_guild("Staff HQ")
    channel = guild.create_text_channel("tickets")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("admin"), roles=[admins])
    staff = guild.add_member(env.create_user("staffer"))
    fan = guild.add_member(env.create_user("someone"))
    await env.settle()
    return World(env=env, fake=open_series, guild=guild, channel=channel, admin=admin, staff=staff, player_fan=fan)


@pytest.fixture
async def routed(world: World) -> World:
    """The world with a default route: every department's tickets go to #tickets."""
    result = await world.admin.slash(world.channel, "feed set", channel=world.channel)
    assert "now appear in" in result.response.content
    return world
