"""With DISCORD_GUILD_ID set, the bot serves only that server (the Series key belongs to one workspace)."""

from __future__ import annotations

import discord
import pytest
import simcord

HOME = 424242424242424242


@pytest.fixture
def bot_settings() -> dict[str, str]:
    return {"DISCORD_GUILD_ID": str(HOME)}


async def test_other_servers_are_left(simcord_env: simcord.Env):
    home = simcord_env.create_guild("Home", id=HOME)
    stranger = simcord_env.create_guild("Somebody else's server")
    await simcord_env.settle()
    bot = simcord_env.bot
    assert bot.get_guild(home.id) is not None
    assert bot.get_guild(stranger.id) is None
    channel = home.create_text_channel("staff")
    admins = home.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = home.add_member(simcord_env.create_user("admin"), roles=[admins])
    await simcord_env.settle()
    result = await admin.slash(channel, "whoami")
    assert "not linked" in result.response.content
