"""Which Roblox account a Discord member proved is theirs, according to a verification bot (Bloxlink, RoVer).

Self-linking (``/link-me``) trusts a Roblox id only when a verification bot reports it for that member in this
server: the member proved it to that bot, whereas a typed username proves nothing
(``shared/reference/roblox-identity.md``, "Trust"). Both providers answer one question,
:meth:`VerificationProvider.roblox_id`, with an id, or None when the member isn't verified there.

- :class:`Bloxlink`: API v4, the server's key as the raw ``Authorization`` value. Accepts ``robloxID`` and
  ``robloxId``, as a string or a number.
- :class:`RoVer`: ``Authorization: Bearer <key>``. Accepts ``robloxId`` and the nested ``roblox: {id}`` shape;
  its Discord-style rate-limit headers pause the limiter before a 429 comes.

Each has its own limiter (60 requests a minute by default: the figure older Bloxlink wrappers quote, and
nothing better is documented for either) and a 2 s budget per call, like the Roblox client, since they are
asked while an interaction waits. Keys are :class:`~bot.config.Secret` and appear in no repr, log line or
message; server error text is never shown to staff, and is logged only with the key scrubbed out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import aiohttp

from .config import Secret
from .ratelimit import INTERACTIVE, RateLimiter
from .transport import Answer, BudgetedTransport, ServiceUnavailable
from .validation import MAX_ROBLOX_ID

if TYPE_CHECKING:
    from .config import Config

__all__ = (
    "DEFAULT_BLOXLINK_URL",
    "DEFAULT_ROVER_URL",
    "Bloxlink",
    "RoVer",
    "VerificationError",
    "VerificationProvider",
    "VerificationRefused",
    "VerificationUnavailable",
    "configured_providers",
)

log = logging.getLogger(__name__)

DEFAULT_BLOXLINK_URL = "https://api.blox.link"
DEFAULT_ROVER_URL = "https://registry.rover.link"
DEFAULT_RATE = 60  # requests ...
DEFAULT_PERIOD = 60.0  # ... per this many seconds, per provider
DEFAULT_DEADLINE = 2.0  # seconds per call; Discord drops an interaction not answered within 3
MAX_SNOWFLAKE = 2**64 - 1


class VerificationError(Exception):
    """Base of the verification errors; ``message`` is safe to show staff and never holds the key."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VerificationUnavailable(ServiceUnavailable, VerificationError):
    """The provider could not answer in time: a timeout, 5xx, 429 after the retries, an unreadable answer."""


class VerificationRefused(VerificationError):
    """401/403: the provider refused the server's API key. An admin must fix the setting."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@runtime_checkable
class VerificationProvider(Protocol):
    """A verification bot the bot can ask: "which Roblox id did this member verify as, in this server?"."""

    #: Shown to people: "Bloxlink", "RoVer".
    name: str

    async def roblox_id(self, guild_id: int, discord_id: int) -> int | None:
        """The verified Roblox id, or None if the member isn't verified with this provider in this server.

        Raises :class:`VerificationUnavailable` or :class:`VerificationRefused`.
        """
        ...


class _KeyedProvider:
    """The shared part: one keyed GET through a budgeted transport, and the status mapping."""

    name: ClassVar[str]
    #: The setting an admin fixes when the key is refused.
    key_setting: ClassVar[str]
    default_url: ClassVar[str]

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str | None = None,
        api_key: Secret,
        limiter: RateLimiter | None = None,
        timeout: float = DEFAULT_DEADLINE,
        max_rate_limit_retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        """``limiter`` defaults to a new one at 60 a minute; ``timeout`` is the default budget of a call."""
        if not isinstance(api_key, Secret):
            raise TypeError("api_key must be a bot.config.Secret")
        self.base_url = (base_url or self.default_url).rstrip("/")
        self._api_key = api_key
        self.limiter = limiter or RateLimiter(DEFAULT_RATE, DEFAULT_PERIOD, clock=clock, sleep=sleep)
        self._http = BudgetedTransport(
            session,
            service=self.name,
            limiter=self.limiter,
            timeout=timeout,
            unavailable=VerificationUnavailable,
            max_rate_limit_retries=max_rate_limit_retries,
            clock=clock,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"

    async def roblox_id(
        self, guild_id: int, discord_id: int, *, deadline: float | None = None, priority: int = INTERACTIVE
    ) -> int | None:
        """The Roblox id ``discord_id`` verified as in ``guild_id``; None if not verified (404)."""
        for value in (guild_id, discord_id):
            if not (isinstance(value, int) and 0 < value <= MAX_SNOWFLAKE):
                raise ValueError("guild_id and discord_id are Discord ids (positive integers)")
        answer = await self._http.request(
            "GET",
            self.base_url + self._path(int(guild_id), int(discord_id)),
            headers={"Authorization": self._authorization()},
            deadline=deadline,
            priority=priority,
        )
        if answer.status == 404:
            return None
        if answer.status in (401, 403):
            log.warning(
                "%s refused the API key (HTTP %s): %s", self.name, answer.status, self._server_text(answer.payload)
            )
            raise VerificationRefused(
                f"{self.name} refused this server's API key (HTTP {answer.status}). An admin needs to check "
                f"{self.key_setting}.",
                status=answer.status,
            )
        if not 200 <= answer.status < 300:
            log.warning(
                "%s refused a lookup (HTTP %s): %s", self.name, answer.status, self._server_text(answer.payload)
            )
            raise VerificationUnavailable(
                f"{self.name} refused the request (HTTP {answer.status}).", status=answer.status
            )
        return self._roblox_id(answer)

    def _roblox_id(self, answer: Answer) -> int | None:
        found = self._find_id(answer.payload) if isinstance(answer.payload, dict) else _MISSING
        if found is _MISSING:
            # A 200 without the field is a changed API, not "not verified": saying so would mislead people.
            raise VerificationUnavailable(f"{self.name} sent an answer the bot could not read.", status=answer.status)
        if found is None:
            return None
        value = _as_id(found)
        if value is None:
            raise VerificationUnavailable(f"{self.name} sent an answer the bot could not read.", status=answer.status)
        return value

    def _server_text(self, payload: Any) -> str:
        """The provider's own error text, for the log only, with the key scrubbed out."""
        if isinstance(payload, dict):
            text = str(payload.get("error") or payload.get("message") or payload.get("errorCode") or "")[:200]
        else:
            text = ""
        key = self._api_key.reveal()
        return text.replace(key, "[redacted]") if key else text

    # -- per provider --------------------------------------------------------------------------------------------

    def _path(self, guild_id: int, discord_id: int) -> str:
        raise NotImplementedError

    def _authorization(self) -> str:
        raise NotImplementedError

    def _find_id(self, payload: dict[str, Any]) -> Any:
        """The raw id value: None for "not verified", ``_MISSING`` when the answer has no id field at all."""
        raise NotImplementedError


_MISSING: Any = object()


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= MAX_ROBLOX_ID:
        return value
    return None


class Bloxlink(_KeyedProvider):
    """Bloxlink API v4: ``GET /v4/public/guilds/{guild}/discord-to-roblox/{member}``, raw key in Authorization."""

    name = "Bloxlink"
    key_setting = "BLOXLINK_API_KEY"
    default_url = DEFAULT_BLOXLINK_URL

    @classmethod
    def from_config(cls, session: aiohttp.ClientSession, config: Config) -> Bloxlink | None:
        """Bloxlink as configured, or None when ``BLOXLINK_API_KEY`` isn't set."""
        if config.bloxlink_api_key is None:
            return None
        return cls(session, base_url=config.bloxlink_api_url, api_key=config.bloxlink_api_key)

    def _path(self, guild_id: int, discord_id: int) -> str:
        return f"/v4/public/guilds/{guild_id}/discord-to-roblox/{discord_id}"

    def _authorization(self) -> str:
        return self._api_key.reveal()

    def _find_id(self, payload: dict[str, Any]) -> Any:
        for key in ("robloxID", "robloxId"):  # real clients read the first; the SDK types say the second
            if key in payload:
                return payload[key]
        return _MISSING


class RoVer(_KeyedProvider):
    """RoVer: ``GET /api/guilds/{guild}/discord-to-roblox/{member}`` with ``Authorization: Bearer <key>``."""

    name = "RoVer"
    key_setting = "ROVER_API_KEY"
    default_url = DEFAULT_ROVER_URL

    @classmethod
    def from_config(cls, session: aiohttp.ClientSession, config: Config) -> RoVer | None:
        """RoVer as configured, or None when ``ROVER_API_KEY`` isn't set."""
        if config.rover_api_key is None:
            return None
        return cls(session, base_url=config.rover_api_url, api_key=config.rover_api_key)

    def _path(self, guild_id: int, discord_id: int) -> str:
        return f"/api/guilds/{guild_id}/discord-to-roblox/{discord_id}"

    def _authorization(self) -> str:
        return f"Bearer {self._api_key.reveal()}"

    def _find_id(self, payload: dict[str, Any]) -> Any:
        for key in ("robloxId", "robloxID"):
            if key in payload:
                return payload[key]
        nested = payload.get("roblox")
        if isinstance(nested, dict) and "id" in nested:
            return nested["id"]
        return _MISSING


def configured_providers(session: aiohttp.ClientSession, config: Config) -> list[VerificationProvider]:
    """Every provider whose key is set, Bloxlink first (the most used), then RoVer."""
    found = (Bloxlink.from_config(session, config), RoVer.from_config(session, config))
    return [provider for provider in found if provider is not None]
