"""How people are named on cards, in threads and in lists: the same way everywhere.

A staff member is shown as their linked Discord member where there is one (a mention, which never pings in an
embed), else by their Roblox name (from the name cache, asking Roblox in the background when it isn't known),
else by the name Series gives for a ticket's claimer. Nobody is shown as a bare number when a name can be found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .ratelimit import BACKGROUND
from .render import player_text
from .repositories import StaffLinkRepo
from .roblox import RobloxDirectory

__all__ = ("Names",)

LOOKUP_DEADLINE = 1.5  # seconds: names help, but the feed never waits long for Roblox


class Names:
    def __init__(self, *, links: StaffLinkRepo, roblox: RobloxDirectory) -> None:
        self.links = links
        self.roblox = roblox

    async def roblox_name(self, roblox_id: int, *, ask: bool = True) -> str | None:
        """The Roblox display name (or username), escaped for Discord; from the cache, else Roblox (``ask``)."""
        user = await (
            self.roblox.lookup(roblox_id, deadline=LOOKUP_DEADLINE, priority=BACKGROUND)
            if ask
            else self.roblox.cached(roblox_id)
        )
        if user is None:
            return None
        return player_text(user.display_name or user.name, 100, placeholder="") or None

    async def for_embed(
        self, guild_id: int, roblox_ids: Iterable[int | None], *, known: Mapping[int, str] | None = None
    ) -> dict[int, str]:
        """Roblox id → how to show that person in an embed's fields: ``<@member>`` when linked, else a name.

        ``known`` holds names Series already gave (the claimer's); they are used before asking Roblox.
        """
        names: dict[int, str] = {}
        for roblox_id in dict.fromkeys(i for i in roblox_ids if i):
            members = await self.links.members_for(guild_id=guild_id, roblox_user_id=roblox_id)
            if members:
                names[roblox_id] = " ".join(f"<@{m}>" for m in members[:3])
            elif known and roblox_id in known:
                names[roblox_id] = player_text(known[roblox_id], 100, placeholder="") or f"Roblox user {roblox_id}"
            elif (name := await self.roblox_name(roblox_id)) is not None:
                names[roblox_id] = name
        return names

    async def speaker(self, roblox_id: int | None, *, known: Mapping[int, str] | None = None) -> str:
        """A staff member's name as plain text, for the header of their message (where mentions don't render)."""
        if roblox_id:
            if known and roblox_id in known:
                return " ".join(known[roblox_id].split())[:80] or "Staff"
            user = await self.roblox.lookup(roblox_id, deadline=LOOKUP_DEADLINE, priority=BACKGROUND)
            if user is not None:
                return " ".join((user.display_name or user.name).split())[:80]
        return "Staff"
