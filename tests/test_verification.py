"""bot/verification.py against the fake Bloxlink and RoVer: ids in every spelling, errors, limits, secrets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from bot.config import Config, Secret
from bot.ratelimit import RateLimiter
from bot.transport import ServiceUnavailable
from bot.verification import (
    Bloxlink,
    RoVer,
    VerificationError,
    VerificationProvider,
    VerificationRefused,
    VerificationUnavailable,
    configured_providers,
)
from fakes.bloxlink import FakeBloxlink
from fakes.rover import FakeRover
from tests.helpers import FakeClock

GUILD = 100000000000000001
MEMBER = 200000000000000002
ROBLOX = 987654321
BLOXLINK_KEY = "bloxlink-secret-value-1"
ROVER_KEY = "rover-secret-value-2"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def bloxlink_fake() -> AsyncIterator[FakeBloxlink]:
    fake = FakeBloxlink(api_key=BLOXLINK_KEY)
    fake.link(MEMBER, ROBLOX)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def rover_fake(clock) -> AsyncIterator[FakeRover]:
    fake = FakeRover(api_key=ROVER_KEY, clock=clock)
    fake.link(MEMBER, ROBLOX, username="staff123")
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


def make(cls, session, fake, clock, *, key: str, timeout: float = 2.0):
    return cls(
        session,
        base_url=fake.url,
        api_key=Secret(key),
        limiter=RateLimiter(60, 60.0, clock=clock, sleep=clock.sleep),
        timeout=timeout,
        clock=clock,
        sleep=clock.sleep,
    )


@pytest.fixture
def bloxlink(http_session, bloxlink_fake, clock) -> Bloxlink:
    return make(Bloxlink, http_session, bloxlink_fake, clock, key=BLOXLINK_KEY)


@pytest.fixture
def rover(http_session, rover_fake, clock) -> RoVer:
    return make(RoVer, http_session, rover_fake, clock, key=ROVER_KEY)


# -- Bloxlink --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("id_field", "as_string"), [("robloxID", True), ("robloxID", False), ("robloxId", True)])
async def test_bloxlink_every_spelling(http_session, clock, id_field, as_string):
    async with FakeBloxlink(api_key=BLOXLINK_KEY, id_field=id_field, id_as_string=as_string) as fake:
        fake.link(MEMBER, ROBLOX)
        provider = make(Bloxlink, http_session, fake, clock, key=BLOXLINK_KEY)
        assert await provider.roblox_id(GUILD, MEMBER) == ROBLOX
        assert fake.requests[0].headers["Authorization"] == BLOXLINK_KEY  # raw, no Bearer
        assert fake.requests[0].path == f"/v4/public/guilds/{GUILD}/discord-to-roblox/{MEMBER}"


async def test_bloxlink_number_id_spelled_robloxId(http_session, clock):
    async with FakeBloxlink(api_key=BLOXLINK_KEY, id_field="robloxId", id_as_string=False) as fake:
        fake.link(MEMBER, ROBLOX)
        assert await make(Bloxlink, http_session, fake, clock, key=BLOXLINK_KEY).roblox_id(GUILD, MEMBER) == ROBLOX


async def test_bloxlink_not_verified_is_none(bloxlink):
    assert await bloxlink.roblox_id(GUILD, MEMBER + 1) is None


@pytest.mark.parametrize("status", [401, 403])
async def test_bloxlink_refused_key(http_session, bloxlink_fake, clock, status, caplog):
    provider = make(Bloxlink, http_session, bloxlink_fake, clock, key="wrong-key-value")
    if status == 403:
        bloxlink_fake.fail_next("*", "", status=403, json={"error": "Forbidden for key wrong-key-value"})
    with caplog.at_level(logging.DEBUG), pytest.raises(VerificationRefused) as info:
        await provider.roblox_id(GUILD, MEMBER)
    assert info.value.status == status
    assert "BLOXLINK_API_KEY" in info.value.message
    assert "wrong-key-value" not in info.value.message + repr(info.value) + caplog.text
    assert isinstance(info.value, VerificationError) and not isinstance(info.value, ServiceUnavailable)


@pytest.mark.parametrize(
    "answer",
    [
        {"resolved": {}},  # no id field at all: a changed API, not "not verified"
        {"robloxID": "abc"},
        {"robloxID": -5},
        {"robloxID": True},
        {"robloxID": {"id": 5}},
        ["robloxID"],
    ],
)
async def test_bloxlink_unreadable_answers(bloxlink, bloxlink_fake, answer):
    bloxlink_fake.fail_next("*", "", json=answer)
    with pytest.raises(VerificationUnavailable) as info:
        await bloxlink.roblox_id(GUILD, MEMBER)
    assert info.value.message == "Bloxlink sent an answer the bot could not read."


async def test_bloxlink_null_id_is_not_verified(bloxlink, bloxlink_fake):
    bloxlink_fake.fail_next("*", "", json={"robloxID": None, "resolved": {}})
    assert await bloxlink.roblox_id(GUILD, MEMBER) is None


async def test_bloxlink_other_4xx_is_unavailable(bloxlink, bloxlink_fake):
    bloxlink_fake.fail_next("*", "", status=400)
    with pytest.raises(VerificationUnavailable) as info:
        await bloxlink.roblox_id(GUILD, MEMBER)
    assert info.value.status == 400


# -- RoVer -----------------------------------------------------------------------------------------------------


async def test_rover_flat(rover, rover_fake):
    assert await rover.roblox_id(GUILD, MEMBER) == ROBLOX
    assert rover_fake.requests[0].headers["Authorization"] == f"Bearer {ROVER_KEY}"
    assert rover_fake.requests[0].path == f"/api/guilds/{GUILD}/discord-to-roblox/{MEMBER}"


async def test_rover_nested(http_session, clock):
    async with FakeRover(api_key=ROVER_KEY, shape="nested") as fake:
        fake.link(MEMBER, ROBLOX)
        assert await make(RoVer, http_session, fake, clock, key=ROVER_KEY).roblox_id(GUILD, MEMBER) == ROBLOX


@pytest.mark.parametrize(
    "answer", [{"robloxId": "987654321"}, {"robloxID": ROBLOX}, {"roblox": {"id": "987654321", "username": "x"}}]
)
async def test_rover_other_spellings(rover, rover_fake, answer):
    rover_fake.fail_next("*", "", json=answer)
    assert await rover.roblox_id(GUILD, MEMBER) == ROBLOX


async def test_rover_not_verified(rover):
    assert await rover.roblox_id(GUILD, MEMBER + 1) is None


async def test_rover_refused_key(http_session, rover_fake, clock):
    with pytest.raises(VerificationRefused) as info:
        await make(RoVer, http_session, rover_fake, clock, key="nope-nope").roblox_id(GUILD, MEMBER)
    assert "ROVER_API_KEY" in info.value.message and info.value.status == 401


async def test_rover_no_requests_left_pauses_before_the_429(http_session, clock):
    async with FakeRover(api_key=ROVER_KEY, rate_limit=2, rate_window=10, clock=clock) as fake:
        fake.link(MEMBER, ROBLOX)
        rover = make(RoVer, http_session, fake, clock, key=ROVER_KEY, timeout=30)
        start = clock()
        for _ in range(5):
            assert await rover.roblox_id(GUILD, MEMBER) == ROBLOX
        assert fake.rate_limited == 0  # the headers said "0 left", so the client waited for the window
        assert clock() - start >= 20
        assert [r.status for r in fake.requests] == [200] * 5


async def test_rover_no_requests_left_and_no_time_to_wait(http_session, clock):
    async with FakeRover(api_key=ROVER_KEY, rate_limit=1, rate_window=60, clock=clock) as fake:
        fake.link(MEMBER, ROBLOX)
        rover = make(RoVer, http_session, fake, clock, key=ROVER_KEY)
        assert await rover.roblox_id(GUILD, MEMBER) == ROBLOX
        with pytest.raises(VerificationUnavailable) as info:
            await rover.roblox_id(GUILD, MEMBER)
        assert info.value.message == "RoVer is busy right now; try again in 60 seconds."
        assert len(fake.requests) == 1  # it didn't ask: the answer was known


# -- both: limits, faults, budget ------------------------------------------------------------------------------


@pytest.fixture(params=["bloxlink", "rover"])
def pair(request, bloxlink, bloxlink_fake, rover, rover_fake):
    return (bloxlink, bloxlink_fake) if request.param == "bloxlink" else (rover, rover_fake)


async def test_429_with_retry_after_pauses_then_succeeds(pair, clock):
    provider, fake = pair
    fake.fail_next("GET", r"/discord-to-roblox/", status=429, retry_after=1.5)
    start = clock()
    assert await provider.roblox_id(GUILD, MEMBER) == ROBLOX
    assert clock() - start >= 1.5
    assert [r.status for r in fake.requests] == [429, 200]


async def test_429_exhausting_the_retries(pair):
    provider, fake = pair
    fake.fail_next("GET", "", status=429, retry_after=0.5, times=5)
    with pytest.raises(VerificationUnavailable) as info:
        await provider.roblox_id(GUILD, MEMBER)
    assert info.value.status == 429 and provider.name in info.value.message
    assert len(fake.requests) == 3


async def test_a_404_from_a_fault_is_not_verified(pair):
    provider, fake = pair
    fake.fail_next("GET", "", status=404)
    assert await provider.roblox_id(GUILD, MEMBER) is None


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx(pair, status):
    provider, fake = pair
    fake.fail_next("GET", "", status=status, times=2)
    with pytest.raises(VerificationUnavailable) as info:
        await provider.roblox_id(GUILD, MEMBER)
    assert info.value.status == status and f"{provider.name} had a problem (HTTP {status})." == info.value.message
    fake.fail_next("GET", "", status=status)
    assert await provider.roblox_id(GUILD, MEMBER) == ROBLOX  # once: retried


async def test_timeout_within_the_budget(pair):
    provider, fake = pair
    fake.fail_next("GET", "", delay=5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(VerificationUnavailable) as info:
        await provider.roblox_id(GUILD, MEMBER, deadline=0.3)
    assert loop.time() - started < 1.0
    assert info.value.message == f"{provider.name} did not answer within 0.3 seconds."


async def test_ids_are_checked_before_any_request(pair):
    provider, fake = pair
    for guild, member in ((0, MEMBER), (GUILD, -1), (GUILD, 2**64), ("1", MEMBER)):
        with pytest.raises(ValueError):
            await provider.roblox_id(guild, member)  # type: ignore[arg-type]
    assert fake.requests == []


async def test_the_default_limiter_is_60_a_minute_and_per_provider(http_session):
    one, two = Bloxlink(http_session, api_key=Secret("k")), RoVer(http_session, api_key=Secret("k"))
    assert one.limiter is not two.limiter
    assert (one.limiter.rate, one.limiter.period) == (60, 60.0)
    assert (one.base_url, two.base_url) == ("https://api.blox.link", "https://registry.rover.link")


# -- secrets, protocol, config ---------------------------------------------------------------------------------


async def test_keys_never_in_repr_logs_or_messages(http_session, bloxlink_fake, rover_fake, clock, caplog):
    bloxlink = make(Bloxlink, http_session, bloxlink_fake, clock, key=BLOXLINK_KEY)
    rover = make(RoVer, http_session, rover_fake, clock, key=ROVER_KEY)
    texts = [repr(bloxlink), str(bloxlink), repr(rover), repr(rover._http)]
    with caplog.at_level(logging.DEBUG):
        # The servers echo the key in their error text: it must still go nowhere.
        bloxlink_fake.fail_next("*", "", status=400, json={"error": f"bad request with key {BLOXLINK_KEY}"})
        rover_fake.fail_next("*", "", status=403, json={"errorCode": "x", "message": f"key {ROVER_KEY} refused"})
        bloxlink_fake.fail_next("*", "", status=503, times=2)
        bloxlink_fake.fail_next("*", "", status=429, retry_after=0.1, times=3)
        for provider in (bloxlink, rover, bloxlink, bloxlink):
            with pytest.raises(VerificationError) as info:
                await provider.roblox_id(GUILD, MEMBER)
            texts += [str(info.value), repr(info.value), info.value.message]
    texts.append(caplog.text)
    assert "[redacted]" in caplog.text  # the echoed key was logged scrubbed
    for text in texts:
        assert BLOXLINK_KEY not in text and ROVER_KEY not in text


def test_the_key_must_be_a_secret():
    with pytest.raises(TypeError):
        Bloxlink(None, api_key="plain-string")  # type: ignore[arg-type]


def test_both_are_verification_providers():
    for provider in (Bloxlink(None, api_key=Secret("k")), RoVer(None, api_key=Secret("k"))):  # type: ignore[arg-type]
        assert isinstance(provider, VerificationProvider)
    assert (Bloxlink.name, RoVer.name) == ("Bloxlink", "RoVer")


def test_configured_providers(http_session):
    base = {"DISCORD_TOKEN": "t", "SERIES_API_KEY": "k"}
    assert configured_providers(http_session, Config.from_env(base)) == []
    cfg = Config.from_env(
        base
        | {"ROVER_API_KEY": "r", "BLOXLINK_API_KEY": "b", "ROVER_API_URL": "http://127.0.0.1:9/", "SELF_LINK": "on"}
    )
    providers = configured_providers(http_session, cfg)
    assert [p.name for p in providers] == ["Bloxlink", "RoVer"]
    assert providers[1].base_url == "http://127.0.0.1:9"
    only_rover = configured_providers(http_session, Config.from_env(base | {"ROVER_API_KEY": "r"}))
    assert [p.name for p in only_rover] == ["RoVer"]
    assert Bloxlink.from_config(http_session, Config.from_env(base)) is None
