"""What staff can do to a ticket, independent of how they asked (slash command, button, modal).

The acting Roblox id always comes from the caller's link, never from anything typed. Input is validated
before any API call or write. A reply is written to the outbox before it is sent, so its text survives any
failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .api import SeriesClient, SeriesError, SeriesUnavailable
from .errors import NotAllowed, NotLinked, ReplyNotSent, UserFacingError
from .models import Ticket, parse_time
from .repositories import Reply, ReplyRepo, StaffLinkRepo
from .validation import clean_message, clean_ticket_id

__all__ = ("ReplySent", "StaffActions")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplySent:
    reply_id: int
    ticket_id: str
    text: str
    api_message: str


class StaffActions:
    """Acts on Series as the calling staff member."""

    def __init__(self, *, api: SeriesClient, links: StaffLinkRepo, replies: ReplyRepo) -> None:
        self.api = api
        self.links = links
        self.replies = replies

    async def staff_id(self, *, guild_id: int, member_id: int) -> int:
        """The caller's linked Roblox id, or :class:`NotLinked`."""
        link = await self.links.get(guild_id=guild_id, member_id=member_id)
        if link is None:
            raise NotLinked()
        return link.roblox_user_id

    async def reply(
        self, *, guild_id: int, channel_id: int | None, member_id: int, ticket_id: str, text: str
    ) -> ReplySent:
        """Validate, record in the outbox, then send. Raises :class:`ReplyNotSent` with the text on failure."""
        ticket_id = clean_ticket_id(ticket_id)
        text = clean_message(text)
        staff_id = await self.staff_id(guild_id=guild_id, member_id=member_id)
        reply_id = await self.replies.add(
            guild_id=guild_id,
            channel_id=channel_id,
            member_id=member_id,
            roblox_user_id=staff_id,
            ticket_id=ticket_id,
            content=text,
        )
        reply = await self.replies.get(reply_id)
        assert reply is not None
        return await self.send(reply)

    async def send(self, reply: Reply) -> ReplySent:
        """Send one outbox entry and record how it ended."""
        await self.replies.set_state(reply.id, state="sending")
        try:
            message = await self.api.reply(reply.ticket_id, content=reply.content, staff_user_id=reply.roblox_user_id)
        except SeriesUnavailable as exc:
            state = "unknown" if exc.maybe_delivered else "failed"
            await self.replies.set_state(reply.id, state=state, error=exc.message)
            log.warning("Reply %s to %s ended %s: %s", reply.id, reply.ticket_id, state, exc.message)
            raise ReplyNotSent(
                exc, reply_id=reply.id, ticket_id=reply.ticket_id, text=reply.content, maybe_delivered=exc.maybe_delivered
            ) from exc
        except SeriesError as exc:
            await self.replies.set_state(reply.id, state="failed", error=exc.message)
            log.info("Reply %s to %s refused: %s", reply.id, reply.ticket_id, exc.message)
            raise ReplyNotSent(exc, reply_id=reply.id, ticket_id=reply.ticket_id, text=reply.content) from exc
        await self.replies.set_state(reply.id, state="sent")
        log.info("Reply %s sent to %s as staff %s", reply.id, reply.ticket_id, reply.roblox_user_id)
        return ReplySent(reply_id=reply.id, ticket_id=reply.ticket_id, text=reply.content, api_message=message)

    async def retry(self, *, reply_id: int, member_id: int, claim_first: bool = False) -> ReplySent:
        """Send a saved reply again, for its author only; never twice (a maybe-delivered one is looked up first)."""
        reply = await self.replies.get(reply_id)
        if reply is None or reply.member_id != member_id:
            raise NotAllowed("This button belongs to someone else's reply.")
        if reply.state == "sent":
            raise UserFacingError(f"That reply to `{reply.ticket_id}` was already delivered; it was not sent again.")
        if reply.state in ("unknown", "sending") and await self.delivered(reply):
            await self.replies.set_state(reply.id, state="sent")
            return ReplySent(reply.id, reply.ticket_id, reply.content, "It had already arrived, so it was not sent again.")
        if claim_first:
            await self.api.claim(reply.ticket_id, staff_user_id=reply.roblox_user_id)
        return await self.send(reply)

    async def delivered(self, reply: Reply) -> bool:
        """Whether the ticket already holds this reply: same staff id, same text, not older than the reply."""
        ticket = await self.api.get_ticket(reply.ticket_id)
        text = reply.content.strip()
        return any(
            m.is_staff and m.author_id == reply.roblox_user_id and m.content.strip() == text and _not_before(m.timestamp, reply.created_at)
            for m in ticket.messages
        )

    async def claim(self, *, guild_id: int, member_id: int, ticket_id: str) -> str:
        ticket_id = clean_ticket_id(ticket_id)
        staff_id = await self.staff_id(guild_id=guild_id, member_id=member_id)
        return await self.api.claim(ticket_id, staff_user_id=staff_id)

    async def unclaim(self, *, guild_id: int, member_id: int, ticket_id: str) -> str:
        ticket_id = clean_ticket_id(ticket_id)
        staff_id = await self.staff_id(guild_id=guild_id, member_id=member_id)
        return await self.api.unclaim(ticket_id, staff_user_id=staff_id)

    async def set_status(self, *, guild_id: int, member_id: int, ticket_id: str, status: str) -> str:
        ticket_id = clean_ticket_id(ticket_id)
        staff_id = await self.staff_id(guild_id=guild_id, member_id=member_id)
        return await self.api.set_status(ticket_id, status=status, staff_user_id=staff_id)

    async def transfer(self, *, guild_id: int, member_id: int, ticket_id: str, department_id: str) -> str:
        ticket_id = clean_ticket_id(ticket_id)
        staff_id = await self.staff_id(guild_id=guild_id, member_id=member_id)
        return await self.api.transfer(ticket_id, department_id=department_id, staff_user_id=staff_id)

    async def show(self, *, ticket_id: str) -> Ticket:
        return await self.api.get_ticket(clean_ticket_id(ticket_id))


def _not_before(message_time: str, reply_time: str, *, skew: float = 300.0) -> bool:
    # Clocks differ between us and Series; allow five minutes of skew, and trust a message with no time.
    sent, created = parse_time(message_time), parse_time(reply_time)
    if sent is None or created is None:
        return True
    return (sent - created).total_seconds() >= -skew
