"""A local fake of Bloxlink's API v4: which Roblox account a Discord member verified as, in one server.

It follows ``shared/reference/roblox-identity.md`` (which in turn comes from Bloxlink's SDK and client code):

- ``GET /v4/public/guilds/{guild_id}/discord-to-roblox/{discord_user_id}`` with the server's API key as the raw
  ``Authorization`` value (no ``Bearer``);
- 200 ``{"robloxID": "123", "resolved": {}}``; the SDK types spell it ``robloxId``, so ``id_field`` and
  ``id_as_string`` choose the spelling and the type, to test that a client takes every combination;
- 404 when the member isn't verified, 401 for a missing or wrong key, errors as ``{"error": "..."}``.

The reverse lookup (roblox-to-discord) is not modelled: its answer is undocumented and Bloxlink has restricted it.
Faults come from :class:`fakes.base.FakeService`. By hand: ``python -m fakes.bloxlink --port 8101
--link DISCORD_ID=ROBLOX_ID`` (``-q`` to stop printing each request).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from .base import FakeHttpError, FakeService, add_cli_arguments, json_response, run

__all__ = ("MSG_INVALID_KEY", "MSG_NOT_VERIFIED", "FakeBloxlink", "link_argument", "main")

# ASSUMPTION: the error strings are not documented; only the {"error": "..."} shape is.
MSG_INVALID_KEY = "Invalid API key"
MSG_NOT_VERIFIED = "User not found"
MSG_INVALID_ID = "Invalid ID"


class FakeBloxlink(FakeService):
    """``links`` maps (guild id or None for every guild, Discord id) → Roblox id; edit it or use :meth:`link`."""

    name = "Bloxlink"

    def __init__(
        self,
        *,
        api_key: str = "bloxlink-test-key",
        id_field: str = "robloxID",
        id_as_string: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if id_field not in ("robloxID", "robloxId"):
            raise ValueError("id_field is robloxID or robloxId")
        super().__init__(clock=clock)
        self.api_key = api_key
        #: ``robloxID`` (what real clients read) or ``robloxId`` (what the SDK types say).
        self.id_field = id_field
        #: True: ``"123"`` (as the reference shows); False: ``123``.
        self.id_as_string = id_as_string
        self.links: dict[tuple[int | None, int], int] = {}

    def link(self, discord_id: int, roblox_id: int, *, guild_id: int | None = None) -> None:
        """The member verifies as ``roblox_id``, in ``guild_id`` only or (None) in every guild."""
        self.links[(guild_id, discord_id)] = roblox_id

    def unlink(self, discord_id: int, *, guild_id: int | None = None) -> None:
        """The member unverifies."""
        self.links.pop((guild_id, discord_id), None)

    def error_body(self, error: FakeHttpError) -> Any:
        return {"error": error.message}

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v4/public/guilds/{guild_id}/discord-to-roblox/{user_id}", self._h_discord_to_roblox)

    async def _h_discord_to_roblox(self, request: web.Request) -> web.Response:
        # ASSUMPTION: the key is checked before the path; a Bearer prefix makes the key wrong.
        if request.headers.get("Authorization") != self.api_key:
            raise FakeHttpError(401, MSG_INVALID_KEY)
        guild_raw, user_raw = request.match_info["guild_id"], request.match_info["user_id"]
        if not (guild_raw.isascii() and guild_raw.isdigit() and user_raw.isascii() and user_raw.isdigit()):
            raise FakeHttpError(400, MSG_INVALID_ID)  # ASSUMPTION: status and message undocumented
        guild_id, user_id = int(guild_raw), int(user_raw)
        roblox_id = self.links.get((guild_id, user_id), self.links.get((None, user_id)))
        if roblox_id is None:
            raise FakeHttpError(404, MSG_NOT_VERIFIED)
        # ASSUMPTION: "resolved" holds expanded data only when asked for; the fake never expands.
        return json_response(200, {self.id_field: str(roblox_id) if self.id_as_string else roblox_id, "resolved": {}})


def link_argument(text: str) -> tuple[int | None, int, int]:
    """``[GUILD_ID:]DISCORD_ID=ROBLOX_ID`` for the fakes' ``--link`` option."""
    left, sep, right = text.partition("=")
    guild, colon, discord = left.rpartition(":")
    if not sep or not right.isdigit() or not discord.isdigit() or (colon and not guild.isdigit()):
        raise argparse.ArgumentTypeError(f"expected [GUILD_ID:]DISCORD_ID=ROBLOX_ID, got {text!r}")
    return (int(guild) if colon else None), int(discord), int(right)


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m fakes.bloxlink``: run the fake by hand; set BLOXLINK_API_URL and BLOXLINK_API_KEY to match."""
    parser = argparse.ArgumentParser(prog="python -m fakes.bloxlink", description="Run a fake Bloxlink API v4.")
    add_cli_arguments(parser, port=8101)
    parser.add_argument("--api-key", default="dev-bloxlink-key")
    parser.add_argument(
        "--link", action="append", type=link_argument, default=[], metavar="[GUILD:]DISCORD=ROBLOX", help="verify"
    )
    parser.add_argument("--id-field", choices=("robloxID", "robloxId"), default="robloxID")
    parser.add_argument("--numeric-ids", action="store_true", help='answer 123 instead of "123"')
    args = parser.parse_args(None if argv is None else list(argv))
    fake = FakeBloxlink(api_key=args.api_key, id_field=args.id_field, id_as_string=not args.numeric_ids)
    for guild_id, discord_id, roblox_id in args.link:
        fake.link(discord_id, roblox_id, guild_id=guild_id)
    return run(fake, args, [f"API key (fake, for development only): {args.api_key}", f"Verified: {len(fake.links)}"])


if __name__ == "__main__":
    raise SystemExit(main())
