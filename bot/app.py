"""The composition root: the one place that builds every service from the settings, the HTTP session and the database.

``python -m bot``, the tests' offline bot and the benchmarks all build the bot here, so what they run is what
production runs. Everything tied to one Series API key is grouped in a :class:`Workspace`; a later "one deployment,
many workspaces" mode would map servers to workspaces instead of holding one.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from .api import SeriesClient
from .cache import ConfigCache, TicketCache
from .config import Config
from .database import Database
from .desk import Desk
from .events import EventRecorder
from .identity import Identity
from .names import Names
from .poller import Poller
from .ratelimit import RateLimiter
from .repositories import (
    AuditRepo,
    DigestRepo,
    EventRepo,
    FeedRepo,
    MetaRepo,
    ReminderRepo,
    ReplyRepo,
    RetentionRepo,
    RobloxUserRepo,
    SnippetRepo,
    StaffLinkRepo,
)
from .retention import Retention
from .roblox import RobloxClient, RobloxDirectory
from .service import StaffActions
from .snippets import SnippetBook
from .tasks import Background
from .verification import VerificationProvider, configured_providers

__all__ = ("Services", "Workspace", "build_services")


@dataclass(frozen=True, slots=True)
class Workspace:
    """Everything tied to one Series API key: its client and limiter, and what the bot knows of its tickets."""

    client: SeriesClient
    limiter: RateLimiter
    config: ConfigCache
    tickets: TicketCache
    poller: Poller


@dataclass(frozen=True, slots=True)
class Services:
    """What the cogs are given. ``setup()`` in each cog passes its cog exactly the parts it uses."""

    settings: Config
    db: Database
    workspace: Workspace
    links: StaffLinkRepo
    replies: ReplyRepo
    audit: AuditRepo
    meta: MetaRepo
    feed: FeedRepo
    actions: StaffActions
    desk: Desk
    background: Background
    retention: Retention
    roblox: RobloxDirectory
    names: Names
    verification: tuple[VerificationProvider, ...]
    identity: Identity
    events: EventRecorder
    snippets: SnippetBook
    reminders: ReminderRepo
    digests: DigestRepo


def build_workspace(
    settings: Config, *, session: aiohttp.ClientSession, feed: FeedRepo, limiter: RateLimiter | None = None
) -> Workspace:
    """The workspace of ``settings.series_api_key``. ``limiter`` replaces the configured one (tests open it wide)."""
    limiter = limiter or RateLimiter(settings.series_rate_limit)
    client = SeriesClient(
        session,
        base_url=settings.series_api_url,
        api_key=settings.series_api_key,
        limiter=limiter,
        timeout=settings.series_timeout,
    )
    tickets = TicketCache()
    return Workspace(
        client=client,
        limiter=limiter,
        config=ConfigCache(client),
        tickets=tickets,
        poller=Poller(api=client, feed=feed, cache=tickets),
    )


def build_services(
    settings: Config,
    *,
    session: aiohttp.ClientSession,
    db: Database,
    limiter: RateLimiter | None = None,
    roblox_limiter: RateLimiter | None = None,
) -> Services:
    """Every service the bot runs on. Does no I/O, so a test can build one offline.

    ``limiter`` is the Series one (shared per key); ``roblox_limiter`` Roblox's own (never the Series one).
    """
    feed = FeedRepo(db)
    workspace = build_workspace(settings, session=session, feed=feed, limiter=limiter)
    links, replies, audit = StaffLinkRepo(db), ReplyRepo(db), AuditRepo(db)
    actions = StaffActions(api=workspace.client, links=links, replies=replies, audit=audit, config=workspace.config)
    roblox = RobloxDirectory(RobloxClient.from_config(session, settings, limiter=roblox_limiter), RobloxUserRepo(db))
    providers = tuple(configured_providers(session, settings))
    identity = Identity(
        links=links,
        audit=audit,
        roblox=roblox,
        providers=providers,
        config=workspace.config,
        self_link=settings.self_link,
    )
    snippets = SnippetBook(repo=SnippetRepo(db), audit=audit, roblox=roblox)
    return Services(
        settings=settings,
        db=db,
        workspace=workspace,
        links=links,
        replies=replies,
        audit=audit,
        meta=MetaRepo(db),
        feed=feed,
        actions=actions,
        desk=Desk(actions=actions, tickets=workspace.tickets, snippets=snippets),
        background=Background(),
        retention=Retention(repo=RetentionRepo(db), days=settings.data_retention_days),
        roblox=roblox,
        names=Names(links=links, roblox=roblox),
        verification=providers,
        identity=identity,
        events=EventRecorder(repo=EventRepo(db)),
        snippets=snippets,
        reminders=ReminderRepo(db),
        digests=DigestRepo(db),
    )
