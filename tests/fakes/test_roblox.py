"""fakes/roblox.py keeps to shared/reference/roblox-identity.md: users, usernames, headshots, faults, CLI.

Every test talks to the fake over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from fakes.roblox import MSG_INVALID_USER_ID, FakeRoblox
from fakes.series import DEFAULT_DEPARTMENTS, DEFAULT_STAFF
from tests.helpers import running_cli

USER_KEYS = {"id", "name", "displayName", "description", "created", "isBanned", "hasVerifiedBadge"}
USERNAME_KEYS = {"requestedUsername", "hasVerifiedBadge", "id", "name", "displayName"}
HEADSHOT_KEYS = {"targetId", "state", "imageUrl", "version"}


@pytest.fixture
def fake(roblox_fake: FakeRoblox) -> FakeRoblox:
    return roblox_fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def usernames(session, fake, names, **extra):
    body = {"usernames": names, "excludeBannedUsers": False} | extra
    async with session.post(f"{fake.url}/v1/usernames/users", json=body) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        return resp.status, await resp.json()


async def get(session, url, **params):
    async with session.get(url, params=params) as resp:
        return resp.status, await resp.json(), resp.headers


def test_default_users_are_the_series_staff():
    fake = FakeRoblox()
    for user_id, (name, display) in DEFAULT_STAFF.items():
        assert (fake.users[user_id].name, fake.users[user_id].display_name) == (name, display)
    members = {m for dept in DEFAULT_DEPARTMENTS.values() for m in dept["Members"]}
    assert members <= set(fake.users)
    assert 123456789 in fake.users  # the fake Series' default ticket author
    assert FakeRoblox(seed_defaults=False).users == {}


async def test_usernames_case_insensitive_previous_names_and_unknown_absent(session, fake):
    fake.rename(987654321, "staff_new")
    status, body = await usernames(session, fake, ["HELPER_AMY", "amy_helps", "nobody_here", "STAFF123", "Staff_New"])
    assert status == 200
    assert all(set(entry) == USERNAME_KEYS for entry in body["data"])
    assert [(e["requestedUsername"], e["id"], e["name"]) for e in body["data"]] == [
        ("HELPER_AMY", 111111111, "helper_amy"),
        ("amy_helps", 111111111, "helper_amy"),  # a previous username
        ("STAFF123", 987654321, "staff_new"),  # renamed: the old name still finds them
        ("Staff_New", 987654321, "staff_new"),
    ]
    assert body["data"][0]["displayName"] == "Amy" and body["data"][0]["hasVerifiedBadge"] is False
    assert fake.requests[-1].json == {
        "usernames": ["HELPER_AMY", "amy_helps", "nobody_here", "STAFF123", "Staff_New"],
        "excludeBannedUsers": False,
    }


async def test_current_name_wins_over_someone_elses_previous_name(session, fake):
    fake.add_user(1, "taken", previous_names=["shared"])
    fake.add_user(2, "shared")
    _, body = await usernames(session, fake, ["shared"])
    assert [e["id"] for e in body["data"]] == [2]


async def test_banned_users_excluded_only_when_asked(session, fake):
    fake.add_user(7, "banned_one", is_banned=True)
    assert len((await usernames(session, fake, ["banned_one"]))[1]["data"]) == 1
    assert (await usernames(session, fake, ["banned_one"], excludeBannedUsers=True))[1]["data"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [({"usernames": "x"}, 0), ({}, 0), ([], 0), ({"usernames": [1]}, 0), ({"usernames": ["a"] * 101}, 2)],
)
async def test_usernames_bad_bodies(session, fake, body, code):
    async with session.post(f"{fake.url}/v1/usernames/users", json=body) as resp:
        assert resp.status == 400
        assert (await resp.json())["errors"][0]["code"] == code


async def test_user_by_id(session, fake):
    fake.add_user(42, "newbie", "New Person", description="hi", is_banned=True, has_verified_badge=True)
    status, body, _ = await get(session, f"{fake.url}/v1/users/42")
    assert status == 200 and set(body) == USER_KEYS
    assert body == {
        "id": 42,
        "name": "newbie",
        "displayName": "New Person",
        "description": "hi",
        "created": "2016-05-12T18:04:31.000Z",
        "isBanned": True,
        "hasVerifiedBadge": True,
    }


@pytest.mark.parametrize("path", ["5", "abc", "99999999999999999999"])
async def test_unknown_user_id_is_the_documented_404(session, fake, path):
    status, body, _ = await get(session, f"{fake.url}/v1/users/{path}")
    assert status == 404
    assert body == {"errors": [{"code": 3, "message": MSG_INVALID_USER_ID}]}
    assert MSG_INVALID_USER_ID == "The user id is invalid."


async def test_headshots_state_per_user(session, fake):
    fake.users[111111111].headshot_state = "Pending"
    fake.users[555555555].headshot_state = "Blocked"
    status, body, _ = await get(
        session,
        f"{fake.url}/v1/users/avatar-headshot",
        userIds="987654321,111111111,555555555,5",
        size="150x150",
        format="Png",
        isCircular="false",
    )
    assert status == 200
    entries = {e["targetId"]: e for e in body["data"]}
    assert all(set(e) == HEADSHOT_KEYS for e in body["data"])
    assert [e["targetId"] for e in body["data"]] == [987654321, 111111111, 555555555, 5]
    assert {i: e["state"] for i, e in entries.items()} == {
        987654321: "Completed",
        111111111: "Pending",
        555555555: "Blocked",
        5: "Error",
    }
    completed = entries[987654321]["imageUrl"]
    assert completed.startswith("https://tr.rbxcdn.com/") and "/150/150/" in completed
    assert all(entries[i]["imageUrl"] is None for i in (111111111, 555555555, 5))
    assert fake.requests[-1].query == {
        "userIds": "987654321,111111111,555555555,5",
        "size": "150x150",
        "format": "Png",
        "isCircular": "false",
    }


async def test_headshot_address_changes_with_the_avatar(session, fake):
    url = f"{fake.url}/v1/users/avatar-headshot"
    first = (await get(session, url, userIds="987654321", size="150x150"))[1]["data"][0]["imageUrl"]
    assert (await get(session, url, userIds="987654321", size="150x150"))[1]["data"][0]["imageUrl"] == first
    fake.users[987654321].headshot_version += 1
    assert (await get(session, url, userIds="987654321", size="150x150"))[1]["data"][0]["imageUrl"] != first
    fake.users[987654321].headshot_url = "http://insecure.example/a.png"
    assert (await get(session, url, userIds="987654321", size="150x150"))[1]["data"][0]["imageUrl"] == (
        "http://insecure.example/a.png"
    )


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"userIds": ""}, 4),
        ({"userIds": "1,x"}, 4),
        ({"userIds": ",".join(map(str, range(1, 102))), "size": "150x150"}, 1),
        ({"userIds": "1", "size": "151x151"}, 3),
        ({"userIds": "1", "size": "150x150", "format": "Gif"}, 2),
    ],
)
async def test_headshot_bad_requests(session, fake, params, code):
    status, body, _ = await get(session, f"{fake.url}/v1/users/avatar-headshot", **params)
    assert status == 400 and body["errors"][0]["code"] == code


async def test_unknown_route_answers_in_the_roblox_error_shape(session, fake):
    status, body, _ = await get(session, f"{fake.url}/v2/nothing")
    assert status == 404 and body == {"errors": [{"code": 0, "message": "Not Found"}]}


# -- faults ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"status": 404}, 404),
        ({"status": 500}, 500),
        ({"status": 503}, 503),
        ({"status": 429, "retry_after": 2}, 429),
    ],
)
async def test_faults_per_path(session, fake, fault, status):
    fake.fail_next("GET", r"^/v1/users/\d+$", **fault)
    got, body, headers = await get(session, f"{fake.url}/v1/users/987654321")
    assert got == status and "errors" in body
    if "retry_after" in fault:
        assert headers["Retry-After"] == "2"
    # Other paths were never affected, and the fault was used up.
    assert (await usernames(session, fake, ["staff123"]))[0] == 200
    assert (await get(session, f"{fake.url}/v1/users/987654321"))[0] == 200
    assert [r.faulted for r in fake.requests] == [True, False, False]
    assert [r.status for r in fake.requests] == [status, 200, 200]


async def test_fault_times_and_custom_bodies(session, fake):
    fake.fail_next("POST", r"^/v1/usernames/users$", status=502, body="<html>bad gateway</html>", times=2)
    fake.fail_next("POST", r"^/v1/usernames/users$", json={"data": "not a list"})
    assert fake.pending_faults == 3
    for _ in range(2):
        async with session.post(f"{fake.url}/v1/usernames/users", json={"usernames": []}) as resp:
            assert resp.status == 502 and await resp.text() == "<html>bad gateway</html>"
    assert (await usernames(session, fake, []))[1] == {"data": "not a list"}
    assert fake.pending_faults == 0
    fake.fail_next("*", "", status=500)
    fake.clear_faults()
    assert (await usernames(session, fake, []))[0] == 200


async def test_a_delay_longer_than_the_client_waits_is_a_timeout(session, fake):
    fake.fail_next("GET", r"^/v1/users/", delay=5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        async with session.get(f"{fake.url}/v1/users/987654321", timeout=aiohttp.ClientTimeout(total=0.2)):
            pass
    assert loop.time() - started < 2
    await asyncio.sleep(0.05)  # the handler is cancelled when the client goes
    assert fake.requests[0].faulted and fake.requests[0].status is None
    assert (await get(session, f"{fake.url}/v1/users/987654321"))[0] == 200


async def test_a_short_delay_then_the_real_answer(session, fake):
    fake.fail_next("GET", r"^/v1/users/", delay=0.05)
    assert (await get(session, f"{fake.url}/v1/users/987654321"))[0] == 200


async def test_a_dropped_connection(session, fake):
    # A POST: aiohttp itself quietly retries an idempotent GET once on a dropped connection.
    fake.fail_next("POST", r"^/v1/usernames/users$", drop=True)
    with pytest.raises(aiohttp.ClientError):
        await usernames(session, fake, ["staff123"])
    assert fake.requests[0].faulted and fake.requests[0].status is None


def test_fail_next_refuses_faults_that_do_nothing():
    fake = FakeRoblox()
    with pytest.raises(ValueError):
        fake.fail_next("GET", "")
    with pytest.raises(ValueError):
        fake.fail_next("GET", "", status=500, times=0)
    with pytest.raises(ValueError):
        fake.fail_next("GET", "", json={}, body="x")


async def test_lifetime():
    fake = FakeRoblox()
    with pytest.raises(RuntimeError):
        _ = fake.url
    async with fake:
        assert fake.url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError):
            await fake.start()
    await fake.close()  # twice is fine


async def test_on_request_sees_every_answer(session, fake):
    seen = []
    fake.on_request = seen.append
    await get(session, f"{fake.url}/v1/users/5")
    assert [(r.method, r.path, r.status) for r in seen] == [("GET", "/v1/users/5", 404)]


# -- CLI -------------------------------------------------------------------------------------------------------


async def test_cli_prints_each_request_and_stops_on_ctrl_c(session):
    async with running_cli("fakes.roblox", "--user", "42:newbie:New Person") as cli:
        assert any("987654321 staff123" in line for line in cli.banner)
        status, body, _ = await get(session, f"{cli.url}/v1/users/42")
        assert status == 200 and body["displayName"] == "New Person"
        assert (await cli.readline()).strip() == "GET /v1/users/42 -> 200"
        await cli.stop()


async def test_cli_quiet(session):
    async with running_cli("fakes.roblox", "-q") as cli:
        assert (await get(session, f"{cli.url}/v1/users/987654321"))[0] == 200
        assert not any("/v1/users" in line for line in await cli.stop())


async def test_headshot_defaults(session, fake):
    status, body, _ = await get(session, f"{fake.url}/v1/users/avatar-headshot", userIds="987654321")
    assert status == 200 and "/48/48/" in body["data"][0]["imageUrl"] and "-Png/" in body["data"][0]["imageUrl"]
