"""The Series Tickets API client: the only place that talks HTTP to Series.

One ``aiohttp.ClientSession`` (owned by ``__main__``), the ``apikey`` header, the ``success``/``data``/``error``
envelope unwrapped, and every failure turned into a :class:`SeriesError` whose ``message`` is the API's own
words (or, for transport failures, a plain sentence). Every request waits on the shared :class:`RateLimiter`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import aiohttp
import yarl

from .config import Secret
from .headers import retry_after
from .models import STATUSES, KeyInfo, Ticket, TicketConfig, TicketPage
from .ratelimit import INTERACTIVE, RateLimiter

__all__ = (
    "TICKET_ID_RE",
    "SeriesBadRequest",
    "SeriesClient",
    "SeriesError",
    "SeriesMessage",
    "SeriesForbidden",
    "SeriesNotFound",
    "SeriesRateLimited",
    "SeriesUnauthorized",
    "SeriesUnavailable",
    "is_ticket_id",
)

log = logging.getLogger(__name__)

# Series issues ids like TICKET-1234567890-ABCD; the get endpoint also takes the 24-hex MongoDB _id.
TICKET_ID_RE = re.compile(r"TICKET-[0-9]{1,20}-[A-Za-z0-9]{1,16}|[0-9a-fA-F]{24}")


class SeriesMessage(StrEnum):
    """Series' documented error strings, word for word: the only place the bot spells them (docs/series-api.md)."""

    CLAIM_REQUIRED = "You must claim this ticket before replying"
    GAME_REPORT = "Cannot reply to game reports"
    TICKET_NOT_FOUND = "Ticket not found"
    PREMIUM_REQUIRED = "Tickets module requires a Premium or Enterprise subscription"
    MODULE_DISABLED = "Tickets module is not enabled for this workspace"
    ALREADY_CLAIMED = "Ticket already claimed"
    NOT_CLAIMED = "Ticket is not claimed"
    DEPARTMENT_NOT_FOUND = "Department not found"
    INVALID_STATUS = "Invalid status. Must be one of: open, in-progress, resolved, closed"
    KEY_REQUIRED = "API key is required"
    KEY_INACTIVE = "API key is inactive or invalid"


def is_ticket_id(value: str) -> bool:
    """True if ``value`` has the shape of a Series ticket id (so it is safe inside a URL path)."""
    return TICKET_ID_RE.fullmatch(value) is not None


class SeriesError(Exception):
    """Series answered with an error, or could not be reached. ``message`` is safe to show to staff."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r})"


class SeriesBadRequest(SeriesError):
    """400: the request broke a rule, e.g. "You must claim this ticket before replying"."""


class SeriesUnauthorized(SeriesError):
    """401: the API key is missing or wrong."""


class SeriesForbidden(SeriesError):
    """403: premium or module switches, or "Cannot reply to game reports"."""


class SeriesNotFound(SeriesError):
    """404: "Ticket not found" or "Department not found"."""


class SeriesRateLimited(SeriesError):
    """429 even after the bounded retries."""


class SeriesUnavailable(SeriesError):
    """Timeouts, connection errors, 5xx and unreadable answers.

    ``maybe_delivered`` is true when the request may have reached Series before the failure (a timeout or a
    dropped connection after sending, or a 5xx): a reply in that state must not simply be sent again.
    """

    def __init__(self, message: str, *, status: int | None = None, maybe_delivered: bool = False) -> None:
        super().__init__(message, status=status)
        self.maybe_delivered = maybe_delivered


_ERRORS_BY_STATUS: dict[int, type[SeriesError]] = {
    400: SeriesBadRequest,
    401: SeriesUnauthorized,
    403: SeriesForbidden,
    404: SeriesNotFound,
    429: SeriesRateLimited,
}


class SeriesClient:
    """Typed methods for the whole Tickets surface plus ``check-key``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: Secret,
        limiter: RateLimiter,
        timeout: float = 10.0,
        max_rate_limit_retries: int = 3,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.limiter = limiter
        self.timeout = timeout
        self.max_rate_limit_retries = max_rate_limit_retries
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"<SeriesClient {self.base_url}>"

    # -- transport -------------------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        priority: int = INTERACTIVE,
        log_path: str | None = None,
    ) -> Any:
        """Send one request through the limiter and return the envelope's ``data``.

        429s pause the limiter for everyone and are retried up to ``max_rate_limit_retries`` times. A GET that
        fails in transport is retried once; a POST never is, because it may have arrived.
        """
        log_path = log_path or path
        transport_retries = 1 if method == "GET" else 0
        rate_limited = 0
        while True:
            await self.limiter.acquire(priority)
            try:
                status, headers, payload = await self._send(method, path, json_body, params)
            except SeriesUnavailable as exc:
                if transport_retries > 0:
                    transport_retries -= 1
                    log.warning("Series %s %s failed (%s); retrying once", method, log_path, exc.message)
                    await self._sleep(0.5)
                    continue
                raise
            if status == 429:
                if rate_limited >= self.max_rate_limit_retries:
                    raise SeriesRateLimited("Series is receiving too many requests right now.", status=429, code=429)
                rate_limited += 1
                pause = retry_after(headers.get("Retry-After"))
                log.warning("Series rate limit hit on %s %s; pausing every request %.2fs", method, log_path, pause)
                self.limiter.pause(pause)
                continue
            return self._unwrap(status, payload, method, log_path)

    async def _send(
        self, method: str, path: str, json_body: dict[str, Any] | None, params: dict[str, str] | None
    ) -> tuple[int, Any, Any]:
        headers = {"apikey": self._api_key.reveal(), "Accept": "application/json"}
        # The path is already encoded (``_segment``): yarl must not decode and normalise it again.
        url = yarl.URL(self.base_url + path, encoded=True)
        try:
            async with self._session.request(
                method,
                url,
                json=json_body,
                params=params,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                body = await resp.read()
                status = resp.status
                resp_headers = resp.headers
        except TimeoutError:
            raise SeriesUnavailable(
                f"Series did not answer within {self.timeout:g} seconds.", maybe_delivered=True
            ) from None
        except aiohttp.ClientConnectorError:
            raise SeriesUnavailable("Could not connect to Series.", maybe_delivered=False) from None
        except aiohttp.ClientError:
            raise SeriesUnavailable(
                "The connection to Series broke before it answered.", maybe_delivered=True
            ) from None
        if status >= 500:
            raise SeriesUnavailable(f"Series had a problem (HTTP {status}).", status=status, maybe_delivered=True)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            if 400 <= status < 500:  # a refusal without the envelope (a 404 page): still typed by its status
                return status, resp_headers, None
            raise SeriesUnavailable(
                f"Series sent an answer the bot could not read (HTTP {status}).",
                status=status,
                maybe_delivered=method != "GET",
            ) from None
        return status, resp_headers, payload

    def _unwrap(self, status: int, payload: Any, method: str, log_path: str) -> Any:
        if isinstance(payload, dict) and payload.get("success") is True and status < 400:
            return payload.get("data")
        error = payload.get("error") if isinstance(payload, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if not isinstance(message, str) or not message:
            message = f"Series refused the request (HTTP {status})."
        key = self._api_key.reveal()
        if len(key) >= 4:  # never echo the key to staff (shorter "keys" are test values that would garble words)
            message = message.replace(key, "[redacted]")
        if not isinstance(code, int):
            code = status
        cls = _ERRORS_BY_STATUS.get(status) or _ERRORS_BY_STATUS.get(code) or SeriesError
        log.info("Series %s %s -> %s %r", method, log_path, status, message)
        raise cls(message, status=status, code=code)

    # -- basic -----------------------------------------------------------------------------------------------

    async def check_key(self) -> KeyInfo:
        """``GET /basic/check-key/{apiKey}``. A bad key still answers 200; read ``KeyInfo.valid``."""
        path = "/basic/check-key/" + quote(self._api_key.reveal(), safe="")
        return KeyInfo.from_api(await self.request("GET", path, log_path="/basic/check-key/<key>"))

    # -- tickets ---------------------------------------------------------------------------------------------

    async def get_config(self, *, priority: int = INTERACTIVE) -> TicketConfig:
        return TicketConfig.from_api(await self.request("GET", "/tickets/config", priority=priority))

    async def list_tickets(
        self,
        *,
        page: int = 1,
        status: str | None = None,
        department: str | None = None,
        author: int | None = None,
        staff_user_id: int | None = None,
        search: str | None = None,
        priority: int = INTERACTIVE,
    ) -> TicketPage:
        params = {"page": str(page)}
        if status is not None:
            params["status"] = status
        if department is not None:
            params["department"] = department
        if author is not None:
            params["author"] = str(author)
        if staff_user_id is not None:
            params["staffUserId"] = str(staff_user_id)
        if search:
            params["search"] = search  # the parameter name is unverified (docs/series-api.md#search-parameter)
        return TicketPage.from_api(await self.request("GET", "/tickets/list", params=params, priority=priority))

    async def get_ticket(self, ticket_id: str, *, priority: int = INTERACTIVE) -> Ticket:
        data = await self.request("GET", f"/tickets/get/{_segment(ticket_id)}", priority=priority)
        return Ticket.from_api(data.get("Ticket") if isinstance(data, dict) else None)

    async def reply(self, ticket_id: str, *, content: str, staff_user_id: int) -> str:
        return await self._action(ticket_id, "reply", {"content": content, "staffUserId": staff_user_id})

    async def claim(self, ticket_id: str, *, staff_user_id: int) -> str:
        return await self._action(ticket_id, "claim", {"staffUserId": staff_user_id})

    async def unclaim(self, ticket_id: str, *, staff_user_id: int) -> str:
        return await self._action(ticket_id, "unclaim", {"staffUserId": staff_user_id})

    async def set_status(self, ticket_id: str, *, status: str, staff_user_id: int) -> str:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        return await self._action(ticket_id, "status", {"status": status, "staffUserId": staff_user_id})

    async def transfer(self, ticket_id: str, *, department_id: str, staff_user_id: int) -> str:
        return await self._action(ticket_id, "transfer", {"departmentId": department_id, "staffUserId": staff_user_id})

    async def _action(self, ticket_id: str, verb: str, body: dict[str, Any]) -> str:
        data = await self.request("POST", f"/tickets/{_segment(ticket_id)}/{verb}", json_body=body)
        message = data.get("message") if isinstance(data, dict) else None
        return message if isinstance(message, str) else "Done."


def _segment(ticket_id: str) -> str:
    """A ticket id as one encoded URL path segment, whatever it holds (docs/series-api.md#ticket-id-shape).

    Ids that Series lists are data, not a format to enforce; what people type is checked by ``bot.validation``.
    Every reserved character is percent-encoded, dots too, so neither ``/`` nor ``..`` can reach another endpoint.
    """
    if not ticket_id:
        raise ValueError("a ticket id can't be empty")
    return quote(ticket_id, safe="").replace(".", "%2E")
