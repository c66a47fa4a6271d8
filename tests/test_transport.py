"""bot/transport.py on its own: argument checks (the paths are in test_roblox/verification; headers in test_headers)."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.ratelimit import RateLimiter
from bot.transport import BudgetedTransport, ServiceUnavailable
from tests.helpers import FakeClock


def make(session, clock, **options) -> BudgetedTransport:
    return BudgetedTransport(
        session,
        service="Thing",
        limiter=RateLimiter(5, clock=clock, sleep=clock.sleep),
        timeout=options.pop("timeout", 1.0),
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


async def test_arguments_are_checked(http_session):
    clock = FakeClock()
    with pytest.raises(ValueError):
        make(http_session, clock, timeout=0)
    transport = make(http_session, clock)
    with pytest.raises(ValueError):
        await transport.request("GET", "http://127.0.0.1:1/", deadline=0)
    assert "Thing" in repr(transport)


async def serve(app: web.Application):
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def test_4xx_is_an_answer_and_2xx_must_be_json(http_session):
    async def handler(request: web.Request) -> web.Response:
        if request.path == "/missing":
            return web.Response(status=404, text="<html>no</html>", content_type="text/html")
        if request.path == "/empty":
            return web.Response(status=204)
        return web.Response(status=200, text="<html>login</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner, url = await serve(app)
    try:
        transport = make(http_session, FakeClock())
        answer = await transport.request("GET", f"{url}/missing")
        assert (answer.status, answer.payload) == (404, None)
        assert (await transport.request("GET", f"{url}/empty")).payload is None
        with pytest.raises(ServiceUnavailable) as info:
            await transport.request("GET", f"{url}/html")
        assert info.value.message == "Thing sent an answer the bot could not read (HTTP 200)."
    finally:
        await runner.cleanup()


async def test_rate_limit_headers_pause_before_the_429(http_session):
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "4.5"})

    app = web.Application()
    app.router.add_get("/", handler)
    runner, url = await serve(app)
    try:
        clock = FakeClock()
        transport = make(http_session, clock, timeout=10.0)
        await transport.request("GET", url + "/")
        assert transport.limiter.delay() == pytest.approx(4.5)
        with pytest.raises(ServiceUnavailable) as info:  # the pause is longer than this call may wait
            await transport.request("GET", url + "/", deadline=2)
        assert info.value.retry_after == pytest.approx(4.5)
        start = clock()
        await transport.request("GET", url + "/")  # this one may wait
        assert clock() - start == pytest.approx(4.5)
    finally:
        await runner.cleanup()
