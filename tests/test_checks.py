"""Admin commands are hidden from members without Manage Server, and checked again when they run, since server
admins can change Discord's defaults."""

from __future__ import annotations

import pytest
import simcord

from tests.helpers import World

ADMIN_COMMANDS = [
    ("staff list", {}),
    ("staff unlink", {"member": "staff"}),
    ("staff link", {"member": "staff", "roblox": "123"}),
    ("feed set", {"channel": "channel"}),
    ("feed remove", {}),
]


@pytest.mark.parametrize(("command", "options"), ADMIN_COMMANDS, ids=[c for c, _ in ADMIN_COMMANDS])
async def test_members_without_manage_server_are_refused(world: World, command, options):
    resolved = {k: getattr(world, v) if v in ("staff", "channel") else v for k, v in options.items()}
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.staff.slash(world.channel, command, **resolved)  # Discord doesn't even show it to them
    await world.allow(command.split()[0], world.staff)  # an admin overrides the default for them
    result = await world.staff.slash(world.channel, command, **resolved)
    assert result.ephemeral and "Manage Server" in result.response.content
    assert await world.bot.services.links.list(guild_id=world.guild.id) == []
    assert await world.bot.services.feed.routes() == []
