"""fakes/rover.py keeps to shared/reference/roblox-identity.md: Bearer key, both shapes, errors, rate limits, CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from fakes.rover import MSG_NOT_VERIFIED, FakeRover
from tests.helpers import FakeClock, running_cli

KEY = "rover-test-key"
GUILD = 100000000000000001
MEMBER = 200000000000000002


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def lookup(session, url, guild=GUILD, member=MEMBER, authorization=f"Bearer {KEY}"):
    headers = {} if authorization is None else {"Authorization": authorization}
    async with session.get(f"{url}/api/guilds/{guild}/discord-to-roblox/{member}", headers=headers) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        return resp.status, await resp.json(), resp.headers


async def test_flat_shape(session):
    async with FakeRover(api_key=KEY) as fake:
        fake.link(MEMBER, 987654321, username="staff123", display_name="Staff Member")
        status, body, _ = await lookup(session, fake.url)
    assert status == 200
    assert body == {
        "robloxId": 987654321,
        "cachedUsername": "staff123",
        "discordId": str(MEMBER),
        "guildId": str(GUILD),
    }


async def test_nested_shape(session):
    async with FakeRover(api_key=KEY, shape="nested") as fake:
        fake.link(MEMBER, 987654321, username="staff123", display_name="Staff Member", guild_id=GUILD)
        status, body, _ = await lookup(session, fake.url)
        assert (await lookup(session, fake.url, guild=GUILD + 1))[0] == 404
    assert status == 200
    assert body == {
        "roblox": {"id": 987654321, "username": "staff123", "displayName": "Staff Member"},
        "discordId": str(MEMBER),
        "guildId": str(GUILD),
    }


def test_only_the_two_shapes():
    with pytest.raises(ValueError):
        FakeRover(shape="other")


async def test_not_verified(session):
    async with FakeRover(api_key=KEY) as fake:
        status, body, _ = await lookup(session, fake.url)
        fake.link(MEMBER, 5)
        fake.unlink(MEMBER)
        assert (await lookup(session, fake.url))[0] == 404
    assert (status, body) == (404, {"errorCode": "user_not_found", "message": MSG_NOT_VERIFIED})


@pytest.mark.parametrize("authorization", [None, KEY, "Bearer wrong", f"Bot {KEY}"])
async def test_bearer_key_and_only_it(session, authorization):
    async with FakeRover(api_key=KEY) as fake:
        fake.link(MEMBER, 5)
        status, body, _ = await lookup(session, fake.url, authorization=authorization)
    assert status == 401 and body["errorCode"] == "unauthorized"


async def test_rate_limit_headers_and_429(session):
    clock = FakeClock()
    async with FakeRover(api_key=KEY, rate_limit=2, rate_window=10, clock=clock) as fake:
        fake.link(MEMBER, 5)
        first = await lookup(session, fake.url)
        clock.advance(4)
        second = await lookup(session, fake.url, member=MEMBER + 1)  # a 404 counts too
        third = await lookup(session, fake.url)
        clock.advance(6)  # the window is over
        fourth = await lookup(session, fake.url)
    assert first[0] == 200 and first[2]["X-RateLimit-Limit"] == "2"
    assert (first[2]["X-RateLimit-Remaining"], first[2]["X-RateLimit-Reset-After"]) == ("1", "10.000")
    assert second[0] == 404
    assert (second[2]["X-RateLimit-Remaining"], second[2]["X-RateLimit-Reset-After"]) == ("0", "6.000")
    assert third[0] == 429 and third[1]["errorCode"] == "rate_limited"
    assert (third[2]["Retry-After"], third[2]["X-RateLimit-Remaining"]) == ("6", "0")
    assert fourth[0] == 200 and fourth[2]["X-RateLimit-Remaining"] == "1"
    assert fake.rate_limited == 1


async def test_no_rate_limit_no_headers(session):
    async with FakeRover(api_key=KEY, rate_limit=None) as fake:
        fake.link(MEMBER, 5)
        _, _, headers = await lookup(session, fake.url)
    assert "X-RateLimit-Remaining" not in headers


@pytest.mark.parametrize(
    ("fault", "status"), [({"status": 404}, 404), ({"status": 429, "retry_after": 1.5}, 429), ({"status": 500}, 500)]
)
async def test_faults(session, fault, status):
    async with FakeRover(api_key=KEY) as fake:
        fake.link(MEMBER, 5)
        fake.fail_next("GET", r"/discord-to-roblox/", **fault)
        got, body, headers = await lookup(session, fake.url)
        assert (await lookup(session, fake.url))[0] == 200
    assert got == status and set(body) == {"errorCode", "message"}
    if status == 429:
        assert headers["Retry-After"] == "1.5" and body["errorCode"] == "rate_limited"


async def test_a_delay_longer_than_the_client_waits(session):
    async with FakeRover(api_key=KEY) as fake:
        fake.fail_next("GET", r"/discord-to-roblox/", delay=5)
        with pytest.raises(TimeoutError):
            async with session.get(
                f"{fake.url}/api/guilds/{GUILD}/discord-to-roblox/{MEMBER}", timeout=aiohttp.ClientTimeout(total=0.2)
            ):
                pass


async def test_cli(session):
    async with running_cli("fakes.rover", "--api-key", "dev", "--link", f"{GUILD}:{MEMBER}=42", "--nested") as cli:
        status, body, headers = await lookup(session, cli.url, authorization="Bearer dev")
        assert status == 200 and body["roblox"]["id"] == 42
        assert headers["X-RateLimit-Limit"] == "60"
        assert (await cli.readline()).strip() == f"GET /api/guilds/{GUILD}/discord-to-roblox/{MEMBER} -> 200"
        await cli.stop()
