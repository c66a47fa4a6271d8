"""bot/roblox.py: reading what people type, the client against the fake Roblox, and the name cache.

The limiter, the client's retry decisions and the directory's idea of "now" all run on fake clocks, so nothing
here waits on the wall clock except the timeout tests, which wait a fraction of a second by design.
"""

from __future__ import annotations

import asyncio
import string
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Config
from bot.ratelimit import BACKGROUND, INTERACTIVE, RateLimiter
from bot.repositories import RobloxUserRepo, StaffLinkRepo
from bot.roblox import (
    DEFAULT_DEADLINE,
    DEFAULT_RATE,
    RobloxClient,
    RobloxDirectory,
    RobloxUnavailable,
    RobloxUser,
    RobloxUserNotFound,
    UserQuery,
    parse_user_query,
)
from bot.transport import ServiceUnavailable
from bot.validation import MAX_ROBLOX_ID
from fakes.roblox import FakeRoblox
from tests.helpers import FakeClock

STAFF = 987654321
AMY = 111111111


@pytest.fixture
def fake(roblox_fake: FakeRoblox) -> FakeRoblox:
    return roblox_fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(session, fake, clock, *, timeout: float = DEFAULT_DEADLINE, rate: int = DEFAULT_RATE):
    return RobloxClient(
        session,
        users_url=fake.url,
        thumbnails_url=fake.url + "/",
        limiter=RateLimiter(rate, clock=clock, sleep=clock.sleep),
        timeout=timeout,
        clock=clock,
        sleep=clock.sleep,
    )


@pytest.fixture
def client(http_session, fake, clock) -> RobloxClient:
    return make_client(http_session, fake, clock)


# -- what people type ------------------------------------------------------------------------------------------

LINKS = [
    ("https://www.roblox.com/users/987654321/profile", 987654321),
    ("http://www.roblox.com/users/987654321/profile", 987654321),
    ("https://roblox.com/users/987654321/profile", 987654321),
    ("www.roblox.com/users/987654321/profile", 987654321),
    ("roblox.com/users/987654321/profile", 987654321),
    ("https://web.roblox.com/users/987654321/profile", 987654321),
    ("https://m.roblox.com/users/987654321/profile", 987654321),
    ("https://www.roblox.com/de/users/987654321/profile", 987654321),
    ("https://www.roblox.com/pt-br/users/987654321/profile", 987654321),
    ("https://www.roblox.com/users/987654321/profile?friendshipSourceType=PlayerSearch", 987654321),
    ("https://www.roblox.com/users/987654321/profile/?a=1&b=2#!/about", 987654321),
    ("https://www.roblox.com/users/987654321", 987654321),
    ("https://www.roblox.com/users/987654321/", 987654321),
    ("https://www.roblox.com/users/987654321/friends", 987654321),
    ("HTTPS://WWW.ROBLOX.COM/USERS/987654321/PROFILE", 987654321),
    ("<https://www.roblox.com/users/987654321/profile>", 987654321),
    ("  https://www.roblox.com/users/987654321/profile\n", 987654321),
    ("here: https://www.roblox.com/users/987654321/profile thanks", 987654321),
    ("https://www.roblox.com/User.aspx?ID=987654321", 987654321),
    ("https://www.roblox.com/users/profile?userId=987654321", 987654321),
    ("https://www.roblox.com:443/users/987654321/profile", 987654321),
    ("https://www.roblox.com/users/1/profile", 1),
]


@pytest.mark.parametrize(("text", "user_id"), LINKS)
def test_profile_links(text, user_id):
    assert parse_user_query(text) == UserQuery(user_id=user_id)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("987654321", UserQuery(user_id=987654321)),
        (" 42 ", UserQuery(user_id=42)),
        ("staff123", UserQuery(username="staff123")),
        ("@helper_amy", UserQuery(username="helper_amy")),
        ("Abc", UserQuery(username="Abc")),
        ("a_very_long_name_20c", UserQuery(username="a_very_long_name_20c")),
        ("https://www.roblox.com/users/profile?username=helper_amy", UserQuery(username="helper_amy")),
    ],
)
def test_ids_and_usernames(text, query):
    assert parse_user_query(text) == query


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not a Roblox username"),
        ("ab", "not a Roblox username"),
        ("name with spaces", "not a Roblox username"),
        ("twenty_one_characters", "not a Roblox username"),
        ("x`y", "not a Roblox username"),
        ("0", "No Roblox user has the id 0"),
        (str(MAX_ROBLOX_ID + 1), "No Roblox user has the id"),
        ("https://www.roblox.com/users/0/profile", "No Roblox user has the id 0"),
        ("https://www.roblox.com/games/1818/Classic", "doesn't point at a profile"),
        ("https://www.roblox.com/share?code=abc&type=Profile", "doesn't point at a profile"),
        ("roblox.com", "doesn't point at a profile"),
        ("https://notroblox.com/users/1/profile", "Only roblox.com profile links"),
        ("https://roblox.com.evil.example/users/1/profile", "Only roblox.com profile links"),
        ("https://example.com/users/1/profile", "Only roblox.com profile links"),
        ("www.example.com", "Only roblox.com profile links"),
        ("https://www.roblox.com/users/1/profile?" + "a" * 600, "too long"),
    ],
)
def test_text_that_names_nobody(text, says):
    with pytest.raises(RobloxUserNotFound) as info:
        parse_user_query(text)
    assert says in info.value.message


@st.composite
def profile_links(draw) -> tuple[int, str]:
    """Any variant people paste: scheme, subdomain, case, language path, tail, query, fragment, wrapping."""
    user_id = draw(st.integers(1, MAX_ROBLOX_ID))
    scheme = draw(st.sampled_from(["", "http://", "https://", "HTTPS://"]))
    host = draw(st.sampled_from(["", "www.", "web.", "m.", "WWW."])) + draw(
        st.sampled_from(["roblox.com", "Roblox.com", "ROBLOX.COM"])
    )
    language = draw(st.one_of(st.just(""), st.from_regex(r"/[a-z]{2}(-[a-z]{2})?", fullmatch=True)))
    users = draw(st.sampled_from(["users", "Users", "USERS"]))
    tail = draw(st.sampled_from(["", "/", "/profile", "/profile/", "/Profile", "/friends"]))
    words = st.text(alphabet=string.ascii_letters + string.digits + "-_.", max_size=12)
    query = draw(
        st.one_of(
            st.just(""),
            st.dictionaries(st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True), words, max_size=3).map(
                lambda d: "?" + urlencode(d)
            ),
        )
    )
    fragment = draw(st.sampled_from(["", "#", "#!/about", "#creations"]))
    wrap = draw(st.sampled_from(["{}", " {} ", "<{}>", "\n{}\t", "see {} please"]))
    return user_id, wrap.format(f"{scheme}{host}{language}/{users}/{user_id}{tail}{query}{fragment}")


@given(profile_links())
def test_any_profile_link_variant_yields_its_id(case):
    user_id, text = case
    assert parse_user_query(text) == UserQuery(user_id=user_id)


@given(st.from_regex(r"@?[A-Za-z0-9_]{3,20}", fullmatch=True).filter(lambda s: not s.lstrip("@").isdigit()))
def test_any_username_is_a_username(text):
    assert parse_user_query(text) == UserQuery(username=text.lstrip("@"))


def test_label():
    assert RobloxUser(1, "staff123", "Staff Member").label == "Staff Member (@staff123)"
    assert RobloxUser(1, "same", "same").label == "@same"
    assert RobloxUser(1, "x", "y").profile_url == "https://www.roblox.com/users/1/profile"


# -- the client --------------------------------------------------------------------------------------------------


async def test_resolve_a_username_a_link_and_an_id(client, fake):
    assert await client.resolve("STAFF123") == RobloxUser(STAFF, "staff123", "Staff Member")
    assert await client.resolve("amy_helps") == RobloxUser(AMY, "helper_amy", "Amy")  # a previous username
    assert await client.resolve("https://www.roblox.com/de/users/111111111/profile?x=1") == RobloxUser(
        AMY, "helper_amy", "Amy"
    )
    assert await client.resolve("555555555") == RobloxUser(555555555, "mod_bob", "Bob the Moderator")
    assert [(r.method, r.path) for r in fake.requests] == [
        ("POST", "/v1/usernames/users"),
        ("POST", "/v1/usernames/users"),
        ("GET", "/v1/users/111111111"),
        ("GET", "/v1/users/555555555"),
    ]
    assert fake.requests[0].json == {"usernames": ["STAFF123"], "excludeBannedUsers": False}


async def test_unknown_username_and_id(client, fake):
    with pytest.raises(RobloxUserNotFound) as info:
        await client.resolve("nobody_here")
    assert info.value.message == "No Roblox user is called `nobody_here`." and info.value.query == "nobody_here"
    with pytest.raises(RobloxUserNotFound) as info:
        await client.user(5)
    assert info.value.message == "No Roblox user has the id 5."


async def test_text_that_names_nobody_never_reaches_roblox(client, fake):
    for text in ("not a name!", "https://example.com/users/1", "0"):
        with pytest.raises(RobloxUserNotFound):
            await client.resolve(text)
    with pytest.raises(RobloxUserNotFound):
        await client.user(0)
    assert fake.requests == []


async def test_display_name_missing_falls_back_to_the_name(client, fake):
    fake.fail_next("GET", r"^/v1/users/", json={"id": 7, "name": "seven"})
    assert await client.user(7) == RobloxUser(7, "seven", "seven")


@pytest.mark.parametrize(
    "fault",
    [
        {"json": {"id": "7", "name": "seven"}},
        {"json": {"id": 7}},
        {"json": []},
        {"body": "<html>maintenance</html>", "content_type": "text/html"},
    ],
)
async def test_unreadable_answers_are_unavailable(client, fake, fault):
    fake.fail_next("GET", r"^/v1/users/", **fault)
    with pytest.raises(RobloxUnavailable) as info:
        await client.user(7)
    assert "could not read" in info.value.message


async def test_unreadable_usernames_answer(client, fake):
    fake.fail_next("POST", r"^/v1/usernames/users$", json={"data": "nope"})
    with pytest.raises(RobloxUnavailable):
        await client.resolve("staff123")


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refusal_is_unavailable_not_a_crash(client, fake, status):
    # The 2026 plan removes unauthenticated access: a 401/403 is Roblox being unavailable to us.
    fake.fail_next("*", "", status=status)
    with pytest.raises(RobloxUnavailable) as info:
        await client.resolve("staff123")
    assert info.value.status == status and f"HTTP {status}" in info.value.message


async def test_429_pauses_the_limiter_then_succeeds(client, fake, clock):
    fake.fail_next("GET", r"^/v1/users/", status=429, retry_after=1)
    start = clock()
    assert (await client.user(STAFF)).name == "staff123"
    assert clock() - start >= 1.0
    assert [r.status for r in fake.requests] == [429, 200]
    assert 1.0 in [round(s, 2) for s in clock.sleeps]


async def test_a_429_pauses_other_callers_too(client, fake, clock):
    fake.fail_next("GET", r"^/v1/users/", status=429, retry_after=1.5)
    with pytest.raises(RobloxUnavailable):
        await client.user(STAFF, deadline=1.0)  # the pause does not fit in this call's budget: it gives up
    assert len(fake.requests) == 1
    start = clock()
    assert (await client.resolve("staff123")).id == STAFF  # the next caller waits out the pause
    assert clock() - start >= 1.5


async def test_429_retries_are_bounded(client, fake):
    fake.fail_next("*", "", status=429, retry_after=0.2, times=10)
    with pytest.raises(RobloxUnavailable) as info:
        await client.user(STAFF)
    assert info.value.status == 429 and info.value.retry_after == pytest.approx(0.2)
    assert "too many requests" in info.value.message
    assert len(fake.requests) == 3  # the first try and two retries


async def test_a_long_retry_after_gives_up_at_once_and_holds_later_calls_back(client, fake, clock):
    fake.fail_next("*", "", status=429, retry_after=30)
    start = clock()
    with pytest.raises(RobloxUnavailable) as info:
        await client.user(STAFF)
    assert "try again in 30 seconds" in info.value.message
    with pytest.raises(RobloxUnavailable) as info:  # still paused: fails without asking Roblox
        await client.user(STAFF)
    assert info.value.message == "Roblox is busy right now; try again in 30 seconds."
    assert len(fake.requests) == 1
    assert clock() - start < 0.5  # nothing waited
    clock.advance(30)
    assert (await client.user(STAFF)).id == STAFF


async def test_429_without_retry_after_waits_a_second(client, fake, clock):
    fake.fail_next("*", "", status=429)
    start = clock()
    await client.user(STAFF)
    assert clock() - start >= 1.0


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_5xx_is_retried_once(client, fake, status):
    fake.fail_next("*", "", status=status)
    assert (await client.user(STAFF)).id == STAFF
    fake.fail_next("*", "", status=status, times=2)
    with pytest.raises(RobloxUnavailable) as info:
        await client.user(STAFF)
    assert info.value.status == status and f"HTTP {status}" in info.value.message
    assert len(fake.requests) == 4


async def test_a_timeout_gives_up_within_the_budget(http_session, fake, clock):
    client = make_client(http_session, fake, clock, timeout=0.3)
    fake.fail_next("*", "", delay=5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RobloxUnavailable) as info:
        await client.resolve("staff123")
    elapsed = loop.time() - started
    assert 0.25 <= elapsed < 1.0
    assert info.value.message == "Roblox did not answer within 0.3 seconds."


async def test_the_deadline_bounds_the_whole_call(client, fake):
    fake.fail_next("*", "", delay=5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RobloxUnavailable):
        await client.user(STAFF, deadline=0.2)
    assert loop.time() - started < 1.0


async def test_a_queue_longer_than_the_budget_gives_up(http_session, fake, clock):
    client = make_client(http_session, fake, clock, rate=1)
    await client.user(STAFF)
    clock_before = clock()
    with pytest.raises(RobloxUnavailable) as info:  # the next slot is a second away; the budget is half that
        await client.user(STAFF, deadline=0.5)
    assert info.value.message == "Roblox is busy right now; try again in 2 seconds."
    assert clock() == clock_before and len(fake.requests) == 1


async def test_a_broken_connection_is_retried_then_unavailable(client, fake):
    fake.fail_next("POST", "", drop=True)
    assert (await client.resolve("staff123")).id == STAFF
    fake.fail_next("POST", "", drop=True, times=2)
    with pytest.raises(RobloxUnavailable) as info:
        await client.resolve("staff123")
    assert "broke" in info.value.message


async def test_connection_refused(http_session, clock):
    async with FakeRoblox() as gone:
        url = gone.url
    client = RobloxClient(http_session, users_url=url, thumbnails_url=url, clock=clock, sleep=clock.sleep)
    with pytest.raises(RobloxUnavailable) as info:
        await client.user(STAFF)
    assert info.value.message == "Could not connect to Roblox."
    assert isinstance(info.value, ServiceUnavailable)


async def test_headshots_only_completed_and_https(client, fake):
    fake.users[AMY].headshot_state = "Pending"
    fake.users[555555555].headshot_url = "http://tr.rbxcdn.com/insecure.png"
    fake.add_user(7, "blocked", headshot_state="Blocked")
    fake.add_user(8, "odd", headshot_url="javascript:alert(1)")
    found = await client.headshots([STAFF, AMY, 555555555, 7, 8, 5, STAFF])
    assert list(found) == [STAFF]
    assert found[STAFF].startswith("https://tr.rbxcdn.com/")
    assert len(fake.requests) == 1
    assert fake.requests[0].query == {
        "userIds": f"{STAFF},{AMY},555555555,7,8,5",
        "size": "150x150",
        "format": "Png",
        "isCircular": "false",
    }


async def test_headshots_in_batches_of_100(client, fake):
    for user_id in range(1, 151):
        fake.add_user(user_id, f"user{user_id:03d}")
    found = await client.headshots(range(1, 151))
    assert len(found) == 150
    assert [len(r.query["userIds"].split(",")) for r in fake.requests] == [100, 50]
    assert await client.headshots([]) == {}
    assert len(fake.requests) == 2


async def test_headshot_answers_for_other_ids_are_ignored(client, fake):
    fake.fail_next(
        "GET",
        "avatar-headshot",
        json={"data": [{"targetId": 99, "state": "Completed", "imageUrl": "https://x.example/a.png", "version": ""}]},
    )
    assert await client.headshots([STAFF]) == {}


async def test_own_limiter_by_default(http_session):
    client = RobloxClient(http_session)
    other = RobloxClient(http_session)
    assert client.limiter is not other.limiter
    assert (client.limiter.rate, client.limiter.period) == (5, 1.0)
    assert client.timeout == DEFAULT_DEADLINE == 2.0
    assert (client.users_url, client.thumbnails_url) == ("https://users.roblox.com", "https://thumbnails.roblox.com")


async def test_from_config(http_session):
    cfg = Config.from_env(
        {
            "DISCORD_TOKEN": "t",
            "SERIES_API_KEY": "k",
            "ROBLOX_USERS_URL": "http://127.0.0.1:1/",
            "ROBLOX_THUMBNAILS_URL": "http://127.0.0.1:2",
        }
    )
    client = RobloxClient.from_config(http_session, cfg)
    assert (client.users_url, client.thumbnails_url) == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert "127.0.0.1:1" in repr(client)


async def test_the_limiter_holds_a_burst_to_its_rate(http_session, fake, clock):
    client = make_client(http_session, fake, clock)
    await asyncio.gather(*(client.user(STAFF, deadline=30) for _ in range(12)))
    assert len(fake.requests) == 12
    # 12 requests at 5 a second: two full waits of a (margin-padded) second.
    assert clock() - 1000.0 == pytest.approx(2 * (1 + client.limiter.margin))


# -- the directory ---------------------------------------------------------------------------------------------


class Now:
    """The directory's clock: a datetime that moves only when told to."""

    def __init__(self) -> None:
        self.value = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **delta: float) -> None:
        self.value += timedelta(**delta)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def directory(client, db, now) -> RobloxDirectory:
    return RobloxDirectory(client, RobloxUserRepo(db), now=now)


async def test_resolve_stores_and_cached_never_asks(directory, fake, db):
    assert await directory.cached(STAFF) is None
    user = await directory.resolve("staff123")
    assert user == RobloxUser(STAFF, "staff123", "Staff Member")
    asked = len(fake.requests)
    assert await directory.cached(STAFF) == user
    assert await directory.lookup(STAFF) == user  # fresh: from the cache
    assert len(fake.requests) == asked
    row = await RobloxUserRepo(db).get(user_id=STAFF)
    assert (row.name, row.display_name, row.fetched_at) == ("staff123", "Staff Member", "2026-03-01T12:00:00.000Z")


async def test_cached_reads_sqlite_across_restarts(client, db, now, fake):
    await RobloxDirectory(client, RobloxUserRepo(db), now=now).resolve("helper_amy")
    fresh = RobloxDirectory(client, RobloxUserRepo(db), now=now)  # a new process: empty memory
    asked = len(fake.requests)
    assert (await fresh.cached(AMY)).name == "helper_amy"
    assert len(fake.requests) == asked


async def test_lookup_refreshes_after_max_age(directory, fake, now):
    await directory.lookup(STAFF)
    fake.rename(STAFF, "staff_renamed")
    now.advance(days=6)
    assert (await directory.lookup(STAFF)).name == "staff123"  # still fresh
    now.advance(days=1, seconds=1)
    assert (await directory.lookup(STAFF)).name == "staff_renamed"
    assert (await directory.cached(STAFF)).name == "staff_renamed"
    assert fake.count("GET", "/v1/users/") == 2


async def test_lookup_falls_back_to_the_cache_when_roblox_is_down(directory, fake, now):
    await directory.lookup(STAFF)
    now.advance(days=30)
    fake.fail_next("*", "", status=503, times=2)
    assert (await directory.lookup(STAFF)).name == "staff123"  # stale, but the best there is


async def test_lookup_unknown_when_down_is_none_and_noted(directory, fake, db):
    fake.fail_next("*", "", status=503, times=2)
    assert await directory.lookup(AMY) is None
    assert await RobloxUserRepo(db).unknown(limit=10) == [AMY]
    assert await directory.lookup(AMY) == RobloxUser(AMY, "helper_amy", "Amy")  # Roblox is back
    assert await RobloxUserRepo(db).unknown(limit=10) == []


async def test_lookup_of_a_missing_user(directory, fake, now, db):
    assert await directory.lookup(5) is None
    assert (await RobloxUserRepo(db).get(user_id=5)).missing
    assert await directory.lookup(5) is None
    assert fake.count("GET", "/v1/users/5") == 1  # not asked again while the answer is fresh
    now.advance(days=8)
    fake.add_user(5, "five")  # (ids don't come back on Roblox, but the cache does ask again after max_age)
    assert (await directory.lookup(5)).name == "five"


async def test_a_user_who_disappears(directory, fake, now):
    await directory.lookup(STAFF)
    del fake.users[STAFF]
    now.advance(days=8)
    assert await directory.lookup(STAFF) is None
    assert await directory.cached(STAFF) is None


async def test_an_id_links_while_roblox_is_down_and_is_filled_in_later(directory, fake, db):
    links = StaffLinkRepo(db)
    fake.fail_next("*", "", status=503, times=2)
    with pytest.raises(RobloxUnavailable):
        await directory.resolve("111111111")
    # The feature links the id anyway and notes it; the name shows as unknown meanwhile.
    await links.link(guild_id=1, member_id=10, roblox_user_id=AMY, linked_by=1)
    await directory.remember(AMY)
    await links.link(guild_id=1, member_id=11, roblox_user_id=555555555, linked_by=1)  # linked before this cache
    await links.link(guild_id=1, member_id=12, roblox_user_id=5, linked_by=1)  # an id Roblox doesn't know
    assert await directory.cached(AMY) is None

    fake.fail_next("*", "", status=503, times=2)
    assert await directory.fill_unknown() == 0  # still down: stops at once, tries again next time
    assert len(fake.requests) == 4

    assert await directory.fill_unknown() == 2
    assert (await directory.cached(AMY)).label == "Amy (@helper_amy)"
    assert (await directory.cached(555555555)).name == "mod_bob"
    assert await RobloxUserRepo(db).unknown(limit=10) == []  # 5 is marked missing, not asked about again
    asked = len(fake.requests)
    assert await directory.fill_unknown() == 0
    assert len(fake.requests) == asked


async def test_fill_unknown_is_bounded(directory, fake, db):
    repo = RobloxUserRepo(db)
    for user_id in range(1, 8):
        fake.add_user(user_id, f"user{user_id}")
        await repo.note(user_id=user_id)
    priorities: list[int] = []
    acquire = directory.client.limiter.acquire

    async def spy(priority: int = INTERACTIVE) -> None:
        priorities.append(priority)
        await acquire(priority)

    directory.client.limiter.acquire = spy  # type: ignore[method-assign]
    assert await directory.fill_unknown(limit=3) == 3
    assert await repo.unknown(limit=10) == [4, 5, 6, 7]
    assert priorities == [BACKGROUND] * 3  # behind anything staff are waiting for


async def test_headshot_cached_and_fallback(directory, fake, now):
    url = await directory.headshot(STAFF)
    assert url is not None and url.startswith("https://")
    assert await directory.headshot(STAFF) == url
    assert fake.count("GET", "/v1/users/avatar-headshot") == 1
    now.advance(days=2)
    fake.fail_next("*", "", status=500, times=2)
    assert await directory.headshot(STAFF) == url  # stale, Roblox down: the old address
    fake.users[STAFF].headshot_version += 1
    new = await directory.headshot(STAFF)
    assert new != url and new.startswith("https://")


async def test_no_headshot_yet_is_asked_again_later_not_on_every_render(directory, fake, now):
    fake.users[AMY].headshot_state = "Pending"
    assert await directory.headshot(AMY) is None
    assert await directory.headshot(AMY) is None
    assert fake.count("GET", "/v1/users/avatar-headshot") == 1
    fake.users[AMY].headshot_state = "Completed"
    now.advance(hours=1, seconds=1)
    assert (await directory.headshot(AMY)).startswith("https://")


async def test_headshot_unknown_and_down_is_none(directory, fake):
    fake.fail_next("*", "", status=500, times=2)
    assert await directory.headshot(STAFF) is None


async def test_memory_is_bounded(client, db, now, fake):
    directory = RobloxDirectory(client, RobloxUserRepo(db), now=now, memory=3)
    for user_id in range(1, 8):
        fake.add_user(user_id, f"user{user_id}")
        await directory.lookup(user_id, deadline=30)
    assert "3/3 in memory" in repr(directory)
    assert (await directory.cached(1)).name == "user1"  # evicted from memory, still in SQLite
    with pytest.raises(ValueError):
        RobloxDirectory(client, RobloxUserRepo(db), memory=0)
