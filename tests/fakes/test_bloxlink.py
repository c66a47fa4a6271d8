"""fakes/bloxlink.py keeps to shared/reference/roblox-identity.md: the v4 lookup, raw key, errors, faults, CLI."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import aiohttp
import pytest

from fakes.bloxlink import MSG_INVALID_KEY, MSG_NOT_VERIFIED, FakeBloxlink, link_argument
from tests.helpers import running_cli

KEY = "bloxlink-test-key"
GUILD = 100000000000000001
MEMBER = 200000000000000002


@pytest.fixture
async def fake() -> AsyncIterator[FakeBloxlink]:
    bloxlink = FakeBloxlink(api_key=KEY)
    await bloxlink.start()
    try:
        yield bloxlink
    finally:
        await bloxlink.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def lookup(session, url, guild=GUILD, member=MEMBER, authorization=KEY):
    headers = {} if authorization is None else {"Authorization": authorization}
    async with session.get(f"{url}/v4/public/guilds/{guild}/discord-to-roblox/{member}", headers=headers) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        return resp.status, await resp.json(), resp.headers


@pytest.mark.parametrize(
    ("id_field", "as_string", "value"),
    [("robloxID", True, "987654321"), ("robloxID", False, 987654321), ("robloxId", True, "987654321")]
    + [("robloxId", False, 987654321)],
)
async def test_verified_member_in_every_spelling(session, id_field, as_string, value):
    async with FakeBloxlink(api_key=KEY, id_field=id_field, id_as_string=as_string) as fake:
        fake.link(MEMBER, 987654321)
        status, body, _ = await lookup(session, fake.url)
    assert status == 200
    assert body == {id_field: value, "resolved": {}}


def test_only_the_two_spellings():
    with pytest.raises(ValueError):
        FakeBloxlink(id_field="roblox_id")


async def test_not_verified_is_404_with_an_error(session, fake):
    status, body, _ = await lookup(session, fake.url)
    assert (status, body) == (404, {"error": MSG_NOT_VERIFIED})


async def test_links_per_guild_or_everywhere(session, fake):
    fake.link(MEMBER, 1, guild_id=GUILD)
    fake.link(MEMBER + 1, 2)  # every guild
    assert (await lookup(session, fake.url))[1]["robloxID"] == "1"
    assert (await lookup(session, fake.url, guild=GUILD + 1))[0] == 404
    assert (await lookup(session, fake.url, guild=GUILD + 1, member=MEMBER + 1))[1]["robloxID"] == "2"
    fake.unlink(MEMBER + 1)
    assert (await lookup(session, fake.url, member=MEMBER + 1))[0] == 404


@pytest.mark.parametrize("authorization", [None, "wrong", f"Bearer {KEY}", f" {KEY}x"])
async def test_the_raw_key_and_only_it(session, fake, authorization):
    fake.link(MEMBER, 1)
    status, body, _ = await lookup(session, fake.url, authorization=authorization)
    assert (status, body) == (401, {"error": MSG_INVALID_KEY})


async def test_bad_ids_and_unknown_routes(session, fake):
    assert (await lookup(session, fake.url, member="abc"))[0] == 400
    async with session.get(
        f"{fake.url}/v4/public/guilds/{GUILD}/roblox-to-discord/1", headers={"Authorization": KEY}
    ) as r:
        assert r.status == 404 and "error" in await r.json()  # reverse lookups are not modelled


@pytest.mark.parametrize(
    ("fault", "status"), [({"status": 404}, 404), ({"status": 429, "retry_after": 3}, 429), ({"status": 503}, 503)]
)
async def test_faults(session, fake, fault, status):
    fake.link(MEMBER, 1)
    fake.fail_next("GET", r"/discord-to-roblox/", **fault)
    got, body, headers = await lookup(session, fake.url)
    assert got == status and set(body) == {"error"}
    if status == 429:
        assert headers["Retry-After"] == "3"
    assert (await lookup(session, fake.url))[0] == 200
    assert [r.status for r in fake.requests] == [status, 200]
    assert fake.requests[0].headers["Authorization"] == KEY


async def test_a_delay_longer_than_the_client_waits(session, fake):
    fake.fail_next("GET", r"/discord-to-roblox/", delay=5)
    with pytest.raises(TimeoutError):
        async with session.get(
            f"{fake.url}/v4/public/guilds/{GUILD}/discord-to-roblox/{MEMBER}", timeout=aiohttp.ClientTimeout(total=0.2)
        ):
            pass


def test_link_argument():
    assert link_argument("5=6") == (None, 5, 6)
    assert link_argument("4:5=6") == (4, 5, 6)
    for bad in ("5", "x=6", "4:x=6", "y:5=6", "5=z"):
        with pytest.raises(argparse.ArgumentTypeError):
            link_argument(bad)


async def test_cli(session):
    async with running_cli("fakes.bloxlink", "--api-key", "dev", "--link", f"{MEMBER}=42", "--numeric-ids") as cli:
        assert any("dev" in line for line in cli.banner)
        status, body, _ = await lookup(session, cli.url, guild=5, authorization="dev")
        assert (status, body) == (200, {"robloxID": 42, "resolved": {}})
        line = await cli.readline()
        assert line.strip() == f"GET /v4/public/guilds/5/discord-to-roblox/{MEMBER} -> 200"
        assert "dev" not in line  # the key is never printed per request
        await cli.stop()
