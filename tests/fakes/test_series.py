"""Tests for fakes/series.py: the fake must follow docs/series-api.md to the letter, and make the choices listed
in docs/series-api.md#how-the-fake-behaves-there where Series is silent.

Every test talks to the fake over real HTTP on 127.0.0.1 with a real ``aiohttp.ClientSession``.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from fakes.series import (
    MSG_ALREADY_CLAIMED,
    MSG_CLOSED_REPLY,
    MSG_DEPARTMENT_NOT_FOUND,
    MSG_GAME_REPORT_REPLY,
    MSG_INVALID_STATUS,
    MSG_KEY_REQUIRED,
    MSG_MUST_CLAIM,
    MSG_NOT_CLAIMED,
    MSG_NOT_ENABLED,
    MSG_OWN_TICKETS,
    MSG_PREMIUM,
    MSG_TICKET_NOT_FOUND,
    SYSTEM_MESSAGE_TYPE,
    FakeApiError,
    FakeSeries,
    seed_demo_tickets,
)

pytestmark = pytest.mark.asyncio

KEY = "test-key"
STAFF = 987654321
OTHER_STAFF = 111111111
AUTHOR = 123456789
ROOT = Path(__file__).resolve().parents[2]
ISO_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
TICKET_ID = re.compile(r"TICKET-\d{10,}-[A-Z0-9]{4}")
MSG_ID = re.compile(r"msj_\d+_[a-z0-9]{6}")
LIST_ITEM_KEYS = {
    "_id",
    "TicketId",
    "Subject",
    "Category",
    "Department",
    "Status",
    "Priority",
    "ClaimedBy",
    "ClaimedByName",
    "Author",
    "CreatedAt",
    "UpdatedAt",
    "GameReport",
}


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any  # CIMultiDictProxy
    content_type: str


@dataclass
class Env:
    fake: FakeSeries
    session: aiohttp.ClientSession

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = KEY,
        header: str = "apikey",
        params: dict[str, str] | None = None,
        client_timeout: float | None = None,
    ) -> Reply:
        headers = {header: key} if key is not None else {}
        kwargs: dict[str, Any] = {"headers": headers, "params": params}
        if body is not None:
            kwargs["json"] = body
        if client_timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=client_timeout)
        async with self.session.request(method, self.fake.url + path, **kwargs) as resp:
            raw = await resp.read()
            try:
                parsed: Any = await resp.json(content_type=None)
            except ValueError:
                parsed = raw
            return Reply(resp.status, parsed, resp.headers, resp.headers.get("Content-Type", ""))

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return await self.call("POST", path, body, **kwargs)


StartEnv = Callable[..., Awaitable[Env]]


@pytest_asyncio.fixture
async def start_env() -> AsyncIterator[StartEnv]:
    """Factory: ``env = await start_env(**FakeSeries kwargs)``; every server and session is closed afterwards."""
    made: list[Env] = []

    async def start(**kwargs: Any) -> Env:
        kwargs.setdefault("api_key", KEY)
        fake = FakeSeries(**kwargs)
        await fake.start()
        env = Env(fake, aiohttp.ClientSession())
        made.append(env)
        return env

    try:
        yield start
    finally:
        for env in made:
            await env.session.close()
            await env.fake.close()


@pytest_asyncio.fixture
async def env(start_env: StartEnv) -> Env:
    return await start_env()


def assert_error(reply: Reply, status: int, message: str) -> None:
    assert reply.status == status, reply.body
    assert reply.body == {"success": False, "error": {"code": status, "message": message}}
    assert reply.content_type == "application/json"


def assert_ok_message(reply: Reply, message: str) -> None:
    assert reply.status == 200, reply.body
    assert reply.body == {"success": True, "data": {"message": message}}


# ---------------------------------------------------------------------------- config, get, ids


async def test_config_shape(env: Env) -> None:
    reply = await env.get("/tickets/config")
    assert reply.status == 200
    assert reply.content_type == "application/json"
    data = reply.body["data"]
    assert reply.body["success"] is True
    assert set(data) == {
        "Enabled",
        "PublicUrl",
        "Categories",
        "Departments",
        "DiscordNotificationWebhookEnabled",
        "DiscordNotificationWebhookPing",
    }
    assert set(data["Categories"]) == {"support", "reports"}
    assert set(data["Categories"]["support"]) == {
        "Name",
        "WorkspaceMembershipRequired",
        "MinAccessRank",
        "MaxOpenTickets",
    }
    assert data["Departments"]["support-dept"]["Name"] == "Support Department"
    assert STAFF in data["Departments"]["support-dept"]["Members"]
    assert data["Departments"]["moderation-dept"]["Name"] == "Moderation Department"
    assert set(data["Departments"]["support-dept"]) == {"Name", "Members", "Categories", "RankRange"}
    # Editing the config is reflected.
    env.fake.add_department("appeals-dept", "Appeals", members=[42], categories=["reports"])
    assert "appeals-dept" in (await env.get("/tickets/config")).body["data"]["Departments"]


async def test_get_ticket_by_ticket_id_and_object_id(env: Env) -> None:
    ticket = env.fake.create_ticket(subject="Help with ranking", message="I need help with my rank")
    assert TICKET_ID.fullmatch(ticket["TicketId"])
    assert re.fullmatch(r"[0-9a-f]{24}", ticket["_id"])
    assert ISO_MS.fullmatch(ticket["CreatedAt"]) and ticket["CreatedAt"] == ticket["UpdatedAt"]
    for ident in (ticket["TicketId"], ticket["_id"]):
        reply = await env.get(f"/tickets/get/{ident}")
        assert reply.status == 200
        got = reply.body["data"]["Ticket"]
        assert got == ticket
    assert [k for k in got if k != "GameData"] == [
        "_id",
        "TicketId",
        "Subject",
        "Category",
        "Department",
        "Status",
        "Priority",
        "Author",
        "Content",
        "ClaimedBy",
        "ClaimedByUser",
        "GameReport",
        "CreatedAt",
        "UpdatedAt",
    ]
    assert got["Department"] == "support-dept" and got["Status"] == "open" and got["GameReport"] is False
    assert got["ClaimedBy"] is None and got["ClaimedByUser"] is None
    [(msg_id, msg)] = got["Content"].items()
    assert MSG_ID.fullmatch(msg_id)
    assert msg == {
        "Content": "I need help with my rank",
        "Author": AUTHOR,
        "Type": "author_message",
        "Timestamp": ticket["CreatedAt"],
    }
    assert_error(await env.get("/tickets/get/TICKET-0000000000-NONE"), 404, MSG_TICKET_NOT_FOUND)


async def test_unknown_path_and_method(env: Env) -> None:
    reply = await env.get("/tickets/nope/at/all")
    assert reply.status == 404 and reply.body["success"] is False and reply.body["error"]["code"] == 404
    reply = await env.get("/tickets/create")
    assert reply.status == 405 and reply.body["error"]["code"] == 405


# ---------------------------------------------------------------------------- auth, premium, enabled

ALL_TICKETS_ENDPOINTS: list[tuple[str, str, Any]] = [
    ("GET", "/tickets/config", None),
    ("GET", "/tickets/list", None),
    ("GET", "/tickets/get/{tid}", None),
    ("GET", "/tickets/check-user-tickets/123456789", None),
    ("POST", "/tickets/create", {"subject": "s", "category": "support", "message": "m", "authorUserId": 1}),
    ("POST", "/tickets/create-game-report", {"subject": "s"}),
    ("POST", "/tickets/{tid}/reply", {"content": "hi", "staffUserId": STAFF}),
    ("POST", "/tickets/{tid}/reply-member", {"content": "hi", "authorUserId": AUTHOR}),
    ("POST", "/tickets/{tid}/claim", {"staffUserId": STAFF}),
    ("POST", "/tickets/{tid}/unclaim", {"staffUserId": STAFF}),
    ("POST", "/tickets/{tid}/transfer", {"departmentId": "moderation-dept", "staffUserId": STAFF}),
    ("POST", "/tickets/{tid}/status", {"status": "resolved", "staffUserId": STAFF}),
]


async def test_auth_premium_enabled_on_every_endpoint(start_env: StartEnv) -> None:
    env = await start_env(rate_limit=None)  # ~70 requests in a burst
    tid = env.fake.create_ticket()["TicketId"]
    before = env.fake.tickets[tid]["UpdatedAt"]
    for method, path, body in ALL_TICKETS_ENDPOINTS:
        path = path.format(tid=tid)
        assert_error(await env.call(method, path, body, key=None), 401, MSG_KEY_REQUIRED)
        # ASSUMPTION in the fake: a wrong key gets 401 "Invalid API key".
        assert_error(await env.call(method, path, body, key="wrong"), 401, "Invalid API key")
        assert_error(await env.call(method, path, body, key="wrong", header="x-api-key"), 401, "Invalid API key")
        env.fake.premium = False
        env.fake.enabled = False
        assert_error(await env.call(method, path, body), 403, MSG_PREMIUM)  # premium is checked first
        env.fake.premium = True
        assert_error(await env.call(method, path, body), 403, MSG_NOT_ENABLED)
        assert_error(await env.call(method, path, body, header="x-api-key"), 403, MSG_NOT_ENABLED)
        env.fake.enabled = True
    assert env.fake.tickets[tid]["UpdatedAt"] == before  # nothing was applied
    # x-api-key is accepted as an alternative header.
    assert (await env.get("/tickets/config", header="x-api-key")).status == 200
    # An inactive key is refused on tickets endpoints too.
    env.fake.key_valid = False
    assert_error(await env.get("/tickets/config"), 401, "Invalid API key")


async def test_check_key(env: Env) -> None:
    reply = await env.get(f"/basic/check-key/{KEY}", key=None)
    assert reply.status == 200
    data = reply.body["data"]
    assert reply.body["success"] is True
    assert data["valid"] is True and data["status"] == "active"
    assert set(data) == {
        "valid",
        "workspaceId",
        "workspaceName",
        "status",
        "createdAt",
        "lastUsed",
        "rateLimitRemaining",
        "rateLimitReset",
    }
    assert isinstance(data["rateLimitRemaining"], int)
    invalid = {
        "success": True,
        "data": {"valid": False, "status": "inactive", "message": "API key is inactive or invalid"},
    }
    reply = await env.get("/basic/check-key/not-the-key", key=None)
    assert (reply.status, reply.body) == (200, invalid)
    env.fake.key_valid = False
    reply = await env.get(f"/basic/check-key/{KEY}", key=None)
    assert (reply.status, reply.body) == (200, invalid)
    # The tickets switches do not apply to the basic module.
    env.fake.key_valid = True
    env.fake.premium = False
    assert (await env.get(f"/basic/check-key/{KEY}", key=None)).body["data"]["valid"] is True


# ---------------------------------------------------------------------------- 404s and per-endpoint errors


async def test_action_endpoints_404(env: Env) -> None:
    for method, path, body in ALL_TICKETS_ENDPOINTS:
        if "{tid}" in path:
            reply = await env.call(method, path.format(tid="TICKET-0000000000-NONE"), body)
            assert_error(reply, 404, MSG_TICKET_NOT_FOUND)
    # 404 comes before body validation.
    assert_error(await env.post("/tickets/TICKET-0000000000-NONE/claim", {}), 404, MSG_TICKET_NOT_FOUND)
    # Action endpoints take the TicketId only (the fake's strict reading of docs/series-api.md#get-versus-actions).
    ticket = env.fake.create_ticket()
    assert_error(await env.post(f"/tickets/{ticket['_id']}/claim", {"staffUserId": STAFF}), 404, MSG_TICKET_NOT_FOUND)


async def test_check_user_tickets(env: Env) -> None:
    assert_error(await env.get("/tickets/check-user-tickets/abc"), 400, "Invalid userId")
    assert_error(await env.get("/tickets/check-user-tickets/12a"), 400, "Invalid userId")
    assert_error(await env.get("/tickets/check-user-tickets/123", key=None), 401, MSG_KEY_REQUIRED)
    env.fake.create_ticket(author_id=AUTHOR)
    claimed = env.fake.create_ticket(author_id=AUTHOR)
    env.fake.claim(claimed["TicketId"], STAFF)  # in-progress still counts as open
    done = env.fake.create_ticket(author_id=AUTHOR)
    env.fake.set_status(done["TicketId"], "closed")
    env.fake.create_ticket(author_id=AUTHOR, category="reports")
    reply = await env.get(f"/tickets/check-user-tickets/{AUTHOR}", params={"category": "support"})
    assert reply.body == {
        "success": True,
        "data": {
            "UserId": AUTHOR,
            "OpenTicketsCount": 2,
            "CategoryLimit": 5,
            "CanCreateTicket": True,
            "TicketsEnabled": True,
        },
    }
    env.fake.categories["support"]["MaxOpenTickets"] = 2
    reply = await env.get(f"/tickets/check-user-tickets/{AUTHOR}", params={"category": "support"})
    assert reply.body["data"]["CanCreateTicket"] is False
    assert (await env.get(f"/tickets/check-user-tickets/{AUTHOR}")).body["data"]["OpenTicketsCount"] == 3


async def test_create_ticket_and_game_report(env: Env) -> None:
    body = {
        "subject": "Help with ranking",
        "category": "support",
        "message": "I need help getting ranked in the group",
        "priority": "high",
        "authorUserId": AUTHOR,
        "authorUsername": "player123",
        "authorDisplayName": "Player Name",
        "authorAvatarUrl": "https://tr.rbxcdn.com/avatar-url",
    }
    reply = await env.post("/tickets/create", body)
    assert reply.status == 200
    data = reply.body["data"]
    assert set(data) == {"TicketId", "_id", "WorkspaceId"}
    ticket = env.fake.tickets[data["TicketId"]]
    assert ticket["_id"] == data["_id"] and ticket["Priority"] == "high" and ticket["GameReport"] is False
    assert "GameData" not in ticket
    assert ticket["Author"] == {
        "UserId": AUTHOR,
        "Username": "player123",
        "DisplayName": "Player Name",
        "AvatarUrl": "https://tr.rbxcdn.com/avatar-url",
    }
    [msg] = ticket["Content"].values()
    assert msg["Type"] == "author_message" and msg["Content"] == body["message"]

    # Validation (messages undocumented; only the 400 matters).
    for broken in (
        {k: v for k, v in body.items() if k != "authorAvatarUrl"},
        {k: v for k, v in body.items() if k != "subject"},
        {**body, "category": "nope"},
        {**body, "priority": "whenever"},
        {**body, "authorUserId": "123"},
    ):
        reply = await env.post("/tickets/create", broken)
        assert reply.status == 400 and reply.body["error"]["code"] == 400, broken
    reply = await env.call("POST", "/tickets/create", None)
    assert reply.status == 400

    report = {**body, "subject": "Rule violation report", "category": "reports", "placeId": "1818", "serverId": "abc"}
    reply = await env.post("/tickets/create-game-report", report)
    assert reply.status == 200
    ticket = env.fake.tickets[reply.body["data"]["TicketId"]]
    assert ticket["GameReport"] is True and ticket["GameData"] == {"PlaceId": "1818", "ServerId": "abc"}
    assert ticket["Department"] == "moderation-dept"
    missing_place = {k: v for k, v in report.items() if k != "placeId"}
    assert (await env.post("/tickets/create-game-report", missing_place)).status == 400


async def test_reply_requires_claim_by_the_same_staff(env: Env) -> None:
    tid = env.fake.create_ticket()["TicketId"]
    reply_path = f"/tickets/{tid}/reply"
    assert_error(await env.post(reply_path, {"content": "hi", "staffUserId": STAFF}), 400, MSG_MUST_CLAIM)
    env.fake.claim(tid, OTHER_STAFF)
    assert_error(await env.post(reply_path, {"content": "hi", "staffUserId": STAFF}), 400, MSG_MUST_CLAIM)
    before = len(env.fake.tickets[tid]["Content"])
    assert_ok_message(
        await env.post(reply_path, {"content": "On it!", "staffUserId": OTHER_STAFF}), "Reply sent successfully"
    )
    content = env.fake.tickets[tid]["Content"]
    assert len(content) == before + 1
    _, last = env.fake.messages(tid)[-1]
    assert last["Type"] == "staff_message" and last["Author"] == OTHER_STAFF and last["Content"] == "On it!"
    # Body validation (undocumented message) comes after the 404 and before the rules.
    assert (await env.post(reply_path, {"content": "", "staffUserId": OTHER_STAFF})).status == 400
    assert (await env.post(reply_path, {"content": "x", "staffUserId": str(OTHER_STAFF)})).status == 400
    assert (await env.post(reply_path, {"content": "x"})).status == 400
    # Staff may still reply on closed tickets (no block is documented).
    env.fake.set_status(tid, "closed")
    assert (await env.post(reply_path, {"content": "bye", "staffUserId": OTHER_STAFF})).status == 200


async def test_game_reports_refuse_staff_replies(env: Env) -> None:
    tid = env.fake.create_ticket(category="reports", game_report=True)["TicketId"]
    body = {"content": "hi", "staffUserId": STAFF}
    assert_error(await env.post(f"/tickets/{tid}/reply", body), 403, MSG_GAME_REPORT_REPLY)  # even unclaimed
    assert_ok_message(await env.post(f"/tickets/{tid}/claim", {"staffUserId": STAFF}), "Ticket claimed successfully")
    assert_error(await env.post(f"/tickets/{tid}/reply", body), 403, MSG_GAME_REPORT_REPLY)


async def test_reply_member(env: Env) -> None:
    tid = env.fake.create_ticket(author_id=AUTHOR)["TicketId"]
    path = f"/tickets/{tid}/reply-member"
    assert_error(await env.post(path, {"content": "hi", "authorUserId": 42}), 403, MSG_OWN_TICKETS)
    assert_ok_message(await env.post(path, {"content": "Thanks!", "authorUserId": AUTHOR}), "Reply sent successfully")
    assert env.fake.messages(tid)[-1][1]["Type"] == "author_message"
    for status in ("resolved", "closed"):
        env.fake.set_status(tid, status)
        assert_error(await env.post(path, {"content": "hi", "authorUserId": AUTHOR}), 403, MSG_CLOSED_REPLY)
    env.fake.set_status(tid, "open")  # reopened tickets accept replies again
    assert (await env.post(path, {"content": "again", "authorUserId": AUTHOR})).status == 200


async def test_claim_and_unclaim(env: Env) -> None:
    tid = env.fake.create_ticket()["TicketId"]
    claim, unclaim = f"/tickets/{tid}/claim", f"/tickets/{tid}/unclaim"
    assert_error(await env.post(unclaim, {"staffUserId": STAFF}), 400, MSG_NOT_CLAIMED)
    assert_ok_message(await env.post(claim, {"staffUserId": STAFF}), "Ticket claimed successfully")
    ticket = (await env.get(f"/tickets/get/{tid}")).body["data"]["Ticket"]
    assert ticket["Status"] == "in-progress" and ticket["ClaimedBy"] == STAFF
    assert ticket["ClaimedByUser"] == {"UserId": STAFF, "DisplayName": "Staff Member", "Username": "staff123"}
    assert list(ticket["Content"].values())[-1]["Type"] == SYSTEM_MESSAGE_TYPE
    [item] = (await env.get("/tickets/list")).body["data"]["Tickets"]
    assert item["ClaimedBy"] == STAFF and item["ClaimedByName"] == "Staff Member" and "ClaimedByUser" not in item
    # Already claimed: by someone else and (assumed) by the same staff member.
    assert_error(await env.post(claim, {"staffUserId": OTHER_STAFF}), 400, MSG_ALREADY_CLAIMED)
    assert_error(await env.post(claim, {"staffUserId": STAFF}), 400, MSG_ALREADY_CLAIMED)
    assert (await env.post(claim, {})).status == 400
    assert_ok_message(await env.post(unclaim, {"staffUserId": STAFF}), "Ticket unclaimed successfully")
    ticket = (await env.get(f"/tickets/get/{tid}")).body["data"]["Ticket"]
    assert ticket["Status"] == "in-progress"  # unclaim leaves the status alone
    assert ticket["ClaimedBy"] is None and ticket["ClaimedByUser"] is None
    [item] = (await env.get("/tickets/list")).body["data"]["Tickets"]
    assert item["ClaimedBy"] is None and item["ClaimedByName"] is None
    assert_error(await env.post(unclaim, {"staffUserId": STAFF}), 400, MSG_NOT_CLAIMED)
    # Helpers enforce the same rules.
    env.fake.claim(tid, STAFF)
    with pytest.raises(FakeApiError) as err:
        env.fake.claim(tid, OTHER_STAFF)
    assert (err.value.status, err.value.message) == (400, MSG_ALREADY_CLAIMED)


async def test_transfer(env: Env) -> None:
    tid = env.fake.create_ticket()["TicketId"]
    env.fake.claim(tid, STAFF)
    path = f"/tickets/{tid}/transfer"
    assert_error(await env.post(path, {"departmentId": "nope", "staffUserId": STAFF}), 404, MSG_DEPARTMENT_NOT_FOUND)
    reply = await env.post(path, {"departmentId": "moderation-dept", "staffUserId": STAFF})
    assert_ok_message(reply, "Ticket transferred to Moderation Department")
    ticket = env.fake.tickets[tid]
    assert ticket["Department"] == "moderation-dept" and ticket["ClaimedBy"] is None and ticket["ClaimedByUser"] is None
    assert ticket["Status"] == "in-progress"
    system = [m for _, m in env.fake.messages(tid) if m["Type"] == SYSTEM_MESSAGE_TYPE]
    assert len(system) == 3  # claim, transfer, auto-unclaim
    assert (await env.post(path, {"staffUserId": STAFF})).status == 400


async def test_change_status(env: Env) -> None:
    tid = env.fake.create_ticket()["TicketId"]
    path = f"/tickets/{tid}/status"
    for bad in (
        {"status": "done", "staffUserId": STAFF},
        {"status": "in_progress", "staffUserId": STAFF},
        {"staffUserId": 1},
    ):
        assert_error(await env.post(path, bad), 400, MSG_INVALID_STATUS)
    for status in ("in-progress", "resolved", "closed", "open"):
        assert_ok_message(await env.post(path, {"status": status, "staffUserId": STAFF}), f"Status changed to {status}")
        assert env.fake.tickets[tid]["Status"] == status
    assert env.fake.messages(tid)[-1][1]["Type"] == SYSTEM_MESSAGE_TYPE
    assert (await env.post(path, {"status": "open"})).status == 400  # staffUserId required


# ---------------------------------------------------------------------------- list and paging


async def test_paging_25_tickets(env: Env) -> None:
    made = [env.fake.create_ticket(subject=f"Ticket {i}") for i in range(25)]
    newest_first = [t["TicketId"] for t in reversed(made)]
    seen: list[str] = []
    expected = [
        (1, 10, True, False),
        (2, 10, True, True),
        (3, 5, False, True),
    ]
    for page, size, has_next, has_prev in expected:
        reply = await env.get("/tickets/list", params={"page": str(page)})
        data = reply.body["data"]
        assert len(data["Tickets"]) == size
        assert data["Pagination"] == {
            "CurrentPage": page,
            "TotalPages": 3,
            "TotalCount": 25,
            "TicketsPerPage": 10,
            "HasNextPage": has_next,
            "HasPreviousPage": has_prev,
        }
        for item in data["Tickets"]:
            assert set(item) == LIST_ITEM_KEYS
            assert "Content" not in item
            seen.append(item["TicketId"])
    assert seen == newest_first
    # Default page is 1; past the end is empty; bad pages are 400.
    assert (await env.get("/tickets/list")).body["data"]["Pagination"]["CurrentPage"] == 1
    data = (await env.get("/tickets/list", params={"page": "4"})).body["data"]
    assert data["Tickets"] == [] and data["Pagination"]["HasNextPage"] is False
    for bad in ("0", "-1", "abc", "1.5"):
        assert (await env.get("/tickets/list", params={"page": bad})).status == 400


async def test_list_empty_and_filters(start_env: StartEnv) -> None:
    env = await start_env(tickets_per_page=10)
    data = (await env.get("/tickets/list")).body["data"]
    assert data["Tickets"] == []
    assert data["Pagination"]["TotalPages"] == 0 and data["Pagination"]["HasNextPage"] is False

    fake = env.fake
    a = fake.create_ticket(subject="Help with ranking", author_id=1, username="alice", display_name="Alice")
    b = fake.create_ticket(subject="Bug report", author_id=2, username="bobby", display_name="Bob Builder")
    c = fake.create_ticket(subject="Exploiter", category="reports", author_id=1, username="alice", game_report=True)
    fake.claim(b["TicketId"], STAFF)

    async def ids(**params: str) -> set[str]:
        reply = await env.get("/tickets/list", params=params)
        assert reply.status == 200, reply.body
        return {t["TicketId"] for t in reply.body["data"]["Tickets"]}

    assert await ids(status="open") == {a["TicketId"], c["TicketId"]}
    assert await ids(status="in-progress") == {b["TicketId"]}
    assert await ids(author="1") == {a["TicketId"], c["TicketId"]}
    assert await ids(department="moderation-dept") == {c["TicketId"]}
    assert await ids(staffUserId=str(STAFF)) == {a["TicketId"], b["TicketId"]}  # support-dept only
    assert await ids(staffUserId="555555555") == {c["TicketId"]}
    assert await ids(staffUserId="1") == set()
    assert await ids(search="RANKING") == {a["TicketId"]}
    assert await ids(search="builder") == {b["TicketId"]}
    assert await ids(search="alice", status="open") == {a["TicketId"], c["TicketId"]}
    assert (await env.get("/tickets/list", params={"status": "nope"})).status == 400


# ---------------------------------------------------------------------------- rate limit


async def test_rate_limit_sliding_window(start_env: StartEnv) -> None:
    clock = FakeClock()
    env = await start_env(clock=clock, rate_limit=25)
    for _ in range(25):
        assert (await env.get("/tickets/config")).status == 200
    reply = await env.get("/tickets/config")
    assert_error(reply, 429, "Too many requests")
    assert reply.headers["Retry-After"] == "1"
    assert env.fake.rate_limited == 1
    clock.advance(0.5)
    reply = await env.get("/tickets/config")
    assert reply.status == 429 and reply.headers["Retry-After"] == "1"  # 0.5 s left, rounded up
    clock.advance(0.51)
    assert (await env.get("/tickets/config")).status == 200
    assert env.fake.rate_limited == 2
    assert env.fake.max_in_window() == 25
    assert env.fake.max_in_window(accepted_only=False) == 27
    # Rejected requests do not count toward the window; exactly 1.0 s later the old ones have left it.
    assert [r.status for r in env.fake.requests[-3:]] == [429, 429, 200]
    # 401s are not counted either.
    assert (await env.get("/tickets/config", key=None)).status == 401


async def test_rate_limit_boundary_is_exclusive(start_env: StartEnv) -> None:
    clock = FakeClock(0.0)
    env = await start_env(clock=clock, rate_limit=2)
    assert (await env.get("/tickets/config")).status == 200  # t=0
    clock.advance(0.25)
    assert (await env.get("/tickets/config")).status == 200  # t=0.25
    clock.advance(0.5)
    reply = await env.get("/tickets/config")  # t=0.75: window full until t=1.0
    assert reply.status == 429 and reply.headers["Retry-After"] == "1"
    clock.now = 1.0  # the t=0 request leaves the window (kept: time > now - 1.0)
    assert (await env.get("/tickets/config")).status == 200
    assert (await env.get("/tickets/config")).status == 429
    assert env.fake.max_in_window() == 2
    # rate_limit=None disables the limiter; check-key with the right key counts against it too.
    env.fake.rate_limit = None
    for _ in range(5):
        assert (await env.get(f"/basic/check-key/{KEY}", key=None)).body["data"]["valid"] is True
    assert env.fake.max_in_window() == 7  # (0.0, 1.0] holds t=0.25, t=1.0 and the five check-keys


async def test_max_in_window_is_exact(start_env: StartEnv) -> None:
    clock = FakeClock(0.0)
    env = await start_env(clock=clock, rate_limit=None)
    times = [0.0, 0.25, 0.5, 1.0, 1.0, 1.25, 1.5, 2.5]
    for t in times:
        clock.now = t
        assert (await env.get("/tickets/config")).status == 200
    assert [r.time for r in env.fake.requests] == times

    def brute(period: float) -> int:
        return max(sum(1 for u in times if t <= u < t + period) for t in times)

    # [0.25, 1.25) holds 0.25, 0.5, 1.0, 1.0; [0, 1) does not include 1.0.
    assert env.fake.max_in_window() == brute(1.0) == 4
    assert env.fake.max_in_window(1.5) == brute(1.5) == 6
    assert env.fake.max_in_window(0.25) == brute(0.25) == 2
    assert env.fake.max_in_window(10.0) == 8
    assert FakeSeries().max_in_window() == 0


# ---------------------------------------------------------------------------- fault injection


async def test_fail_next_status_body_json_times(env: Env) -> None:
    env.fake.fail_next("GET", r"^/tickets/config$", status=503)
    assert_error(await env.get("/tickets/config"), 503, "Service Unavailable")
    assert (await env.get("/tickets/config")).status == 200  # used once

    env.fake.fail_next(
        "GET", r"^/tickets/config$", status=502, body="<html>Bad gateway</html>", content_type="text/html"
    )
    reply = await env.get("/tickets/config")
    assert (reply.status, reply.body, reply.content_type) == (502, b"<html>Bad gateway</html>", "text/html")

    env.fake.fail_next("GET", r"/list", json={"success": True, "data": "weird"}, times=2)
    for _ in range(2):
        reply = await env.get("/tickets/list")
        assert (reply.status, reply.body) == (200, {"success": True, "data": "weird"})
    assert (await env.get("/tickets/list")).body["data"]["Tickets"] == []

    env.fake.fail_next("*", r"^/tickets/", status=429, headers={"Retry-After": "3"})
    reply = await env.get("/tickets/config")
    assert reply.status == 429 and reply.headers["Retry-After"] == "3"
    assert env.fake.rate_limited == 0  # scripted 429s are not the limiter's

    # FIFO among matching faults; method must match.
    env.fake.fail_next("POST", r"^/tickets/config$", status=500)
    env.fake.fail_next("GET", r"^/tickets/config$", status=501)
    env.fake.fail_next("GET", r"^/tickets/config$", status=502)
    assert (await env.get("/tickets/config")).status == 501
    assert (await env.get("/tickets/config")).status == 502
    assert env.fake.pending_faults == 1
    env.fake.clear_faults()
    assert env.fake.pending_faults == 0
    with pytest.raises(ValueError, match="does nothing"):
        env.fake.fail_next("GET", "x")


async def test_fail_next_drop(env: Env) -> None:
    tid = env.fake.create_ticket()["TicketId"]
    env.fake.fail_next("POST", r"/claim$", drop=True)
    with pytest.raises(aiohttp.ClientError):
        await env.post(f"/tickets/{tid}/claim", {"staffUserId": STAFF})
    assert env.fake.tickets[tid]["ClaimedBy"] is None  # not processed
    assert env.fake.requests[-1].status is None and env.fake.requests[-1].faulted

    env.fake.fail_next("POST", r"/claim$", drop=True, process=True)
    with pytest.raises(aiohttp.ClientError):
        await env.post(f"/tickets/{tid}/claim", {"staffUserId": STAFF})
    assert env.fake.tickets[tid]["ClaimedBy"] == STAFF  # processed, answer lost
    # The server is still fine afterwards.
    assert (await env.get(f"/tickets/get/{tid}")).status == 200


async def test_fail_next_process_then_status(env: Env) -> None:
    tid = env.fake.create_ticket()["TicketId"]
    env.fake.fail_next("POST", r"/reply-member$", status=500, process=True)
    reply = await env.post(f"/tickets/{tid}/reply-member", {"content": "dup?", "authorUserId": AUTHOR})
    assert reply.status == 500
    assert env.fake.messages(tid)[-1][1]["Content"] == "dup?"


async def test_fail_next_delay(env: Env) -> None:
    tid = env.fake.create_ticket()["TicketId"]
    # Slow answer, client waits: the real answer arrives late.
    env.fake.fail_next("GET", r"^/tickets/config$", delay=0.1)
    start = asyncio.get_running_loop().time()
    assert (await env.get("/tickets/config")).status == 200
    assert asyncio.get_running_loop().time() - start >= 0.09

    # Timeout before processing: the client gives up, the request never takes effect.
    env.fake.fail_next("POST", r"/claim$", delay=0.3)
    with pytest.raises(asyncio.TimeoutError):
        await env.post(f"/tickets/{tid}/claim", {"staffUserId": STAFF}, client_timeout=0.05)
    await asyncio.sleep(0.35)
    assert env.fake.tickets[tid]["ClaimedBy"] is None

    # Timeout after delivery: processed, answer lost.
    env.fake.fail_next("POST", r"/claim$", delay=0.3, process=True)
    with pytest.raises(asyncio.TimeoutError):
        await env.post(f"/tickets/{tid}/claim", {"staffUserId": STAFF}, client_timeout=0.05)
    assert env.fake.tickets[tid]["ClaimedBy"] == STAFF


# ---------------------------------------------------------------------------- timestamps, recording, helpers


async def test_updated_at_strictly_increases(start_env: StartEnv) -> None:
    frozen = 1736937000.0  # 2025-01-15T10:30:00Z, never moves
    env = await start_env(wall_clock=lambda: frozen)
    fake = env.fake
    ticket = fake.create_ticket()
    tid = ticket["TicketId"]
    assert ticket["CreatedAt"] == "2025-01-15T10:30:00.000Z"
    stamps = [ticket["UpdatedAt"]]

    async def step(reply: Awaitable[Reply]) -> None:
        assert (await reply).status == 200
        stamps.append(fake.tickets[tid]["UpdatedAt"])

    await step(env.post(f"/tickets/{tid}/claim", {"staffUserId": STAFF}))
    await step(env.post(f"/tickets/{tid}/reply", {"content": "a", "staffUserId": STAFF}))
    await step(env.post(f"/tickets/{tid}/reply-member", {"content": "b", "authorUserId": AUTHOR}))
    await step(env.post(f"/tickets/{tid}/unclaim", {"staffUserId": STAFF}))
    await step(env.post(f"/tickets/{tid}/transfer", {"departmentId": "moderation-dept", "staffUserId": STAFF}))
    await step(env.post(f"/tickets/{tid}/status", {"status": "resolved", "staffUserId": STAFF}))
    fake.author_message(tid, "c")
    stamps.append(fake.tickets[tid]["UpdatedAt"])
    fake.staff_message(tid, STAFF, "d")
    stamps.append(fake.tickets[tid]["UpdatedAt"])
    assert all(ISO_MS.fullmatch(s) for s in stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert stamps[1] == "2025-01-15T10:30:00.001Z"  # the frozen wall clock is bumped 1 ms per mutation
    # Message ids are unique, and their ms part matches their timestamp order.
    msgs = fake.messages(tid)
    assert len({k for k, _ in msgs}) == len(msgs) == 9  # transfer of an unclaimed ticket: no unclaim message
    assert all(MSG_ID.fullmatch(k) for k, _ in msgs)
    assert [int(k.split("_")[1]) for k, _ in msgs] == sorted(int(k.split("_")[1]) for k, _ in msgs)
    assert msgs[-1][1]["Timestamp"] == fake.tickets[tid]["UpdatedAt"]
    other = fake.create_ticket()
    assert other["CreatedAt"] > stamps[-1]


async def test_requests_are_recorded(env: Env) -> None:
    tid = env.fake.create_ticket()["TicketId"]
    await env.get("/tickets/list", params={"page": "1", "status": "open"})
    await env.post(f"/tickets/{tid}/claim", {"staffUserId": STAFF})
    await env.get("/tickets/config", key=None)
    listed, claimed, unauth = env.fake.requests
    assert (listed.method, listed.path, listed.query, listed.json) == (
        "GET",
        "/tickets/list",
        {"page": "1", "status": "open"},
        None,
    )
    assert listed.raw_path == "/tickets/list?page=1&status=open" and listed.status == 200 and listed.counted
    assert (claimed.method, claimed.path, claimed.json, claimed.status) == (
        "POST",
        f"/tickets/{tid}/claim",
        {"staffUserId": STAFF},
        200,
    )
    assert listed.has_api_key and not unauth.has_api_key and unauth.status == 401 and not unauth.counted
    assert env.fake.count() == 3
    assert env.fake.count("GET") == 2
    assert env.fake.count("post", "/tickets/") == 1
    assert env.fake.count(path_prefix="/tickets/config") == 1


async def test_seed_demo_tickets() -> None:
    fake = FakeSeries()
    made = seed_demo_tickets(fake, 12)
    assert len(made) == len(fake.tickets) == 12
    assert sum(t["GameReport"] for t in made) == 1
    assert sum(t["ClaimedBy"] is not None for t in made) >= 3
    assert {t["Status"] for t in made} >= {"open", "in-progress", "resolved", "closed"}
    assert len({t["Department"] for t in made}) == 2
    assert len({t["Priority"] for t in made}) >= 3


async def run_cli(*args: str, path: str = "/tickets/list") -> tuple[int, int, str, str]:
    """``python -m fakes.series --port 0 ARGS``: one request to ``path``, then Ctrl+C; (HTTP status, exit code,
    stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fakes.series",
        "--port",
        "0",
        "--api-key",
        "dev-key",
        "--seed",
        "3",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    try:
        url = None
        lines: list[str] = []
        async with asyncio.timeout(20):
            while url is None:
                line = (await proc.stdout.readline()).decode()
                assert line, "the CLI exited early"
                lines.append(line)
                if m := re.search(r"(http://127\.0\.0\.1:\d+)", line):
                    url = m.group(1)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}{path}", headers={"apikey": "dev-key"}) as resp,
        ):
            status = resp.status
            if path == "/tickets/list" and status == 200:
                assert (await resp.json())["data"]["Pagination"]["TotalCount"] == 3
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(20):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return status, proc.returncode, "".join(lines) + out.decode(), err.decode()


async def test_cli_runs_prints_each_request_and_stops_on_ctrl_c() -> None:
    status, code, out, err = await run_cli()
    assert status == 200 and code == 0
    assert "dev-key" in out and "Each request is printed" in out
    assert "GET /tickets/list -> 200" in err


async def test_cli_switches_show_the_plan_refusals_and_q_quiets_it() -> None:
    status, code, out, err = await run_cli("--no-premium", "-q")
    assert status == 403 and code == 0
    assert f"without Premium: “{MSG_PREMIUM}”" in out
    assert "/tickets/list" not in err
    status, _, out, err = await run_cli("--module-off", path="/tickets/config")
    assert status == 403 and f"GET /tickets/config -> 403 '{MSG_NOT_ENABLED}'" in err


async def test_cli_never_prints_the_key_in_a_request_line() -> None:
    _, _, _, err = await run_cli(path="/basic/check-key/dev-key")
    assert "GET /basic/check-key/<key> -> 200" in err and "dev-key" not in err
