"""A minimal fake of Discord's REST API on 127.0.0.1, just enough for the real bot to log in, sync its commands,
answer interactions and post ticket cards. discord.py's real HTTP layer talks to it over real sockets: the
benchmarks point ``discord.http.Route.BASE`` (which the interaction webhooks use too) at this server.

There is no gateway: the benchmarks hand the bot gateway events themselves (``INTERACTION_CREATE`` through
``ConnectionState.parse_interaction_create``, the guild through ``_add_guild_from_data``). Every request is
recorded with ``time.perf_counter()`` **at arrival**, on this server's own thread and loop, so an answer's
timestamp does not depend on the bot's event loop getting round to it.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

__all__ = ("APPLICATION_ID", "BOT_USER_ID", "FakeDiscord", "Hit")

DISCORD_EPOCH_MS = 1_420_070_400_000
APPLICATION_ID = 1_300_000_000_000_000_001
BOT_USER_ID = APPLICATION_ID


@dataclass(slots=True)
class Hit:
    at: float  # time.perf_counter() when the request arrived
    method: str
    path: str
    body: Any


def _user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def _json(payload: Any, status: int = 200) -> web.Response:
    # discord.py decodes a body only when Content-Type is exactly "application/json" (no charset suffix).
    return web.Response(status=status, body=json.dumps(payload).encode(), content_type="application/json")


class FakeDiscord:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.callbacks: dict[int, float] = {}  # interaction id -> arrival of its first response
        self.cards: list[tuple[float, int, str]] = []  # (arrival, channel id, embed title) of channel posts
        self._counter = itertools.count()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.app = web.Application()
        self.app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)

    async def start(self) -> str:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.25)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def snowflake(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)

    def _message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "author": _user(BOT_USER_ID, "Ticket Bridge", bot=True),
            "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags") or 0,
        }

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        parts = request.match_info["tail"].strip("/").split("/")
        self.hits.append(Hit(arrived, request.method, "/" + "/".join(parts), body))
        method = request.method

        if parts[:2] == ["users", "@me"]:
            return _json({**_user(BOT_USER_ID, "Ticket Bridge", bot=True), "verified": True, "mfa_enabled": False})
        if parts[:2] == ["oauth2", "applications"]:
            return _json(
                {
                    "id": str(APPLICATION_ID),
                    "name": "Ticket Bridge",
                    "icon": None,
                    "description": "",
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "verify_key": "0" * 64,
                    "owner": _user(1, "owner"),
                    "flags": 0,
                }
            )
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            commands = body if isinstance(body, list) else []
            return _json(
                [
                    {**c, "id": str(self.snowflake()), "application_id": str(APPLICATION_ID), "version": "1"}
                    for c in commands
                ]
            )
        if parts[0] == "interactions" and parts[-1] == "callback":
            interaction_id = int(parts[1])
            self.callbacks.setdefault(interaction_id, arrived)
            data = body.get("data") or {}
            return _json(
                {
                    "interaction": {
                        "id": str(interaction_id),
                        "type": 2,
                        "response_message_loading": body.get("type") == 5,
                        "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
                    }
                }
            )
        if parts[0] == "webhooks":  # follow-ups and edits of the original response
            return _json(self._message(0, body))
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            channel_id = int(parts[1])
            if method == "POST" and len(parts) == 3:
                embeds = body.get("embeds") or []
                self.cards.append((arrived, channel_id, (embeds[0].get("title") or "") if embeds else ""))
                return _json(self._message(channel_id, body))
            if method in ("PATCH", "GET") and len(parts) == 4:
                message = self._message(channel_id, body)
                message["id"] = parts[3]
                return _json(message)
        return _json({"message": "Unknown (not faked)", "code": 0}, status=404)
