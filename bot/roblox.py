"""Who is this on Roblox: usernames, profile links and ids to users, headshots, and a name cache.

Staff links store a Roblox *id* (that is what Series acts on), but people type a username or paste a profile
link, and lists should show names. :class:`RobloxClient` asks Roblox's users and thumbnails APIs;
:class:`RobloxDirectory` puts the SQLite name cache (``RobloxUserRepo``) in front of it.

Roblox calls are optional help, never a precondition (``shared/reference/roblox-identity.md``: legacy APIs,
limits about to be cut to "human-usage levels"). So:

- the client has its *own* limiter, 5 requests a second by default: far under what the legacy APIs allow
  today, and about what a staff team typing names needs (a few lookups per command), so a tightening is
  unlikely to hit it; the background filling of names queues behind staff (``BACKGROUND``);
- every call has a time budget (``deadline``, 2 s by default) that covers queueing, retries and 429 pauses, so a
  command that asks Roblox still answers Discord within its 3 seconds (see ``bot/transport.py``);
- the directory falls back to what it cached when Roblox can't be reached, and an id links without a name,
  which :meth:`RobloxDirectory.fill_unknown` fills in later.

Kept small so a switch to Open Cloud (``apis.roblox.com/cloud/v2/users/{id}``, with a key) touches one class.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp

from .ratelimit import BACKGROUND, INTERACTIVE, RateLimiter
from .transport import Answer, BudgetedTransport, ServiceUnavailable
from .validation import MAX_ROBLOX_ID

if TYPE_CHECKING:
    from .config import Config
    from .repositories import RobloxUserRecord, RobloxUserRepo

__all__ = (
    "DEFAULT_DEADLINE",
    "DEFAULT_RATE",
    "RobloxClient",
    "RobloxDirectory",
    "RobloxError",
    "RobloxUnavailable",
    "RobloxUser",
    "RobloxUserNotFound",
    "UserQuery",
    "parse_user_query",
)

log = logging.getLogger(__name__)

DEFAULT_USERS_URL = "https://users.roblox.com"
DEFAULT_THUMBNAILS_URL = "https://thumbnails.roblox.com"
DEFAULT_RATE = 5  # requests per second, for this client alone (see the module docstring)
DEFAULT_DEADLINE = 2.0  # seconds per call; Discord drops an interaction not answered within 3
BACKGROUND_DEADLINE = 10.0  # seconds per call when no one is waiting (filling in names)
HEADSHOT_BATCH = 100  # ids per thumbnails request
HEADSHOT_SIZE = "150x150"
MAX_QUERY_LENGTH = 500  # longer text is no username, id or profile link; don't run regexes over pages of it

_USERNAME = re.compile(r"[A-Za-z0-9_]{3,20}")
# A roblox.com address anywhere in the text: any subdomain (www., web., m.), any scheme, or none.
_ROBLOX_URL = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:[a-z0-9-]+\.)*roblox\.com(?::\d+)?(?P<rest>[/?#][^\s<>]*)?(?![\w.-])",
    re.IGNORECASE,
)
_USERS_PATH = re.compile(r"/users/(\d+)(?:/|$)", re.IGNORECASE)
_OTHER_URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^www\.|[a-z0-9-]+\.[a-z]{2,}/", re.IGNORECASE)


class RobloxError(Exception):
    """Base of the Roblox errors; ``message`` is safe to show staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RobloxUnavailable(ServiceUnavailable, RobloxError):
    """Roblox could not answer in time: a timeout, 5xx, 429 after the retries, a refused or unreadable answer."""


class RobloxUserNotFound(RobloxError):
    """No Roblox user matches: an unknown username or id, or text that can't be one (the message says which)."""

    def __init__(self, message: str, *, query: str | int | None = None) -> None:
        super().__init__(message)
        self.query = query


@dataclass(frozen=True, slots=True)
class RobloxUser:
    """A Roblox account: ``name`` is the username (unique, changeable), ``display_name`` what people see."""

    id: int
    name: str
    display_name: str

    @property
    def label(self) -> str:
        """``Display (@name)``, as Roblox shows a person; just ``@name`` when the two are the same."""
        if self.display_name == self.name:
            return f"@{self.name}"
        return f"{self.display_name} (@{self.name})"

    @property
    def profile_url(self) -> str:
        """The canonical profile address."""
        return f"https://www.roblox.com/users/{self.id}/profile"


@dataclass(frozen=True, slots=True)
class UserQuery:
    """What a piece of text names: a user id, or a username (exactly one is set)."""

    user_id: int | None = None
    username: str | None = None


def parse_user_query(text: str) -> UserQuery:
    """Read a Roblox id, ``@username``/``username`` or profile link (any variant) out of ``text``; no network.

    Links: with or without ``https://`` and ``www.`` (or ``web.``/``m.``), a language path such as ``/de/``,
    query strings and fragments, ``<...>`` around them, and the old ``users/profile?username=...`` and
    ``User.aspx?ID=...`` forms. An all-digit text is an id. Raises :class:`RobloxUserNotFound` for text that
    can't be any of these, with a message saying what would work.
    """
    cleaned = text.strip().strip("<>").strip()
    if len(cleaned) > MAX_QUERY_LENGTH:
        raise RobloxUserNotFound("That is too long for a Roblox username, profile link or user id.")
    match = _ROBLOX_URL.search(cleaned)
    if match is not None:
        return _from_link(match.group("rest") or "", text)
    if _OTHER_URL.search(cleaned):
        raise RobloxUserNotFound("Only roblox.com profile links work here; paste the link from the profile page.")
    value = cleaned.removeprefix("@")
    if value.isascii() and value.isdigit():
        return UserQuery(user_id=_checked_id(value))
    if _USERNAME.fullmatch(value):
        return UserQuery(username=value)
    shown = _plain(cleaned[:40])
    raise RobloxUserNotFound(
        f"`{shown}` is not a Roblox username, profile link or user id. A username has 3 to 20 letters, digits "
        "or underscores.",
        query=cleaned[:100],
    )


def _from_link(rest: str, text: str) -> UserQuery:
    parts = urlsplit("https://www.roblox.com" + (rest if rest.startswith("/") else "/" + rest))
    found = _USERS_PATH.search(parts.path)
    if found:
        return UserQuery(user_id=_checked_id(found.group(1)))
    query = {key.lower(): value for key, value in parse_qsl(parts.query)}
    for key in ("userid", "id"):  # User.aspx?ID=123, ...?userId=123
        if query.get(key, "").isdigit() and query[key].isascii():
            return UserQuery(user_id=_checked_id(query[key]))
    username = query.get("username", "").strip()
    if _USERNAME.fullmatch(username):
        return UserQuery(username=username)
    raise RobloxUserNotFound(
        "That Roblox link doesn't point at a profile. Open the person's profile and copy the address: it looks "
        "like roblox.com/users/123456789/profile.",
        query=text.strip()[:100],
    )


def _checked_id(digits: str) -> int:
    value = int(digits)
    if not 1 <= value <= MAX_ROBLOX_ID:
        raise RobloxUserNotFound(f"No Roblox user has the id {digits[:25]}.", query=digits[:25])
    return value


def _plain(text: str) -> str:
    # Shown inside inline code: no backticks or line breaks that could break out of it.
    return text.replace("`", "'").replace("\n", " ") or " "


class RobloxClient:
    """Roblox's users and thumbnails APIs, rate-limited on their own and time-boxed per call."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        users_url: str = DEFAULT_USERS_URL,
        thumbnails_url: str = DEFAULT_THUMBNAILS_URL,
        limiter: RateLimiter | None = None,
        timeout: float = DEFAULT_DEADLINE,
        max_rate_limit_retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        """``limiter`` defaults to a new one at :data:`DEFAULT_RATE` a second; never pass the Series one.

        ``timeout`` is the default budget of each call, in seconds; ``clock`` and ``sleep`` are the limiter's.
        """
        self.users_url = users_url.rstrip("/")
        self.thumbnails_url = thumbnails_url.rstrip("/")
        self.limiter = limiter or RateLimiter(DEFAULT_RATE, clock=clock, sleep=sleep)
        self._http = BudgetedTransport(
            session,
            service="Roblox",
            limiter=self.limiter,
            timeout=timeout,
            unavailable=RobloxUnavailable,
            max_rate_limit_retries=max_rate_limit_retries,
            clock=clock,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"<RobloxClient {self.users_url} {self.thumbnails_url}>"

    @property
    def timeout(self) -> float:
        """The default budget of one call, in seconds."""
        return self._http.timeout

    @classmethod
    def from_config(
        cls, session: aiohttp.ClientSession, config: Config, *, limiter: RateLimiter | None = None
    ) -> RobloxClient:
        """The client as the bot runs it: the configured addresses, the default budget and its own limiter."""
        return cls(
            session, users_url=config.roblox_users_url, thumbnails_url=config.roblox_thumbnails_url, limiter=limiter
        )

    async def resolve(self, text: str, *, deadline: float | None = None, priority: int = INTERACTIVE) -> RobloxUser:
        """The user a username, profile link or id names (see :func:`parse_user_query`).

        Raises :class:`RobloxUserNotFound` (no such user, or not a username/link/id) or :class:`RobloxUnavailable`.
        """
        query = parse_user_query(text)
        if query.user_id is not None:
            return await self.user(query.user_id, deadline=deadline, priority=priority)
        assert query.username is not None
        return await self.user_by_name(query.username, deadline=deadline, priority=priority)

    async def user(self, user_id: int, *, deadline: float | None = None, priority: int = INTERACTIVE) -> RobloxUser:
        """``GET /v1/users/{id}``. Raises :class:`RobloxUserNotFound` for an unknown id."""
        if not 1 <= user_id <= MAX_ROBLOX_ID:
            raise RobloxUserNotFound(f"No Roblox user has the id {user_id}.", query=user_id)
        answer = await self._http.request(
            "GET", f"{self.users_url}/v1/users/{int(user_id)}", deadline=deadline, priority=priority
        )
        if answer.status in (400, 404):
            raise RobloxUserNotFound(f"No Roblox user has the id {user_id}.", query=user_id)
        self._expect_ok(answer)
        return _user(answer.payload)

    async def user_by_name(
        self, username: str, *, deadline: float | None = None, priority: int = INTERACTIVE
    ) -> RobloxUser:
        """``POST /v1/usernames/users`` for one name; matches case-insensitively and previous usernames too."""
        body = {"usernames": [username], "excludeBannedUsers": False}
        answer = await self._http.request(
            "POST", f"{self.users_url}/v1/usernames/users", json_body=body, deadline=deadline, priority=priority
        )
        self._expect_ok(answer)
        data = answer.payload.get("data") if isinstance(answer.payload, dict) else None
        if not isinstance(data, list):
            raise RobloxUnavailable("Roblox sent an answer the bot could not read.", status=answer.status)
        entries = [e for e in data if isinstance(e, dict)]
        wanted = username.casefold()
        candidates = [e for e in entries if str(e.get("requestedUsername", "")).casefold() == wanted] or entries
        if not candidates:
            raise RobloxUserNotFound(f"No Roblox user is called `{_plain(username)}`.", query=username)
        return _user(candidates[0])

    async def headshots(
        self,
        user_ids: Iterable[int],
        *,
        size: str = HEADSHOT_SIZE,
        deadline: float | None = None,
        priority: int = INTERACTIVE,
    ) -> dict[int, str]:
        """Headshot image addresses by user id: only ``Completed`` images with https addresses.

        Ids without one (``Pending``, ``Blocked``, unknown ids) are simply missing. Up to 100 ids per request.
        """
        ids = [i for i in dict.fromkeys(int(i) for i in user_ids) if 1 <= i <= MAX_ROBLOX_ID]
        found: dict[int, str] = {}
        for start in range(0, len(ids), HEADSHOT_BATCH):
            batch = ids[start : start + HEADSHOT_BATCH]
            params = {
                "userIds": ",".join(map(str, batch)),
                "size": size,
                "format": "Png",
                "isCircular": "false",
            }
            answer = await self._http.request(
                "GET",
                f"{self.thumbnails_url}/v1/users/avatar-headshot",
                params=params,
                deadline=deadline,
                priority=priority,
            )
            self._expect_ok(answer)
            data = answer.payload.get("data") if isinstance(answer.payload, dict) else None
            if not isinstance(data, list):
                raise RobloxUnavailable("Roblox sent an answer the bot could not read.", status=answer.status)
            wanted = set(batch)
            for entry in data:
                if not isinstance(entry, dict) or entry.get("state") != "Completed":
                    continue
                target, url = entry.get("targetId"), entry.get("imageUrl")
                if _is_int(target) and target in wanted and isinstance(url, str) and _is_https(url):
                    found[target] = url
        return found

    def _expect_ok(self, answer: Answer) -> None:
        if 200 <= answer.status < 300:
            return
        # 401/403 would mean Roblox now wants a key (the 2026 announcement): not something staff can fix.
        log.warning("Roblox refused a request: HTTP %s %s", answer.status, _roblox_message(answer.payload))
        raise RobloxUnavailable(f"Roblox refused the request (HTTP {answer.status}).", status=answer.status)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname)


def _user(entry: Any) -> RobloxUser:
    if isinstance(entry, dict):
        user_id, name, display = entry.get("id"), entry.get("name"), entry.get("displayName")
        if (
            isinstance(user_id, int)
            and _is_int(user_id)
            and 1 <= user_id <= MAX_ROBLOX_ID
            and isinstance(name, str)
            and name
        ):
            return RobloxUser(user_id, name, display if isinstance(display, str) and display else name)
    raise RobloxUnavailable("Roblox sent an answer the bot could not read.")


def _roblox_message(payload: Any) -> str:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message", ""))[:200]
    return ""


# -- the directory: cache in front of the client ----------------------------------------------------------------

DEFAULT_MAX_AGE = timedelta(days=7)  # names change rarely; a week-old name is still the right person
DEFAULT_HEADSHOT_MAX_AGE = timedelta(days=1)  # CDN addresses change with the avatar
DEFAULT_NO_HEADSHOT_RETRY = timedelta(hours=1)  # Pending/Blocked: ask again, but not on every render
DEFAULT_MEMORY = 512  # users kept in memory in front of SQLite


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Known:
    user: RobloxUser | None  # None: Roblox said there is no such user
    fetched_at: datetime | None


class RobloxDirectory:
    """Roblox users by id, from the SQLite cache first and Roblox when needed; what it learns it stores.

    ``now`` is injectable (tests move time without sleeping). A small LRU (``memory`` users) sits in front of
    SQLite for lists and autocomplete; it is the only thing held in memory.
    """

    def __init__(
        self,
        client: RobloxClient,
        repo: RobloxUserRepo,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        headshot_max_age: timedelta = DEFAULT_HEADSHOT_MAX_AGE,
        no_headshot_retry: timedelta = DEFAULT_NO_HEADSHOT_RETRY,
        memory: int = DEFAULT_MEMORY,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        if memory < 1:
            raise ValueError("memory must be at least 1")
        self.client = client
        self.repo = repo
        self.max_age = max_age
        self.headshot_max_age = headshot_max_age
        self.no_headshot_retry = no_headshot_retry
        self.memory = memory
        self._now = now
        self._recent: OrderedDict[int, _Known] = OrderedDict()

    def __repr__(self) -> str:
        return f"<RobloxDirectory {len(self._recent)}/{self.memory} in memory>"

    async def cached(self, user_id: int) -> RobloxUser | None:
        """What the bot last learned about ``user_id``, however old; never asks Roblox.

        None when no name is known yet, or Roblox said there is no such user.
        """
        known = await self._known(user_id)
        return known.user if known else None

    async def lookup(
        self, user_id: int, *, deadline: float | None = None, priority: int = INTERACTIVE
    ) -> RobloxUser | None:
        """The user, from the cache while it is younger than ``max_age``, else refreshed from Roblox.

        When Roblox can't be reached, what is cached (however old), or None (the id is then noted, so
        :meth:`fill_unknown` fills it in later). None too when Roblox says there is no such user.
        """
        known = await self._known(user_id)
        if known is not None and known.fetched_at is not None and self._now() - known.fetched_at < self.max_age:
            return known.user
        try:
            user = await self.client.user(user_id, deadline=deadline, priority=priority)
        except RobloxUserNotFound:
            await self._store_missing(user_id)
            return None
        except RobloxUnavailable as exc:
            log.info("Roblox unavailable for user %s (%s); using the cache", user_id, exc.message)
            if known is None:
                await self.repo.note(user_id=user_id)
                return None
            return known.user
        await self._store(user)
        return user

    async def resolve(self, text: str, *, deadline: float | None = None, priority: int = INTERACTIVE) -> RobloxUser:
        """Ask Roblox who a username, profile link or id is, and store the answer.

        Always asks (a typed name must be checked now: names move between people). Raises like
        :meth:`RobloxClient.resolve`; on :class:`RobloxUnavailable` with an id, the caller may link the id anyway
        and call :meth:`remember`.
        """
        user = await self.client.resolve(text, deadline=deadline, priority=priority)
        await self._store(user)
        return user

    async def remember(self, user_id: int) -> None:
        """Note an id whose name isn't known yet (linked while Roblox was down); :meth:`fill_unknown` fills it."""
        await self.repo.note(user_id=user_id)

    async def headshot(self, user_id: int, *, deadline: float | None = None, priority: int = INTERACTIVE) -> str | None:
        """The user's headshot address, cached for ``headshot_max_age``; None when there is none (yet).

        When Roblox can't be reached, the cached address (however old), or None.
        """
        row = await self.repo.get(user_id=user_id)
        fetched = _parse_time(row.headshot_fetched_at) if row else None
        if row is not None and fetched is not None:
            fresh_for = self.headshot_max_age if row.headshot_url else self.no_headshot_retry
            if self._now() - fetched < fresh_for:
                return row.headshot_url
        try:
            found = await self.client.headshots([user_id], deadline=deadline, priority=priority)
        except RobloxUnavailable as exc:
            log.info("Roblox unavailable for the headshot of %s (%s)", user_id, exc.message)
            return row.headshot_url if row else None
        url = found.get(user_id)
        await self.repo.save_headshot(user_id=user_id, headshot_url=url, fetched_at=_iso(self._now()))
        return url

    async def fill_unknown(self, *, limit: int = 50, deadline: float = BACKGROUND_DEADLINE) -> int:
        """Fetch names for up to ``limit`` ids stored without one; return how many were filled in.

        Runs behind staff requests (``BACKGROUND``). Stops at the first sign that Roblox is down, to try again
        on the next run; an id Roblox says doesn't exist is marked and not asked about again.
        """
        filled = 0
        for user_id in await self.repo.unknown(limit=limit):
            try:
                user = await self.client.user(user_id, deadline=deadline, priority=BACKGROUND)
            except RobloxUserNotFound:
                await self._store_missing(user_id)
                continue
            except RobloxUnavailable as exc:
                log.info("Filling in Roblox names paused after %d: %s", filled, exc.message)
                break
            await self._store(user)
            filled += 1
        return filled

    async def _known(self, user_id: int) -> _Known | None:
        known = self._recent.get(user_id)
        if known is not None:
            self._recent.move_to_end(user_id)
            return known
        row = await self.repo.get(user_id=user_id)
        known = _from_row(row) if row is not None else None
        if known is not None:
            self._remember_in_memory(user_id, known)
        return known

    async def _store(self, user: RobloxUser) -> None:
        moment = self._now()
        await self.repo.save(user_id=user.id, name=user.name, display_name=user.display_name, fetched_at=_iso(moment))
        self._remember_in_memory(user.id, _Known(user, moment))

    async def _store_missing(self, user_id: int) -> None:
        moment = self._now()
        await self.repo.mark_missing(user_id=user_id, fetched_at=_iso(moment))
        self._remember_in_memory(user_id, _Known(None, moment))

    def _remember_in_memory(self, user_id: int, known: _Known) -> None:
        self._recent[user_id] = known
        self._recent.move_to_end(user_id)
        while len(self._recent) > self.memory:
            self._recent.popitem(last=False)


def _from_row(row: RobloxUserRecord) -> _Known | None:
    fetched_at = _parse_time(row.fetched_at)
    if row.missing:
        return _Known(None, fetched_at)
    if row.name is None:
        return None  # noted, never fetched: unknown
    return _Known(RobloxUser(row.id, row.name, row.display_name or row.name), fetched_at)
