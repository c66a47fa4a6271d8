"""/help: the commands each person can use, and for admins a checklist of this server as it is."""

from __future__ import annotations

from tests.helpers import World


def fields(result) -> dict[str, str]:
    return {f.name: f.value for f in result.response.embeds[0].fields}


async def test_staff_see_their_commands_and_no_admin_ones(world: World):
    await world.link(world.staff)
    result = await world.staff.slash(world.channel, "help")
    assert result.ephemeral
    shown = fields(result)
    assert "`/reply`" in shown["For staff"] and "`/stats`" in shown["For staff"]
    assert "For admins" not in shown and "aren't linked" not in shown["For staff"]


async def test_unlinked_people_are_told_how_to_get_linked(world: World):
    member = fields(await world.player_fan.slash(world.channel, "help"))["For staff"]
    assert "Ask an admin, or try `/link-me`" in member
    admin = fields(await world.admin.slash(world.channel, "help"))["For staff"]
    assert "Link yourself: `/staff link member:@admin roblox:" in admin and "Ask an admin" not in admin


async def test_the_admin_checklist_follows_the_server(world: World):
    before = fields(await world.admin.slash(world.channel, "help"))
    assert "`/snippet add · edit · remove · list`" in before["For admins"]
    assert "⬜ Link your staff: `/staff link`" in before["Setup checklist"]
    assert "⬜ Choose a channel for tickets: `/feed set`" in before["Setup checklist"]
    await world.link(world.staff)
    await world.admin.slash(world.channel, "feed set", channel=world.channel)
    after = fields(await world.admin.slash(world.channel, "help"))["Setup checklist"]
    assert "✅ 1 staff linked" in after and "✅ 1 channel showing tickets" in after
    assert f"✅ <#{world.channel.id}>: I can post there" in after
