"""The composition root: one set of services, wired to each other and to the settings, built without any I/O."""

from __future__ import annotations

from bot.app import build_services
from bot.ratelimit import RateLimiter
from tests.helpers import settings


async def test_everything_tied_to_the_key_is_one_workspace(db, http_session):
    config = settings("http://127.0.0.1:9", SERIES_RATE_LIMIT="7", SERIES_TIMEOUT="3")
    services = build_services(config, session=http_session, db=db)
    workspace = services.workspace
    assert workspace.client.limiter is workspace.limiter and workspace.limiter.rate == 7
    assert workspace.client.timeout == 3 and workspace.client.base_url == "http://127.0.0.1:9"
    assert workspace.poller.api is workspace.client and workspace.poller.cache is workspace.tickets
    assert workspace.config.api is workspace.client
    assert services.actions.api is workspace.client and services.actions.config is workspace.config
    assert services.desk.actions is services.actions and services.settings is config


async def test_a_given_limiter_replaces_the_configured_one(db, http_session):
    limiter = RateLimiter(1000)
    services = build_services(settings(), session=http_session, db=db, limiter=limiter)
    assert services.workspace.limiter is limiter and services.workspace.client.limiter is limiter


async def test_the_key_never_shows_in_a_repr(db, http_session):
    services = build_services(settings(), session=http_session, db=db)
    assert "test-key" not in repr(services) and "not-a-real-token" not in repr(services)
