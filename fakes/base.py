"""What the small JSON fakes (Roblox, Bloxlink, RoVer) share: lifetime, request recording, scripted faults, CLI.

A subclass adds its routes in ``_add_routes`` and says what its errors look like in ``error_body``; handlers
raise :class:`FakeHttpError` for an error answer. Everything else is here::

    fake = FakeRoblox()
    await fake.start()                                    # http://127.0.0.1:<port>, also fake.url
    fake.fail_next("GET", r"^/v1/users/\\d+$", status=429, retry_after=2)
    fake.fail_next("*", r"", delay=5)                     # a "timeout": longer than the client waits
    ...
    assert fake.count("GET", "/v1/users/") == 2
    await fake.close()

The fake Series (``fakes/series.py``) predates this and keeps its own copy: it also models auth, rate limits and
"processed but the answer was lost", which these fakes don't need.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import re
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = ("FakeHttpError", "FakeService", "RecordedRequest", "add_cli_arguments", "json_response", "run", "serve")

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeHttpError(Exception):
    """Answer ``status`` with the service's error body for ``message`` (see ``FakeService.error_body``)."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.headers = headers or {}
        #: Service-specific fields for the error body (RoVer's ``errorCode``, Roblox's ``code``).
        self.extra = extra


@dataclass
class RecordedRequest:
    """One request the fake received, in arrival order in ``fake.requests``."""

    method: str
    #: The path as received, without the query string.
    path: str
    #: The full request target as received, including the query string.
    raw_path: str
    query: dict[str, str]
    #: The decoded JSON body, or None (no body, or not JSON; see ``body``).
    json: Any
    body: bytes
    #: Request headers (fake keys only ever reach a fake; the CLI never prints them).
    headers: dict[str, str]
    #: ``clock()`` at arrival.
    time: float
    #: The status answered; None when nothing was (dropped, or the client gave up during a delay).
    status: int | None = None
    #: True when a ``fail_next`` fault was applied.
    faulted: bool = False


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int | None
    body: bytes | None
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    remaining: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.pattern.search(path) is not None


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with ``Content-Type`` exactly ``application/json`` (``web.json_response`` adds a charset)."""
    return web.Response(
        status=status, body=json.dumps(payload).encode(), content_type="application/json", headers=headers
    )


class FakeService:
    """An aiohttp app on 127.0.0.1 that records every request and can be told to fail the next ones."""

    #: Shown by the CLI: "Fake <name> listening on ...".
    name = "service"

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.requests: list[RecordedRequest] = []
        #: Called after each request is answered (the CLI prints it); None to stay quiet.
        self.on_request: Callable[[RecordedRequest], None] | None = None
        self._clock = clock
        self._faults: list[_Fault] = []
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.app = web.Application(middlewares=[self._middleware])
        self._add_routes(self.app.router)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._url or 'not started'}>"

    # -- to override -------------------------------------------------------------------------------------------

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    def error_body(self, error: FakeHttpError) -> Any:
        """The JSON body of an error answer, in the service's own shape."""
        return {"error": error.message}

    # -- lifetime ------------------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 = any free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        # handler_cancellation: a client that gives up during a delay cancels the handler; a short
        # shutdown_timeout so close() does not wait out long scripted delays.
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

    async def __aenter__(self) -> FakeService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The base URL returned by ``start()``."""
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._url

    # -- test helpers ------------------------------------------------------------------------------------------

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Recorded requests with this method (any if None) whose path starts with ``path_prefix``."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path_prefix is None or r.path.startswith(path_prefix))
        )

    def fail_next(
        self,
        method: str,
        path_regex: str,
        *,
        status: int | None = None,
        json: Any = None,  # named like aiohttp's json= argument
        body: str | bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        """Script a fault for the next ``times`` requests whose method and path match; FIFO, first match wins.

        ``path_regex`` is searched in the path without the query string (anchor it when it matters).

        - ``status``: answer it, with the service's error body for the reason phrase (or ``json``/``body``).
          404, 429 and 5xx are the ones the clients care about. ``json``/``body`` alone answer 200.
        - ``retry_after``: adds ``Retry-After`` (seconds), for a 429.
        - ``delay``: wait this many real seconds first; with nothing else, then answer normally. A delay longer
          than the client's timeout is a timeout; the handler is cancelled when the client gives up.
        - ``drop``: close the connection without answering.
        """
        if json is not None and body is not None:
            raise ValueError("pass json or body, not both")
        if times < 1:
            raise ValueError("times must be >= 1")
        if status is None and json is None and body is None and not drop and delay <= 0:
            raise ValueError("the fault does nothing: give status, json, body, delay or drop")
        raw = _dumps(json) if json is not None else body.encode() if isinstance(body, str) else body
        all_headers = dict(headers or {})
        if retry_after is not None:
            all_headers["Retry-After"] = f"{retry_after:g}"
        self._faults.append(
            _Fault(
                method=method.upper(),
                pattern=re.compile(path_regex),
                status=status,
                body=raw,
                content_type=content_type,
                headers=all_headers,
                delay=delay,
                drop=drop,
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

    # -- plumbing ----------------------------------------------------------------------------------------------

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
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        record = RecordedRequest(
            method=request.method,
            path=request.rel_url.raw_path,
            raw_path=request.raw_path,
            query=dict(request.query),
            json=parsed,
            body=raw,
            headers=dict(request.headers),
            time=self._clock(),
        )
        self.requests.append(record)
        fault = self._take_fault(request.method, record.path)
        record.faulted = fault is not None
        try:
            response = await self._answer(request, handler, fault)
            record.status = response.status if response is not None else None
            return response if response is not None else web.Response(status=204)
        finally:
            if self.on_request is not None:
                self.on_request(record)

    async def _answer(self, request: web.Request, handler: Handler, fault: _Fault | None) -> web.StreamResponse | None:
        if fault is not None:
            if fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                if request.transport is not None:
                    request.transport.close()
                return None  # aiohttp ignores the error writing to the closed transport
            if fault.status is not None or fault.body is not None:
                return self._fault_response(fault)
        return await self._handle(request, handler)

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            route_error = request.match_info.http_exception
            if route_error is not None:
                raise FakeHttpError(route_error.status, HTTPStatus(route_error.status).phrase)
            return await handler(request)
        except FakeHttpError as exc:
            return json_response(exc.status, self.error_body(exc), exc.headers or None)
        except Exception:
            log.exception("%s fake failed on %s %s", self.name, request.method, request.raw_path)
            return json_response(500, self.error_body(FakeHttpError(500, "Internal server error")))

    def _fault_response(self, fault: _Fault) -> web.Response:
        status = fault.status if fault.status is not None else 200
        if fault.body is not None:
            body = fault.body
        else:
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = "Error"
            body = _dumps(self.error_body(FakeHttpError(status, reason)))
        headers = dict(fault.headers)
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = fault.content_type
        return web.Response(status=status, body=body, headers=headers)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _print_request(record: RecordedRequest) -> None:
    status = "-" if record.status is None else str(record.status)
    print(f"{record.method} {record.raw_path} -> {status}{' (scripted fault)' if record.faulted else ''}", flush=True)


def add_cli_arguments(parser: argparse.ArgumentParser, *, port: int) -> None:
    """``--host``, ``--port`` and ``-q/--quiet``, the same for every fake."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port, help=f"0 = any free port (default {port})")
    parser.add_argument("-q", "--quiet", action="store_true", help="don't print each request")


async def serve(fake: FakeService, args: argparse.Namespace, notes: Sequence[str] = ()) -> None:
    """Run ``fake`` until Ctrl+C or SIGTERM, printing its address, ``notes`` and (unless quiet) each request."""
    if not args.quiet:
        fake.on_request = _print_request
    url = await fake.start(args.host, args.port)
    print(f"Fake {fake.name} listening on {url}", flush=True)
    for note in notes:
        print(note, flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not available on Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.close()


def run(fake: FakeService, args: argparse.Namespace, notes: Sequence[str] = ()) -> int:
    """The body of each fake's ``main()``: log setup, then :func:`serve` until stopped. Returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(fake, args, notes))
    return 0
