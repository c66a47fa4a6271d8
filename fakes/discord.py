"""A wire-level fake of Discord (HTTP API v10 + gateway websocket) on 127.0.0.1, for end-to-end tests and benchmarks.

An unmodified discord.py 2.7.1 bot in its own process logs in, connects, syncs its slash commands and answers
interactions that the test injects; the test sees and asserts on everything the bot sent::

    fake = FakeDiscord(token="fake-token")
    guild = fake.add_guild("Series")                       # the world, before or after the bot connects
    channel = fake.add_channel(guild["id"], "tickets")
    staff = fake.add_user("alice")
    fake.add_member(guild["id"], staff, roles=[fake.add_role(guild["id"], "Staff", ADMINISTRATOR)["id"]])
    base_url = await fake.start()                          # http://127.0.0.1:<port>
    # run the bot with PYTHONPATH=<repo>/fakes/redirect:<repo>, TICKET_BRIDGE_FAKE_DISCORD=<base_url> (sitecustomize.py)
    await fake.wait_for_connection()
    await fake.wait_for_commands({"staff"})
    handle = await fake.slash(guild["id"], channel["id"], staff["id"], "staff link", options={"member": staff})
    message = await handle.final_message()
    assert handle.ephemeral and "linked" in handle.content
    await fake.close()

Modelled
    * REST under ``/api/v10``: users/@me (Bot token checked, else 401), gateway + gateway/bot, oauth2 application,
      global and guild command lists (PUT keeps the id of a same-named command, like Discord), interaction callbacks
      (``?with_response=1`` answered with an InteractionCallbackResponse, types 4-9), followup webhooks and
      ``messages/@original`` (the first followup after a deferral fills the "thinking" message, as on Discord),
      channel messages (JSON or multipart ``payload_json`` + ``files[n]``), history with limit/before/after/around,
      threads from a message (thread id == message id) or without, channel PATCH (archive/lock), guilds (403
      50001 Missing Access for one the bot is not in), ``users/@me/guilds``, members, roles, users, thread members;
      channel permission overwrites are stored and returned (``set_overwrites``), not enforced. Errors use
      Discord's codes: 10003 Unknown Channel, 10008 Unknown Message, 10015 Unknown Webhook, 10062 Unknown
      interaction, 40060 already acknowledged, 50083 thread archived...
    * Gateway: HELLO, IDENTIFY (token checked, else close 4004), READY (``resume_gateway_url`` = this fake),
      GUILD_CREATE per guild (only the bot's member, as without the members intent), heartbeat ACKs, RESUME
      (RESUMED without replay, or op 9 for an unknown session), REQUEST_GUILD_MEMBERS (one chunk), op 7 on demand,
      zlib-stream transport compression when asked (discord.py 2.7.1 asks unless zstandard is installed, then it
      asks zstd-stream, which the fake answers uncompressed: discord.py accepts text frames either way).
      MESSAGE_CREATE/UPDATE/DELETE, THREAD_*, CHANNEL_*, GUILD_ROLE_CREATE, GUILD_MEMBER_ADD are dispatched, gated by
      the identified intents; without MESSAGE_CONTENT, other users' message content is blanked (REST and gateway).
    * Interactions injected by the test: slash commands (options typed from the synced definition, subcommands,
      ``resolved`` users/members/roles/channels, choices and required options checked), autocomplete, button and
      select clicks (the component must exist on the message), modal submits mirroring the modal the bot sent
      (Label type 18 / action rows, keyed by custom_id).
    * Mentions: ``mentions``/``mention_roles``/``mention_everyone`` computed from the content and
      ``allowed_mentions`` (recorded as sent on each message, stripped from what the bot receives).
    * Timing, for the benchmarks: every recorded request carries ``at``, ``time.perf_counter()`` stamped first thing
      when it reaches the fake (before its body is read), and each interaction handle ``first_response_at``, the
      arrival of its accepted initial callback. Host the fake on its own loop (``fakes.threads.ServerThread``) and
      these are arrival times however busy the bot's loop is; touch the fake only through that thread.
    * Events handed over in-process, for a bot that has no gateway connection (the benchmarks measure the bot, not
      a gateway): ``guild_create_payload`` is GUILD_CREATE's data exactly as the gateway sends it, and
      ``prepare_slash`` registers a slash-command interaction (so its callback and followups are accepted) without
      sending it; deliver ``handle.payload`` yourself (``ConnectionState.parse_interaction_create``).

Not modelled
    Rate limits and 429s, the 3-second / 15-minute interaction deadlines, length and count limits, applying
    channel permission overwrites (permissions come from roles only; owner and administrator get everything),
    permission checks on REST calls, DMs, voice, presences, reactions, pins, emojis, stickers, audit logs, webhooks
    other than interaction followups, the CDN, event replay on RESUME, sharding beyond echoing the shard in READY.
    The fake checks our assumptions; smoke-test releases on real Discord.
"""

# The waiting helpers take ``timeout=`` on purpose: tests read better as ``await handle.final_message(timeout=5)``.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import re
import secrets
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import BodyPartReader, WSMsgType, web

__all__ = [
    "ADMINISTRATOR",
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "MANAGE_GUILD",
    "FakeDiscord",
    "InteractionHandle",
    "RecordedRequest",
]

log = logging.getLogger("fake_discord")

T = TypeVar("T")
Json = dict[str, Any]

API_PREFIX = "/api/v10"
WS_PATH = "/ws"
DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1
DEFAULT_EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = DEFAULT_EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS | CREATE_PRIVATE_THREADS

# Gateway intents the fake gates events on.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15

# Message flags.
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Interaction types and callback types.
ITX_APPLICATION_COMMAND = 2
ITX_COMPONENT = 3
ITX_AUTOCOMPLETE = 4
ITX_MODAL_SUBMIT = 5
CB_MESSAGE = 4
CB_DEFERRED_MESSAGE = 5
CB_DEFERRED_UPDATE = 6
CB_UPDATE = 7
CB_AUTOCOMPLETE = 8
CB_MODAL = 9
_VALID_CALLBACKS: dict[int, set[int]] = {
    ITX_APPLICATION_COMMAND: {CB_MESSAGE, CB_DEFERRED_MESSAGE, CB_MODAL},
    ITX_COMPONENT: {CB_MESSAGE, CB_DEFERRED_MESSAGE, CB_DEFERRED_UPDATE, CB_UPDATE, CB_MODAL},
    ITX_AUTOCOMPLETE: {CB_AUTOCOMPLETE},
    ITX_MODAL_SUBMIT: {CB_MESSAGE, CB_DEFERRED_MESSAGE, CB_DEFERRED_UPDATE, CB_UPDATE},
}
_SELECT_TYPES = {3, 5, 6, 7, 8}
_THREAD_TYPES = {10, 11, 12}
_FAKE_ONLY_MESSAGE_KEYS = ("allowed_mentions",)
_BODY: web.RequestKey[Any] = web.RequestKey("fake_discord_body")  # the parsed JSON or payload_json, {} when empty
_RECORD: web.RequestKey[RecordedRequest] = web.RequestKey("fake_discord_record")  # as in FakeDiscord.requests
_FILES: web.RequestKey[Sequence[Json]] = web.RequestKey("fake_discord_files")  # multipart files[n] parts
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class _ApiError(Exception):
    """Raised by a handler to answer with Discord's error envelope."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class RecordedRequest:
    """One HTTP request the bot made. ``path`` is without ``/api/v10``; ``json`` is the JSON or ``payload_json``;
    ``at`` is ``time.perf_counter()`` when the request reached the fake; ``status`` is set once it is answered."""

    method: str
    path: str
    json: Any
    query: dict[str, str] = field(default_factory=dict)
    files: list[Json] = field(default_factory=list)
    status: int | None = None
    at: float = field(default_factory=time.perf_counter)


@dataclass
class _Session:
    id: str
    intents: int
    shard: list[int] | None
    seq: int = 0


class _Connection:
    """One gateway websocket. Sends are serialised: the zlib stream must go out in compression order."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compressor = zlib.compressobj() if compress == "zlib-stream" else None
        self.session: _Session | None = None
        self.lock = asyncio.Lock()

    @property
    def open(self) -> bool:
        return not self.ws.closed

    async def send(self, payload: Json) -> None:
        text = json.dumps(payload)
        async with self.lock:
            if self.ws.closed:
                return
            if self.compressor is None:
                await self.ws.send_str(text)
            else:
                data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)


def _json_response(data: Any, status: int = 200) -> web.Response:
    """Content-Type exactly ``application/json``: discord.py compares the header verbatim (``web.json_response``
    would add ``; charset=utf-8`` and discord.py would then hand the body over as a ``str``)."""
    response = web.Response(status=status, body=json.dumps(data).encode())
    response.headers["Content-Type"] = "application/json"
    return response


def _no_content() -> web.Response:
    return web.Response(status=204)


def _snowflake_time(snowflake: int) -> str:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC).isoformat()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _walk_components(components: Iterable[Json]) -> Iterable[Json]:
    for component in components:
        yield component
        yield from _walk_components(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            yield from _walk_components([component["component"]])
        if isinstance(component.get("accessory"), dict):
            yield from _walk_components([component["accessory"]])


def _with_component_ids(components: Sequence[Json]) -> list[Json]:
    """Copy components and number the ones without an ``id`` depth-first from 1, as Discord does."""
    result = copy.deepcopy(list(components))
    used = {c["id"] for c in _walk_components(result) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in _walk_components(result):
        if "id" not in component:
            while next_id in used:
                next_id += 1
            component["id"] = next_id
            used.add(next_id)
    return result


def _snowflake_of(value: Any) -> int:
    """An id from an int, a numeric str or a payload dict with ``id``."""
    if isinstance(value, Mapping):
        value = value["id"]
    return int(value)


class FakeDiscord:
    """The fake: world model, REST app, gateway and test-side actions. One instance per test; one event loop."""

    def __init__(
        self,
        *,
        token: str = "fake-token",
        app_id: int | None = None,
        bot_user_id: int | None = None,
        bot_name: str = "Ticket Bridge",
        app_flags: int = 0,
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._last_id = 0
        self.app_id = app_id or self._next_id()
        self.bot_user_id = bot_user_id or self.app_id
        self.app_flags = app_flags
        self.base_url = ""
        self.ws_url = ""

        self._users: dict[int, Json] = {}
        self._guilds: dict[int, Json] = {}
        self._roles: dict[int, dict[int, Json]] = {}  # guild id -> role id -> role
        self._members: dict[int, dict[int, Json]] = {}  # guild id -> user id -> member (without user)
        self._channels: dict[int, Json] = {}
        self._messages: dict[int, Json] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._thread_members: dict[int, set[int]] = {}

        self.global_commands: list[Json] = []
        self.guild_commands: dict[int, list[Json]] = {}
        self.command_syncs = 0

        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.server_errors: list[tuple[RecordedRequest, str]] = []  # handler crashes (answered 500)
        self.deleted_messages: list[Json] = []
        self._handles: dict[str, InteractionHandle] = {}  # by token

        self._sessions: dict[str, _Session] = {}
        self._connections: list[_Connection] = []
        self._active: _Connection | None = None
        self._last_intents = 0
        self.identify_count = 0
        self.resume_count = 0
        self.gateway_queries: list[dict[str, str]] = []  # query of each websocket connect (v, encoding, compress)

        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

        self._bot_user = self._new_user(bot_name, bot=True, user_id=self.bot_user_id)
        self._owner = self._new_user(f"{bot_name} owner")

    # ------------------------------------------------------------------ lifetime

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve REST and the gateway; return the base URL (``http://host:port``)."""
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self.ws_url = f"ws://{bound_host}:{bound_port}{WS_PATH}"
        log.info("FakeDiscord listening on %s (gateway %s)", self.base_url, self.ws_url)
        return self.base_url

    async def close(self) -> None:
        for connection in list(self._connections):
            with contextlib.suppress(Exception):
                await connection.ws.close(code=1001, message=b"fake shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ waiting

    def _bump(self) -> None:
        """Wake every waiter: something changed."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], T | None], timeout: float = 10.0, what: str = "") -> T:
        """Wait until ``predicate()`` is truthy and return its value; ``TimeoutError`` names ``what``."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    result = predicate()
                    if result:
                        return result
                    await changed.wait()
        except TimeoutError:
            raise TimeoutError(f"FakeDiscord: timed out after {timeout}s waiting for {what or predicate}") from None

    @property
    def connected(self) -> bool:
        """A bot is identified (or resumed) on an open gateway connection."""
        return self._active is not None and self._active.open

    async def wait_for_connection(self, timeout: float = 15.0, *, identify_count: int | None = None) -> None:
        """Wait for an identified connection (and, if given, for ``identify_count`` IDENTIFYs in total)."""

        def ready() -> bool:
            return self.connected and (identify_count is None or self.identify_count >= identify_count)

        await self.wait_until(ready, timeout, f"a gateway connection (identify #{identify_count or 1})")

    async def wait_for_disconnect(self, timeout: float = 10.0) -> None:
        await self.wait_until(lambda: not self.connected, timeout, "the bot to disconnect")

    async def wait_for_commands(
        self, names: Iterable[str], *, guild_id: int | None = None, timeout: float = 15.0
    ) -> None:
        """Wait until every name in ``names`` is synced (globally, or in ``guild_id``)."""
        wanted = set(names)

        def synced() -> bool:
            commands = self.global_commands if guild_id is None else self.guild_commands.get(guild_id, [])
            return wanted <= {c["name"] for c in commands}

        await self.wait_until(synced, timeout, f"commands {sorted(wanted)} to be synced")

    async def wait_for_message(
        self,
        channel_id: int,
        predicate: Callable[[Json], bool] | None = None,
        timeout: float = 10.0,
        *,
        include_ephemeral: bool = False,
    ) -> Json:
        """The first message in the channel (oldest first) matching ``predicate``, waiting for it if needed."""

        def find() -> Json | None:
            for message in self.messages(channel_id, include_ephemeral=include_ephemeral):
                if predicate is None or predicate(message):
                    return message
            return None

        return await self.wait_until(find, timeout, f"a message in channel {channel_id}")

    # ------------------------------------------------------------------ world model

    def _next_id(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(self._last_id + 1, candidate)
        return self._last_id

    def _new_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> Json:
        user_id = user_id or self._next_id()
        user = {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name,
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
        }
        self._users[user_id] = user
        return user

    @property
    def bot_user(self) -> Json:
        return copy.deepcopy(self._bot_user)

    def add_user(self, name: str, bot: bool = False) -> Json:
        return copy.deepcopy(self._new_user(name, bot=bot))

    def add_guild(
        self,
        name: str,
        *,
        owner: Json | int | None = None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        locale: str = "en-US",
    ) -> Json:
        """A guild with an @everyone role, the bot as a member (with a managed role) and an owner (the app owner
        by default). If a bot is connected it gets GUILD_CREATE, as when the bot is added to a server."""
        guild_id = self._next_id()
        owner_id = _snowflake_of(owner) if owner is not None else int(self._owner["id"])
        self._guilds[guild_id] = {
            "id": str(guild_id),
            "name": name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "features": [],
            "mfa_level": 0,
            "nsfw_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": locale,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "emojis": [],
            "stickers": [],
            "incidents_data": None,
        }
        self._roles[guild_id] = {}
        self._members[guild_id] = {}
        self._new_role(guild_id, "@everyone", everyone_permissions, role_id=guild_id, position=0)
        bot_role = self._new_role(guild_id, self._bot_user["username"], bot_permissions, managed=True)
        bot_role["tags"] = {"bot_id": self._bot_user["id"]}
        self._new_member(guild_id, self.bot_user_id, [int(bot_role["id"])])
        if owner_id not in self._members[guild_id]:
            self._new_member(guild_id, owner_id, [])
        self._dispatch_soon("GUILD_CREATE", lambda: self._guild_create_payload(guild_id), INTENT_GUILDS)
        return self.guild(guild_id)

    def _new_role(
        self,
        guild_id: int,
        name: str,
        permissions: int,
        *,
        role_id: int | None = None,
        position: int | None = None,
        managed: bool = False,
    ) -> Json:
        role_id = role_id or self._next_id()
        roles = self._roles[guild_id]
        role = {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": len(roles) if position is None else position,
            "permissions": str(permissions),
            "managed": managed,
            "mentionable": False,
            "flags": 0,
        }
        roles[role_id] = role
        return role

    def add_role(self, guild_id: int, name: str, permissions: int = 0) -> Json:
        self._guild(guild_id)
        role = self._new_role(guild_id, name, permissions)
        self._dispatch_soon(
            "GUILD_ROLE_CREATE", lambda: {"guild_id": str(guild_id), "role": copy.deepcopy(role)}, INTENT_GUILDS
        )
        return copy.deepcopy(role)

    def _new_member(self, guild_id: int, user_id: int, roles: Sequence[int]) -> Json:
        if user_id not in self._users:
            raise KeyError(f"unknown user {user_id}: add_user first")
        for role_id in roles:
            if role_id not in self._roles[guild_id]:
                raise KeyError(f"unknown role {role_id} in guild {guild_id}")
        member = {
            "roles": [str(r) for r in roles],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": _now(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        self._members[guild_id][user_id] = member
        return member

    def add_member(self, guild_id: int, user: Json | int, roles: Sequence[Json | int] = ()) -> Json:
        self._guild(guild_id)
        user_id = _snowflake_of(user)
        self._new_member(guild_id, user_id, [_snowflake_of(r) for r in roles])
        self._dispatch_soon(
            "GUILD_MEMBER_ADD",
            lambda: {**self._member_payload(guild_id, user_id), "guild_id": str(guild_id)},
            INTENT_GUILD_MEMBERS,
        )
        return self.member(guild_id, user_id)

    def add_channel(
        self, guild_id: int, name: str, *, channel_type: int = 0, parent_id: int | None = None, topic: str | None = None
    ) -> Json:
        self._guild(guild_id)
        channel_id = self._next_id()
        channel = {
            "id": str(channel_id),
            "type": channel_type,
            "guild_id": str(guild_id),
            "name": name,
            "position": sum(1 for c in self._channels.values() if c.get("guild_id") == str(guild_id)),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": str(parent_id) if parent_id else None,
            "topic": topic,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 4320,
            "default_thread_rate_limit_per_user": 0,
            "flags": 0,
        }
        self._channels[channel_id] = channel
        self._channel_messages[channel_id] = []
        self._dispatch_soon("CHANNEL_CREATE", lambda: self.channel(channel_id), INTENT_GUILDS)
        return self.channel(channel_id)

    def add_message(self, channel_id: int, author: Json | int, content: str, **fields: Any) -> Json:
        """A message from someone other than the bot (dispatched as MESSAGE_CREATE)."""
        data = {"content": content, **fields}
        message = self._create_message(channel_id, _snowflake_of(author), data, [])
        return self.message(int(message["id"]))

    def remove_member(self, guild_id: int, user: Json | int) -> None:
        """The member leaves (or, for the bot, is kicked: it is then in the guild no more). Not dispatched."""
        self._guild(guild_id)
        self._members[guild_id].pop(_snowflake_of(user), None)

    def edit_role(self, guild_id: int, role: Json | int, **fields: Any) -> Json:
        """Change a role (``mentionable=True``, ``permissions=str(...)``); not dispatched."""
        stored = self._roles[guild_id][_snowflake_of(role)]
        stored.update(fields)
        return copy.deepcopy(stored)

    def set_overwrites(self, channel_id: int, overwrites: Sequence[Json]) -> None:
        """The channel's permission overwrites, as Discord stores them (``{id, type, allow, deny}``). Returned by
        ``GET /channels/{id}``; the fake itself still computes permissions from roles only."""
        self._channel(channel_id)["permission_overwrites"] = [dict(o) for o in overwrites]

    # Lookups (copies; raise KeyError for unknown ids).

    def guild(self, guild_id: int) -> Json:
        return copy.deepcopy(self._guild(guild_id))

    def channel(self, channel_id: int) -> Json:
        return copy.deepcopy(self._channel(channel_id))

    def user(self, user_id: int) -> Json:
        return copy.deepcopy(self._users[user_id])

    def member(self, guild_id: int, user_id: int) -> Json:
        return self._member_payload(guild_id, user_id)

    def role(self, guild_id: int, role_id: int) -> Json:
        return copy.deepcopy(self._roles[guild_id][role_id])

    def message(self, message_id: int) -> Json:
        return self._render(self._messages[message_id])

    def messages(self, channel_id: int, *, include_ephemeral: bool = False) -> list[Json]:
        """Messages in a channel or thread, oldest first, with edits applied (and ``allowed_mentions`` as sent)."""
        result = []
        for message_id in self._channel_messages.get(channel_id, []):
            message = self._messages[message_id]
            if include_ephemeral or not message["flags"] & FLAG_EPHEMERAL:
                result.append(self._render(message))
        return result

    def threads(self, parent_id: int) -> list[Json]:
        return [
            copy.deepcopy(c)
            for c in self._channels.values()
            if c["type"] in _THREAD_TYPES and c.get("parent_id") == str(parent_id)
        ]

    def find_requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests; ``path`` is a regular expression that must match the whole path."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or re.fullmatch(path, r.path))
        ]

    def _guild(self, guild_id: int) -> Json:
        try:
            return self._guilds[int(guild_id)]
        except KeyError:
            raise _ApiError(404, 10004, "Unknown Guild") from None

    def _channel(self, channel_id: int) -> Json:
        try:
            return self._channels[int(channel_id)]
        except KeyError:
            raise _ApiError(404, 10003, "Unknown Channel") from None

    def _message(self, message_id: int, channel_id: int | None = None) -> Json:
        message = self._messages.get(int(message_id))
        if message is None or (channel_id is not None and message["channel_id"] != str(channel_id)):
            raise _ApiError(404, 10008, "Unknown Message")
        return message

    # ------------------------------------------------------------------ payload builders

    def _member_payload(self, guild_id: int, user_id: int, *, with_user: bool = True) -> Json:
        try:
            member = copy.deepcopy(self._members[guild_id][user_id])
        except KeyError:
            raise _ApiError(404, 10007, "Unknown Member") from None
        if with_user:
            member["user"] = copy.deepcopy(self._users[user_id])
        return member

    def permissions(self, guild_id: int, user_id: int) -> int:
        """Guild-level permissions from roles (no channel overwrites); owner and administrator get everything."""
        guild = self._guild(guild_id)
        if guild["owner_id"] == str(user_id):
            return ALL_PERMISSIONS
        roles = self._roles[guild_id]
        value = int(roles[guild_id]["permissions"])
        member = self._members[guild_id].get(user_id)
        for role_id in member["roles"] if member else []:
            value |= int(roles[int(role_id)]["permissions"])
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def _guild_payload(self, guild_id: int) -> Json:
        guild = copy.deepcopy(self._guild(guild_id))
        guild["roles"] = [copy.deepcopy(r) for r in self._roles[guild_id].values()]
        return guild

    def guild_create_payload(self, guild_id: int) -> Json:
        """GUILD_CREATE's data for this guild as the gateway sends it (to hand a bot without a gateway its guild:
        ``bot._connection._add_guild_from_data(payload)``)."""
        return self._guild_create_payload(guild_id)

    def _guild_create_payload(self, guild_id: int) -> Json:
        guild = self._guild_payload(guild_id)
        channels = [c for c in self._channels.values() if c.get("guild_id") == str(guild_id)]
        bot_member = self._members[guild_id][self.bot_user_id]
        guild.update(
            {
                "unavailable": False,
                "joined_at": bot_member["joined_at"],
                "large": False,
                "member_count": len(self._members[guild_id]),
                "voice_states": [],
                # Without the members intent Discord sends the bot's own member only.
                "members": [self._member_payload(guild_id, self.bot_user_id)],
                "channels": [copy.deepcopy(c) for c in channels if c["type"] not in _THREAD_TYPES],
                "threads": [
                    copy.deepcopy(c)
                    for c in channels
                    if c["type"] in _THREAD_TYPES and not c["thread_metadata"]["archived"]
                ],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
            }
        )
        return guild

    def _ready_payload(self, session: _Session) -> Json:
        payload = {
            "v": 10,
            "user": self._bot_user_payload(),
            "guilds": [{"id": str(g), "unavailable": True} for g in self._guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.ws_url,  # not real Discord's: a RESUME must come back here
            "application": {"id": str(self.app_id), "flags": self.app_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
            "auth_session_id_hash": "",
        }
        if session.shard is not None:
            payload["shard"] = session.shard
        return payload

    def _bot_user_payload(self) -> Json:
        return {**copy.deepcopy(self._bot_user), "verified": True, "mfa_enabled": False, "flags": 0, "email": None}

    def _application_payload(self) -> Json:
        return {
            "id": str(self.app_id),
            "name": self._bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.app_flags,
            "owner": copy.deepcopy(self._owner),
            "bot": copy.deepcopy(self._bot_user),
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(self._guilds),
            "tags": [],
            "integration_types_config": {"0": {}},
        }

    def _wire_message(self, message: Json, *, gateway: bool = False, redact: bool = True) -> Json:
        """What the bot sees of a stored message: fake-only keys stripped, content blanked without the intent
        (not in interaction payloads, which always carry the message content)."""
        wire = {k: v for k, v in self._render(message).items() if k not in _FAKE_ONLY_MESSAGE_KEYS}
        if (
            redact
            and not self._last_intents & INTENT_MESSAGE_CONTENT
            and message["author"]["id"] != self._bot_user["id"]
            and not any(u["id"] == self._bot_user["id"] for u in message["mentions"])
        ):
            wire.update(content="", embeds=[], attachments=[], components=[])
            wire.pop("poll", None)
        channel = self._channels.get(int(message["channel_id"]))
        if gateway and channel is not None and channel.get("guild_id"):
            guild_id = int(channel["guild_id"])
            wire["guild_id"] = channel["guild_id"]
            if int(message["author"]["id"]) in self._members.get(guild_id, {}) and not message.get("webhook_id"):
                wire["member"] = self._member_payload(guild_id, int(message["author"]["id"]), with_user=False)
        return wire

    # ------------------------------------------------------------------ messages

    def _render(self, message: Json) -> Json:
        """A copy of a stored message with its thread (if one was started from it) in its current state."""
        rendered = copy.deepcopy(message)
        thread = self._channels.get(int(message["id"]))
        if thread is not None and thread["type"] in _THREAD_TYPES:
            rendered["thread"] = copy.deepcopy(thread)
        return rendered

    def _apply_message_data(self, message: Json, data: Mapping[str, Any], files: Sequence[Json]) -> None:
        if "content" in data:
            message["content"] = data["content"] or ""
        if "embeds" in data:
            message["embeds"] = [{"type": "rich", **e} for e in data["embeds"] or []]
        if "components" in data:
            message["components"] = _with_component_ids(data["components"] or [])
        if "flags" in data and data["flags"] is not None:
            # Ephemeral is decided at creation (callback/deferral), loading and has-thread by the server.
            server_bits = FLAG_EPHEMERAL | FLAG_LOADING | FLAG_HAS_THREAD
            message["flags"] = (message["flags"] & server_bits) | (int(data["flags"]) & ~server_bits)
        if "allowed_mentions" in data:
            message["allowed_mentions"] = copy.deepcopy(data["allowed_mentions"])
        if "poll" in data and data["poll"] is not None:
            message["poll"] = copy.deepcopy(data["poll"])
        if "attachments" in data or files:
            keep = {str(a.get("id")) for a in data.get("attachments") or []}
            attachments = [a for a in message["attachments"] if a["id"] in keep]
            for file in files:
                attachment_id = self._next_id()
                attachments.append(
                    {
                        "id": str(attachment_id),
                        "filename": file["filename"],
                        "size": file["size"],
                        "content_type": file["content_type"],
                        "url": f"{self.base_url}/attachments/{attachment_id}/{file['filename']}",
                        "proxy_url": f"{self.base_url}/attachments/{attachment_id}/{file['filename']}",
                    }
                )
            message["attachments"] = attachments
        self._compute_mentions(message)

    def _compute_mentions(self, message: Json) -> None:
        """``mentions``, ``mention_roles``, ``mention_everyone`` as Discord derives them from the content and
        ``allowed_mentions`` (absent: everything in the content pings)."""
        content = message["content"]
        allowed = message.get("allowed_mentions")
        parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
        allowed_users = set(allowed.get("users", [])) if allowed is not None else set()
        allowed_roles = set(allowed.get("roles", [])) if allowed is not None else set()
        users = [
            u
            for u in dict.fromkeys(_USER_MENTION.findall(content))
            if int(u) in self._users and ("users" in parse or u in allowed_users)
        ]
        roles = [r for r in dict.fromkeys(_ROLE_MENTION.findall(content)) if "roles" in parse or r in allowed_roles]
        message["mentions"] = [copy.deepcopy(self._users[int(u)]) for u in users]
        message["mention_roles"] = roles
        message["mention_everyone"] = "everyone" in parse and ("@everyone" in content or "@here" in content)

    def _create_message(
        self,
        channel_id: int,
        author_id: int,
        data: Mapping[str, Any],
        files: Sequence[Json],
        *,
        flags: int = 0,
        interaction: InteractionHandle | None = None,
    ) -> Json:
        channel = self._channel(channel_id)
        if channel["type"] in _THREAD_TYPES:
            metadata = channel["thread_metadata"]
            if metadata["archived"] and metadata.get("locked"):
                raise _ApiError(400, 50083, "Thread is archived")
            if metadata["archived"]:
                metadata["archived"] = False  # sending to an archived, unlocked thread unarchives it
                metadata["archive_timestamp"] = _now()
        message_id = self._next_id()
        message: Json = {
            "id": str(message_id),
            "type": 0,
            "channel_id": str(channel_id),
            "author": copy.deepcopy(self._users[author_id]),
            "content": "",
            "timestamp": _snowflake_time(message_id),
            "edited_timestamp": None,
            "tts": bool(data.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "flags": flags,
        }
        reference = data.get("message_reference")
        if reference:
            message["type"] = 19
            message["message_reference"] = {"type": 0, "channel_id": str(channel_id), **reference}
        if interaction is not None:
            message["webhook_id"] = str(self.app_id)
            message["application_id"] = str(self.app_id)
            message["type"] = 20 if interaction.type == ITX_APPLICATION_COMMAND else 0
            message["interaction_metadata"] = interaction.metadata()
        self._apply_message_data(message, data, files)
        self._messages[message_id] = message
        self._channel_messages.setdefault(channel_id, []).append(message_id)
        if not message["flags"] & FLAG_EPHEMERAL:
            channel["last_message_id"] = str(message_id)
            if channel["type"] in _THREAD_TYPES:
                channel["message_count"] += 1
                channel["total_message_sent"] += 1
            self._dispatch_soon(
                "MESSAGE_CREATE", lambda: self._wire_message(message, gateway=True), INTENT_GUILD_MESSAGES
            )
        self._bump()
        return message

    def _edit_message(self, message: Json, data: Mapping[str, Any], files: Sequence[Json]) -> Json:
        self._apply_message_data(message, data, files)
        message["edited_timestamp"] = _now()
        if not message["flags"] & FLAG_EPHEMERAL:
            self._dispatch_soon(
                "MESSAGE_UPDATE", lambda: self._wire_message(message, gateway=True), INTENT_GUILD_MESSAGES
            )
        self._bump()
        return message

    def _delete_message(self, message: Json) -> None:
        message_id = int(message["id"])
        channel_id = int(message["channel_id"])
        del self._messages[message_id]
        self._channel_messages[channel_id].remove(message_id)
        self.deleted_messages.append(message)
        if not message["flags"] & FLAG_EPHEMERAL:
            channel = self._channels[channel_id]
            payload = {"id": str(message_id), "channel_id": str(channel_id)}
            if channel.get("guild_id"):
                payload["guild_id"] = channel["guild_id"]
            self._dispatch_soon("MESSAGE_DELETE", lambda: payload, INTENT_GUILD_MESSAGES)
        self._bump()

    def _create_thread(
        self, parent_id: int, name: str, body: Mapping[str, Any], *, thread_id: int | None = None, thread_type: int = 11
    ) -> Json:
        parent = self._channel(parent_id)
        thread_id = thread_id or self._next_id()
        now = _now()
        thread = {
            "id": str(thread_id),
            "type": thread_type,
            "guild_id": parent["guild_id"],
            "parent_id": str(parent_id),
            "owner_id": self._bot_user["id"],
            "name": name,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(body.get("auto_archive_duration") or 4320),
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
                **({"invitable": bool(body.get("invitable", True))} if thread_type == 12 else {}),
            },
        }
        self._channels[thread_id] = thread
        self._channel_messages[thread_id] = []
        self._thread_members[thread_id] = {self.bot_user_id}
        self._dispatch_soon(
            "THREAD_CREATE",
            lambda: {
                **copy.deepcopy(thread),
                "newly_created": True,
                "member": {"id": str(thread_id), "user_id": self._bot_user["id"], "join_timestamp": now, "flags": 0},
            },
            INTENT_GUILDS,
        )
        self._bump()
        return thread

    # ------------------------------------------------------------------ gateway

    def _dispatch_soon(self, event: str, build: Callable[[], Json], intent: int) -> None:
        """Dispatch to the connected bot (if any, and if it identified with ``intent``) without blocking the caller."""
        connection = self._active
        if connection is None or not connection.open or connection.session is None:
            return
        if not connection.session.intents & intent:
            return
        task = asyncio.get_running_loop().create_task(self._dispatch_to(connection, event, build()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch_to(self, connection: _Connection, event: str, data: Any) -> None:
        assert connection.session is not None
        connection.session.seq += 1
        await connection.send({"op": 0, "s": connection.session.seq, "t": event, "d": data})

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a raw DISPATCH to the connected bot (fails if none is connected)."""
        if not self.connected:
            raise RuntimeError(f"FakeDiscord: no bot connected to receive {event}")
        assert self._active is not None
        await self._dispatch_to(self._active, event, data)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py closes and RESUMEs on ``resume_gateway_url``."""
        if self._active is None:
            raise RuntimeError("FakeDiscord: no bot connected")
        await self._active.send({"op": 7, "d": None})

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        connection = _Connection(ws, request.query.get("compress"))
        self.gateway_queries.append(dict(request.query))
        self._connections.append(connection)
        log.info("gateway: connection opened (query %s)", dict(request.query))
        try:
            await connection.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.ERROR:
                        log.warning("gateway: websocket error %s", ws.exception())
                    continue
                await self._gateway_message(connection, json.loads(msg.data))
        finally:
            self._connections.remove(connection)
            if self._active is connection:
                self._active = None
            log.info("gateway: connection closed (code %s)", ws.close_code)
            self._bump()
        return ws

    async def _gateway_message(self, connection: _Connection, payload: Json) -> None:
        op = payload.get("op")
        data: Any = payload.get("d")
        if op == 1:  # HEARTBEAT
            await connection.send({"op": 11})
        elif op == 2:  # IDENTIFY
            if data.get("token") != self.token:
                log.error("gateway: IDENTIFY with a wrong token")
                await connection.ws.close(code=4004, message=b"Authentication failed.")
                return
            session = _Session(id=secrets.token_hex(16), intents=int(data.get("intents", 0)), shard=data.get("shard"))
            self._sessions[session.id] = session
            connection.session = session
            self._last_intents = session.intents
            await self._dispatch_to(connection, "READY", self._ready_payload(session))
            for guild_id in self._guilds:
                await self._dispatch_to(connection, "GUILD_CREATE", self._guild_create_payload(guild_id))
            self._active = connection
            self.identify_count += 1
            log.info("gateway: IDENTIFY ok (intents %s), session %s", session.intents, session.id)
            self._bump()
        elif op == 6:  # RESUME
            resumed = self._sessions.get(data.get("session_id", ""))
            if data.get("token") != self.token or resumed is None:
                await connection.send({"op": 9, "d": False})  # invalid session, not resumable: re-IDENTIFY
                return
            connection.session = resumed
            self._active = connection
            self._last_intents = resumed.intents
            await self._dispatch_to(connection, "RESUMED", {})  # d must be a dict: discord.py adds __shard_id__
            self.resume_count += 1
            log.info("gateway: RESUME ok, session %s", resumed.id)
            self._bump()
        elif op == 8:  # REQUEST_GUILD_MEMBERS
            guild_id = int(data["guild_id"])
            user_ids = {int(u) for u in data.get("user_ids") or []}
            members = [
                self._member_payload(guild_id, uid)
                for uid in self._members.get(guild_id, {})
                if not user_ids or uid in user_ids
            ]
            chunk = {"guild_id": str(guild_id), "members": members, "chunk_index": 0, "chunk_count": 1}
            if data.get("nonce"):
                chunk["nonce"] = data["nonce"]
            await self._dispatch_to(connection, "GUILD_MEMBERS_CHUNK", chunk)
        elif op in (3, 4):  # presence / voice state: accepted, ignored
            pass
        else:
            log.warning("gateway: unhandled op %s: %s", op, payload)

    # ------------------------------------------------------------------ HTTP plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        arrived = time.perf_counter()  # first: the benchmarks time the bot up to here, not the fake's own work
        if request.path == WS_PATH:
            return await handler(request)
        path = request.path.removeprefix(API_PREFIX)
        body, files = await self._read_body(request)
        record = RecordedRequest(request.method, path, body, dict(request.query), files, at=arrived)
        self.requests.append(record)
        request[_RECORD] = record
        try:
            if request.match_info.http_exception is not None or not request.path.startswith(API_PREFIX):
                log.error("FakeDiscord: UNKNOWN ROUTE %s %s (body %s)", request.method, request.path_qs, body)
                self.unknown_routes.append(record)
                response: web.StreamResponse = _json_response({"message": "Unknown route (fake)", "code": 0}, 404)
            elif self._needs_auth(path) and request.headers.get("Authorization") != f"Bot {self.token}":
                response = _json_response({"message": "401: Unauthorized", "code": 0}, 401)
            else:
                request[_BODY] = body if body is not None else {}
                request[_FILES] = files
                try:
                    response = await handler(request)
                except _ApiError as exc:
                    log.info("FakeDiscord: %s %s -> %s %s", request.method, path, exc.status, exc.message)
                    response = _json_response({"message": exc.message, "code": exc.code}, exc.status)
                except Exception as exc:  # a bug in the fake, or a body it does not understand: loud, recorded
                    log.exception("FakeDiscord: handler failed for %s %s (body %s)", request.method, path, body)
                    self.server_errors.append((record, repr(exc)))
                    response = _json_response({"message": f"Fake handler failed: {exc!r}", "code": 0}, 500)
        finally:
            self._bump()
        record.status = response.status
        return response

    @staticmethod
    def _needs_auth(path: str) -> bool:
        return not (path == "/gateway" or path.startswith("/webhooks/") or path.startswith("/interactions/"))

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[Json]]:
        if not request.can_read_body:
            return None, []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[Json] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: not used by discord.py
                raw = await part.read()
                if part.name == "payload_json":
                    payload = json.loads(raw)
                else:
                    files.append(
                        {
                            "field": part.name,
                            "filename": part.filename,
                            "content_type": part.headers.get("Content-Type"),
                            "size": len(raw),
                            "data": bytes(raw),
                        }
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    def _add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        app.router.add_get(WS_PATH, self._gateway)
        routes: list[tuple[str, str, Callable[[web.Request], Any]]] = [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/@me/guilds", self._get_my_guilds),
            ("GET", "/users/{user_id:\\d+}", self._get_user),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/applications/{app_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/commands", self._put_commands),
            ("GET", "/applications/{app_id}/commands/{command_id}", self._get_command),
            ("DELETE", "/applications/{app_id}/commands/{command_id}", self._delete_command),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}", self._get_command),
            ("DELETE", "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}", self._delete_command),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{app_id}/{token}", self._webhook_execute),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_message),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_message),
            ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_message),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("PATCH", "/channels/{channel_id}", self._patch_channel),
            ("GET", "/channels/{channel_id}/messages", self._get_messages),
            ("POST", "/channels/{channel_id}/messages", self._post_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._patch_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message_route),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._post_message_thread),
            ("POST", "/channels/{channel_id}/threads", self._post_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._put_thread_member),
            ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self._delete_thread_member),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, p + path, handler)

    # ------------------------------------------------------------------ REST: users, gateway, application

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json_response(self._bot_user_payload())

    async def _get_my_guilds(self, request: web.Request) -> web.Response:
        """The partial guilds the bot is a member of (Discord's ``GET /users/@me/guilds``)."""
        mine = [g for g_id, g in self._guilds.items() if self.bot_user_id in self._members[g_id]]
        return _json_response(
            [
                {
                    "id": g["id"],
                    "name": g["name"],
                    "icon": g["icon"],
                    "banner": g["banner"],
                    "owner": False,
                    "permissions": str(self.permissions(int(g["id"]), self.bot_user_id)),
                    "features": g["features"],
                }
                for g in mine
            ]
        )

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self._users.get(int(request.match_info["user_id"]))
        if user is None:
            raise _ApiError(404, 10013, "Unknown User")
        return _json_response(user)

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json_response({"url": self.ws_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json_response({"url": self.ws_url, "shards": 1, "session_start_limit": limit})

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json_response(self._application_payload())

    # ------------------------------------------------------------------ REST: application commands

    def _command_list(self, request: web.Request) -> tuple[list[Json], int | None]:
        if request.match_info["app_id"] != str(self.app_id):
            raise _ApiError(404, 10002, "Unknown Application")
        guild_id = request.match_info.get("guild_id")
        if guild_id is None:
            return self.global_commands, None
        self._guild(int(guild_id))
        return self.guild_commands.setdefault(int(guild_id), []), int(guild_id)

    async def _get_commands(self, request: web.Request) -> web.Response:
        commands, _ = self._command_list(request)
        return _json_response(commands)

    async def _put_commands(self, request: web.Request) -> web.Response:
        commands, guild_id = self._command_list(request)
        existing = {(c["name"], c.get("type", 1)): c for c in commands}
        stored = []
        for body in request[_BODY]:
            command_type = body.get("type", 1)
            old = existing.get((body["name"], command_type))
            command = {
                "id": old["id"] if old else str(self._next_id()),
                "application_id": str(self.app_id),
                "version": str(self._next_id()),
                "type": command_type,
                "name": body["name"],
                "name_localizations": body.get("name_localizations"),
                "description": body.get("description", ""),
                "description_localizations": body.get("description_localizations"),
                "options": copy.deepcopy(body.get("options") or []),
                "default_member_permissions": body.get("default_member_permissions"),
                "dm_permission": body.get("dm_permission", True),
                "contexts": body.get("contexts"),
                "integration_types": body.get("integration_types") or [0],
                "nsfw": bool(body.get("nsfw", False)),
            }
            if guild_id is not None:
                command["guild_id"] = str(guild_id)
            stored.append(command)
        commands[:] = stored
        self.command_syncs += 1
        log.info(
            "commands synced (%s): %s",
            "global" if guild_id is None else f"guild {guild_id}",
            [c["name"] for c in stored],
        )
        return _json_response(stored)

    def _find_command_by_id(self, request: web.Request) -> tuple[list[Json], Json]:
        commands, _ = self._command_list(request)
        for command in commands:
            if command["id"] == request.match_info["command_id"]:
                return commands, command
        raise _ApiError(404, 10063, "Unknown application command")

    async def _get_command(self, request: web.Request) -> web.Response:
        return _json_response(self._find_command_by_id(request)[1])

    async def _delete_command(self, request: web.Request) -> web.Response:
        commands, command = self._find_command_by_id(request)
        commands.remove(command)
        return _no_content()

    # ------------------------------------------------------------------ REST: interactions and webhooks

    def _handle_for(self, token: str, *, app_id: str | None = None) -> InteractionHandle:
        handle = self._handles.get(token)
        if handle is None or (app_id is not None and app_id != str(self.app_id)):
            raise _ApiError(404, 10015, "Unknown Webhook")
        return handle

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        handle = self._handles.get(request.match_info["token"])
        if handle is None or str(handle.id) != request.match_info["interaction_id"]:
            raise _ApiError(404, 10062, "Unknown interaction")
        if handle.callbacks:
            handle.errors.append("second initial response (40060)")
            raise _ApiError(400, 40060, "Interaction has already been acknowledged.")
        body: Json = request[_BODY]
        callback_type = int(body.get("type", 0))
        data: Json = body.get("data") or {}
        if callback_type not in _VALID_CALLBACKS.get(handle.type, set()) or (
            callback_type in (CB_DEFERRED_UPDATE, CB_UPDATE) and handle.source_message_id is None
        ):
            handle.errors.append(f"callback type {callback_type} invalid for interaction type {handle.type}")
            raise _ApiError(
                400,
                50035,
                f"Invalid Form Body (fake: callback type {callback_type} is not valid for "
                f"interaction type {handle.type})",
            )
        handle.callbacks.append(copy.deepcopy(body))
        handle.first_response_at = request[_RECORD].at
        interaction: Json = {"id": str(handle.id), "type": handle.type}
        resource: Json = {"type": callback_type}

        if callback_type == CB_MESSAGE:
            message = self._create_message(
                handle.channel_id,
                self.bot_user_id,
                data,
                request[_FILES],
                flags=int(data.get("flags") or 0) & FLAG_EPHEMERAL,
                interaction=handle,
            )
            handle.original_id = int(message["id"])
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=False,
                response_message_ephemeral=bool(message["flags"] & FLAG_EPHEMERAL),
            )
            resource["message"] = self._wire_message(message)
        elif callback_type == CB_DEFERRED_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._create_message(handle.channel_id, self.bot_user_id, {}, [], flags=flags, interaction=handle)
            handle.original_id = int(message["id"])
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=True,
                response_message_ephemeral=bool(flags & FLAG_EPHEMERAL),
            )
        elif callback_type in (CB_DEFERRED_UPDATE, CB_UPDATE):
            assert handle.source_message_id is not None
            handle.original_id = handle.source_message_id
            if callback_type == CB_UPDATE:
                message = self._edit_message(self._message(handle.source_message_id), data, request[_FILES])
                handle.original_updated = True
                interaction.update(
                    response_message_id=message["id"],
                    response_message_loading=False,
                    response_message_ephemeral=bool(message["flags"] & FLAG_EPHEMERAL),
                )
                resource["message"] = self._wire_message(message)
        elif callback_type == CB_MODAL:
            handle.modal_data = {**copy.deepcopy(data), "components": _with_component_ids(data.get("components", []))}
        elif callback_type == CB_AUTOCOMPLETE:
            handle.choices = copy.deepcopy(data.get("choices", []))
        self._bump()
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return _no_content()
        return _json_response({"interaction": interaction, "resource": resource})

    async def _webhook_execute(self, request: web.Request) -> web.Response:
        handle = self._handle_for(request.match_info["token"], app_id=request.match_info["app_id"])
        if not handle.callbacks:
            raise _ApiError(404, 10015, "Unknown Webhook")  # a followup before the initial response
        data: Json = request[_BODY]
        original = self._messages.get(handle.original_id or 0)
        if handle.response_type == CB_DEFERRED_MESSAGE and original is not None and original["flags"] & FLAG_LOADING:
            # Discord: the first followup after a deferral replaces the "thinking" message; the deferral decides
            # whether it is ephemeral.
            original["flags"] &= ~FLAG_LOADING
            data = {k: v for k, v in data.items() if k != "flags"}
            message = self._edit_message(original, data, request[_FILES])
            message["edited_timestamp"] = None
        else:
            flags = int(data.get("flags") or 0) & FLAG_EPHEMERAL
            message = self._create_message(
                handle.channel_id, self.bot_user_id, data, request[_FILES], flags=flags, interaction=handle
            )
            handle.followup_ids.append(int(message["id"]))
        self._bump()
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return _no_content()
        return _json_response(self._wire_message(message))

    async def _webhook_message(self, request: web.Request) -> web.Response:
        handle = self._handle_for(request.match_info["token"], app_id=request.match_info["app_id"])
        raw_id = request.match_info["message_id"]
        message_id = handle.original_id if raw_id == "@original" else int(raw_id)
        if message_id is None or (message_id != handle.original_id and message_id not in handle.followup_ids):
            raise _ApiError(404, 10008, "Unknown Message")
        message = self._message(message_id)
        if request.method == "GET":
            return _json_response(self._wire_message(message))
        if request.method == "DELETE":
            self._delete_message(message)
            return _no_content()
        handle.edits.append(copy.deepcopy(request[_BODY]))
        if message_id == handle.original_id:
            message["flags"] &= ~FLAG_LOADING
            handle.original_updated = True
        return _json_response(self._wire_message(self._edit_message(message, request[_BODY], request[_FILES])))

    # ------------------------------------------------------------------ REST: channels, messages, threads

    async def _get_channel(self, request: web.Request) -> web.Response:
        return _json_response(self._channel(int(request.match_info["channel_id"])))

    async def _patch_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(int(request.match_info["channel_id"]))
        body: Json = request[_BODY]
        if channel["type"] in _THREAD_TYPES:
            metadata = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    if key == "archived" and body[key] != metadata["archived"]:
                        metadata["archive_timestamp"] = _now()
                    metadata[key] = body[key]
            for key in ("name", "rate_limit_per_user", "flags", "applied_tags"):
                if key in body:
                    channel[key] = body[key]
            event = "THREAD_UPDATE"
        else:
            for key in (
                "name",
                "topic",
                "nsfw",
                "position",
                "rate_limit_per_user",
                "parent_id",
                "permission_overwrites",
                "default_auto_archive_duration",
                "flags",
            ):
                if key in body:
                    channel[key] = body[key]
            event = "CHANNEL_UPDATE"
        self._dispatch_soon(event, lambda: copy.deepcopy(channel), INTENT_GUILDS)
        return _json_response(channel)

    async def _get_messages(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        self._channel(channel_id)
        limit = int(request.query.get("limit", 50))
        visible = [
            self._messages[m]
            for m in self._channel_messages[channel_id]
            if not self._messages[m]["flags"] & FLAG_EPHEMERAL
        ]  # oldest first
        if "before" in request.query:
            selected = [m for m in visible if int(m["id"]) < int(request.query["before"])][-limit:]
        elif "after" in request.query:
            selected = [m for m in visible if int(m["id"]) > int(request.query["after"])][:limit]
        elif "around" in request.query:
            around = int(request.query["around"])
            older = [m for m in visible if int(m["id"]) < around][-(limit // 2) :] if limit > 1 else []
            rest = [m for m in visible if int(m["id"]) >= around][: limit - len(older)]
            selected = older + rest
        else:
            selected = visible[-limit:]
        return _json_response([self._wire_message(m) for m in reversed(selected)])  # newest first, like Discord

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        body: Json = request[_BODY]
        flags = int(body.get("flags") or 0) & ~FLAG_EPHEMERAL
        message = self._create_message(channel_id, self.bot_user_id, body, request[_FILES], flags=flags)
        return _json_response(self._wire_message(message))

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self._message(int(request.match_info["message_id"]), int(request.match_info["channel_id"]))
        if message["flags"] & FLAG_EPHEMERAL:
            raise _ApiError(404, 10008, "Unknown Message")
        return _json_response(self._wire_message(message))

    async def _patch_message(self, request: web.Request) -> web.Response:
        message = self._message(int(request.match_info["message_id"]), int(request.match_info["channel_id"]))
        if message["author"]["id"] != self._bot_user["id"] or message.get("webhook_id"):
            raise _ApiError(403, 50005, "Cannot edit a message authored by another user")
        return _json_response(self._wire_message(self._edit_message(message, request[_BODY], request[_FILES])))

    async def _delete_message_route(self, request: web.Request) -> web.Response:
        message = self._message(int(request.match_info["message_id"]), int(request.match_info["channel_id"]))
        self._delete_message(message)
        return _no_content()

    async def _post_message_thread(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        channel = self._channel(channel_id)
        message = self._message(int(request.match_info["message_id"]), channel_id)
        if channel["type"] not in (0, 5):
            raise _ApiError(400, 50024, "Cannot execute action on this channel type")
        if int(message["id"]) in self._channels:
            raise _ApiError(400, 160004, "A thread has already been created for this message")
        body: Json = request[_BODY]
        thread = self._create_thread(
            channel_id, body["name"], body, thread_id=int(message["id"]), thread_type=10 if channel["type"] == 5 else 11
        )
        message["flags"] |= FLAG_HAS_THREAD
        return _json_response(thread)

    async def _post_thread(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        body: Json = request[_BODY]
        thread = self._create_thread(channel_id, body["name"], body, thread_type=int(body.get("type") or 12))
        return _json_response(thread)

    async def _put_thread_member(self, request: web.Request) -> web.Response:
        channel = self._channel(int(request.match_info["channel_id"]))
        if channel["type"] not in _THREAD_TYPES:
            raise _ApiError(400, 50024, "Cannot execute action on this channel type")
        raw = request.match_info["user_id"]
        user_id = self.bot_user_id if raw == "@me" else int(raw)
        members = self._thread_members.setdefault(int(channel["id"]), set())
        members.add(user_id)
        channel["member_count"] = len(members)
        return _no_content()

    async def _delete_thread_member(self, request: web.Request) -> web.Response:
        channel = self._channel(int(request.match_info["channel_id"]))
        raw = request.match_info["user_id"]
        user_id = self.bot_user_id if raw == "@me" else int(raw)
        members = self._thread_members.setdefault(int(channel["id"]), set())
        members.discard(user_id)
        channel["member_count"] = len(members)
        return _no_content()

    def thread_members(self, thread_id: int) -> set[int]:
        return set(self._thread_members.get(thread_id, set()))

    async def _typing(self, request: web.Request) -> web.Response:
        self._channel(int(request.match_info["channel_id"]))
        return _no_content()

    # ------------------------------------------------------------------ REST: guilds

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild_id"])
        self._guild(guild_id)
        if self.bot_user_id not in self._members[guild_id]:
            raise _ApiError(403, 50001, "Missing Access")  # what Discord answers for a server the bot isn't in
        return _json_response(self._guild_payload(guild_id))

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        guild_id = request.match_info["guild_id"]
        self._guild(int(guild_id))
        return _json_response(
            [c for c in self._channels.values() if c.get("guild_id") == guild_id and c["type"] not in _THREAD_TYPES]
        )

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        return _json_response(self._guild_payload(int(request.match_info["guild_id"]))["roles"])

    async def _get_member(self, request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild_id"])
        self._guild(guild_id)
        return _json_response(self._member_payload(guild_id, int(request.match_info["user_id"])))

    # ------------------------------------------------------------------ test-side interactions

    def _interaction_payload(
        self, interaction_type: int, guild_id: int, channel_id: int, user_id: int, locale: str
    ) -> Json:
        guild = self._guild(guild_id)
        channel = self._channel(channel_id)
        if channel.get("guild_id") != str(guild_id):
            raise ValueError(f"channel {channel_id} is not in guild {guild_id}")
        if user_id not in self._members[guild_id]:
            raise ValueError(f"user {user_id} is not a member of guild {guild_id}: add_member first")
        interaction_id = self._next_id()
        permissions = str(self.permissions(guild_id, user_id))
        return {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": interaction_type,
            "token": f"fake-itx.{interaction_id}.{secrets.token_urlsafe(24)}",
            "version": 1,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": guild["preferred_locale"], "features": list(guild["features"])},
            "channel_id": str(channel_id),
            "channel": {**copy.deepcopy(channel), "permissions": permissions},
            "member": {**self._member_payload(guild_id, user_id), "permissions": permissions},
            "app_permissions": str(self.permissions(guild_id, self.bot_user_id)),
            "locale": locale,
            "guild_locale": guild["preferred_locale"],
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    def _register(self, payload: Json, *, source_message_id: int | None = None) -> InteractionHandle:
        """A handle for the interaction: from now on its callback, followups and edits are accepted."""
        handle = InteractionHandle(self, payload, source_message_id=source_message_id)
        self._handles[handle.token] = handle
        return handle

    async def _inject(self, payload: Json, *, source_message_id: int | None = None) -> InteractionHandle:
        if not self.connected:
            raise RuntimeError("FakeDiscord: no bot connected; await wait_for_connection() first")
        handle = self._register(payload, source_message_id=source_message_id)
        await self.dispatch("INTERACTION_CREATE", payload)
        return handle

    def _find_command(self, guild_id: int, name: str, command_type: int = 1) -> Json:
        for command in [*self.guild_commands.get(guild_id, []), *self.global_commands]:
            if command["name"] == name and command.get("type", 1) == command_type:
                return command
        synced = [c["name"] for c in [*self.guild_commands.get(guild_id, []), *self.global_commands]]
        raise ValueError(f"command {name!r} is not synced for guild {guild_id} (synced: {synced})")

    def _build_command_data(
        self,
        guild_id: int,
        user_id: int,
        command_line: str,
        options: Mapping[str, Any],
        *,
        focused: str | None = None,
    ) -> Json:
        top, *path = command_line.split()
        command = self._find_command(guild_id, top)
        chain: list[Json] = [command]  # the command, then each subcommand group / subcommand on the path
        for name in path:
            found = [o for o in chain[-1].get("options") or [] if o["name"] == name and o["type"] in (1, 2)]
            if not found:
                raise ValueError(f"{command_line!r}: no subcommand (group) {name!r}")
            chain.append(found[0])
        leaf = chain[-1]
        if any(o["type"] in (1, 2) for o in leaf.get("options") or []):
            raise ValueError(f"{command_line!r} is a group: name a subcommand")
        if focused is None:
            missing = [o["name"] for o in leaf.get("options") or [] if o.get("required") and o["name"] not in options]
            if missing:
                raise ValueError(f"{command_line!r}: required options missing: {missing}")
        elif focused not in options:
            raise ValueError(f"focused option {focused!r} needs a (partial) value in options")
        resolved: dict[str, dict[str, Json]] = {}
        nested = [
            self._option(guild_id, user_id, leaf, name, value, resolved, focused=name == focused)
            for name, value in options.items()
        ]
        for option in reversed(chain[1:]):
            nested = [{"type": option["type"], "name": option["name"], "options": nested}]
        data: Json = {"id": command["id"], "name": command["name"], "type": 1, "options": nested}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]  # discord.py looks guild commands up by this
        if resolved:
            data["resolved"] = resolved
        return data

    def _option(
        self,
        guild_id: int,
        user_id: int,
        definition: Json,
        name: str,
        value: Any,
        resolved: dict[str, dict[str, Json]],
        *,
        focused: bool,
    ) -> Json:
        found = [o for o in definition.get("options") or [] if o["name"] == name]
        if not found:
            known = [o["name"] for o in definition.get("options") or []]
            raise ValueError(f"unknown option {name!r} (known: {known})")
        option_type = found[0]["type"]
        if focused:  # autocomplete: the user is still typing, Discord sends the raw text
            return {"type": option_type, "name": name, "value": str(value), "focused": True}
        choices = found[0].get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"option {name!r}: {value!r} is not one of the choices {choices}")
        wire: Any
        if option_type == 3:
            wire = str(value)
        elif option_type == 4:
            wire = int(value)
        elif option_type == 5:
            wire = bool(value)
        elif option_type == 10:
            wire = float(value)
        elif option_type in (6, 7, 8, 9):
            snowflake = _snowflake_of(value)
            wire = str(snowflake)
            self._resolve(guild_id, user_id, option_type, snowflake, resolved)
        else:
            raise NotImplementedError(f"option type {option_type} ({name!r}) is not modelled by the fake")
        return {"type": option_type, "name": name, "value": wire}

    def _resolve(
        self, guild_id: int, user_id: int, option_type: int, snowflake: int, resolved: dict[str, dict[str, Json]]
    ) -> None:
        if option_type in (8, 9) and snowflake in self._roles[guild_id]:
            resolved.setdefault("roles", {})[str(snowflake)] = copy.deepcopy(self._roles[guild_id][snowflake])
        elif option_type in (6, 9):
            if snowflake not in self._users:
                raise ValueError(f"unknown user {snowflake}")
            resolved.setdefault("users", {})[str(snowflake)] = copy.deepcopy(self._users[snowflake])
            if snowflake in self._members[guild_id]:  # resolved members carry no "user" (it is in users)
                member = self._member_payload(guild_id, snowflake, with_user=False)
                member["permissions"] = str(self.permissions(guild_id, snowflake))
                resolved.setdefault("members", {})[str(snowflake)] = member
        elif option_type == 7:
            channel = self._channel(snowflake)
            keys = (
                "id",
                "name",
                "type",
                "parent_id",
                "nsfw",
                "position",
                "flags",
                "rate_limit_per_user",
                "last_message_id",
                "thread_metadata",
                "topic",
                "guild_id",
            )
            partial = {k: copy.deepcopy(channel[k]) for k in keys if k in channel}
            partial["permissions"] = str(self.permissions(guild_id, user_id))  # of the invoking user
            resolved.setdefault("channels", {})[str(snowflake)] = partial
        else:
            raise ValueError(f"unknown role {snowflake}")

    async def slash(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Invoke ``/command`` (``"staff link"`` for subcommands). Option values: str/int/float/bool, and for
        user/member/channel/role options an id or a payload dict. Checked against the synced definition."""
        return await self._inject(self._slash_payload(guild_id, channel_id, user_id, command, options, locale))

    def prepare_slash(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Like :meth:`slash`, but nothing is sent and no gateway connection is needed: the interaction is only
        registered (its callback and followups will be accepted). Hand ``handle.payload`` to a bot in-process as
        INTERACTION_CREATE's data (``bot._connection.parse_interaction_create(handle.payload)``)."""
        return self._register(self._slash_payload(guild_id, channel_id, user_id, command, options, locale))

    def _slash_payload(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        options: Mapping[str, Any] | None,
        locale: str,
    ) -> Json:
        payload = self._interaction_payload(ITX_APPLICATION_COMMAND, guild_id, channel_id, user_id, locale)
        payload["data"] = self._build_command_data(guild_id, user_id, command, options or {})
        return payload

    async def autocomplete(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Autocomplete for option ``focused`` (its value in ``options`` is what the user typed so far)."""
        payload = self._interaction_payload(ITX_AUTOCOMPLETE, guild_id, channel_id, user_id, locale)
        payload["data"] = self._build_command_data(guild_id, user_id, command, options, focused=focused)
        return await self._inject(payload)

    async def click(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        message_id: int,
        custom_id: str,
        *,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Click a button (or choose ``values`` in a select) on a stored message. The component must be there."""
        message = self._message(message_id, channel_id)
        component = next((c for c in _walk_components(message["components"]) if c.get("custom_id") == custom_id), None)
        if component is None:
            ids = [c.get("custom_id") for c in _walk_components(message["components"]) if c.get("custom_id")]
            raise ValueError(f"message {message_id} has no component {custom_id!r} (has {ids})")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        payload = self._interaction_payload(ITX_COMPONENT, guild_id, channel_id, user_id, locale)
        data: Json = {"custom_id": custom_id, "component_type": component["type"], "id": component["id"]}
        if component["type"] in _SELECT_TYPES:
            data["values"] = list(values or [])
        elif values is not None:
            raise ValueError("values are only for selects")
        payload["data"] = data
        payload["message"] = self._wire_message(message, redact=False)
        return await self._inject(payload, source_message_id=message_id)

    async def submit_modal(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        custom_id: str,
        values: Mapping[str, str | Sequence[str] | bool],
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Submit the last modal the bot showed with this ``custom_id``. ``values`` maps a text input's (or
        select's) custom_id to its value; the payload mirrors the modal's layout (Label 18 / action row 1)."""
        opener = next(
            (
                h
                for h in reversed(list(self._handles.values()))
                if h.modal_data is not None and h.modal_data.get("custom_id") == custom_id
            ),
            None,
        )
        if opener is None:
            raise ValueError(f"the bot never showed a modal with custom_id {custom_id!r}")
        assert opener.modal_data is not None
        unused = set(values)
        components = [self._mirror(c, values, unused) for c in opener.modal_data["components"]]
        if unused:
            raise ValueError(f"modal {custom_id!r} has no inputs {sorted(unused)}")
        payload = self._interaction_payload(ITX_MODAL_SUBMIT, guild_id, channel_id, user_id, locale)
        payload["data"] = {"custom_id": custom_id, "components": components}
        source = opener.source_message_id
        if source is not None and source in self._messages:
            payload["message"] = self._wire_message(self._messages[source], redact=False)
        return await self._inject(payload, source_message_id=source)

    def _mirror(self, component: Json, values: Mapping[str, Any], unused: set[str]) -> Json:
        kind = component["type"]
        base: Json = {"type": kind, "id": component["id"]}
        if kind == 1:
            return base | {"components": [self._mirror(c, values, unused) for c in component["components"]]}
        if kind == 18:
            return base | {"component": self._mirror(component["component"], values, unused)}
        if kind == 10:
            return base | {"content": component.get("content", "")}
        custom_id = component.get("custom_id")
        unused.discard(custom_id)
        given = values.get(custom_id) if custom_id is not None else None
        if kind == 4:
            value = str(given) if given is not None else component.get("value") or ""
            if not value and component.get("required", True):
                raise ValueError(f"text input {custom_id!r} is required: give it a value")
            return base | {"custom_id": custom_id, "value": value}
        if kind in _SELECT_TYPES or kind in (19, 22):
            return base | {"custom_id": custom_id, "values": list(given or [])}
        if kind == 21:
            return base | {"custom_id": custom_id, "value": given}
        if kind == 23:
            return base | {"custom_id": custom_id, "value": bool(given)}
        return base


class InteractionHandle:
    """Everything the bot did with one injected interaction: the initial callback, followups and edits."""

    def __init__(self, fake: FakeDiscord, payload: Json, *, source_message_id: int | None = None) -> None:
        self._fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.channel_id = int(payload["channel_id"])
        self.user_id = int(payload["member"]["user"]["id"])
        self.source_message_id = source_message_id
        self.callbacks: list[Json] = []  # initial responses as sent ({"type", "data"}); more than one is an error
        self.edits: list[Json] = []  # PATCH bodies to @original / followups
        self.errors: list[str] = []  # what the fake refused (double acknowledgement, wrong callback type)
        self.original_id: int | None = None
        self.original_updated = False  # for type 6: the source message was edited afterwards
        self.followup_ids: list[int] = []
        self.first_response_at: float | None = None  # perf_counter() when the accepted initial callback arrived
        self.modal_data: Json | None = None
        self.choices: list[Json] | None = None

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.type} response={self.response_type}>"

    def metadata(self) -> Json:
        return {
            "id": str(self.id),
            "type": self.type,
            "user": copy.deepcopy(self.payload["member"]["user"]),
            "authorizing_integration_owners": copy.deepcopy(self.payload["authorizing_integration_owners"]),
        }

    @property
    def response_type(self) -> int | None:
        """The initial callback type (4 message, 5 deferred, 6 deferred update, 7 update, 8 choices, 9 modal)."""
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def modal(self) -> Json | None:
        """The modal (``{"custom_id", "title", "components"}``, ids assigned) if the bot answered with one."""
        return copy.deepcopy(self.modal_data)

    @property
    def messages(self) -> list[Json]:
        """Visible messages produced for this interaction, current state: the original (once it is not a
        "thinking" placeholder; for type 6 once edited) then the followups."""
        result = []
        original = self._fake._messages.get(self.original_id or 0)
        if (
            original is not None
            and not original["flags"] & FLAG_LOADING
            and (self.response_type != CB_DEFERRED_UPDATE or self.original_updated)
        ):
            result.append(self._fake._render(original))
        result += [self._fake._render(self._fake._messages[m]) for m in self.followup_ids if m in self._fake._messages]
        return result

    @property
    def message(self) -> Json | None:
        messages = self.messages
        return messages[-1] if messages else None

    def _final(self) -> Json:
        message = self.message
        if message is None:
            raise AssertionError(f"{self!r}: the bot has not sent a visible message (callbacks {self.callbacks})")
        return message

    @property
    def ephemeral(self) -> bool:
        message = self.message
        if message is not None:
            return bool(message["flags"] & FLAG_EPHEMERAL)
        data = self.callbacks[0].get("data") or {} if self.callbacks else {}
        return bool(int(data.get("flags") or 0) & FLAG_EPHEMERAL)

    @property
    def content(self) -> str:
        return self._final()["content"]

    @property
    def embeds(self) -> list[Json]:
        return self._final()["embeds"]

    @property
    def components(self) -> list[Json]:
        return self._final()["components"]

    async def wait(self, predicate: Callable[[InteractionHandle], T | None], timeout: float = 10.0) -> T:
        return await self._fake.wait_until(lambda: predicate(self), timeout, f"{self!r} to satisfy {predicate}")

    async def first_response(self, timeout: float = 10.0) -> Json:
        """The initial callback body (``{"type": ..., "data": ...}``) once the bot sent it."""
        return await self.wait(lambda h: h.callbacks[0] if h.callbacks else None, timeout)

    async def final_message(self, timeout: float = 10.0) -> Json:
        """The latest visible message once there is one (after a deferral: the followup or edit)."""
        return await self.wait(lambda h: h.message, timeout)

    async def wait_for_message(self, predicate: Callable[[Json], bool], timeout: float = 10.0) -> Json:
        return await self.wait(lambda h: next((m for m in h.messages if predicate(m)), None), timeout)

    async def wait_for_modal(self, timeout: float = 10.0) -> Json:
        return await self.wait(lambda h: h.modal, timeout)

    async def wait_for_choices(self, timeout: float = 10.0) -> list[Json]:
        """The autocomplete choices (``[{"name", "value"}]``, possibly empty) once the bot answered."""
        answered = await self.wait(lambda h: (h.choices,) if h.choices is not None else None, timeout)
        return answered[0]
