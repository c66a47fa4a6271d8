"""A local fake of RoVer's registry API: which Roblox account a Discord member verified as, in one server.

It follows ``shared/reference/roblox-identity.md`` (from unofficial clients; no official page was available):

- ``GET /api/guilds/{guild_id}/discord-to-roblox/{discord_user_id}`` with ``Authorization: Bearer <key>``;
- 200 ``{"robloxId": 123, "cachedUsername": "...", "discordId": "...", "guildId": "..."}``, or with
  ``shape="nested"`` the shape one client types, ``{"roblox": {"id", "username", "displayName"}, ...}``;
- 404 ``{"errorCode": "user_not_found", "message": "..."}`` when the member isn't verified;
- Discord-style rate limits: every answer carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
  ``X-RateLimit-Reset-After``; past the limit, 429 with ``Retry-After``.

Faults come from :class:`fakes.base.FakeService`. By hand: ``python -m fakes.rover --port 8102
--link DISCORD_ID=ROBLOX_ID`` (``-q`` to stop printing each request).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .base import FakeHttpError, FakeService, add_cli_arguments, json_response, run
from .bloxlink import link_argument

__all__ = ("MSG_NOT_VERIFIED", "FakeRover", "RoverLink", "main")

MSG_NOT_VERIFIED = "User not found"  # ASSUMPTION: only the errorCode user_not_found is documented
# ASSUMPTIONs: undocumented codes and messages, in the documented {"errorCode", "message"} shape.
MSG_UNAUTHORIZED = "Invalid API key"
MSG_RATE_LIMITED = "You are being rate limited."
MSG_INVALID_ID = "Invalid ID"
_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "user_not_found", 429: "rate_limited"}


@dataclass
class RoverLink:
    """A verified member: their Roblox id and the names RoVer cached."""

    roblox_id: int
    username: str
    display_name: str


class FakeRover(FakeService):
    """``links`` maps (guild id or None for every guild, Discord id) → :class:`RoverLink`."""

    name = "RoVer"

    def __init__(
        self,
        *,
        api_key: str = "rover-test-key",
        shape: str = "flat",
        rate_limit: int | None = 60,
        rate_window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if shape not in ("flat", "nested"):
            raise ValueError("shape is flat or nested")
        super().__init__(clock=clock)
        self.api_key = api_key
        #: ``flat`` (robloxId + cachedUsername) or ``nested`` (roblox: {id, username, displayName}).
        self.shape = shape
        #: Requests per key per fixed window of ``rate_window`` seconds (ASSUMPTION: RoVer's numbers are unknown);
        #: None: no limit and no rate-limit headers.
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.links: dict[tuple[int | None, int], RoverLink] = {}
        #: Number of 429s the rate limit sent (scripted ones are not counted).
        self.rate_limited = 0
        self._window_start: float | None = None
        self._window_used = 0

    def link(
        self,
        discord_id: int,
        roblox_id: int,
        *,
        username: str | None = None,
        display_name: str | None = None,
        guild_id: int | None = None,
    ) -> None:
        """The member verifies as ``roblox_id``, in ``guild_id`` only or (None) in every guild."""
        username = username or f"roblox{roblox_id}"
        self.links[(guild_id, discord_id)] = RoverLink(roblox_id, username, display_name or username)

    def unlink(self, discord_id: int, *, guild_id: int | None = None) -> None:
        """The member unverifies."""
        self.links.pop((guild_id, discord_id), None)

    def error_body(self, error: FakeHttpError) -> Any:
        code = error.extra.get("errorCode") or _CODES.get(error.status, "error")
        return {"errorCode": code, "message": error.message}

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/guilds/{guild_id}/discord-to-roblox/{user_id}", self._h_discord_to_roblox)

    def _rate_headers(self) -> dict[str, str]:
        """Count this request in the window; raise the 429 past the limit. Returns the headers to send."""
        if self.rate_limit is None:
            return {}
        now = self._clock()
        if self._window_start is None or now >= self._window_start + self.rate_window:
            self._window_start, self._window_used = now, 0
        reset_after = max(self._window_start + self.rate_window - now, 0.0)
        headers = {"X-RateLimit-Limit": str(self.rate_limit), "X-RateLimit-Reset-After": f"{reset_after:.3f}"}
        if self._window_used >= self.rate_limit:
            self.rate_limited += 1
            headers |= {"X-RateLimit-Remaining": "0", "Retry-After": str(max(1, math.ceil(reset_after)))}
            raise FakeHttpError(429, MSG_RATE_LIMITED, headers=headers)
        self._window_used += 1
        headers["X-RateLimit-Remaining"] = str(self.rate_limit - self._window_used)
        return headers

    async def _h_discord_to_roblox(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            raise FakeHttpError(401, MSG_UNAUTHORIZED)
        headers = self._rate_headers()
        guild_raw, user_raw = request.match_info["guild_id"], request.match_info["user_id"]
        if not (guild_raw.isascii() and guild_raw.isdigit() and user_raw.isascii() and user_raw.isdigit()):
            raise FakeHttpError(400, MSG_INVALID_ID, headers=headers)
        guild_id, user_id = int(guild_raw), int(user_raw)
        found = self.links.get((guild_id, user_id)) or self.links.get((None, user_id))
        if found is None:
            raise FakeHttpError(404, MSG_NOT_VERIFIED, headers=headers, errorCode="user_not_found")
        body: dict[str, Any]
        if self.shape == "nested":
            body = {"roblox": {"id": found.roblox_id, "username": found.username, "displayName": found.display_name}}
        else:
            body = {"robloxId": found.roblox_id, "cachedUsername": found.username}
        body |= {"discordId": str(user_id), "guildId": str(guild_id)}
        return json_response(200, body, headers)


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m fakes.rover``: run the fake by hand; set ROVER_API_URL and ROVER_API_KEY to match."""
    parser = argparse.ArgumentParser(prog="python -m fakes.rover", description="Run a fake RoVer registry API.")
    add_cli_arguments(parser, port=8102)
    parser.add_argument("--api-key", default="dev-rover-key")
    parser.add_argument(
        "--link", action="append", type=link_argument, default=[], metavar="[GUILD:]DISCORD=ROBLOX", help="verify"
    )
    parser.add_argument("--nested", action="store_true", help="answer roblox: {id, username, displayName}")
    parser.add_argument("--rate-limit", type=int, default=60, help="requests per minute; 0 disables")
    args = parser.parse_args(None if argv is None else list(argv))
    fake = FakeRover(
        api_key=args.api_key,
        shape="nested" if args.nested else "flat",
        rate_limit=args.rate_limit if args.rate_limit > 0 else None,
    )
    for guild_id, discord_id, roblox_id in args.link:
        fake.link(discord_id, roblox_id, guild_id=guild_id)
    return run(fake, args, [f"API key (fake, for development only): {args.api_key}", f"Verified: {len(fake.links)}"])


if __name__ == "__main__":
    raise SystemExit(main())
