from __future__ import annotations

import pytest
import simcord

from tests.helpers import STAFF_ROBLOX_ID, World


async def test_link_whoami_list_unlink(world: World):
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox_user_id="123456789")
    assert result.ephemeral
    assert "Linked" in result.response.content and "123456789" in result.response.content

    who = await world.staff.slash(world.channel, "whoami")
    assert who.ephemeral and "`123456789`" in who.response.content

    listing = await world.admin.slash(world.channel, "staff list")
    assert listing.ephemeral
    assert f"<@{world.staff.id}> → Roblox `123456789`" in listing.response.embeds[0].description

    unlink = await world.admin.slash(world.channel, "staff unlink", member=world.staff)
    assert unlink.ephemeral and "Unlinked" in unlink.response.content and "123456789" in unlink.response.content

    again = await world.admin.slash(world.channel, "staff unlink", member=world.staff)
    assert "not linked" in again.response.content


async def test_relink_says_what_it_was(world: World):
    await world.link(world.staff, 111)
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox_user_id="222")
    assert "Relinked" in result.response.content and "(it was [111]" in result.response.content
    who = await world.staff.slash(world.channel, "whoami")
    assert "`222`" in who.response.content


async def test_profile_link_is_accepted(world: World):
    result = await world.admin.slash(
        world.channel, "staff link", member=world.staff, roblox_user_id="https://www.roblox.com/users/42/profile"
    )
    assert "Roblox user [42]" in result.response.content


@pytest.mark.parametrize("command", ["staff link", "staff unlink", "staff list"])
async def test_admin_commands_need_manage_server(world: World, command):
    options = {"member": world.staff, "roblox_user_id": "5"} if command == "staff link" else {}
    if command == "staff unlink":
        options = {"member": world.staff}
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.player_fan.slash(world.channel, command, **options)  # Discord doesn't show it to them
    await world.allow("staff", world.player_fan)  # an admin's override shows it: the bot still refuses
    result = await world.player_fan.slash(world.channel, command, **options)
    assert result.ephemeral
    assert "Manage Server" in result.response.content
    assert await world.env.bot.services.links.list(guild_id=world.guild.id) == []


async def test_whoami_unlinked(world: World):
    result = await world.player_fan.slash(world.channel, "whoami")
    assert result.ephemeral and "not linked" in result.response.content


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("0", "positive"),
        ("-5", "not a Roblox user id"),
        (str(2**53), "positive"),
        ("9" * 40, "positive"),
        ("12abc", "not a Roblox user id"),
        ("1e9", "not a Roblox user id"),
        ("١٢٣", "not a Roblox user id"),  # Arabic-Indic digits: isdigit() but not ASCII
        ("'; DROP TABLE staff_links; --", "not a Roblox user id"),
    ],
)
async def test_bad_roblox_ids_are_refused(world: World, raw, why):
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox_user_id=raw)
    assert result.ephemeral and why in result.response.content
    assert await world.env.bot.services.links.list(guild_id=world.guild.id) == []


async def test_bots_cannot_be_linked(world: World):
    robot = world.guild.add_member(world.env.create_user("otherbot", bot=True))
    result = await world.admin.slash(world.channel, "staff link", member=robot, roblox_user_id="5")
    assert result.ephemeral and "is a bot" in result.response.content
    assert await world.env.bot.services.links.list(guild_id=world.guild.id) == []


async def test_member_who_left_cannot_be_linked_but_can_be_unlinked(world: World):
    await world.link(world.staff, STAFF_ROBLOX_ID)
    # Discord sends only a user (no member data) for someone no longer in the server.
    result = await world.admin.slash(world.channel, "staff link", member=world.staff.user, roblox_user_id="5")
    assert result.ephemeral and "isn't a member of this server" in result.response.content
    unlink = await world.admin.slash(world.channel, "staff unlink", member=world.staff.user)
    assert "Unlinked" in unlink.response.content
