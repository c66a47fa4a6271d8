"""Is this deploy ready? The checks behind ``python -m bot --check``, and the findings the bot logs at start.

Each check asks the service itself (Series, Discord's REST API, Roblox, Bloxlink, RoVer) the one question a deploy
depends on and turns the answer into a :class:`Finding`: what was found, in the service's own words where it has
some, and what to do about it. One check failing never stops the others, so a new admin sees everything that is
wrong in one run.

Marks: ``ok``; ``fix`` (the bot can't do its job until someone acts: ``--check`` exits 1); ``next`` (set-up not
done yet, such as no routes: the bot works, there is just nothing to do); ``warn`` (something optional is down);
``skip`` (not configured, or depends on something that failed).

Discord is asked over REST only, never the gateway: a second gateway session of a running bot could take the
interactions meant for it. Channel permissions are computed from the roles and overwrites Discord returns, the way
Discord does (docs/discord-limits.md#permissions-are-a-hint).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import aiohttp
import discord
import discord.http

from . import __version__
from .api import SeriesClient, SeriesError, SeriesForbidden, SeriesMessage, SeriesNotFound
from .config import Config, Secret
from .database import LATEST_VERSION, Database
from .models import TicketConfig
from .ratelimit import RateLimiter
from .render import clip
from .repositories import FeedRepo, MetaRepo, StaffLinkRepo
from .roblox import RobloxClient, RobloxError, RobloxUserNotFound
from .verification import VerificationProvider, VerificationRefused, configured_providers

__all__ = (
    "INVITE_PERMISSIONS",
    "REQUIRED_PERMISSIONS",
    "Checkup",
    "DiscordRest",
    "Finding",
    "Mark",
    "channel_permissions",
    "exit_code",
    "invite_url",
    "log_findings",
    "render",
)

log = logging.getLogger(__name__)

#: What the bot needs in every feed channel: read it, post and edit cards, open threads and talk in them.
REQUIRED_PERMISSIONS: tuple[str, ...] = (
    "view_channel",
    "send_messages",
    "embed_links",
    "read_message_history",
    "create_public_threads",
    "send_messages_in_threads",
)
#: The bot permissions of the invite link: exactly those (309237730304).
INVITE_PERMISSIONS = discord.Permissions(**dict.fromkeys(REQUIRED_PERMISSIONS, True))
INVITE_SCOPES = ("bot", "applications.commands")
REQUEST_TIMEOUT = 10.0  # seconds per request; a check waits for nothing longer
PLAN_REFUSALS = frozenset({SeriesMessage.PREMIUM_REQUIRED, SeriesMessage.MODULE_DISABLED})
PLAN_RECHECK_SECONDS = 300  # the feed's longest back-off (cogs/feed/cog.py MAX_BACKOFF)


class Mark(StrEnum):
    OK = "ok"
    FIX = "fix"
    NEXT = "next"
    WARN = "warn"
    SKIP = "skip"


_LABELS = {Mark.OK: "[ ok ]", Mark.FIX: "[FIX ]", Mark.NEXT: "[next]", Mark.WARN: "[warn]", Mark.SKIP: "[skip]"}


@dataclass(frozen=True, slots=True)
class Finding:
    mark: Mark
    topic: str  # "Series API key", "Route Moderation → #mod-tickets"
    detail: str  # what was found
    fix: str = ""  # what to do, when there is something to do


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when nothing needs fixing, 1 otherwise (2, for bad settings, is decided before any check runs)."""
    return 1 if any(f.mark is Mark.FIX for f in findings) else 0


def render(findings: Sequence[Finding]) -> str:
    """The checklist ``--check`` prints. Plain ASCII marks: a Windows console or a log file shows them all."""
    lines = [f"Ticket Bridge {__version__}: setup check", ""]
    for finding in findings:
        lines.append(f"{_LABELS[finding.mark]} {finding.topic}: {finding.detail}")
        if finding.fix:
            lines.append(f"       -> {finding.fix}")
    to_fix = sum(f.mark is Mark.FIX for f in findings)
    steps = sum(f.mark is Mark.NEXT for f in findings)
    lines.append("")
    if to_fix:
        lines.append(f"{to_fix} thing{'s' if to_fix != 1 else ''} to fix (exit code 1).")
    else:
        lines.append("Everything the bot needs is in place (exit code 0).")
    if steps:
        lines.append(f"{steps} next step{'s' if steps != 1 else ''} in Discord, marked [next].")
    return "\n".join(lines)


def log_findings(findings: Iterable[Finding], logger: logging.Logger = log) -> None:
    """The same findings as log lines at start: problems as warnings, next steps as what to run."""
    for finding in findings:
        text = f"{finding.topic}: {finding.detail}" + (f". {finding.fix}" if finding.fix else "")
        if finding.mark in (Mark.FIX, Mark.WARN):
            logger.warning("Setup: %s", text)
        elif finding.mark is Mark.NEXT:
            logger.info("Next step: %s", text)
        elif finding.mark is Mark.OK:
            logger.info("Setup: %s", text)
        else:
            logger.debug("Setup: %s", text)


def invite_url(application_id: int, guild_id: int | None = None) -> str:
    """The link that adds the bot with the scopes and permissions it needs (to ``guild_id`` only, when set)."""
    return discord.utils.oauth_url(
        application_id,
        permissions=INVITE_PERMISSIONS,
        guild=discord.Object(guild_id) if guild_id else discord.utils.MISSING,
        scopes=INVITE_SCOPES,
        disable_guild_select=bool(guild_id),
    )


def channel_permissions(
    *,
    guild_id: int,
    owner_id: int,
    role_permissions: Mapping[int, int],
    member_id: int,
    member_roles: Iterable[int],
    overwrites: Iterable[Mapping[str, Any]],
) -> discord.Permissions:
    """A member's permissions in a channel, computed as Discord computes them.

    The @everyone role (id = the guild's) and the member's roles give the base; Administrator or owning the server
    gives everything; then the channel's @everyone overwrite, the role overwrites together, and the member's own
    overwrite apply, each as deny-then-allow. Without View Channel, nothing else counts.
    """
    if member_id == owner_id:
        return discord.Permissions.all()
    roles = set(member_roles)
    base = role_permissions.get(guild_id, 0)
    for role_id in roles:
        base |= role_permissions.get(role_id, 0)
    if discord.Permissions(base).administrator:
        return discord.Permissions.all()
    by_id = {int(o["id"]): o for o in overwrites}
    value = base
    everyone = by_id.get(guild_id)
    if everyone is not None:
        value = (value & ~int(everyone.get("deny", 0))) | int(everyone.get("allow", 0))
    allow = deny = 0
    for role_id in roles:
        overwrite = by_id.get(role_id)
        if overwrite is not None and int(overwrite.get("type", 0)) == 0:
            allow |= int(overwrite.get("allow", 0))
            deny |= int(overwrite.get("deny", 0))
    value = (value & ~deny) | allow
    own = by_id.get(member_id)
    if own is not None and int(own.get("type", 1)) == 1:
        value = (value & ~int(own.get("deny", 0))) | int(own.get("allow", 0))
    permissions = discord.Permissions(value)
    if not permissions.view_channel:
        return discord.Permissions.none()
    return permissions


def permission_names(names: Iterable[str]) -> str:
    """``view_channel`` → **View Channel**, as Discord's settings name them."""
    return ", ".join(f"**{name.replace('_', ' ').title()}**" for name in names)


# -- Discord over REST ---------------------------------------------------------------------------------------------


class DiscordAnswer(Exception):
    """Discord answered with an error: ``status``, Discord's JSON ``code`` and ``message``."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.code, self.message = status, code, message


class DiscordUnreachable(Exception):
    """No answer from Discord: the network, DNS, a timeout."""


class DiscordRest:
    """The handful of Discord REST reads the check needs, as the bot (``Authorization: Bot <token>``).

    ``base_url`` defaults to discord.py's own (``discord.http.Route.BASE``), read when each request is made.
    """

    def __init__(self, session: aiohttp.ClientSession, token: Secret, *, base_url: str | None = None) -> None:
        self._session = session
        self._token = token
        self._base_url = base_url

    def __repr__(self) -> str:
        return "<DiscordRest>"

    async def get(self, path: str) -> Any:
        base = (self._base_url or discord.http.Route.BASE).rstrip("/")
        headers = {"Authorization": f"Bot {self._token.reveal()}", "User-Agent": f"TicketBridge/{__version__}"}
        try:
            async with self._session.get(
                base + path, headers=headers, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
            ) as response:
                payload = await response.json(content_type=None) if response.content_length != 0 else None
                if response.status >= 400:
                    payload = payload if isinstance(payload, dict) else {}
                    message = payload.get("message") if isinstance(payload.get("message"), str) else response.reason
                    code = payload.get("code") if isinstance(payload.get("code"), int) else None
                    raise DiscordAnswer(response.status, code, str(message or "error"))
                return payload
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DiscordUnreachable(type(exc).__name__ if not str(exc) else str(exc)) from None


# -- the checks ------------------------------------------------------------------------------------------------------


@dataclass
class _Facts:
    """What earlier checks learned, for the later ones."""

    key_ok: bool = False
    series_config: TicketConfig | None = None
    bot_id: int | None = None
    application_id: int | None = None
    guild: dict[str, Any] | None = None  # DISCORD_GUILD_ID's guild, with roles, when the bot is in it
    bot_roles: list[int] = field(default_factory=list)
    guild_ids: list[int] = field(default_factory=list)  # the servers the bot is in


class Checkup:
    """Runs every check in order; see the module docstring."""

    def __init__(
        self,
        config: Config,
        *,
        session: aiohttp.ClientSession,
        db: Database | None,
        series: SeriesClient,
        roblox: RobloxClient,
        providers: Sequence[VerificationProvider] | None = None,
        discord_rest: DiscordRest | None = None,
        db_problem: str | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.db_problem = db_problem
        self.series = series
        self.roblox = roblox
        self.providers = tuple(configured_providers(session, config) if providers is None else providers)
        self.discord = discord_rest or DiscordRest(session, config.discord_token)
        self.facts = _Facts()

    @classmethod
    def standalone(
        cls,
        config: Config,
        *,
        session: aiohttp.ClientSession,
        db: Database | None,
        db_problem: str | None = None,
        discord_rest: DiscordRest | None = None,
    ) -> Checkup:
        """For ``--check``: its own clients, built from the settings as the bot builds them."""
        series = SeriesClient(
            session,
            base_url=config.series_api_url,
            api_key=config.series_api_key,
            limiter=RateLimiter(config.series_rate_limit),
            timeout=config.series_timeout,
        )
        return cls(
            config,
            session=session,
            db=db,
            db_problem=db_problem,
            series=series,
            roblox=RobloxClient.from_config(session, config),
            discord_rest=discord_rest,
        )

    async def run(self) -> list[Finding]:
        """Every finding, in checklist order; never raises (a check that crashes is itself a finding)."""
        steps: list[tuple[str, Callable[[], Awaitable[list[Finding]]]]] = [
            ("Database", self._database),
            ("Series API key", self._series_key),
            ("Series Tickets module", self._series_plan),
            ("Discord token", self._discord_token),
            ("Discord server", self._discord_server),
            ("Feed routes", self._routes),
            ("Staff links", self._links),
            ("Roblox", self._roblox),
            ("Verification", self._verification),
        ]
        findings: list[Finding] = []
        for topic, step in steps:
            try:
                findings += await step()
            except Exception as exc:  # noqa: BLE001 - one check crashing must not hide the others' findings
                log.debug("Check %s crashed", topic, exc_info=True)
                findings.append(Finding(Mark.FIX, topic, f"the check itself failed ({self._scrub(repr(exc))})"))
        return findings

    def _scrub(self, text: str) -> str:
        for secret in self.config.secrets():
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    # -- database

    async def _database(self) -> list[Finding]:
        path = self.config.database_path
        if self.db is None:
            return [Finding(Mark.FIX, f"Database {path}", self.db_problem or "can't be opened", _DB_FIX)]
        row = await self.db.fetchone("PRAGMA user_version")
        version = int(row[0]) if row else 0
        try:  # a real write to the file: when the check last ran
            await MetaRepo(self.db).set("checkup:last", datetime.now(UTC).isoformat(timespec="seconds"))
        except sqlite3.Error as exc:
            return [Finding(Mark.FIX, f"Database {path}", f"can't be written ({exc})", _DB_FIX)]
        if version < LATEST_VERSION:
            return [Finding(Mark.FIX, f"Database {path}", f"schema version {version} of {LATEST_VERSION}", _DB_FIX)]
        return [Finding(Mark.OK, f"Database {path}", f"writable, schema version {version} (up to date)")]

    # -- Series

    async def _series_key(self) -> list[Finding]:
        topic = "Series API key"
        url = self.config.series_api_url
        try:
            key = await self.series.check_key()
        except SeriesNotFound:
            return [
                Finding(
                    Mark.FIX,
                    topic,
                    f"SERIES_API_URL {url} answered 404: it is not the Series API",
                    "Leave SERIES_API_URL unset for Series itself (https://api.series.hr), or fix the address.",
                )
            ]
        except SeriesError as exc:
            return [
                Finding(
                    Mark.FIX,
                    topic,
                    f"couldn't ask Series at {url} ({exc.message})",
                    "Check SERIES_API_URL and this machine's internet connection, then run the check again.",
                )
            ]
        if not key.valid:
            return [
                Finding(
                    Mark.FIX,
                    topic,
                    f"Series says: “{key.message or SeriesMessage.KEY_INACTIVE}”",
                    "Set SERIES_API_KEY to an active key from your Series workspace's settings (API keys).",
                )
            ]
        self.facts.key_ok = True
        return [Finding(Mark.OK, topic, f"valid for workspace “{clip(key.workspace_name or '?', 80)}”")]

    async def _series_plan(self) -> list[Finding]:
        topic = "Series Tickets module"
        if not self.facts.key_ok:
            return [Finding(Mark.SKIP, topic, "not checked: the API key must work first")]
        try:
            config = await self.series.get_config()
        except SeriesForbidden as exc:
            return [plan_finding(exc.message)]
        except SeriesError as exc:
            return [Finding(Mark.FIX, topic, f"Series couldn't give the tickets config: “{exc.message}”")]
        self.facts.series_config = config
        names = ", ".join(d.name for d in config.departments.values())
        if not config.departments:
            return [
                Finding(
                    Mark.FIX,
                    topic,
                    "on, but the workspace has no ticket departments",
                    "Add a department in Series (Tickets → Settings); tickets are routed by department.",
                )
            ]
        count = len(config.departments)
        detail = f"on (Premium or Enterprise plan); {count} department{'s' if count != 1 else ''}: {clip(names, 200)}"
        return [Finding(Mark.OK, topic, detail)]

    # -- Discord

    async def _discord_token(self) -> list[Finding]:
        topic = "Discord token"
        try:
            me = await self.discord.get("/users/@me")
        except DiscordAnswer as exc:
            if exc.status == 401:
                return [
                    Finding(
                        Mark.FIX,
                        topic,
                        "Discord refused it (401 Unauthorized)",
                        "Developer Portal → your application → Bot → Reset Token; put the new token in DISCORD_TOKEN.",
                    )
                ]
            return [Finding(Mark.FIX, topic, f"Discord answered {exc}")]
        except DiscordUnreachable as exc:
            return [Finding(Mark.FIX, topic, f"Discord can't be reached ({exc})", "Check the internet connection.")]
        self.facts.bot_id = int(me["id"])
        try:
            application = await self.discord.get("/oauth2/applications/@me")
            self.facts.application_id = int(application["id"])
        except (DiscordAnswer, DiscordUnreachable, KeyError, TypeError, ValueError):
            self.facts.application_id = self.facts.bot_id  # the same id for every bot made since 2016
        name = clip(str(me.get("username", "?")), 40)
        return [Finding(Mark.OK, topic, f"logged in as {name} (id {self.facts.bot_id})")]

    async def _discord_server(self) -> list[Finding]:
        topic = "Discord server"
        if self.facts.bot_id is None:
            return [Finding(Mark.SKIP, topic, "not checked: the token must work first")]
        home = self.config.discord_guild_id
        app_id = self.facts.application_id or self.facts.bot_id
        guilds = await self.discord.get("/users/@me/guilds")
        self.facts.guild_ids = [int(g["id"]) for g in guilds if isinstance(g, dict) and "id" in g]
        if home is None:
            if not self.facts.guild_ids:
                return [Finding(Mark.FIX, topic, "the bot is in no server yet", f"Invite it: {invite_url(app_id)}")]
            names = ", ".join(clip(str(g.get("name", "?")), 40) for g in guilds[:5])
            return [Finding(Mark.OK, topic, f"in {len(guilds)} server{'s' if len(guilds) != 1 else ''} ({names})")]
        if home not in self.facts.guild_ids:
            return [
                Finding(
                    Mark.FIX,
                    topic,
                    f"the bot is not in server {home} (DISCORD_GUILD_ID)",
                    f"Invite it: {invite_url(app_id, home)}",
                )
            ]
        guild = await self.discord.get(f"/guilds/{home}")
        member = await self.discord.get(f"/guilds/{home}/members/{self.facts.bot_id}")
        self.facts.guild = guild
        self.facts.bot_roles = [int(r) for r in member.get("roles", [])]
        return [Finding(Mark.OK, topic, f"the bot is in “{clip(str(guild.get('name', '?')), 60)}” ({home})")]

    async def _routes(self) -> list[Finding]:
        home = self.config.discord_guild_id
        if self.db is None:
            return [Finding(Mark.SKIP, "Feed routes", "not checked: the database must open first")]
        routes = await FeedRepo(self.db).routes(guild_id=home)
        if not routes:
            return [
                Finding(
                    Mark.NEXT,
                    "Feed routes",
                    "tickets aren't posted anywhere yet",
                    "In Discord, run /feed set in the channel where staff should see tickets.",
                )
            ]
        if self.facts.guild is None or self.facts.bot_id is None:
            count = len(routes)
            detail = f"{count} route{'s' if count != 1 else ''}; their channels are checked with DISCORD_GUILD_ID set"
            return [Finding(Mark.OK, "Feed routes", detail)]
        return [await self._route(route) for route in routes]

    async def _route(self, route: Any) -> Finding:
        guild = self.facts.guild
        assert guild is not None and self.facts.bot_id is not None
        config = self.facts.series_config
        department = route.department or "All other departments"
        if config is not None and route.department in config.departments:
            department = config.department_name(route.department)
        try:
            channel = await self.discord.get(f"/channels/{route.channel_id}")
        except DiscordAnswer as exc:
            topic = f"Route {clip(department, 60)} -> channel {route.channel_id}"
            why = "is gone" if exc.status == 404 else "is hidden from the bot" if exc.status == 403 else f"{exc}"
            return Finding(Mark.FIX, topic, f"the channel {why}", "In Discord, run /feed set again with a channel.")
        topic = f"Route {clip(department, 60)} -> #{clip(str(channel.get('name', '?')), 60)}"
        roles = {int(r["id"]): int(r.get("permissions", 0)) for r in guild.get("roles", [])}
        permissions = channel_permissions(
            guild_id=int(guild["id"]),
            owner_id=int(guild.get("owner_id", 0)),
            role_permissions=roles,
            member_id=self.facts.bot_id,
            member_roles=self.facts.bot_roles,
            overwrites=channel.get("permission_overwrites") or [],
        )
        missing = [p for p in REQUIRED_PERMISSIONS if not getattr(permissions, p)]
        if missing:
            return Finding(
                Mark.FIX,
                topic,
                f"the bot is missing {permission_names(missing)} there",
                "Channel settings → Permissions: allow those for the bot's role (or add the bot with those).",
            )
        if route.ping_role_id:
            role = next((r for r in guild.get("roles", []) if int(r["id"]) == route.ping_role_id), None)
            if role is None:
                return Finding(
                    Mark.FIX, topic, "the role it mentions was deleted", "Run /feed set again, with another role."
                )
            role_name = clip(str(role.get("name", "?")), 60)
            if not role.get("mentionable") and not permissions.mention_everyone:
                return Finding(
                    Mark.FIX,
                    topic,
                    f"the bot can't mention @{role_name}: new tickets arrive without the ping",
                    f"Server Settings → Roles → {role_name} → allow anyone to @mention this role, or give the bot "
                    "Mention @everyone, @here, and All Roles in that channel.",
                )
            return Finding(Mark.OK, topic, f"cards and threads can be posted; mentions @{role_name}")
        return Finding(Mark.OK, topic, "cards and threads can be posted")

    async def _links(self) -> list[Finding]:
        if self.db is None:
            return [Finding(Mark.SKIP, "Staff links", "not checked: the database must open first")]
        home = self.config.discord_guild_id
        guild_ids = [home] if home else self.facts.guild_ids
        if not guild_ids:
            return [Finding(Mark.SKIP, "Staff links", "not checked: the bot must be in a server first")]
        repo = StaffLinkRepo(self.db)
        links = [link for guild_id in guild_ids for link in await repo.list(guild_id=guild_id)]
        if not links:
            self_link = " or let staff run /link-me" if self.config.self_link and self.providers else ""
            return [
                Finding(
                    Mark.NEXT,
                    "Staff links",
                    "nobody is linked to a Roblox account yet, so nobody can act on tickets",
                    f"In Discord, run /staff link member roblox for each staff member{self_link}.",
                )
            ]
        count = len(links)
        detail = f"{count} staff member{'s' if count != 1 else ''} linked"
        config = self.facts.series_config
        if config is not None:
            members = {m for d in config.departments.values() for m in d.members}
            outside = sum(link.roblox_user_id not in members for link in links)
            if outside:
                return [
                    Finding(
                        Mark.WARN,
                        "Staff links",
                        f"{detail}; {outside} of them in no Series department",
                        "/staff list shows who; Series may refuse what they do.",
                    )
                ]
        return [Finding(Mark.OK, "Staff links", detail)]

    # -- Roblox, Bloxlink, RoVer

    async def _roblox(self) -> list[Finding]:
        topic = "Roblox users API"
        try:
            await self.roblox.user(1, deadline=REQUEST_TIMEOUT)
        except RobloxUserNotFound:
            pass  # an answer all the same
        except RobloxError as exc:
            return [
                Finding(
                    Mark.WARN,
                    topic,
                    f"not reachable at {self.config.roblox_users_url} ({exc.message}); ids still link, names "
                    "show later",
                )
            ]
        return [Finding(Mark.OK, topic, "reachable: staff can be linked by username and shown by name")]

    async def _verification(self) -> list[Finding]:
        configured = {p.name for p in self.providers}
        findings = [
            Finding(Mark.SKIP, name, f"{setting} is not set (optional: lets members /link-me)")
            for name, setting in (("Bloxlink", "BLOXLINK_API_KEY"), ("RoVer", "ROVER_API_KEY"))
            if name not in configured
        ]
        guild_id = self.config.discord_guild_id or next(iter(self.facts.guild_ids), None)
        for provider in self.providers:
            if guild_id is None:
                findings.append(
                    Finding(
                        Mark.SKIP, provider.name, "not checked: its key belongs to one server; set DISCORD_GUILD_ID"
                    )
                )
                continue
            try:
                await provider.roblox_id(guild_id, self.facts.bot_id or 1)  # nobody verified as the bot: a 404
            except VerificationRefused as exc:
                findings.append(
                    Finding(
                        Mark.FIX,
                        provider.name,
                        f"refused the API key ({exc.message})",
                        f"Check {'BLOXLINK_API_KEY' if provider.name == 'Bloxlink' else 'ROVER_API_KEY'}: it must "
                        f"be this server's key from {provider.name}'s dashboard.",
                    )
                )
                continue
            except Exception as exc:  # noqa: BLE001 - VerificationError or anything else: it is optional help
                message = getattr(exc, "message", type(exc).__name__)
                findings.append(Finding(Mark.WARN, provider.name, f"not reachable ({message})"))
                continue
            findings.append(Finding(Mark.OK, provider.name, f"key accepted for server {guild_id}"))
        return sorted(findings, key=lambda f: f.topic)


_DB_FIX = "Set DATABASE_PATH to a file in a folder this user may write to (a volume, under Docker)."


def plan_finding(message: str) -> Finding:
    """Series refusing the Tickets module, in its own words, and what that means for the bot."""
    if message == SeriesMessage.MODULE_DISABLED:
        fix = "A Series admin turns on the Tickets module in the workspace's settings."
    elif message == SeriesMessage.PREMIUM_REQUIRED:
        fix = "The workspace needs the Premium or Enterprise plan (its owner upgrades it on Series)."
    else:
        fix = "Ask the workspace's owner on Series."
    fix += f" The bot keeps running and asks again every {PLAN_RECHECK_SECONDS // 60} minutes."
    return Finding(Mark.FIX, "Series Tickets module", f"Series says: “{message}”", fix)
