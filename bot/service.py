"""What staff can do to a ticket, independent of how they asked (slash command, button, modal).

- The acting Roblox id always comes from the caller's link, never from anything typed.
- Input is validated before any API call or write.
- When ``/tickets/config`` lists a department's ``Members``, only those members may act on its tickets (Series
  does not document enforcing this itself, docs/series-api.md#no-acting-user-check).
- A reply is written to the outbox before it is sent, so its text survives any failure, and one accepted
  before a crash is finished after the restart.
- Every action is recorded in the audit trail with how it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from .api import SeriesClient, SeriesError, SeriesUnavailable
from .cache import ConfigCache
from .errors import InvalidInput, NotAllowed, NotLinked, ReplyNotSent, UserFacingError
from .models import Ticket, parse_time
from .repositories import AuditEntry, AuditRepo, Reply, ReplyRepo, StaffLinkRepo
from .validation import clean_message, clean_ticket_id, has_visible_text, listed_ticket_id

__all__ = ("Done", "ReplySent", "StaffActions")

log = logging.getLogger(__name__)
T = TypeVar("T")

ALREADY_ARRIVED = "It had already arrived, so it was not sent again."
RECOVERY_MAX_AGE = 3600.0  # a reply older than this is reported back after a restart, not sent late


@dataclass(frozen=True, slots=True)
class ReplySent:
    reply_id: int
    ticket_id: str
    text: str
    api_message: str
    ticket: Ticket | None = None  # as fetched before sending (None after a restart)
    claimed: bool = False  # the reply claimed the ticket first


@dataclass(frozen=True, slots=True)
class Done:
    """An action Series accepted: the ticket as it was just before, and Series' own sentence."""

    ticket: Ticket
    api_message: str


class StaffActions:
    """Acts on Series as the calling staff member."""

    def __init__(
        self,
        *,
        api: SeriesClient,
        links: StaffLinkRepo,
        replies: ReplyRepo,
        audit: AuditRepo,
        config: ConfigCache,
    ) -> None:
        self.api = api
        self.links = links
        self.replies = replies
        self.audit = audit
        self.config = config
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # -- shutdown ------------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        """Mark work that a graceful shutdown should let finish (a reply being sent and confirmed)."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def drain(self, grace: float) -> bool:
        """Wait until no reply is in flight (at most ``grace`` seconds); True if everything finished."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("Shutting down with %d replies still in flight", self._in_flight)
            return False
        return True

    # -- who may act ---------------------------------------------------------------------------------------------

    async def staff_id(self, *, guild_id: int, member_id: int) -> int:
        """The caller's linked Roblox id, or :class:`NotLinked`."""
        link = await self.links.get(guild_id=guild_id, member_id=member_id)
        if link is None:
            raise NotLinked()
        return link.roblox_user_id

    async def is_linked(self, *, guild_id: int, member_id: int, within: float = 0.5) -> bool:
        """Whether the member is linked staff, answered fast enough for autocomplete (False if the database is slow)."""
        try:
            link = await asyncio.wait_for(self.links.get(guild_id=guild_id, member_id=member_id), within)
        except TimeoutError:
            return False
        return link is not None

    async def authorize(self, ticket_id: str, staff_id: int) -> Ticket:
        """Fetch the ticket and refuse if its department lists members and the caller isn't one of them."""
        ticket = await self.api.get_ticket(ticket_id)
        config = await self.config.get()
        department = config.departments.get(ticket.department)
        if department is not None and department.members and staff_id not in department.members:
            raise NotAllowed(
                f"`{ticket_id}` belongs to **{department.name}**, and your Roblox account ({staff_id}) isn't one of "
                "its members on Series. Ask a Series admin to add you to that department, or transfer the ticket."
            )
        return ticket

    # -- replies -------------------------------------------------------------------------------------------------

    async def reply(
        self,
        *,
        guild_id: int,
        channel_id: int | None,
        member_id: int,
        ticket_id: str,
        text: str,
        typed: bool = True,
        claim_first: bool = False,
        authorized: Ticket | None = None,
    ) -> ReplySent:
        """Validate, record in the outbox, authorize, then send. On failure :class:`ReplyNotSent` carries the text,
        and a refusal before it is saved (a mistyped id, no link) hands the text back too.

        ``typed``: the id was typed by a person (strict pattern), not carried by one of our buttons or boxes.
        ``claim_first``: claim the ticket for the caller first unless they hold it (the Reply box on an unclaimed
        card says so). ``authorized``: the ticket, already fetched and authorized for this caller (a snippet needed
        it to fill in its variables), so it isn't fetched twice.
        """
        raw = text
        try:
            ticket_id = _ticket(ticket_id, typed)
            text = clean_message(text)
            staff_id = await self.staff_id(guild_id=guild_id, member_id=member_id)
        except UserFacingError as exc:
            if exc.text is None and has_visible_text(raw):
                exc.text = raw.strip()
            raise
        # Written before anything that can wait (the limiter, Series), so a restart can't lose it.
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
        ticket: Ticket | None = None
        claimed = False
        try:
            ticket = authorized if authorized is not None else await self.authorize(ticket_id, staff_id)
            if ticket.id and ticket.id != reply.ticket_id:  # addressed by the 24-hex id: the TicketId from here on
                await self.replies.set_ticket(reply.id, ticket.id)
                reply = dataclasses.replace(reply, ticket_id=ticket.id)
            if claim_first and ticket.claimed_by != staff_id:
                await self._claim_for(reply)
                claimed = True
        except (SeriesError, UserFacingError) as exc:
            await self._settle(reply, "failed", getattr(exc, "message", str(exc)))
            raise ReplyNotSent(
                exc,
                reply_id=reply.id,
                ticket_id=reply.ticket_id,
                text=text,
                ticket=ticket,
                claimed_by_other=_holder(ticket, staff_id),
            ) from exc
        sent = await self.send(reply, ticket=ticket)
        return dataclasses.replace(sent, claimed=claimed)

    async def _claim_for(self, reply: Reply) -> None:
        await self._act(
            reply.guild_id,
            reply.member_id,
            reply.roblox_user_id,
            reply.ticket_id,
            "claim",
            lambda: self.api.claim(reply.ticket_id, staff_user_id=reply.roblox_user_id),
        )

    async def send(self, reply: Reply, *, ticket: Ticket | None = None) -> ReplySent:
        """Send one outbox entry and record how it ended. ``ticket`` (if fetched) explains a claim refusal."""
        await self.replies.set_state(reply.id, state="sending")
        try:
            message = await self.api.reply(reply.ticket_id, content=reply.content, staff_user_id=reply.roblox_user_id)
        except SeriesUnavailable as exc:
            state = "unknown" if exc.maybe_delivered else "failed"
            await self._settle(reply, state, exc.message)
            raise ReplyNotSent(
                exc,
                reply_id=reply.id,
                ticket_id=reply.ticket_id,
                text=reply.content,
                maybe_delivered=exc.maybe_delivered,
                ticket=ticket,
            ) from exc
        except SeriesError as exc:
            await self._settle(reply, "failed", exc.message)
            raise _not_sent(exc, reply, ticket) from exc
        await self._settle(reply, "sent", message)
        return ReplySent(reply.id, reply.ticket_id, reply.content, message, ticket=ticket)

    async def _settle(self, reply: Reply, state: str, message: str) -> None:
        await self.replies.set_state(reply.id, state=state, error=None if state == "sent" else message)
        await self.audit.record(
            guild_id=reply.guild_id,
            member_id=reply.member_id,
            roblox_user_id=reply.roblox_user_id,
            ticket_id=reply.ticket_id,
            action="reply",
            result=f"{state}: {message}",
        )
        log.info("Reply %s to %s as staff %s: %s (%s)", reply.id, reply.ticket_id, reply.roblox_user_id, state, message)

    async def retry(self, *, reply_id: int, member_id: int, claim_first: bool = False) -> ReplySent:
        """Send a saved reply again, for its author only, and never twice: the reply is taken atomically (a
        second tap finds it busy), and one that may have arrived is looked up on the ticket first.

        It acts as the author's link as it is *now* (not the Roblox id saved with the reply), and checks the
        department again; a claim is skipped when the author already holds the ticket.
        """
        reply, previous = await self.replies.take(reply_id, member_id=member_id)
        if reply is None or previous is None:
            if previous is None:
                raise NotAllowed("This button belongs to someone else's reply.")
            if previous == "sent":
                raise UserFacingError("That reply was already delivered; it was not sent again.")
            raise UserFacingError("That reply is being sent right now; wait for the answer above.")
        ticket: Ticket | None = None
        claimed = False
        try:
            if previous == "unknown" and await self.delivered(reply):  # as the id it may have arrived as
                await self._settle(reply, "sent", ALREADY_ARRIVED)
                return ReplySent(reply.id, reply.ticket_id, reply.content, ALREADY_ARRIVED)
            link = await self.links.get(guild_id=reply.guild_id, member_id=member_id)
            if link is None:
                raise NotLinked()
            if link.roblox_user_id != reply.roblox_user_id:
                await self.replies.set_staff(reply.id, link.roblox_user_id)
                reply = dataclasses.replace(reply, roblox_user_id=link.roblox_user_id)
            ticket = await self.authorize(reply.ticket_id, reply.roblox_user_id)
            if claim_first and ticket.claimed_by != reply.roblox_user_id:
                await self._claim_for(reply)
                claimed = True
        except (SeriesError, UserFacingError) as exc:
            await self.replies.set_state(reply.id, state=previous, error=getattr(exc, "message", str(exc)))
            raise _not_sent(exc, reply, ticket) from exc
        sent = await self.send(reply, ticket=ticket)
        return dataclasses.replace(sent, claimed=claimed)

    async def own_reply(self, *, reply_id: int, member_id: int) -> Reply:
        """A saved reply, for its author only (**Edit and send** opens it again)."""
        reply = await self.replies.get(reply_id)
        if reply is None or reply.member_id != member_id:
            raise NotAllowed("This button belongs to someone else's reply.")
        return reply

    async def delivered(self, reply: Reply) -> bool:
        """Whether the ticket already holds this reply: same staff id, same text, not older than the reply."""
        ticket = await self.api.get_ticket(reply.ticket_id)
        text = reply.content.strip()
        return any(
            m.is_staff
            and m.author_id == reply.roblox_user_id
            and m.content.strip() == text
            and _not_before(m.timestamp, reply.created_at)
            for m in ticket.messages
        )

    async def recover(self, *, max_age: float = RECOVERY_MAX_AGE) -> list[tuple[Reply, str]]:
        """Finish replies accepted before a stop: deliver each (unless it already arrived) and say how it ended.

        A reply is not sent late if it is older than ``max_age`` seconds, or if its author's link changed since;
        it is reported back instead. Returns ``(reply, outcome)`` pairs for the caller to report.
        """
        outcomes: list[tuple[Reply, str]] = []
        for reply in await self.replies.unfinished():
            try:
                if reply.state == "sending" and await self.delivered(reply):
                    await self._settle(reply, "sent", "Delivered before the restart.")
                    outcomes.append((reply, "was delivered (it had arrived before the bot restarted)."))
                    continue
                link = await self.links.get(guild_id=reply.guild_id, member_id=reply.member_id)
                created = parse_time(reply.created_at)
                age = (datetime.now(UTC) - created).total_seconds() if created else 0.0
                if link is None or link.roblox_user_id != reply.roblox_user_id:
                    await self._settle(reply, "failed", "Not sent: the author's Roblox link changed.")
                    outcomes.append((reply, "was not sent: your Roblox link changed while the bot was down."))
                    continue
                if age > max_age:
                    await self._settle(reply, "failed", "Not sent: too old after the restart.")
                    outcomes.append((reply, f"was not sent: it waited {age / 60:.0f} minutes while the bot was down."))
                    continue
                try:
                    ticket = await self.authorize(reply.ticket_id, reply.roblox_user_id)  # the department, again
                except NotAllowed as exc:
                    await self._settle(reply, "failed", exc.message)
                    outcomes.append((reply, f"was not sent: {exc.message}"))
                    continue
                await self.send(reply, ticket=ticket)
                outcomes.append((reply, "was delivered after the bot restarted."))
            except ReplyNotSent as exc:
                outcomes.append((reply, f"could not be delivered after the bot restarted. {exc.message}"))
            except SeriesError as exc:
                await self._settle(reply, "unknown", exc.message)
                outcomes.append((reply, f"may not have been delivered: {exc.message}"))
        return outcomes

    # -- other actions -------------------------------------------------------------------------------------------

    # ``typed``: the ticket id was typed by a person (strict pattern), not carried by one of our buttons.

    async def claim(self, *, guild_id: int, member_id: int, ticket_id: str, typed: bool = True) -> Done:
        return await self._checked_action(
            guild_id, member_id, _ticket(ticket_id, typed), "claim", lambda t, s: self.api.claim(t, staff_user_id=s)
        )

    async def unclaim(self, *, guild_id: int, member_id: int, ticket_id: str, typed: bool = True) -> Done:
        return await self._checked_action(
            guild_id, member_id, _ticket(ticket_id, typed), "unclaim", lambda t, s: self.api.unclaim(t, staff_user_id=s)
        )

    async def set_status(
        self, *, guild_id: int, member_id: int, ticket_id: str, status: str, typed: bool = True
    ) -> Done:
        return await self._checked_action(
            guild_id,
            member_id,
            _ticket(ticket_id, typed),
            f"status {status}",
            lambda t, s: self.api.set_status(t, status=status, staff_user_id=s),
        )

    async def transfer(
        self, *, guild_id: int, member_id: int, ticket_id: str, department_id: str, typed: bool = True
    ) -> Done:
        ticket_id = _ticket(ticket_id, typed)
        department_id = await self.resolve_department(department_id)
        return await self._checked_action(
            guild_id,
            member_id,
            ticket_id,
            f"transfer {department_id}",
            lambda t, s: self.api.transfer(t, department_id=department_id, staff_user_id=s),
        )

    async def show(self, *, guild_id: int, member_id: int, ticket_id: str) -> Ticket:
        """A ticket, for linked staff only (tickets hold players' private messages)."""
        ticket_id = clean_ticket_id(ticket_id)
        await self.staff_id(guild_id=guild_id, member_id=member_id)
        return await self.api.get_ticket(ticket_id)

    async def history(self, *, guild_id: int, member_id: int, is_admin: bool, ticket_id: str) -> list[AuditEntry]:
        """What staff did to a ticket through the bot: for linked staff and admins (it names who did what)."""
        ticket_id = clean_ticket_id(ticket_id)
        if not is_admin:
            await self.staff_id(guild_id=guild_id, member_id=member_id)
        return await self.audit.for_ticket(guild_id=guild_id, ticket_id=ticket_id)

    async def resolve_department(self, value: str) -> str:
        """A department id from an id or a name (any case), checked against the tickets config."""
        value = value.strip()
        if not value:
            raise InvalidInput("Pick a department from the list.")
        config = await self.config.get()
        if value in config.departments:
            return value
        by_name = {d.name.casefold(): d.id for d in config.departments.values()}
        if value.casefold() in by_name:
            return by_name[value.casefold()]
        names = ", ".join(d.name for d in config.departments.values()) or "none"
        raise InvalidInput(
            f"Series has no department `{value[:60].replace('`', '')}`. Departments: {names[:1500]}. "
            "Pick one from the list."
        )

    async def _checked_action(
        self,
        guild_id: int,
        member_id: int,
        ticket_id: str,
        action: str,
        call: Callable[[str, int], Awaitable[str]],
    ) -> Done:
        staff_id = await self.staff_id(guild_id=guild_id, member_id=member_id)
        record = functools.partial(
            self.audit.record, guild_id=guild_id, member_id=member_id, roblox_user_id=staff_id, ticket_id=ticket_id
        )
        try:
            ticket = await self.authorize(ticket_id, staff_id)
        except (SeriesError, UserFacingError) as exc:
            await record(action=action, result=f"refused: {getattr(exc, 'message', exc)}")
            raise
        ticket_id = ticket.id or ticket_id  # the TicketId, even when addressed by the 24-hex id
        message = await self._act(guild_id, member_id, staff_id, ticket_id, action, lambda: call(ticket_id, staff_id))
        return Done(ticket, message)

    async def _act(
        self,
        guild_id: int,
        member_id: int,
        staff_id: int,
        ticket_id: str,
        action: str,
        call: Callable[[], Awaitable[T]],
    ) -> T:
        record = functools.partial(
            self.audit.record, guild_id=guild_id, member_id=member_id, roblox_user_id=staff_id, ticket_id=ticket_id
        )
        try:
            result = await call()
        except SeriesUnavailable as exc:
            if not exc.maybe_delivered:
                await record(action=action, result=f"failed: {exc.message}")
                raise
            # Sent, but its answer was lost (a timeout, a dropped connection, a 5xx): it may well have been done,
            # so "Nothing was changed" would be a guess (and often wrong).
            await record(action=action, result=f"unknown: {exc.message}")
            raise UserFacingError(
                f"{exc.message} It may have been done anyway: look at the ticket (its card shows what Series has) "
                "before trying again."
            ) from exc
        except SeriesError as exc:
            await record(action=action, result=f"failed: {exc.message}")
            raise
        await record(action=action, result=f"ok: {result}")
        return result


def _not_sent(exc: Exception, reply: Reply, ticket: Ticket | None) -> ReplyNotSent:
    """A refusal of a saved reply, with its text, and who holds the ticket when someone else does."""
    return ReplyNotSent(
        exc,
        reply_id=reply.id,
        ticket_id=reply.ticket_id,
        text=reply.content,
        ticket=ticket,
        claimed_by_other=_holder(ticket, reply.roblox_user_id),
    )


def _holder(ticket: Ticket | None, staff_id: int) -> str | None:
    """Who holds the ticket, for a failed reply, when it is someone else."""
    if ticket is not None and ticket.claimed_by and ticket.claimed_by != staff_id:
        return ticket.claimed_by_name or f"Roblox user {ticket.claimed_by}"
    return None


def _ticket(ticket_id: str, typed: bool) -> str:
    return clean_ticket_id(ticket_id) if typed else listed_ticket_id(ticket_id)


def _not_before(message_time: str, reply_time: str, *, skew: float = 300.0) -> bool:
    # Clocks differ between us and Series; allow five minutes of skew, and trust a message with no time.
    sent, created = parse_time(message_time), parse_time(reply_time)
    if sent is None or created is None:
        return True
    return (sent - created).total_seconds() >= -skew
