"""The setup check (``python -m bot --check``) against the fakes: all green, then one thing broken at a time.

Discord is ``fakes.discord`` over REST, Series ``fakes.series``, Roblox, Bloxlink and RoVer their fakes; the
database is a real file. Each broken case must be flagged on its own line, with what to do, and the others stay
green: one failing check never hides the rest.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import discord
import pytest

from bot.checkup import (
    INVITE_PERMISSIONS,
    Checkup,
    DiscordRest,
    Finding,
    Mark,
    channel_permissions,
    exit_code,
    invite_url,
    render,
)
from bot.config import Config
from bot.database import Database
from bot.repositories import FeedRepo, StaffLinkRepo
from fakes.bloxlink import FakeBloxlink
from fakes.discord import FakeDiscord
from fakes.roblox import FakeRoblox
from fakes.rover import FakeRover
from fakes.series import FakeSeries
from tests.helpers import NOWHERE, settings

TOKEN = "check-discord-token"
KEY = "check-series-key"
VIEW, SEND, EMBED, HISTORY = 1 << 10, 1 << 11, 1 << 14, 1 << 16
THREADS, IN_THREADS, MENTION_ALL = 1 << 35, 1 << 38, 1 << 17


@dataclass
class Deploy:
    discord: FakeDiscord
    series: FakeSeries
    roblox: FakeRoblox
    bloxlink: FakeBloxlink
    rover: FakeRover
    guild: int
    channel: int
    ping_role: int
    db_path: Path
    env: dict[str, str]

    def config(self, **changes: str) -> Config:
        env = {**self.env, **changes}
        return settings(env.pop("SERIES_API_URL"), **env)


@pytest.fixture
async def deploy(tmp_path: Path) -> AsyncIterator[Deploy]:
    fake = FakeDiscord(token=TOKEN)
    guild = int(fake.add_guild("Staff HQ", bot_permissions=int(INVITE_PERMISSIONS.value))["id"])
    channel = int(fake.add_channel(guild, "tickets")["id"])
    ping = fake.add_role(guild, "Support")
    fake.edit_role(guild, ping, mentionable=True)
    series, roblox, bloxlink, rover = FakeSeries(api_key=KEY), FakeRoblox(), FakeBloxlink(), FakeRover()
    await fake.start()
    for service in (series, roblox, bloxlink, rover):
        await service.start()
    db_path = tmp_path / "data" / "bot.db"
    db = await Database.open(db_path)
    try:
        await FeedRepo(db).set_route(guild_id=guild, department="", channel_id=channel, ping_role_id=int(ping["id"]))
        await StaffLinkRepo(db).link(guild_id=guild, member_id=42, roblox_user_id=987654321, linked_by=1)
    finally:
        await db.close()
    env = {
        "DISCORD_TOKEN": TOKEN,
        "SERIES_API_KEY": KEY,
        "SERIES_API_URL": series.url,
        "DATABASE_PATH": str(db_path),
        "DISCORD_GUILD_ID": str(guild),
        "ROBLOX_USERS_URL": roblox.url,
        "ROBLOX_THUMBNAILS_URL": roblox.url,
        "BLOXLINK_API_KEY": bloxlink.api_key,
        "BLOXLINK_API_URL": bloxlink.url,
        "ROVER_API_KEY": rover.api_key,
        "ROVER_API_URL": rover.url,
    }
    try:
        yield Deploy(fake, series, roblox, bloxlink, rover, guild, channel, int(ping["id"]), db_path, env)
    finally:
        for service in (series, roblox, bloxlink, rover):
            await service.close()
        await fake.close()


async def run_check(deploy: Deploy, config: Config | None = None) -> list[Finding]:
    config = config or deploy.config()
    db: Database | None = None
    problem = None
    try:
        db = await Database.open(config.database_path)
    except Exception as exc:  # noqa: BLE001 - what __main__.check does with a DatabaseError
        problem = str(exc)
    try:
        async with aiohttp.ClientSession() as session:
            rest = DiscordRest(session, config.discord_token, base_url=deploy.discord.base_url + "/api/v10")
            return await Checkup.standalone(config, session=session, db=db, db_problem=problem, discord_rest=rest).run()
    finally:
        if db is not None:
            await db.close()


def by_topic(findings: list[Finding]) -> dict[str, Finding]:
    return {f.topic: f for f in findings}


def marks(findings: list[Finding]) -> dict[str, Mark]:
    return {f.topic: f.mark for f in findings}


async def test_all_green(deploy: Deploy):
    findings = await run_check(deploy)
    assert exit_code(findings) == 0, render(findings)
    assert all(f.mark is Mark.OK for f in findings), render(findings)
    found = by_topic(findings)
    assert "workspace “" in found["Series API key"].detail
    assert "2 departments: Support Department, Moderation Department" in found["Series Tickets module"].detail
    assert found["Discord server"].detail.startswith("the bot is in “Staff HQ”")
    assert found["Route All other departments -> #tickets"].detail.endswith("mentions @Support")
    assert found["Bloxlink"].detail == f"key accepted for server {deploy.guild}"
    assert "1 staff member linked" in found["Staff links"].detail
    text = render(findings)
    assert "Everything the bot needs is in place (exit code 0)." in text
    assert TOKEN not in text and KEY not in text and deploy.bloxlink.api_key not in text


Breakage = Callable[[Deploy], dict[str, str] | None]


def _bad_key(d: Deploy) -> None:
    d.series.key_valid = False


def _no_premium(d: Deploy) -> None:
    d.series.premium = False


def _module_off(d: Deploy) -> None:
    d.series.enabled = False


def _bot_kicked(d: Deploy) -> None:
    d.discord.remove_member(d.guild, d.discord.bot_user_id)


def _no_threads(d: Deploy) -> None:
    d.discord.set_overwrites(d.channel, [{"id": str(d.guild), "type": 0, "allow": "0", "deny": str(THREADS)}])


def _hidden_channel(d: Deploy) -> None:
    d.discord.set_overwrites(d.channel, [{"id": str(d.guild), "type": 0, "allow": "0", "deny": str(VIEW)}])


def _role_not_mentionable(d: Deploy) -> None:
    d.discord.edit_role(d.guild, d.ping_role, mentionable=False)


def _roblox_down(d: Deploy) -> None:
    d.roblox.fail_next("GET", r"^/v1/users/", status=503, times=10)


def _bloxlink_key_wrong(d: Deploy) -> None:
    d.bloxlink.api_key = "rotated"


def _rover_down(d: Deploy) -> None:
    d.rover.fail_next("GET", r"discord-to-roblox", status=503, times=10)


CASES: list[tuple[str, Breakage, dict[str, str], str, Mark, str]] = [
    ("series key", _bad_key, {}, "Series API key", Mark.FIX, "Series says: “API key is inactive or invalid”"),
    ("series url", lambda d: None, {"SERIES_API_URL": NOWHERE}, "Series API key", Mark.FIX, "couldn't ask Series"),
    (
        "premium",
        _no_premium,
        {},
        "Series Tickets module",
        Mark.FIX,
        "Series says: “Tickets module requires a Premium or Enterprise subscription”",
    ),
    (
        "module",
        _module_off,
        {},
        "Series Tickets module",
        Mark.FIX,
        "Series says: “Tickets module is not enabled for this workspace”",
    ),
    ("token", lambda d: None, {"DISCORD_TOKEN": "wrong"}, "Discord token", Mark.FIX, "Discord refused it (401"),
    ("not in server", _bot_kicked, {}, "Discord server", Mark.FIX, "the bot is not in server"),
    (
        "threads denied",
        _no_threads,
        {},
        "Route All other departments -> #tickets",
        Mark.FIX,
        "missing **Create Public Threads**",
    ),
    ("hidden", _hidden_channel, {}, "Route All other departments -> #tickets", Mark.FIX, "**View Channel**"),
    (
        "ping role",
        _role_not_mentionable,
        {},
        "Route All other departments -> #tickets",
        Mark.FIX,
        "can't mention @Support",
    ),
    ("roblox", _roblox_down, {}, "Roblox users API", Mark.WARN, "not reachable"),
    ("bloxlink key", _bloxlink_key_wrong, {}, "Bloxlink", Mark.FIX, "refused the API key"),
    ("rover", _rover_down, {}, "RoVer", Mark.WARN, "not reachable"),
]


@pytest.mark.parametrize(("case", "breakage", "env", "topic", "mark", "words"), CASES, ids=[c[0] for c in CASES])
async def test_one_thing_broken_at_a_time(deploy: Deploy, case, breakage, env, topic, mark, words):
    breakage(deploy)
    findings = await run_check(deploy, deploy.config(**env))
    found = by_topic(findings)
    assert topic in found, render(findings)
    assert found[topic].mark is mark and words in found[topic].detail, render(findings)
    if mark is Mark.FIX:
        assert found[topic].fix, "a problem always says what to do"
    assert exit_code(findings) == (1 if mark is Mark.FIX else 0)
    # Nothing else is reported broken, apart from what depends on the broken thing (marked skip).
    others = {t: m for t, m in marks(findings).items() if t != topic}
    assert set(others.values()) <= {Mark.OK, Mark.SKIP}, render(findings)
    if mark is Mark.FIX:
        assert "1 thing to fix (exit code 1)." in render(findings)


async def test_the_invite_link_is_given_when_the_bot_is_in_no_server(deploy: Deploy):
    deploy.discord.remove_member(deploy.guild, deploy.discord.bot_user_id)
    findings = await run_check(deploy, deploy.config(DISCORD_GUILD_ID=""))
    server = by_topic(findings)["Discord server"]
    assert server.mark is Mark.FIX and server.detail == "the bot is in no server yet"
    assert f"client_id={deploy.discord.app_id}" in server.fix
    assert "scope=bot+applications.commands" in server.fix and "permissions=309237730304" in server.fix


async def test_a_fresh_deploy_gets_next_steps_not_failures(deploy: Deploy, tmp_path: Path):
    fresh = deploy.config(DATABASE_PATH=str(tmp_path / "new" / "bot.db"))
    findings = await run_check(deploy, fresh)
    found = by_topic(findings)
    assert found["Feed routes"].mark is Mark.NEXT and "/feed set" in found["Feed routes"].fix
    assert found["Staff links"].mark is Mark.NEXT and "/staff link" in found["Staff links"].fix
    assert "/link-me" in found["Staff links"].fix
    assert exit_code(findings) == 0
    assert "2 next steps in Discord" in render(findings)


async def test_a_damaged_database_is_flagged_and_the_rest_still_checked(deploy: Deploy):
    deploy.db_path.write_bytes(b"this is not sqlite" * 100)
    findings = await run_check(deploy)
    database = next(f for f in findings if f.topic.startswith("Database"))
    assert database.mark is Mark.FIX and "damaged" in database.detail and "DATABASE_PATH" in database.fix
    found = by_topic(findings)
    assert found["Series API key"].mark is Mark.OK and found["Discord token"].mark is Mark.OK
    assert found["Feed routes"].mark is Mark.SKIP and found["Staff links"].mark is Mark.SKIP


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions that bind this user")
async def test_a_read_only_database_is_flagged(deploy: Deploy):
    deploy.db_path.chmod(stat.S_IRUSR)
    try:
        findings = await run_check(deploy)
    finally:
        deploy.db_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    database = next(f for f in findings if f.topic.startswith("Database"))
    assert database.mark is Mark.FIX and "DATABASE_PATH" in database.fix


async def test_links_in_no_department_are_a_warning(deploy: Deploy):
    db = await Database.open(deploy.db_path)
    try:
        await StaffLinkRepo(db).link(guild_id=deploy.guild, member_id=43, roblox_user_id=123456789, linked_by=1)
    finally:
        await db.close()
    links = by_topic(await run_check(deploy))["Staff links"]
    assert links.mark is Mark.WARN and "1 of them in no Series department" in links.detail


async def test_unconfigured_verification_is_skipped(deploy: Deploy):
    config = deploy.config(BLOXLINK_API_KEY="", ROVER_API_KEY="")
    found = by_topic(await run_check(deploy, config))
    assert found["Bloxlink"].mark is Mark.SKIP and "BLOXLINK_API_KEY" in found["Bloxlink"].detail
    assert found["RoVer"].mark is Mark.SKIP


# -- permissions, computed as Discord does ---------------------------------------------------------------------


def perms(overwrites=(), *, everyone=VIEW | SEND, roles=None, member_roles=(), owner=0) -> discord.Permissions:
    return channel_permissions(
        guild_id=1,
        owner_id=owner,
        role_permissions={1: everyone, **(roles or {})},
        member_id=7,
        member_roles=member_roles,
        overwrites=overwrites,
    )


def test_permissions_follow_discords_order():
    assert perms().send_messages
    # a role overwrite's allow beats the @everyone overwrite's deny
    denied = [{"id": "1", "type": 0, "allow": "0", "deny": str(SEND)}]
    assert not perms(denied).send_messages
    allowed = [*denied, {"id": "5", "type": 0, "allow": str(SEND), "deny": "0"}]
    assert perms(allowed, roles={5: 0}, member_roles=[5]).send_messages
    # the member's own overwrite comes last
    own = [*allowed, {"id": "7", "type": 1, "allow": "0", "deny": str(SEND)}]
    assert not perms(own, roles={5: 0}, member_roles=[5]).send_messages
    # no View Channel: nothing
    hidden = [{"id": "1", "type": 0, "allow": "0", "deny": str(VIEW)}]
    assert perms(hidden).value == 0
    # Administrator and the owner ignore overwrites
    assert perms(hidden, roles={5: 1 << 3}, member_roles=[5]).send_messages
    assert perms(hidden, owner=7).send_messages


def test_invite_url_has_the_scopes_and_permissions():
    url = invite_url(123, 456)
    assert url.startswith("https://discord.com/oauth2/authorize?client_id=123")
    assert "permissions=309237730304" in url and "guild_id=456" in url and "disable_guild_select=true" in url
    assert INVITE_PERMISSIONS.value == VIEW | SEND | EMBED | HISTORY | THREADS | IN_THREADS
    assert not INVITE_PERMISSIONS.value & MENTION_ALL  # mentioning roles is the admin's choice (README)
