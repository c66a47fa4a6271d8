"""Posting the reminders ``bot.reminders`` finds due, after every poll.

Unclaimed tickets of one route are gathered into one message in the route's channel (mentioning its ping role,
if it has one), so turning reminders on over a full queue is one message, not a flood. A waiting ticket gets its
reminder in its own thread, mentioning whoever claimed it (their linked Discord members), and nobody else.
Each reminder is recorded before it is posted: a crash in between loses that one reminder, it never repeats
one. One failing channel or thread never stops the others.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

import discord

from bot.cache import TicketCache
from bot.reminders import Due, due_reminders
from bot.render import player_text, short_ref
from bot.repositories import EventRepo, FeedRepo, ReminderRepo, StaffLinkRepo

__all__ = ("MAX_LISTED", "Reminders")

log = logging.getLogger(__name__)

MAX_LISTED = 10  # unclaimed tickets named in one reminder; the rest are counted


class Reminders:
    def __init__(
        self,
        client: discord.Client,
        *,
        feed: FeedRepo,
        events: EventRepo,
        sent: ReminderRepo,
        links: StaffLinkRepo,
        tickets: TicketCache,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.feed = feed
        self.events = events
        self.sent = sent
        self.links = links
        self.tickets = tickets
        self.now = now

    async def run(self) -> int:
        """Post what is due now; returns how many tickets were reminded about."""
        routes = [r for r in await self.feed.routes() if r.remind_unclaimed > 0 or r.remind_waiting > 0]
        if not routes:
            return 0
        active = self.tickets.active()
        ids = [t.id for t in active]
        last = await self.events.last_messages(ids)
        sent = {
            (guild_id, *entry)
            for guild_id in {r.guild_id for r in routes}
            for entry in await self.sent.sent(guild_id=guild_id, ticket_ids=ids)
        }
        due = due_reminders(now=self.now(), routes=routes, tickets=active, last_messages=last, sent=sent)
        unclaimed: defaultdict[tuple[int, str], list[Due]] = defaultdict(list)
        reminded = 0
        for item in due:
            if item.kind == "unclaimed":
                unclaimed[(item.guild_id, item.route.department)].append(item)
                continue
            try:
                reminded += await self._waiting(item)
            except Exception:  # noqa: BLE001 - one ticket's reminder never stops the others'
                log.exception("Reminder for %s failed", item.ticket.id)
        for (guild_id, department), group in unclaimed.items():
            try:
                reminded += await self._unclaimed(group)
            except Exception:  # noqa: BLE001 - one route's reminder never stops the others'
                log.exception("Unclaimed reminder for route %s/%s failed", guild_id, department or "default")
        return reminded

    async def _unclaimed(self, group: list[Due]) -> int:
        route = group[0].route
        channel = self.client.get_channel(route.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return 0  # the route's problem, which /feed show reports; the reminders wait for it to be fixed
        claimed = [
            d
            for d in group
            if await self.sent.claim(guild_id=d.guild_id, ticket_id=d.ticket.id, kind=d.kind, wait=d.wait)
        ]
        if not claimed:
            return 0
        lines = [await self._line(d) for d in claimed[:MAX_LISTED]]
        if len(claimed) > MAX_LISTED:
            lines.append(f"…and {len(claimed) - MAX_LISTED} more: `/ticket list show:nobody's`")
        count = len(claimed)
        head = (
            f"⏰ {count} tickets still wait for someone to claim them:"
            if count != 1
            else "⏰ 1 ticket still waits for someone to claim it:"
        )
        mentions = discord.AllowedMentions.none()
        if route.ping_role_id:
            head = f"<@&{route.ping_role_id}> {head}"
            mentions = discord.AllowedMentions(roles=[discord.Object(route.ping_role_id)])
        try:
            await channel.send("\n".join([head, *lines])[:2000], allowed_mentions=mentions, suppress_embeds=True)
        except discord.HTTPException as exc:
            log.warning("Could not post the unclaimed reminder in %s: %s", channel.id, exc.text)
            return 0
        return count

    async def _line(self, due: Due) -> str:
        ticket = due.ticket
        card = await self.feed.card(guild_id=due.guild_id, ticket_id=ticket.id)
        ref = short_ref(ticket.id)
        if card is not None and card.message_id is not None:
            ref = f"[{ref}](https://discord.com/channels/{due.guild_id}/{card.channel_id}/{card.message_id})"
        subject = player_text(ticket.subject, 80, placeholder="(no subject)")
        return f"• **{subject}** · {ref} · opened <t:{int(due.since.timestamp())}:R>"

    async def _waiting(self, due: Due) -> int:
        """In the ticket's thread; a ticket with no thread yet gets it as a reply to its card."""
        ticket = due.ticket
        card = await self.feed.card(guild_id=due.guild_id, ticket_id=ticket.id)
        if card is None or card.message_id is None:
            return 0  # not shown in this server yet: nothing to point at
        target: discord.abc.Messageable | None = None
        reference = None
        if card.thread_id:
            target = self.client.get_channel(card.thread_id)  # type: ignore[assignment]
            if target is None:
                try:
                    target = await self.client.fetch_channel(card.thread_id)  # type: ignore[assignment]
                except discord.HTTPException:
                    target = None
        if not isinstance(target, discord.Thread):
            channel = self.client.get_channel(card.channel_id)
            if not isinstance(channel, discord.TextChannel):
                return 0
            target = channel
            reference = discord.MessageReference(message_id=card.message_id, channel_id=card.channel_id)
        if not await self.sent.claim(guild_id=due.guild_id, ticket_id=ticket.id, kind=due.kind, wait=due.wait):
            return 0
        assert ticket.claimed_by is not None
        members = await self.links.members_for(guild_id=due.guild_id, roblox_user_id=ticket.claimed_by)
        who = " ".join(f"<@{m}>" for m in members[:5])
        player = player_text(ticket.author.display_name or ticket.author.username, 60, placeholder="The player")
        text = f"⏰ **{player}** has been waiting for an answer since <t:{int(due.since.timestamp())}:R>."
        if reference is not None:
            text += f" ({short_ref(ticket.id)})"
        try:
            await target.send(
                f"{who} {text}".strip(),
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(m) for m in members[:5]]),
                reference=reference,  # type: ignore[arg-type]
                mention_author=False,
            )
        except discord.HTTPException as exc:
            log.warning("Could not post the waiting reminder for %s: %s", ticket.id, exc.text)
            return 0
        return 1
