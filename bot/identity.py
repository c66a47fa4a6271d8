"""Who a staff member is on Roblox: linking by name, profile link, id, or the account a verification bot proved.

The rules (docs/series-api.md#no-acting-user-check): a link is what the bot acts as, so

- an admin may link anyone to any Roblox account, typed (username, profile link or id) or verified;
- a member may link *themselves* (``/link-me``) only to the account Bloxlink or RoVer says they verified, and only
  if that account is a member of a department on Series: the workspace's own statement of who is staff;
- Roblox's APIs are help, never a precondition: an id links even when Roblox can't be reached (its name is filled
  in later), but a username can't be checked then, so nothing is stored.

Every link made here is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from .cache import ConfigCache
from .errors import InvalidInput, NotAllowed, UserFacingError
from .repositories import AuditRepo, StaffLinkRepo
from .roblox import RobloxDirectory, RobloxUnavailable, RobloxUser, RobloxUserNotFound, parse_user_query
from .verification import VerificationError, VerificationProvider, VerificationRefused

__all__ = ("Identity", "Linked", "Unverified")

log = logging.getLogger(__name__)

ROBLOX_BUDGET = 2.0  # seconds Roblox may take while an admin waits (the interaction is deferred first)


class Unverified(UserFacingError):
    """The member has no verified Roblox account with the server's verification bot(s)."""


@dataclass(frozen=True, slots=True)
class Linked:
    """A link just made: who, as which Roblox account (``user`` when Roblox told us its name), what it replaced."""

    member_id: int
    roblox_id: int
    user: RobloxUser | None
    previous: int | None
    source: str  # "typed", or the verification bot's name
    headshot: str | None = None


class Identity:
    def __init__(
        self,
        *,
        links: StaffLinkRepo,
        audit: AuditRepo,
        roblox: RobloxDirectory,
        providers: Sequence[VerificationProvider],
        config: ConfigCache,
        self_link: bool,
    ) -> None:
        self.links = links
        self.audit = audit
        self.roblox = roblox
        self.providers = tuple(providers)
        self.config = config
        self.self_link = self_link

    async def link_typed(self, *, guild_id: int, member_id: int, text: str, by: int) -> Linked:
        """An admin links a member to the Roblox account ``text`` names (a username, profile link or id)."""
        try:
            query = parse_user_query(text)
        except RobloxUserNotFound as exc:
            raise InvalidInput(exc.message) from None
        try:
            user: RobloxUser | None = await self.roblox.resolve(text, deadline=ROBLOX_BUDGET)
        except RobloxUserNotFound:
            raise InvalidInput(
                f"Roblox has no user `{_plain(text)}`. Check the spelling, or paste their profile link."
            ) from None
        except RobloxUnavailable as exc:
            if query.user_id is None:
                raise UserFacingError(
                    f"Roblox can't be reached to look up the username `{_plain(text)}` ({exc.message}), so nothing "
                    "was linked. Try again in a moment, or use their profile link or user id instead."
                ) from None
            user = None  # an id still links; its name is filled in when Roblox answers again
            await self.roblox.remember(query.user_id)
        roblox_id = user.id if user is not None else query.user_id
        assert roblox_id is not None
        return await self._link(guild_id, member_id, roblox_id, user, by=by, source="typed")

    async def verified(self, *, guild_id: int, member_id: int) -> tuple[int, str]:
        """The Roblox id the server's verification bot knows for the member, and that bot's name."""
        if not self.providers:
            raise Unverified(
                "No verification bot (Bloxlink or RoVer) is set up for Ticket Bridge here, so the bot can't see "
                "verified accounts. Give the Roblox account instead: a username, profile link or id."
            )
        problems = []
        for provider in self.providers:
            try:
                roblox_id = await provider.roblox_id(guild_id, member_id)
            except VerificationRefused as exc:
                log.warning("%s refused the API key: %s", provider.name, exc.message)
                problems.append(f"{provider.name} refused the bot's API key (an admin must check it)")
                continue
            except VerificationError as exc:
                problems.append(f"{provider.name} didn't answer ({exc.message})")
                continue
            if roblox_id is not None:
                return roblox_id, provider.name
        names = " or ".join(p.name for p in self.providers)
        why = "; ".join(problems)
        raise Unverified(
            f"{names} has no verified Roblox account for them in this server"
            + (f" ({why})" if why else "")
            + f". They can verify with {names} first."
        )

    async def link_verified(self, *, guild_id: int, member_id: int, by: int) -> Linked:
        """An admin links a member to the account their verification bot proved."""
        roblox_id, source = await self.verified(guild_id=guild_id, member_id=member_id)
        user = await self.roblox.lookup(roblox_id, deadline=ROBLOX_BUDGET)
        return await self._link(guild_id, member_id, roblox_id, user, by=by, source=source)

    async def link_me(self, *, guild_id: int, member_id: int) -> Linked:
        """A member links themselves: to their verified account, and only if it belongs to a department."""
        if not self.self_link:
            raise NotAllowed("Linking yourself is switched off here. Ask a server admin to run `/staff link` for you.")
        roblox_id, source = await self.verified(guild_id=guild_id, member_id=member_id)
        config = await self.config.get()
        if not any(roblox_id in d.members for d in config.departments.values()):
            raise NotAllowed(
                f"Your verified Roblox account ({roblox_id}) isn't a member of any department on Series, so the bot "
                "can't let you act on tickets. Ask an admin: they can add you on Series, or link you with "
                "`/staff link`."
            )
        user = await self.roblox.lookup(roblox_id, deadline=ROBLOX_BUDGET)
        return await self._link(guild_id, member_id, roblox_id, user, by=member_id, source=source)

    async def undo(self, *, guild_id: int, member_id: int, made: int, previous: int | None, by: int) -> str:
        """Take back a link just made, if it is still the one that was made; put the previous one back."""
        current = await self.links.get(guild_id=guild_id, member_id=member_id)
        if current is None or current.roblox_user_id != made:
            raise UserFacingError("That link has changed since; nothing was undone. See `/staff list`.")
        if previous:
            await self.links.link(guild_id=guild_id, member_id=member_id, roblox_user_id=previous, linked_by=by)
            result = f"ok: back to {previous}"
        else:
            await self.links.unlink(guild_id=guild_id, member_id=member_id)
            result = "ok: unlinked"
        await self.audit.record(
            guild_id=guild_id,
            member_id=by,
            roblox_user_id=made,
            ticket_id="",
            action=f"undo link <@{member_id}>",
            result=result,
        )
        return result

    async def _link(
        self, guild_id: int, member_id: int, roblox_id: int, user: RobloxUser | None, *, by: int, source: str
    ) -> Linked:
        previous = await self.links.link(guild_id=guild_id, member_id=member_id, roblox_user_id=roblox_id, linked_by=by)
        await self.audit.record(
            guild_id=guild_id,
            member_id=by,
            roblox_user_id=roblox_id,
            ticket_id="",
            action=f"link <@{member_id}>" if by != member_id else "link-me",
            result=f"ok: {source}" + (f", replacing {previous}" if previous and previous != roblox_id else ""),
        )
        headshot = None
        try:
            headshot = await self.roblox.headshot(roblox_id, deadline=1.0)
        except Exception:  # noqa: BLE001 - a picture is a nicety; the link is made
            log.info("No headshot for %s", roblox_id, exc_info=True)
        return Linked(member_id, roblox_id, user, previous, source, headshot)


def _plain(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")[:60] or " "
