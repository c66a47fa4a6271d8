"""Linking staff: by username, profile link or id (Roblox names shown), by verified account, and ``/link-me``.

Roblox, Bloxlink and RoVer are the local fakes in ``fakes/``; Series' departments are the fake Series' config
(987654321 staff123, 111111111 helper_amy and 555555555 mod_bob are department members; 123456789 player123 is not).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import simcord

from fakes.bloxlink import FakeBloxlink
from fakes.roblox import FakeRoblox
from fakes.rover import FakeRover
from tests.helpers import STAFF_ROBLOX_ID, World

AMY = 111111111
PLAYER = 123456789  # on Roblox, in no department


@pytest.fixture
async def bloxlink() -> AsyncIterator[FakeBloxlink]:
    async with FakeBloxlink() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
async def rover() -> AsyncIterator[FakeRover]:
    async with FakeRover() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def bot_settings(bloxlink: FakeBloxlink, rover: FakeRover) -> dict[str, str]:
    return {
        "SERIES_TIMEOUT": "2",
        "BLOXLINK_API_KEY": bloxlink.api_key,
        "BLOXLINK_API_URL": bloxlink.url,
        "ROVER_API_KEY": rover.api_key,
        "ROVER_API_URL": rover.url,
    }


def buttons(message) -> list[str]:
    return [c["label"] for row in message.components for c in row["components"]]


async def links(world: World) -> dict[int, int]:
    return {
        link.member_id: link.roblox_user_id for link in await world.bot.services.links.list(guild_id=world.guild.id)
    }


async def test_link_by_username_shows_who_it_is(world: World):
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox="@Staff123")
    assert result.ephemeral
    assert result.response.content.startswith(f"✅ Linked <@{world.staff.id}>")
    [embed] = result.response.embeds
    assert "**Staff Member**" in embed.description and "@staff123" in embed.description
    assert str(STAFF_ROBLOX_ID) in embed.description
    assert embed.thumbnail.url and "150" in embed.thumbnail.url  # the headshot
    assert buttons(result.response) == ["Undo"]
    assert await links(world) == {world.staff.id: STAFF_ROBLOX_ID}


async def test_whoami_list_and_unlink_show_names(world: World):
    await world.link(world.staff)
    who = await world.staff.slash(world.channel, "whoami")
    assert who.ephemeral and "**Staff Member**" in who.response.content and "@staff123" in who.response.content

    listing = await world.admin.slash(world.channel, "staff list")
    assert listing.ephemeral
    [embed] = listing.response.embeds
    assert embed.title == "Linked staff (1)"
    assert f"<@{world.staff.id}> → **Staff Member**" in embed.description

    unlink = await world.admin.slash(world.channel, "staff unlink", member=world.staff)
    assert "Unlinked" in unlink.response.content and "Staff Member" in unlink.response.content
    again = await world.admin.slash(world.channel, "staff unlink", member=world.staff)
    assert "not linked" in again.response.content


async def test_profile_link_and_old_username_resolve(world: World):
    result = await world.admin.slash(
        world.channel,
        "staff link",
        member=world.staff,
        roblox="<https://web.roblox.com/de/users/111111111/profile?x=1>",
    )
    assert "**Amy**" in result.response.embeds[0].description
    old_name = await world.admin.slash(world.channel, "staff link", member=world.admin, roblox="amy_helps")
    assert (
        "@helper\\_amy" in old_name.response.embeds[0].description
    )  # escaped: Discord shows helper_amy  # Roblox answers a previous name too
    assert await links(world) == {world.staff.id: AMY, world.admin.id: AMY}


async def test_relink_says_what_it_replaced_and_undo_puts_it_back(world: World):
    await world.link(world.staff, AMY)
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox=str(STAFF_ROBLOX_ID))
    assert "Relinked" in result.response.content and str(AMY) in result.response.content
    undone = await world.admin.click(result.response, label="Undo")
    assert "Undone" in undone.response.content and str(AMY) in undone.response.content
    assert await links(world) == {world.staff.id: AMY}
    rows = await world.bot.services.db.fetchall("SELECT action, result FROM audit ORDER BY id")
    assert [r["action"] for r in rows][-1] == f"undo link <@{world.staff.id}>"


async def test_undo_of_a_first_link_unlinks_and_a_stale_undo_changes_nothing(world: World):
    first = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox="staff123")
    undone = await world.admin.click(first.response, label="Undo")
    assert "isn't linked any more" in undone.response.content
    assert await links(world) == {}

    second = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox="staff123")
    await world.link(world.staff, AMY)  # someone changed it since
    stale = await world.admin.click(second.response, label="Undo")
    assert stale.ephemeral and "changed since" in stale.response.content
    assert await links(world) == {world.staff.id: AMY}


async def test_same_account_again_changes_nothing_and_offers_no_undo(world: World):
    await world.link(world.staff)
    again = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox="staff123")
    assert "already linked" in again.response.content
    assert buttons(again.response) == []


async def test_when_roblox_is_down_an_id_links_and_its_name_comes_later(world: World, roblox_fake: FakeRoblox):
    roblox_fake.fail_next("GET", r"^/v1/users/", status=503, times=10)
    roblox_fake.fail_next("GET", r"avatar-headshot", status=503, times=10)
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox=str(AMY))
    assert result.response.content.startswith("✅ Linked")
    assert "name not known yet" in result.response.embeds[0].description
    assert await links(world) == {world.staff.id: AMY}

    roblox_fake.clear_faults()
    assert await world.bot.services.roblox.fill_unknown() == 1  # what the maintenance loop runs
    who = await world.staff.slash(world.channel, "whoami")
    assert "**Amy**" in who.response.content


async def test_when_roblox_is_down_a_username_is_refused_and_nothing_stored(world: World, roblox_fake: FakeRoblox):
    roblox_fake.fail_next("POST", r"^/v1/usernames/users", status=503, times=10)
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox="helper_amy")
    assert result.ephemeral
    assert "can't be reached" in result.response.content and "nothing was linked" in result.response.content
    assert "profile link or user id" in result.response.content  # what to do instead
    assert await links(world) == {}


async def test_a_username_roblox_does_not_know_is_refused(world: World):
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox="nobody_by_this_name")
    assert result.ephemeral and "Roblox has no user `nobody_by_this_name`" in result.response.content
    assert await links(world) == {}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("0", "No Roblox user has the id 0"),
        (str(2**53), "No Roblox user has the id"),
        ("9" * 40, "No Roblox user has the id"),
        ("a b", "is not a Roblox username"),
        ("١٢٣", "is not a Roblox username"),  # Arabic-Indic digits: isdigit() but not ASCII
        ("'; DROP TABLE staff_links; --", "is not a Roblox username"),
        ("https://evil.example/users/5/profile", "Only roblox.com profile links"),
        ("https://www.roblox.com/games/1/x", "doesn't point at a profile"),
    ],
)
async def test_text_that_names_no_account_is_refused(world: World, raw, why):
    result = await world.admin.slash(world.channel, "staff link", member=world.staff, roblox=raw)
    assert result.ephemeral and why in result.response.content
    assert await links(world) == {}


@pytest.mark.parametrize("command", ["staff link", "staff unlink", "staff list"])
async def test_admin_commands_need_manage_server(world: World, command):
    options = {"member": world.staff, "roblox": "5"} if command == "staff link" else {}
    if command == "staff unlink":
        options = {"member": world.staff}
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.player_fan.slash(world.channel, command, **options)  # Discord doesn't show it to them
    await world.allow("staff", world.player_fan)  # an admin's override shows it: the bot still refuses
    result = await world.player_fan.slash(world.channel, command, **options)
    assert result.ephemeral
    assert "Manage Server" in result.response.content
    assert await links(world) == {}


async def test_bots_cannot_be_linked(world: World):
    robot = world.guild.add_member(world.env.create_user("otherbot", bot=True))
    result = await world.admin.slash(world.channel, "staff link", member=robot, roblox="5")
    assert result.ephemeral and "is a bot" in result.response.content
    assert await links(world) == {}


async def test_member_who_left_cannot_be_linked_but_can_be_unlinked(world: World):
    await world.link(world.staff, STAFF_ROBLOX_ID)
    # Discord sends only a user (no member data) for someone no longer in the server.
    result = await world.admin.slash(world.channel, "staff link", member=world.staff.user, roblox="5")
    assert result.ephemeral and "isn't a member of this server" in result.response.content
    unlink = await world.admin.slash(world.channel, "staff unlink", member=world.staff.user)
    assert "Unlinked" in unlink.response.content


async def test_whoami_unlinked_says_what_to_do(world: World):
    result = await world.player_fan.slash(world.channel, "whoami")
    assert result.ephemeral and "not linked" in result.response.content and "/link-me" in result.response.content


# -- verified accounts -------------------------------------------------------------------------------------------


async def test_link_without_roblox_uses_bloxlink(world: World, bloxlink: FakeBloxlink):
    bloxlink.link(world.staff.id, AMY, guild_id=world.guild.id)
    result = await world.admin.slash(world.channel, "staff link", member=world.staff)
    assert "verified with Bloxlink" in result.response.content
    assert "**Amy**" in result.response.embeds[0].description
    assert await links(world) == {world.staff.id: AMY}


async def test_bloxlink_numeric_robloxid_and_rover_fallback(world: World, bloxlink: FakeBloxlink, rover: FakeRover):
    bloxlink.id_field, bloxlink.id_as_string = "robloxId", False
    bloxlink.link(world.staff.id, AMY)
    assert "Bloxlink" in (await world.admin.slash(world.channel, "staff link", member=world.staff)).response.content
    rover.link(world.admin.id, STAFF_ROBLOX_ID, username="staff123")  # not on Bloxlink: RoVer is asked next
    result = await world.admin.slash(world.channel, "staff link", member=world.admin)
    assert "verified with RoVer" in result.response.content
    assert await links(world) == {world.staff.id: AMY, world.admin.id: STAFF_ROBLOX_ID}


async def test_unverified_member_gets_told_how_to_verify(world: World, bloxlink: FakeBloxlink, rover: FakeRover):
    rover.fail_next("GET", r"discord-to-roblox", status=503, times=2)  # the first try and its one retry
    result = await world.admin.slash(world.channel, "staff link", member=world.staff)
    assert result.ephemeral
    text = result.response.content
    assert "Bloxlink or RoVer has no verified Roblox account" in text and "RoVer didn't answer" in text
    assert "verify with Bloxlink or RoVer first" in text
    assert await links(world) == {}


async def test_a_refused_verification_key_is_named_without_showing_it(world: World, bloxlink: FakeBloxlink):
    bloxlink.api_key = "rotated"
    result = await world.admin.slash(world.channel, "staff link", member=world.staff)
    assert "Bloxlink refused the bot's API key" in result.response.content
    assert "bloxlink-test-key" not in result.response.content


async def test_link_me_links_department_members_and_audits_it(world: World, rover: FakeRover):
    rover.link(world.staff.id, AMY, username="helper_amy")
    result = await world.staff.slash(world.channel, "link-me")
    assert result.ephemeral and "verified with RoVer" in result.response.content
    assert await links(world) == {world.staff.id: AMY}
    [row] = await world.bot.services.db.fetchall("SELECT member_id, roblox_user_id, action FROM audit")
    assert (row["member_id"], row["roblox_user_id"], row["action"]) == (world.staff.id, AMY, "link-me")


async def test_link_me_refuses_accounts_in_no_department(world: World, bloxlink: FakeBloxlink):
    bloxlink.link(world.player_fan.id, PLAYER)
    result = await world.player_fan.slash(world.channel, "link-me")
    assert result.ephemeral
    assert "isn't a member of any department on Series" in result.response.content and "Ask an admin" in (
        result.response.content
    )
    assert await links(world) == {}


async def test_link_me_for_someone_unverified(world: World):
    result = await world.player_fan.slash(world.channel, "link-me")
    assert result.ephemeral and "verify with Bloxlink or RoVer first" in result.response.content


@pytest.mark.parametrize("bot_settings", [{"SERIES_TIMEOUT": "2", "SELF_LINK": "off"}])
async def test_link_me_can_be_switched_off(world: World):
    result = await world.staff.slash(world.channel, "link-me")
    assert result.ephemeral and "switched off" in result.response.content
    who = await world.staff.slash(world.channel, "whoami")
    assert "/link-me" not in who.response.content


async def test_link_without_roblox_when_no_verification_bot_is_set_up(world: World, bloxlink, rover):
    world.bot.services.identity.providers = ()
    result = await world.admin.slash(world.channel, "staff link", member=world.staff)
    assert "No verification bot" in result.response.content and "username, profile link or id" in (
        result.response.content
    )


# -- the list flags mismatches -----------------------------------------------------------------------------------


async def test_list_flags_links_outside_departments_and_members_without_links(world: World):
    await world.link(world.staff, STAFF_ROBLOX_ID)
    await world.link(world.player_fan, PLAYER)
    listing = await world.admin.slash(world.channel, "staff list")
    [embed] = listing.response.embeds
    lines = embed.description.splitlines()
    assert any(f"<@{world.player_fan.id}>" in line and "in no department" in line for line in lines)
    assert not any(f"<@{world.staff.id}>" in line and "in no department" in line for line in lines)
    [missing] = embed.fields
    assert missing.name == "On Series, in a department, but not linked (2)"
    assert "@helper\\_amy" in missing.value and "@mod\\_bob" in missing.value and "staff123" not in missing.value
    assert "in no department" in embed.footer.text


async def test_list_with_nobody_linked_says_how_to_start(world: World):
    listing = await world.admin.slash(world.channel, "staff list")
    assert "Nobody is linked yet" in listing.response.embeds[0].description
