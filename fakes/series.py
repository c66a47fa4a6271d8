"""A local fake of the Series (series.hr) Tickets HTTP API, built on ``aiohttp.web``.

It follows ``docs/series-api.md`` exactly: paths, PascalCase
(tickets) and camelCase (check-key) field names, the ``{"success": true, "data": ...}`` and
``{"success": false, "error": {"code": N, "message": "..."}}`` envelopes (HTTP status == ``error.code``)
and the documented error strings word for word. Where Series' documentation is silent the fake picks something
sensible; every such choice is marked ``ASSUMPTION`` in a comment, so grep for it.

Used by unit, cog, end-to-end tests and benchmarks::

    fake = FakeSeries(api_key="test-key")
    ticket = fake.create_ticket(subject="Help")             # things happening "on the Series side"
    base_url = await fake.start()                            # http://127.0.0.1:<port>
    ...                                                      # point a SeriesClient at base_url
    assert fake.count("POST", "/tickets/") == 1
    await fake.close()

and by hand (see ``main``)::

    python -m fakes.series --port 8099 --api-key dev-key --seed 12 --new-ticket-every 30

Check order on every tickets endpoint: route (unknown path 404 / wrong method 405), auth (401), rate limit
(429), premium (403), enabled (403), ticket exists (404), body validation (400), then the endpoint's rules.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import logging
import math
import random
import re
import signal
import string
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = [
    "DEFAULT_CATEGORIES",
    "DEFAULT_DEPARTMENTS",
    "DEFAULT_STAFF",
    "PRIORITIES",
    "STATUSES",
    "SYSTEM_MESSAGE_TYPE",
    "FakeApiError",
    "FakeSeries",
    "RecordedRequest",
    "main",
    "seed_demo_tickets",
]

log = logging.getLogger(__name__)
#: One line per request handled (INFO): what ``python -m fakes.series`` prints unless ``-q``.
request_log = logging.getLogger(__name__ + ".requests")

STATUSES: tuple[str, ...] = ("open", "in-progress", "resolved", "closed")
PRIORITIES: tuple[str, ...] = ("low", "medium", "high", "urgent")
#: Statuses that count as "open" for MaxOpenTickets / OpenTicketsCount.
#: ASSUMPTION: Series does not say whether "open" includes in-progress; we count both.
OPEN_STATUSES: frozenset[str] = frozenset({"open", "in-progress"})

#: ASSUMPTION: the Type string of claim/unclaim/transfer/status system messages is undocumented.
SYSTEM_MESSAGE_TYPE = "system_message"

# --- Documented strings (docs/series-api.md#error-strings), word for word. ----------------------------------
MSG_PREMIUM = "Tickets module requires a Premium or Enterprise subscription"
MSG_NOT_ENABLED = "Tickets module is not enabled for this workspace"
MSG_KEY_REQUIRED = "API key is required"
MSG_TICKET_NOT_FOUND = "Ticket not found"
MSG_INVALID_USER_ID = "Invalid userId"
MSG_MUST_CLAIM = "You must claim this ticket before replying"
MSG_GAME_REPORT_REPLY = "Cannot reply to game reports"
MSG_OWN_TICKETS = "You can only reply to your own tickets"
MSG_CLOSED_REPLY = "Cannot reply to closed or resolved tickets"
MSG_ALREADY_CLAIMED = "Ticket already claimed"
MSG_NOT_CLAIMED = "Ticket is not claimed"
MSG_DEPARTMENT_NOT_FOUND = "Department not found"
MSG_INVALID_STATUS = "Invalid status. Must be one of: open, in-progress, resolved, closed"
MSG_KEY_INACTIVE = "API key is inactive or invalid"
MSG_REPLY_SENT = "Reply sent successfully"
MSG_CLAIMED = "Ticket claimed successfully"
MSG_UNCLAIMED = "Ticket unclaimed successfully"

# --- Undocumented strings: every one is an ASSUMPTION. -------------------------------------------------------
MSG_INVALID_KEY = "Invalid API key"  # 401 for a wrong/inactive key; only "API key is required" is documented.
MSG_TOO_MANY = "Too many requests"  # 429 body; no 429 body or header is documented.
MSG_INVALID_JSON = "Invalid JSON body"
MSG_INVALID_PAGE = "Invalid page number"
MSG_INVALID_STAFF_USER_ID = "Invalid staffUserId"
MSG_INVALID_CATEGORY = "Invalid category"  # create's "400 - Validation Error" title; message unknown.
MSG_INVALID_PRIORITY = "Invalid priority. Must be one of: low, medium, high, urgent"
MSG_MAX_TICKETS = "Maximum open tickets reached for this category"  # title "400 - Max Tickets Reached".
MSG_ROUTE_NOT_FOUND = "Not found"
MSG_METHOD_NOT_ALLOWED = "Method not allowed"
MSG_INTERNAL = "Internal server error"

#: Default ``GET /tickets/config`` categories (shape from the examples file). Edit ``fake.categories``.
DEFAULT_CATEGORIES: dict[str, dict[str, Any]] = {
    "support": {"Name": "Support", "WorkspaceMembershipRequired": False, "MinAccessRank": 0, "MaxOpenTickets": 5},
    "reports": {"Name": "Reports", "WorkspaceMembershipRequired": False, "MinAccessRank": 0, "MaxOpenTickets": 3},
}
#: Default departments. moderation-dept also handles "support" so the documented transfer example
#: (a support ticket -> "Moderation Department") is a legal move. Edit ``fake.departments``.
DEFAULT_DEPARTMENTS: dict[str, dict[str, Any]] = {
    "support-dept": {
        "Name": "Support Department",
        "Members": [987654321, 111111111],
        "Categories": ["support"],
        "RankRange": {"FromRank": 100, "ToRank": 255},
    },
    "moderation-dept": {
        "Name": "Moderation Department",
        "Members": [555555555],
        "Categories": ["reports", "support"],
        "RankRange": {"FromRank": 200, "ToRank": 255},
    },
}
#: Staff user id -> (Username, DisplayName), used for ClaimedByUser / ClaimedByName. Unknown ids get
#: made-up names ("staff<id>", "Staff <id>"). ASSUMPTION: Series resolves these from its own database.
DEFAULT_STAFF: dict[int, tuple[str, str]] = {
    987654321: ("staff123", "Staff Member"),
    111111111: ("helper_amy", "Amy"),
    555555555: ("mod_bob", "Bob the Moderator"),
}

_DIGITS = re.compile(r"[0-9]+")
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_NO_JSON: Any = object()  # sentinel: the body was present but was not valid JSON

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeApiError(Exception):
    """An error answer, ``{"success": false, "error": {"code": status, "message": message}}``.

    Raised by the request handlers and also by the synchronous scenario helpers (e.g. ``claim`` on an already
    claimed ticket raises ``FakeApiError(400, "Ticket already claimed")``).
    """

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class RecordedRequest:
    """One request the fake received, in arrival order in ``FakeSeries.requests``."""

    method: str
    #: The path as received (not percent-decoded), without the query string, e.g. ``/tickets/list``.
    path: str
    #: The full request target as received, including the query string (``request.raw_path``).
    raw_path: str
    query: dict[str, str]
    #: The decoded JSON body, or None (no body, or a body that is not JSON; see ``body``).
    json: Any
    body: bytes
    #: Whether an ``apikey`` or ``x-api-key`` header was present (its value is not recorded).
    has_api_key: bool
    #: ``clock()`` at arrival.
    time: float
    #: HTTP status answered; None when no answer was sent (a dropped connection, or the client went away
    #: during a delay and the handler was cancelled).
    status: int | None = None
    #: True when the rate limiter accepted the request and counted it in the key's window (also True for
    #: authenticated requests when ``rate_limit`` is None). False for 401s, 404 routes, 429s and requests
    #: answered by a non-``process`` scripted fault.
    counted: bool = False
    #: True when a ``fail_next`` fault was applied to this request.
    faulted: bool = False


_RECORD_KEY: web.RequestKey[RecordedRequest] = web.RequestKey("fake_series.record", RecordedRequest)
_JSON_KEY: web.RequestKey[Any] = web.RequestKey("fake_series.json", object)


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int | None
    body: bytes | None
    content_type: str
    headers: dict[str, str]
    delay: float
    drop: bool
    process: bool
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.pattern.search(path) is not None


def _iso_ms(ms: int) -> str:
    """Epoch milliseconds -> ``2025-01-15T10:30:00.000Z`` (docs/series-api.md#basics)."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def _iso_s(dt: datetime) -> str:
    """``2024-01-05T11:30:00Z``: check-key's timestamps have no milliseconds in the example."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    # body= (bytes) keeps Content-Type exactly "application/json" (text= / json_response add "; charset=utf-8").
    return web.Response(
        status=status, body=json.dumps(payload).encode(), content_type="application/json", headers=headers
    )


def _ok(data: Any) -> web.Response:
    return _json_response(200, {"success": True, "data": data})


_ERROR_KEY = web.ResponseKey("fake_series_error", str)


def _error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    response = _json_response(status, {"success": False, "error": {"code": status, "message": message}}, headers)
    response[_ERROR_KEY] = message  # for the request log
    return response


class FakeSeries:
    """In-process fake of the Series Tickets API (plus ``GET /basic/check-key/{apiKey}``).

    State is plain data that tests may read and edit directly: ``tickets`` (TicketId -> the full ticket object
    exactly as ``GET /tickets/get`` returns it), ``categories`` and ``departments`` (as ``GET /tickets/config``
    returns them), ``staff_names``, the switches ``premium``, ``enabled``, ``key_valid`` and ``rate_limit``.
    """

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        rate_limit: int | None = 25,
        clock: Callable[[], float] = time.monotonic,
        tickets_per_page: int = 10,
        wall_clock: Callable[[], float] = time.time,
        seed: int | None = None,
    ) -> None:
        """Build the fake and its ``app``; nothing listens until ``start()``.

        ``clock`` times requests for the rate limiter and ``RecordedRequest.time`` (inject a fake clock to test
        rate limiting without waiting). ``wall_clock`` (epoch seconds) stamps CreatedAt/UpdatedAt/Timestamp;
        stamps always strictly increase by at least 1 ms per mutation whatever it returns. ``seed`` makes the
        random parts of ids reproducible.
        """
        self.api_key: str = api_key
        #: Max requests per key in any 1.0 s sliding window (reference: "25 requests per second per API key").
        #: None disables rate limiting.
        self.rate_limit: int | None = rate_limit
        self.tickets_per_page: int = tickets_per_page
        self.premium: bool = True
        self.enabled: bool = True
        self.key_valid: bool = True

        self.workspace_id: str = "a7d5339a-5531-4336-99c6-6f3249c9ac20"
        self.workspace_name: str = "My Organization"
        self.key_created_at: str = "2024-01-01T00:00:00Z"
        #: check-key's ``rateLimitRemaining`` (the suspected hourly quota, docs/series-api.md#rate-limit).
        #: Reported, not enforced.
        self.quota_remaining: int = 8542
        self.public_url: bool = False
        self.webhook_enabled: bool = True
        self.webhook_ping: str = "1234567890123456789"
        #: CategoryLimit reported by check-user-tickets when no ``category`` is given. ASSUMPTION.
        self.default_ticket_limit: int = 5

        self.categories: dict[str, dict[str, Any]] = copy.deepcopy(DEFAULT_CATEGORIES)
        self.departments: dict[str, dict[str, Any]] = copy.deepcopy(DEFAULT_DEPARTMENTS)
        self.staff_names: dict[int, tuple[str, str]] = dict(DEFAULT_STAFF)
        self.tickets: dict[str, dict[str, Any]] = {}

        self.requests: list[RecordedRequest] = []
        #: Number of 429s sent by the rate limiter (scripted 429s from ``fail_next`` are not counted).
        self.rate_limited: int = 0

        self._clock = clock
        self._wall_clock = wall_clock
        self._random = random.Random(seed)
        self._last_ms = 0
        self._windows: dict[str, deque[float]] = {}
        self._faults: list[_Fault] = []
        self._last_used: datetime | None = None
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

        self.app: web.Application = web.Application(middlewares=[self._middleware])
        self._add_routes(self.app.router)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 = any free port) and return the base URL, ``http://127.0.0.1:<port>``."""
        if self._runner is not None:
            raise RuntimeError("FakeSeries is already started")
        # handler_cancellation: a client that gives up during a scripted delay cancels the handler, so a
        # delayed-but-not-processed request never takes effect later. Short shutdown_timeout: close() does not
        # wait for long scripted delays.
        runner = web.AppRunner(self.app, handler_cancellation=True, shutdown_timeout=0.25, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._url = f"http://{bound_host}:{bound_port}"
        return self._url

    async def close(self) -> None:
        """Stop listening. Safe to call twice or without ``start()``."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeSeries:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The base URL returned by ``start()``."""
        if self._url is None:
            raise RuntimeError("FakeSeries is not started")
        return self._url

    # ------------------------------------------------------------------ test helpers

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Number of recorded requests with this method (any if None) whose ``path`` starts with the prefix."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path_prefix is None or r.path.startswith(path_prefix))
        )

    def max_in_window(self, period: float = 1.0, *, accepted_only: bool = True) -> int:
        """The largest number of requests that arrived within any window of ``period`` seconds.

        Exact sliding window over ``RecordedRequest.time``: for each request at time t it counts requests with
        time in (t - period, t], the same comparison the rate limiter makes (equivalent to counting
        [t, t + period) from each request, without float disagreements), so with ``period=1.0`` the result never
        exceeds ``rate_limit``. By default only requests the limiter accepted (``counted``) are included; pass
        ``accepted_only=False`` to include every recorded request (429s, 401s, faults): that shows what a client
        actually sent.
        """
        times = sorted(r.time for r in self.requests if r.counted or not accepted_only)
        best = 0
        start = 0
        for end, t in enumerate(times):
            while times[start] <= t - period:
                start += 1
            best = max(best, end - start + 1)
        return best

    def fail_next(
        self,
        method: str,
        path_regex: str,
        *,
        status: int | None = None,
        body: str | bytes | None = None,
        json: Any = None,  # named like aiohttp's json= argument
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
        process: bool = False,
        times: int = 1,
    ) -> None:
        """Script a fault for the next request(s) whose method and path match; FIFO, first match wins.

        ``method`` is an HTTP method or ``"*"``; ``path_regex`` is searched (``re.search``) in the raw path
        without the query string, so anchor it (``r"^/tickets/list$"``) when it matters. Each fault applies to
        ``times`` requests, then is gone.

        - ``status`` / ``body`` / ``json``: answer this instead. With only ``status``, the body is the error
          envelope with the HTTP reason phrase; with only ``body``/``json``, the status is 200.
        - ``delay``: ``asyncio.sleep(delay)`` (real seconds) before answering. Alone, it just slows the real
          answer down. If the client gives up meanwhile, the handler is cancelled.
        - ``drop``: close the connection without answering (the client sees a disconnect).
        - ``process``: apply the real effect of the request first (auth, rate limit, state change) and only then
          the fault: "the request arrived but the answer got lost" (with ``drop``, ``delay`` or ``status``).
        """
        if body is not None and json is not None:
            raise ValueError("pass body or json, not both")
        if times < 1:
            raise ValueError("times must be >= 1")
        if status is None and body is None and json is None and not drop and delay <= 0:
            raise ValueError("the fault does nothing: give status, body, json, delay or drop")
        raw: bytes | None
        if json is not None:
            raw = _json_dumps(json)
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body
        self._faults.append(
            _Fault(
                method=method.upper(),
                pattern=re.compile(path_regex),
                status=status,
                body=raw,
                content_type=content_type,
                headers=dict(headers or {}),
                delay=delay,
                drop=drop,
                process=process,
                remaining=times,
            )
        )

    def clear_faults(self) -> None:
        """Forget every scripted fault not used yet."""
        self._faults.clear()

    @property
    def pending_faults(self) -> int:
        """How many scripted fault uses are left."""
        return sum(f.remaining for f in self._faults)

    def get_ticket(self, ticket_id: str) -> dict[str, Any]:
        """The live ticket by TicketId or ``_id``; raises ``FakeApiError(404, "Ticket not found")``."""
        return self._find(ticket_id, allow_object_id=True)

    def messages(self, ticket_id: str) -> list[tuple[str, dict[str, Any]]]:
        """``(msj id, message)`` pairs of a ticket's ``Content`` in time order."""
        content = self._find(ticket_id, allow_object_id=True)["Content"]
        return sorted(content.items(), key=lambda kv: (kv[1]["Timestamp"], kv[0]))

    def staff_identity(self, staff_user_id: int) -> tuple[str, str]:
        """``(Username, DisplayName)`` for a staff id; made up for unknown ids."""
        return self.staff_names.get(staff_user_id, (f"staff{staff_user_id}", f"Staff {staff_user_id}"))

    def add_department(
        self,
        department_id: str,
        name: str,
        *,
        members: list[int] | tuple[int, ...] = (),
        categories: list[str] | tuple[str, ...] = (),
        from_rank: int = 1,
        to_rank: int = 255,
    ) -> dict[str, Any]:
        """Add (or replace) a department in the config and return it."""
        dept = {
            "Name": name,
            "Members": list(members),
            "Categories": list(categories),
            "RankRange": {"FromRank": from_rank, "ToRank": to_rank},
        }
        self.departments[department_id] = dept
        return dept

    # ------------------------------------------------------------------ scenario helpers (the "Series side")
    #
    # These mutate state directly, as if it happened on the Series website or through another API client.
    # claim/unclaim/transfer/set_status enforce the same state rules as their endpoints and raise FakeApiError
    # with the same status and message. author_message/staff_message skip the API's permission rules
    # (author only, closed tickets, claim-before-reply, game reports): the website is not the API.

    def create_ticket(
        self,
        *,
        subject: str = "Help with ranking",
        message: str = "I need help",
        category: str = "support",
        department: str | None = None,
        author_id: int = 123456789,
        username: str = "player123",
        display_name: str = "Player Name",
        avatar_url: str = "https://tr.rbxcdn.com/avatar.png",
        priority: str = "medium",
        game_report: bool = False,
        place_id: str = "1234567890",
        server_id: str | None = None,
    ) -> dict[str, Any]:
        """Create an open ticket whose first message is ``message``; return the live ticket dict.

        ``department`` defaults to the first department whose Categories include ``category``.
        """
        if category not in self.categories:
            raise FakeApiError(400, MSG_INVALID_CATEGORY)
        if priority not in PRIORITIES:
            raise FakeApiError(400, MSG_INVALID_PRIORITY)
        if department is not None and department not in self.departments:
            raise FakeApiError(404, MSG_DEPARTMENT_NOT_FOUND)
        author = {"UserId": author_id, "Username": username, "DisplayName": display_name, "AvatarUrl": avatar_url}
        game_data = {"PlaceId": place_id, "ServerId": server_id} if game_report else None
        return self._new_ticket(
            subject=subject,
            message=message,
            category=category,
            department=department,
            author=author,
            priority=priority,
            game_data=game_data,
        )

    def author_message(self, ticket_id: str, content: str) -> str:
        """The ticket's author adds a message (like reply-member); returns the new ``msj_…`` id."""
        ticket = self._find(ticket_id, allow_object_id=True)
        return self._add_message(ticket, "author_message", ticket["Author"]["UserId"], content)

    def staff_message(self, ticket_id: str, staff_user_id: int, content: str) -> str:
        """A staff reply made on the Series website (no claim needed here); returns the ``msj_…`` id."""
        ticket = self._find(ticket_id, allow_object_id=True)
        return self._add_message(ticket, "staff_message", staff_user_id, content)

    def set_status(self, ticket_id: str, status: str, staff_user_id: int = 987654321) -> str:
        """Change the status like ``POST /tickets/{id}/status``; returns the success message."""
        return self._set_status(self._find(ticket_id, allow_object_id=True), status, staff_user_id)

    def claim(self, ticket_id: str, staff_user_id: int) -> str:
        """Claim like ``POST /tickets/{id}/claim``; returns the success message."""
        return self._claim(self._find(ticket_id, allow_object_id=True), staff_user_id)

    def unclaim(self, ticket_id: str, staff_user_id: int = 987654321) -> str:
        """Unclaim like ``POST /tickets/{id}/unclaim``; returns the success message."""
        return self._unclaim(self._find(ticket_id, allow_object_id=True), staff_user_id)

    def transfer(self, ticket_id: str, department_id: str, staff_user_id: int = 987654321) -> str:
        """Transfer like ``POST /tickets/{id}/transfer``; returns ``Ticket transferred to <Name>``."""
        return self._transfer(self._find(ticket_id, allow_object_id=True), department_id, staff_user_id)

    # ------------------------------------------------------------------ state internals

    def _stamp(self) -> int:
        """Epoch ms for a mutation: the wall clock, but always at least 1 ms after the previous stamp."""
        ms = max(int(self._wall_clock() * 1000), self._last_ms + 1)
        self._last_ms = ms
        return ms

    def _rand(self, alphabet: str, n: int) -> str:
        return "".join(self._random.choice(alphabet) for _ in range(n))

    def _find(self, ticket_id: str, *, allow_object_id: bool) -> dict[str, Any]:
        ticket = self.tickets.get(ticket_id)
        if ticket is None and allow_object_id:
            ticket = next((t for t in self.tickets.values() if t.get("_id") == ticket_id), None)
        if ticket is None:
            raise FakeApiError(404, MSG_TICKET_NOT_FOUND)
        return ticket

    def _default_department(self, category: str) -> str | None:
        for dept_id, dept in self.departments.items():
            if category in dept.get("Categories", []):
                return dept_id
        # ASSUMPTION: no department handles the category -> the first department (None if there is none).
        return next(iter(self.departments), None)

    def _open_count(self, user_id: int, category: str | None) -> int:
        return sum(
            1
            for t in self.tickets.values()
            if t["Author"]["UserId"] == user_id
            and t["Status"] in OPEN_STATUSES
            and (category is None or t["Category"] == category)
        )

    def _new_ticket(
        self,
        *,
        subject: str,
        message: str,
        category: str,
        department: str | None,
        author: dict[str, Any],
        priority: str,
        game_data: dict[str, Any] | None,
    ) -> dict[str, Any]:
        ms = self._stamp()
        ticket_id = f"TICKET-{ms}-{self._rand(_UPPER_ALNUM, 4)}"
        while ticket_id in self.tickets:
            ticket_id = f"TICKET-{ms}-{self._rand(_UPPER_ALNUM, 4)}"
        object_ids = {t.get("_id") for t in self.tickets.values()}
        object_id = f"{ms // 1000:08x}{self._rand('0123456789abcdef', 16)}"  # 24 hex, like a MongoDB ObjectId
        while object_id in object_ids:
            object_id = f"{ms // 1000:08x}{self._rand('0123456789abcdef', 16)}"
        now = _iso_ms(ms)
        # Key order follows the get-ticket example.
        ticket: dict[str, Any] = {
            "_id": object_id,
            "TicketId": ticket_id,
            "Subject": subject,
            "Category": category,
            "Department": department if department is not None else self._default_department(category),
            "Status": "open",
            "Priority": priority,
            "Author": author,
            "Content": {},
            # ASSUMPTION: "unclaimed" is shown as ClaimedBy null and ClaimedByUser null (undocumented,
            # docs/series-api.md#unclaimed-tickets).
            "ClaimedBy": None,
            "ClaimedByUser": None,
            "GameReport": game_data is not None,
        }
        if game_data is not None:
            # ASSUMPTION: GameData's shape is not shown; {PlaceId, ServerId}. Normal tickets have no GameData key.
            ticket["GameData"] = game_data
        ticket["CreatedAt"] = now
        ticket["UpdatedAt"] = now
        # The first message is an author_message stamped with the creation time (inferred, docs/series-api.md#messages).
        ticket["Content"][self._message_id(ticket, ms)] = {
            "Content": message,
            "Author": author["UserId"],
            "Type": "author_message",
            "Timestamp": now,
        }
        self.tickets[ticket_id] = ticket
        log.debug("ticket %s created (%s, %s)", ticket_id, category, ticket["Department"])
        return ticket

    def _message_id(self, ticket: dict[str, Any], ms: int) -> str:
        msg_id = f"msj_{ms}_{self._rand(_LOWER_ALNUM, 6)}"
        while msg_id in ticket["Content"]:
            msg_id = f"msj_{ms}_{self._rand(_LOWER_ALNUM, 6)}"
        return msg_id

    def _add_message(self, ticket: dict[str, Any], msg_type: str, author: int, content: str) -> str:
        """Append a message and bump UpdatedAt; every call is one mutation with its own stamp."""
        ms = self._stamp()
        msg_id = self._message_id(ticket, ms)
        now = _iso_ms(ms)
        ticket["Content"][msg_id] = {"Content": content, "Author": author, "Type": msg_type, "Timestamp": now}
        ticket["UpdatedAt"] = now
        return msg_id

    def _claim(self, ticket: dict[str, Any], staff_user_id: int) -> str:
        # ASSUMPTION (docs/series-api.md#re-claim-by-the-holder): a re-claim by the same staff member is also refused.
        # ASSUMPTION: department membership / rank is not enforced (docs/series-api.md#no-acting-user-check).
        if ticket.get("ClaimedBy") is not None:
            raise FakeApiError(400, MSG_ALREADY_CLAIMED)
        username, display = self.staff_identity(staff_user_id)
        ticket["ClaimedBy"] = staff_user_id
        ticket["ClaimedByUser"] = {"UserId": staff_user_id, "DisplayName": display, "Username": username}
        ticket["Status"] = "in-progress"
        self._add_message(ticket, SYSTEM_MESSAGE_TYPE, staff_user_id, f"Ticket claimed by {display}")
        return MSG_CLAIMED

    def _unclaim(self, ticket: dict[str, Any], staff_user_id: int) -> str:
        # ASSUMPTION: anyone may unclaim, not only the claimer (no "not your claim" error is documented).
        if ticket.get("ClaimedBy") is None:
            raise FakeApiError(400, MSG_NOT_CLAIMED)
        display = (ticket.get("ClaimedByUser") or {}).get("DisplayName") or self.staff_identity(ticket["ClaimedBy"])[1]
        ticket["ClaimedBy"] = None
        ticket["ClaimedByUser"] = None
        # The status is left as it was (docs/series-api.md#claim-and-status).
        self._add_message(ticket, SYSTEM_MESSAGE_TYPE, staff_user_id, f"Ticket unclaimed ({display})")
        return MSG_UNCLAIMED

    def _transfer(self, ticket: dict[str, Any], department_id: str, staff_user_id: int) -> str:
        dept = self.departments.get(department_id)
        if dept is None:
            raise FakeApiError(404, MSG_DEPARTMENT_NOT_FOUND)
        # ASSUMPTION: "the target department must handle the ticket's category" is not enforced: no error
        # string is documented for it. Transferring to the current department is allowed too.
        name = dept["Name"]
        ticket["Department"] = department_id
        self._add_message(ticket, SYSTEM_MESSAGE_TYPE, staff_user_id, f"Ticket transferred to {name}")
        if ticket.get("ClaimedBy") is not None:
            # Auto-unclaim with its own system message; the status is unchanged (docs/series-api.md#claim-and-status).
            self._unclaim(ticket, staff_user_id)
        return f"Ticket transferred to {name}"

    def _set_status(self, ticket: dict[str, Any], status: Any, staff_user_id: int) -> str:
        if not isinstance(status, str) or status not in STATUSES:
            raise FakeApiError(400, MSG_INVALID_STATUS)
        # ASSUMPTION: no claim needed, and resolved/closed do not unclaim (both undocumented,
        # docs/series-api.md#change-status).
        ticket["Status"] = status
        self._add_message(ticket, SYSTEM_MESSAGE_TYPE, staff_user_id, f"Status changed to {status}")
        return f"Status changed to {status}"

    def _list_item(self, ticket: dict[str, Any]) -> dict[str, Any]:
        claimer = ticket.get("ClaimedByUser")
        return {
            "_id": ticket["_id"],
            "TicketId": ticket["TicketId"],
            "Subject": ticket["Subject"],
            "Category": ticket["Category"],
            "Department": ticket["Department"],
            "Status": ticket["Status"],
            "Priority": ticket["Priority"],
            "ClaimedBy": ticket.get("ClaimedBy"),
            # ASSUMPTION: ClaimedByName is the claimer's DisplayName, null when unclaimed.
            "ClaimedByName": claimer.get("DisplayName") if claimer else None,
            "Author": dict(ticket["Author"]),
            "CreatedAt": ticket["CreatedAt"],
            "UpdatedAt": ticket["UpdatedAt"],
            "GameReport": ticket["GameReport"],
        }

    # ------------------------------------------------------------------ HTTP plumbing

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/basic/check-key/{api_key}", self._h_check_key)
        router.add_get("/tickets/config", self._h_config)
        router.add_get("/tickets/list", self._h_list)
        router.add_get("/tickets/get/{ticket_id}", self._h_get)
        router.add_get("/tickets/check-user-tickets/{user_id}", self._h_check_user_tickets)
        router.add_post("/tickets/create", self._h_create)
        router.add_post("/tickets/create-game-report", self._h_create_game_report)
        router.add_post("/tickets/{ticket_id}/reply", self._h_reply)
        router.add_post("/tickets/{ticket_id}/reply-member", self._h_reply_member)
        router.add_post("/tickets/{ticket_id}/claim", self._h_claim)
        router.add_post("/tickets/{ticket_id}/unclaim", self._h_unclaim)
        router.add_post("/tickets/{ticket_id}/transfer", self._h_transfer)
        router.add_post("/tickets/{ticket_id}/status", self._h_status)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[i]
                return fault
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        parsed: Any = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = _NO_JSON
        record = RecordedRequest(
            method=request.method,
            path=request.rel_url.raw_path,
            raw_path=request.raw_path,
            query=dict(request.query),
            json=None if parsed is _NO_JSON else parsed,
            body=raw,
            has_api_key=bool(request.headers.get("apikey") or request.headers.get("x-api-key")),
            time=self._clock(),
        )
        self.requests.append(record)
        request[_RECORD_KEY] = record
        request[_JSON_KEY] = parsed

        fault = self._take_fault(request.method, record.path)
        if fault is not None:
            record.faulted = True
        log.debug("%s %s%s", request.method, request.raw_path, " (scripted fault)" if fault else "")

        response: web.StreamResponse | None = None
        if fault is None or fault.process:
            response = await self._process(request, handler)
        if fault is not None:
            if fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                transport = request.transport
                if transport is not None:
                    transport.close()
                # aiohttp ignores the connection error it hits while writing this to the closed transport.
                return web.Response(status=204)
            if fault.status is not None or fault.body is not None:
                response = self._fault_response(fault)
            elif response is None:
                response = await self._process(request, handler)
        assert response is not None
        record.status = response.status
        if request_log.isEnabledFor(logging.INFO):
            shown = "/basic/check-key/<key>" if record.path.startswith("/basic/check-key/") else request.raw_path
            error = response.get(_ERROR_KEY)
            request_log.info("%s %s -> %s%s", request.method, shown, response.status, f" {error!r}" if error else "")
        return response

    async def _process(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Route, guard and handle one request; FakeApiError becomes the error envelope."""
        try:
            route_error = request.match_info.http_exception
            if route_error is not None:
                # ASSUMPTION: unknown paths / wrong methods answer the error envelope too.
                message = MSG_METHOD_NOT_ALLOWED if route_error.status == 405 else MSG_ROUTE_NOT_FOUND
                raise FakeApiError(route_error.status, message)
            if request.path.startswith("/tickets/"):
                self._guard_tickets(request)
            return await handler(request)
        except FakeApiError as exc:
            return _error_response(exc.status, exc.message, exc.headers or None)
        except Exception:
            log.exception("fake Series failed on %s %s", request.method, request.raw_path)
            return _error_response(500, MSG_INTERNAL)

    @staticmethod
    def _fault_response(fault: _Fault) -> web.Response:
        status = fault.status if fault.status is not None else 200
        if fault.body is not None:
            body = fault.body
        else:
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = "Error"
            body = _json_dumps({"success": False, "error": {"code": status, "message": reason}})
        headers = dict(fault.headers)
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = fault.content_type
        return web.Response(status=status, body=body, headers=headers)

    def _guard_tickets(self, request: web.Request) -> None:
        """Auth, rate limit, premium, enabled: in that order, on every tickets endpoint."""
        key = request.headers.get("apikey") or request.headers.get("x-api-key")
        if not key:
            raise FakeApiError(401, MSG_KEY_REQUIRED)
        # ASSUMPTION: a wrong or inactive key gets 401 "Invalid API key" (message undocumented).
        if key != self.api_key or not self.key_valid:
            raise FakeApiError(401, MSG_INVALID_KEY)
        self._rate_check(key, request[_RECORD_KEY])
        if not self.premium:
            raise FakeApiError(403, MSG_PREMIUM)
        # ASSUMPTION: Series lists "not enabled" only on some endpoints ("probably applies to every
        # endpoint"); it applies to all here, so check-user-tickets' TicketsEnabled is always true when answered.
        if not self.enabled:
            raise FakeApiError(403, MSG_NOT_ENABLED)

    def _rate_check(self, key: str, record: RecordedRequest) -> None:
        """True sliding window per key: refuse when ``rate_limit`` accepted requests are within the last 1.0 s.

        ASSUMPTION: only accepted requests count toward the window (a 429 does not extend the block), as most
        real limiters do. The 429 body and Retry-After header are undocumented.
        """
        if self.rate_limit is None:
            record.counted = True
            self._touch()
            return
        now = record.time
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.rate_limit:
            if window and self.rate_limit > 0:
                # The slot frees when the request that keeps the window full leaves it (1.0 s after it arrived).
                blocker = window[len(window) - self.rate_limit]
                wait = math.ceil(round(blocker + 1.0 - now, 6))
            else:
                wait = 1
            self.rate_limited += 1
            raise FakeApiError(429, MSG_TOO_MANY, headers={"Retry-After": str(max(1, wait))})
        window.append(now)
        record.counted = True
        self._touch()

    def _touch(self) -> None:
        self._last_used = datetime.fromtimestamp(self._wall_clock(), tz=UTC)

    def _body(self, request: web.Request) -> dict[str, Any]:
        parsed = request[_JSON_KEY]
        if not isinstance(parsed, dict):
            # ASSUMPTION: undocumented message for a missing, malformed or non-object JSON body.
            raise FakeApiError(400, MSG_INVALID_JSON)
        return parsed

    # Body validators. ASSUMPTION: all of these 400 messages are undocumented.
    @staticmethod
    def _req_str(body: dict[str, Any], name: str) -> str:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise FakeApiError(400, f"{name} is required")
        return value

    @staticmethod
    def _opt_str(body: dict[str, Any], name: str) -> str | None:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise FakeApiError(400, f"{name} must be a string")
        return value

    @staticmethod
    def _req_int(body: dict[str, Any], name: str) -> int:
        # Roblox user ids are JSON integers in the tickets module (docs/series-api.md#basics); strings are refused.
        value = body.get(name)
        if value is None:
            raise FakeApiError(400, f"{name} is required")
        if not _is_int(value):
            raise FakeApiError(400, f"{name} must be an integer")
        return value

    # ------------------------------------------------------------------ handlers

    async def _h_check_key(self, request: web.Request) -> web.Response:
        # The key is in the path; no header needed (docs/series-api.md#check-key). Invalid keys get HTTP 200 with
        # valid: false.
        key = request.match_info["api_key"]
        if key != self.api_key or not self.key_valid:
            return _ok({"valid": False, "status": "inactive", "message": MSG_KEY_INACTIVE})
        # ASSUMPTION: a valid check-key call counts against that key's rate limit; invalid ones do not.
        self._rate_check(key, request[_RECORD_KEY])
        now = datetime.fromtimestamp(self._wall_clock(), tz=UTC)
        reset = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return _ok(
            {
                "valid": True,
                "workspaceId": self.workspace_id,
                "workspaceName": self.workspace_name,
                "status": "active",
                "createdAt": self.key_created_at,
                "lastUsed": _iso_s(self._last_used or now),
                "rateLimitRemaining": self.quota_remaining,
                "rateLimitReset": _iso_s(reset),
            }
        )

    async def _h_config(self, request: web.Request) -> web.Response:
        return _ok(
            {
                "Enabled": self.enabled,
                "PublicUrl": self.public_url,
                "Categories": copy.deepcopy(self.categories),
                "Departments": copy.deepcopy(self.departments),
                "DiscordNotificationWebhookEnabled": self.webhook_enabled,
                "DiscordNotificationWebhookPing": self.webhook_ping,
            }
        )

    async def _h_list(self, request: web.Request) -> web.Response:
        query = request.query
        page_raw = query.get("page") or "1"
        if not _DIGITS.fullmatch(page_raw) or int(page_raw) < 1:
            raise FakeApiError(400, MSG_INVALID_PAGE)  # ASSUMPTION: undocumented.
        page = int(page_raw)

        items = list(self.tickets.values())
        if status := query.get("status"):
            if status not in STATUSES:
                # ASSUMPTION: an unknown status filter is refused with change-status's message.
                raise FakeApiError(400, MSG_INVALID_STATUS)
            items = [t for t in items if t["Status"] == status]
        if author := query.get("author"):
            items = [t for t in items if str(t["Author"]["UserId"]) == author]
        if department := query.get("department"):
            items = [t for t in items if t["Department"] == department]
        if staff_raw := query.get("staffUserId"):
            if not _DIGITS.fullmatch(staff_raw):
                raise FakeApiError(400, MSG_INVALID_STAFF_USER_ID)  # ASSUMPTION: undocumented.
            staff_id = int(staff_raw)
            allowed = {d_id for d_id, d in self.departments.items() if staff_id in d.get("Members", [])}
            items = [t for t in items if t["Department"] in allowed]
        # ASSUMPTION: the search parameter's name is unverified ("search" is the best guess,
        # docs/series-api.md#search-parameter);
        # case-insensitive substring of Subject, Author.Username or Author.DisplayName.
        if search := query.get("search"):
            needle = search.casefold()
            items = [
                t
                for t in items
                if needle in t["Subject"].casefold()
                or needle in str(t["Author"].get("Username", "")).casefold()
                or needle in str(t["Author"].get("DisplayName", "")).casefold()
            ]

        # ASSUMPTION: sort order is undocumented; newest CreatedAt first, later insertion first on ties.
        order = {tid: i for i, tid in enumerate(self.tickets)}
        items.sort(key=lambda t: (t["CreatedAt"], order.get(t["TicketId"], -1)), reverse=True)

        per_page = self.tickets_per_page
        total = len(items)
        # ASSUMPTION: TotalPages = ceil(TotalCount / TicketsPerPage), so 0 when there are no tickets. A page past
        # the end answers an empty Tickets list, not an error.
        total_pages = math.ceil(total / per_page)
        chunk = items[(page - 1) * per_page : page * per_page]
        return _ok(
            {
                "Tickets": [self._list_item(t) for t in chunk],
                "Pagination": {
                    "CurrentPage": page,
                    "TotalPages": total_pages,
                    "TotalCount": total,
                    "TicketsPerPage": per_page,
                    "HasNextPage": page < total_pages,
                    "HasPreviousPage": page > 1,
                },
            }
        )

    async def _h_get(self, request: web.Request) -> web.Response:
        # Only get accepts the MongoDB _id as well as the TicketId (docs/series-api.md#get-versus-actions).
        ticket = self._find(request.match_info["ticket_id"], allow_object_id=True)
        return _ok({"Ticket": copy.deepcopy(ticket)})

    async def _h_check_user_tickets(self, request: web.Request) -> web.Response:
        user_raw = request.match_info["user_id"]
        if not _DIGITS.fullmatch(user_raw):
            raise FakeApiError(400, MSG_INVALID_USER_ID)
        user_id = int(user_raw)
        category = request.query.get("category") or None
        if category is not None and category not in self.categories:
            raise FakeApiError(400, MSG_INVALID_CATEGORY)  # ASSUMPTION: undocumented.
        # ASSUMPTION: with a category, the count is that category's open + in-progress tickets (MaxOpenTickets is
        # per category); without one, all the user's open + in-progress tickets against default_ticket_limit.
        limit = self.categories[category]["MaxOpenTickets"] if category else self.default_ticket_limit
        count = self._open_count(user_id, category)
        return _ok(
            {
                "UserId": user_id,
                "OpenTicketsCount": count,
                "CategoryLimit": limit,
                "CanCreateTicket": count < limit,
                "TicketsEnabled": self.enabled,
            }
        )

    async def _h_create(self, request: web.Request) -> web.Response:
        return self._create(self._body(request), game_report=False)

    async def _h_create_game_report(self, request: web.Request) -> web.Response:
        return self._create(self._body(request), game_report=True)

    def _create(self, body: dict[str, Any], *, game_report: bool) -> web.Response:
        # Validation per docs/series-api.md#endpoints-the-bot-does-not-call; all messages are ASSUMPTIONs (only error
        # titles are documented).
        subject = self._req_str(body, "subject")
        category = self._req_str(body, "category")
        if category not in self.categories:
            raise FakeApiError(400, MSG_INVALID_CATEGORY)
        message = self._req_str(body, "message")
        priority = body.get("priority", "medium")
        if priority not in PRIORITIES:
            raise FakeApiError(400, MSG_INVALID_PRIORITY)
        author_id = self._req_int(body, "authorUserId")
        username = self._opt_str(body, "authorUsername")
        display_name = self._opt_str(body, "authorDisplayName")
        avatar = body.get("authorAvatarUrl")
        if not isinstance(avatar, str) or not avatar.strip():
            raise FakeApiError(400, "authorAvatarUrl is required")  # title "400 - Missing authorAvatarUrl"
        game_data: dict[str, Any] | None = None
        if game_report:
            game_data = {"PlaceId": self._req_str(body, "placeId"), "ServerId": self._opt_str(body, "serverId")}
        elif self._open_count(author_id, category) >= self.categories[category].get("MaxOpenTickets", 1 << 30):
            # Only create-ticket lists "400 - Max Tickets Reached"; game reports are not limited here.
            raise FakeApiError(400, MSG_MAX_TICKETS)
        # ASSUMPTION: "Membership Required" is not modelled (the fake has no workspace member list).
        # ASSUMPTION: without authorUsername / authorDisplayName ("used if not in database"), names are made up.
        username = username or f"user{author_id}"
        author = {
            "UserId": author_id,
            "Username": username,
            "DisplayName": display_name or username,
            "AvatarUrl": avatar,
        }
        ticket = self._new_ticket(
            subject=subject,
            message=message,
            category=category,
            department=None,
            author=author,
            priority=priority,
            game_data=game_data,
        )
        # ASSUMPTION: only TicketId, _id and WorkspaceId are known in the success data; nothing else is invented
        # so that clients cannot come to rely on it. HTTP 200 (the status is undocumented).
        return _ok({"TicketId": ticket["TicketId"], "_id": ticket["_id"], "WorkspaceId": self.workspace_id})

    def _action_ticket(self, request: web.Request) -> dict[str, Any]:
        # ASSUMPTION: action endpoints accept only the TicketId; Series says only get takes an _id too
        # and advises the TicketId everywhere (docs/series-api.md#get-versus-actions), so a client that sends an _id
        # here gets 404.
        return self._find(request.match_info["ticket_id"], allow_object_id=False)

    async def _h_reply(self, request: web.Request) -> web.Response:
        ticket = self._action_ticket(request)
        body = self._body(request)
        content = self._req_str(body, "content")
        staff_id = self._req_int(body, "staffUserId")
        if ticket.get("GameReport"):
            raise FakeApiError(403, MSG_GAME_REPORT_REPLY)
        # "Claimed by you": ClaimedBy must equal staffUserId; unclaimed or claimed by someone else -> 400.
        # No block on closed/resolved tickets for staff (none is documented,
        # docs/series-api.md#replies-on-closed-tickets).
        if ticket.get("ClaimedBy") != staff_id:
            raise FakeApiError(400, MSG_MUST_CLAIM)
        self._add_message(ticket, "staff_message", staff_id, content)
        return _ok({"message": MSG_REPLY_SENT})

    async def _h_reply_member(self, request: web.Request) -> web.Response:
        ticket = self._action_ticket(request)
        body = self._body(request)
        content = self._req_str(body, "content")
        author_id = self._req_int(body, "authorUserId")
        if ticket["Author"]["UserId"] != author_id:
            raise FakeApiError(403, MSG_OWN_TICKETS)
        if ticket["Status"] in ("closed", "resolved"):
            raise FakeApiError(403, MSG_CLOSED_REPLY)
        self._add_message(ticket, "author_message", author_id, content)
        return _ok({"message": MSG_REPLY_SENT})

    async def _h_claim(self, request: web.Request) -> web.Response:
        ticket = self._action_ticket(request)
        staff_id = self._req_int(self._body(request), "staffUserId")
        return _ok({"message": self._claim(ticket, staff_id)})

    async def _h_unclaim(self, request: web.Request) -> web.Response:
        ticket = self._action_ticket(request)
        staff_id = self._req_int(self._body(request), "staffUserId")
        return _ok({"message": self._unclaim(ticket, staff_id)})

    async def _h_transfer(self, request: web.Request) -> web.Response:
        ticket = self._action_ticket(request)
        body = self._body(request)
        department_id = self._req_str(body, "departmentId")
        staff_id = self._req_int(body, "staffUserId")
        return _ok({"message": self._transfer(ticket, department_id, staff_id)})

    async def _h_status(self, request: web.Request) -> web.Response:
        ticket = self._action_ticket(request)
        body = self._body(request)
        status = body.get("status")
        # A missing status gets the documented invalid-status message too (status is required,
        # docs/series-api.md#change-status).
        if not isinstance(status, str) or status not in STATUSES:
            raise FakeApiError(400, MSG_INVALID_STATUS)
        staff_id = self._req_int(body, "staffUserId")
        return _ok({"message": self._set_status(ticket, status, staff_id)})


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


# ---------------------------------------------------------------------- demo data and CLI

_DEMO_PLAYERS: list[tuple[int, str, str]] = [
    (123456789, "player123", "Player Name"),
    (234567891, "blox_builder", "Builder Bob"),
    (345678912, "speedy_sam", "Sam"),
    (456789123, "nightowl_99", "Night Owl"),
    (567891234, "cool_kid", "Cool Kid"),
]
_DEMO_SUBJECTS: list[tuple[str, str, str]] = [
    ("Help with ranking", "I need help getting ranked in the group", "support"),
    ("Can't join the training center", "It says the server is full every time.", "support"),
    ("Promotion request", "I finished all my trainings, can I be promoted?", "support"),
    ("Lost my items after rejoining", "My inventory was wiped when I rejoined.", "support"),
    ("Question about shifts", "How many shifts do I need per week?", "support"),
    ("Appeal my warning", "I think my warning was a mistake.", "reports"),
    ("Rank not showing in game", "My rank on the group is right but in game it is wrong.", "support"),
    ("Application status", "When will my application be reviewed?", "support"),
    ("Player harassing in chat", "Someone keeps insulting me in chat.", "reports"),
    ("Bug: door stuck", "The main door in the lobby doesn't open.", "support"),
]
_DEMO_FOLLOW_UPS = [
    "Any update on this?",
    "Thanks! I'll try that now.",
    "It still doesn't work for me.",
    "Here is a screenshot: https://example.com/screenshot.png",
    "Okay, I'm in game now.",
]


def seed_demo_tickets(fake: FakeSeries, count: int, *, rng: random.Random | None = None) -> list[dict[str, Any]]:
    """Create ``count`` varied demo tickets: mixed subjects, priorities and departments, the 4th a game report,
    every 3rd claimed (with a staff reply), one resolved and one closed, some with player follow-ups."""
    rng = rng or random.Random(0)
    made: list[dict[str, Any]] = []
    for i in range(count):
        subject, message, category = _DEMO_SUBJECTS[i % len(_DEMO_SUBJECTS)]
        user_id, username, display = _DEMO_PLAYERS[i % len(_DEMO_PLAYERS)]
        priority = PRIORITIES[i % len(PRIORITIES)]
        if i == 3:
            ticket = fake.create_ticket(
                subject="Rule violation report",
                message="Player was exploiting",
                category="reports" if "reports" in fake.categories else category,
                author_id=user_id,
                username=username,
                display_name=display,
                priority="high",
                game_report=True,
                place_id="1818",
                server_id=f"server-{rng.randrange(1000, 9999)}",
            )
        else:
            ticket = fake.create_ticket(
                subject=subject,
                message=message,
                category=category if category in fake.categories else next(iter(fake.categories)),
                author_id=user_id,
                username=username,
                display_name=display,
                priority=priority,
            )
        tid = ticket["TicketId"]
        members = fake.departments.get(ticket["Department"] or "", {}).get("Members") or [987654321]
        if i % 3 == 2:
            staff = members[i % len(members)]
            fake.claim(tid, staff)
            fake.staff_message(tid, staff, "Hi! I'm looking into this now.")
        if i % 2 == 1 and not ticket["GameReport"]:
            fake.author_message(tid, rng.choice(_DEMO_FOLLOW_UPS))
        if i == 6:
            fake.set_status(tid, "resolved", members[0])
        if i == 9:
            fake.set_status(tid, "closed", members[0])
        log.info("seeded %s [%s/%s] %r", tid, ticket["Status"], ticket["Department"], ticket["Subject"])
        made.append(ticket)
    return made


async def _activity(fake: FakeSeries, every: float, rng: random.Random) -> None:
    """Every ``every`` seconds create a ticket, then add a player message to a random open ticket."""
    n = 0
    while True:
        await asyncio.sleep(every)
        n += 1
        subject, message, category = rng.choice(_DEMO_SUBJECTS)
        user_id, username, display = rng.choice(_DEMO_PLAYERS)
        if category not in fake.categories:
            category = next(iter(fake.categories))
        ticket = fake.create_ticket(
            subject=f"{subject} #{n}",
            message=message,
            category=category,
            author_id=user_id,
            username=username,
            display_name=display,
            priority=rng.choice(PRIORITIES),
        )
        log.info("new ticket %s by %s: %r", ticket["TicketId"], username, ticket["Subject"])
        active = [t for t in fake.tickets.values() if t["Status"] in OPEN_STATUSES and not t["GameReport"]]
        if active:
            target = rng.choice(active)
            text = rng.choice(_DEMO_FOLLOW_UPS)
            msg_id = fake.author_message(target["TicketId"], text)
            log.info("player message %s on %s: %r", msg_id, target["TicketId"], text)


async def _serve(args: argparse.Namespace) -> None:
    rng = random.Random(args.random_seed)
    fake = FakeSeries(
        api_key=args.api_key,
        rate_limit=args.rate_limit if args.rate_limit > 0 else None,
        seed=args.random_seed,
    )
    seed_demo_tickets(fake, args.seed, rng=rng)
    fake.premium = not args.no_premium
    fake.enabled = not args.module_off
    url = await fake.start(args.host, args.port)
    print(f"Fake Series API listening on {url}", flush=True)
    print(f"API key (fake, for development only): {args.api_key}", flush=True)
    if args.no_premium:
        print(f"Answering as a workspace without Premium: “{MSG_PREMIUM}”", flush=True)
    if args.module_off:
        print(f"Answering as a workspace with the Tickets module off: “{MSG_NOT_ENABLED}”", flush=True)
    if not args.quiet:
        print("Each request is printed as it is handled (-q: quiet).", flush=True)
    print("Press Ctrl+C to stop.", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not available on Windows
            loop.add_signal_handler(sig, stop.set)
    activity: asyncio.Task[None] | None = None
    if args.new_ticket_every:
        activity = asyncio.create_task(_activity(fake, args.new_ticket_every, rng))
    try:
        await stop.wait()
    finally:
        if activity is not None:
            activity.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await activity
        await fake.close()
        log.info("stopped after %d requests (%d rate-limited)", len(fake.requests), fake.rate_limited)


def main(argv: list[str] | None = None) -> int:
    """``python -m fakes.series``: run the fake by hand and point the bot at it."""
    parser = argparse.ArgumentParser(prog="python -m fakes.series", description="Run a fake Series API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--api-key", default="dev-key")
    parser.add_argument("--seed", type=int, default=12, metavar="N", help="number of demo tickets (default 12)")
    parser.add_argument("--rate-limit", type=int, default=25, help="requests per second per key; 0 disables")
    parser.add_argument("--new-ticket-every", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--random-seed", type=int, default=None, help="make generated ids reproducible")
    parser.add_argument(
        "--no-premium", action="store_true", help="answer as a workspace without the Premium or Enterprise plan"
    )
    parser.add_argument("--module-off", action="store_true", help="answer as a workspace with the Tickets module off")
    quiet = parser.add_mutually_exclusive_group()
    quiet.add_argument("-q", "--quiet", action="store_true", help="don't print each request")
    quiet.add_argument("-v", "--verbose", action="store_true", help="print debugging detail too")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if args.quiet:
        request_log.setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
