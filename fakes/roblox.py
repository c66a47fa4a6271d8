"""A local fake of Roblox's users API and thumbnails API together, on one aiohttp app.

It follows ``shared/reference/roblox-identity.md``. The bot points both ``ROBLOX_USERS_URL`` and
``ROBLOX_THUMBNAILS_URL`` at it:

- ``POST /v1/usernames/users``: usernames → users, case-insensitive, previous usernames match too, unknown names
  simply missing from ``data``;
- ``GET /v1/users/{id}``: one user, or 404 ``{"errors": [{"code": 3, "message": "The user id is invalid."}]}``;
- ``GET /v1/users/avatar-headshot?userIds=1,2&size=150x150&format=Png&isCircular=false``: one entry per id with a
  ``state`` (``Completed`` with an https ``imageUrl``, or ``Pending``/``Blocked``/``Error`` without one).

The default users are the fake Series' staff (``fakes.series.DEFAULT_STAFF``, the department members) and its
default ticket author, so the sandbox agrees with itself. Where the reference is silent the fake picks something
sensible, marked ``ASSUMPTION``. Faults come from :class:`fakes.base.FakeService`::

    fake = FakeRoblox()
    await fake.start()
    fake.add_user(42, "newbie", "New Person", previous_names=["oldname"], headshot_state="Pending")
    fake.fail_next("POST", r"^/v1/usernames/users$", status=429, retry_after=1)

and by hand: ``python -m fakes.roblox --port 8100`` (``-q`` to stop printing each request).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .base import FakeHttpError, FakeService, add_cli_arguments, json_response, run
from .series import DEFAULT_STAFF

__all__ = (
    "DEFAULT_USERS",
    "HEADSHOT_SIZES",
    "MSG_INVALID_USER_ID",
    "FakeRoblox",
    "FakeRobloxUser",
    "main",
)

MSG_INVALID_USER_ID = "The user id is invalid."  # reference: code 3 with a 404
# ASSUMPTIONs: the reference documents none of these; they follow what Roblox is seen to answer.
MSG_TOO_MANY_USERNAMES = "Too many usernames."  # code 2
MSG_BAD_REQUEST = "The request is invalid."  # code 0
MSG_TOO_MANY_IDS = "There are too many requested Ids."  # code 1
MSG_INVALID_IDS = "The requested Ids are invalid, of an invalid type or missing."  # code 4
MSG_INVALID_SIZE = "The requested size is invalid. Please see documentation for valid thumbnail size."  # code 3
MSG_INVALID_FORMAT = "The requested format is invalid. Please see documentation for valid thumbnail format."  # 2

MAX_USERNAMES = 100  # ASSUMPTION: Roblox's batch limit per request
MAX_IDS = 100  # ASSUMPTION: same for thumbnails
HEADSHOT_SIZES = frozenset(
    {"48x48", "50x50", "60x60", "75x75", "100x100", "110x110", "150x150", "180x180", "352x352", "420x420", "720x720"}
)
HEADSHOT_FORMATS = frozenset({"Png", "Jpeg", "Webp"})
STATES = ("Completed", "Pending", "Blocked", "Error", "InReview")


@dataclass
class FakeRobloxUser:
    """One Roblox account as the fake knows it. Edit freely; answers are built from it on every request."""

    id: int
    name: str
    display_name: str
    description: str = ""
    created: str = "2016-05-12T18:04:31.000Z"
    is_banned: bool = False
    has_verified_badge: bool = False
    #: Older usernames, which ``POST /v1/usernames/users`` still matches (reference: "reported to").
    previous_names: list[str] = field(default_factory=list)
    #: The headshot's ``state``; only ``Completed`` has an image.
    headshot_state: str = "Completed"
    #: Overrides the made-up ``https://tr.rbxcdn.com/...`` address (to test what a client accepts).
    headshot_url: str | None = None
    #: Bump to give the user a new headshot address (as after an avatar change).
    headshot_version: int = 1


#: (id, username, display name, previous usernames): Series' staff, then its default ticket author.
DEFAULT_USERS: tuple[tuple[int, str, str, tuple[str, ...]], ...] = (
    *(
        (uid, name, display, ("amy_helps",) if name == "helper_amy" else ())
        for uid, (name, display) in DEFAULT_STAFF.items()
    ),
    (123456789, "player123", "Player Name", ()),
)


class FakeRoblox(FakeService):
    """Users and thumbnails APIs. ``users`` (id → :class:`FakeRobloxUser`) is plain data tests may edit."""

    name = "Roblox (users + thumbnails)"

    def __init__(self, *, seed_defaults: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.users: dict[int, FakeRobloxUser] = {}
        super().__init__(clock=clock)
        if seed_defaults:
            for user_id, name, display, previous in DEFAULT_USERS:
                self.add_user(user_id, name, display, previous_names=list(previous))

    # -- the "Roblox side" ---------------------------------------------------------------------------------------

    def add_user(self, user_id: int, name: str, display_name: str | None = None, **fields: Any) -> FakeRobloxUser:
        """Add (or replace) a user; ``fields`` are any other :class:`FakeRobloxUser` attributes."""
        user = FakeRobloxUser(id=user_id, name=name, display_name=display_name or name, **fields)
        self.users[user_id] = user
        return user

    def rename(self, user_id: int, new_name: str) -> None:
        """The user changes their username; the old one keeps matching, as on Roblox."""
        user = self.users[user_id]
        user.previous_names.append(user.name)
        user.name = new_name

    def find(self, username: str, *, exclude_banned: bool = False) -> FakeRobloxUser | None:
        """The user with this username now, else the one who had it before; case-insensitive."""
        wanted = username.casefold()
        candidates = [u for u in self.users.values() if not (exclude_banned and u.is_banned)]
        for user in candidates:
            if user.name.casefold() == wanted:
                return user
        for user in candidates:
            if any(old.casefold() == wanted for old in user.previous_names):
                return user
        return None

    def image_url(self, user: FakeRobloxUser, size: str = "150x150", image_format: str = "Png") -> str:
        """The made-up CDN address of a user's headshot (stable until ``headshot_version`` changes)."""
        if user.headshot_url is not None:
            return user.headshot_url
        digest = hashlib.sha256(f"{user.id}:{user.headshot_version}".encode()).hexdigest()[:32].upper()
        width, height = size.split("x")
        return (
            f"https://tr.rbxcdn.com/30DAY-AvatarHeadshot-{digest}-{image_format}/{width}/{height}"
            f"/AvatarHeadshot/{image_format}/noFilter"
        )

    # -- HTTP --------------------------------------------------------------------------------------------------

    def error_body(self, error: FakeHttpError) -> Any:
        return {"errors": [{"code": error.extra.get("code", 0), "message": error.message}]}

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/usernames/users", self._h_usernames)
        router.add_get("/v1/users/avatar-headshot", self._h_headshots)  # before {user_id}, which would match it
        router.add_get("/v1/users/{user_id}", self._h_user)

    async def _h_usernames(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        usernames = body.get("usernames") if isinstance(body, dict) else None
        if not isinstance(usernames, list) or not all(isinstance(n, str) for n in usernames):
            raise FakeHttpError(400, MSG_BAD_REQUEST, code=0)
        if len(usernames) > MAX_USERNAMES:
            raise FakeHttpError(400, MSG_TOO_MANY_USERNAMES, code=2)
        exclude_banned = body.get("excludeBannedUsers") is True
        data = []
        for requested in usernames:
            user = self.find(requested, exclude_banned=exclude_banned)
            if user is not None:
                data.append(
                    {
                        "requestedUsername": requested,
                        "hasVerifiedBadge": user.has_verified_badge,
                        "id": user.id,
                        "name": user.name,
                        "displayName": user.display_name,
                    }
                )
        return json_response(200, {"data": data})

    async def _h_user(self, request: web.Request) -> web.Response:
        raw = request.match_info["user_id"]
        # ASSUMPTION: a path that is not a number gets the same 404 as an unknown id.
        user = self.users.get(int(raw)) if raw.isascii() and raw.isdigit() else None
        if user is None:
            raise FakeHttpError(404, MSG_INVALID_USER_ID, code=3)
        return json_response(
            200,
            {
                "id": user.id,
                "name": user.name,
                "displayName": user.display_name,
                "description": user.description,
                "created": user.created,
                "isBanned": user.is_banned,
                "hasVerifiedBadge": user.has_verified_badge,
            },
        )

    async def _h_headshots(self, request: web.Request) -> web.Response:
        raw_ids = [part.strip() for part in request.query.get("userIds", "").split(",") if part.strip()]
        if not raw_ids or not all(part.isascii() and part.isdigit() for part in raw_ids):
            raise FakeHttpError(400, MSG_INVALID_IDS, code=4)
        if len(raw_ids) > MAX_IDS:
            raise FakeHttpError(400, MSG_TOO_MANY_IDS, code=1)
        size = request.query.get("size", "48x48")  # ASSUMPTION: the default when no size is given
        if size not in HEADSHOT_SIZES:
            raise FakeHttpError(400, MSG_INVALID_SIZE, code=3)
        image_format = request.query.get("format", "Png")
        if image_format not in HEADSHOT_FORMATS:
            raise FakeHttpError(400, MSG_INVALID_FORMAT, code=2)
        data = []
        for user_id in dict.fromkeys(int(part) for part in raw_ids):
            user = self.users.get(user_id)
            entry: dict[str, Any] = {"targetId": user_id, "state": "Error", "imageUrl": None, "version": ""}
            # ASSUMPTION: an unknown id gets an entry with state "Error" rather than being left out, and only a
            # Completed headshot has an imageUrl (null otherwise).
            if user is not None:
                entry["state"] = user.headshot_state
                if user.headshot_state == "Completed":
                    entry["imageUrl"] = self.image_url(user, size, image_format)
                    entry["version"] = f"TN{user.headshot_version}"
            data.append(entry)
        return json_response(200, {"data": data})


def _user_argument(text: str) -> tuple[int, str, str]:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0].isdigit() or not parts[1]:
        raise argparse.ArgumentTypeError(f"expected ID:USERNAME[:DISPLAY NAME], got {text!r}")
    return int(parts[0]), parts[1], parts[2] if len(parts) == 3 else parts[1]


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m fakes.roblox``: run the fake by hand; point ROBLOX_USERS_URL and ROBLOX_THUMBNAILS_URL at it."""
    parser = argparse.ArgumentParser(prog="python -m fakes.roblox", description="Run a fake Roblox users API.")
    add_cli_arguments(parser, port=8100)
    parser.add_argument(
        "--user", action="append", type=_user_argument, default=[], metavar="ID:NAME[:DISPLAY]", help="add a user"
    )
    args = parser.parse_args(None if argv is None else list(argv))
    fake = FakeRoblox()
    for user_id, name, display in args.user:
        fake.add_user(user_id, name, display)
    users = ", ".join(f"{u.id} {u.name}" for u in fake.users.values())
    return run(fake, args, [f"Users: {users}", "Set ROBLOX_USERS_URL and ROBLOX_THUMBNAILS_URL to this address."])


if __name__ == "__main__":
    raise SystemExit(main())
