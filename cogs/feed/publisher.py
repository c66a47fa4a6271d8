"""Posting ticket cards and their conversation threads, as :func:`~cogs.feed.plan.plan_card` decides.

Every change goes through :meth:`Publisher.sync_ticket`, whether the poller saw it or a staff action caused it,
under a per-ticket lock. Each post is recorded *before* it is made and confirmed after, so a restart (even a crash
between the two) looks for the post it may have made instead of making it twice.

A failure is kept where it belongs. A channel the bot can no longer use is the route's problem (retried at most
every 10 minutes). Anything else (Discord refusing one card, a thread that can't be opened, a message that can't be
posted in it) is that ticket's problem: :class:`TicketProblem` tells the caller, who retries that ticket alone with
its own back-off, while every other ticket carries on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from collections import defaultdict
from typing import TYPE_CHECKING, NoReturn

import discord

from bot.models import Message, Ticket, TicketConfig
from bot.names import Names
from bot.render import (
    card_embed,
    event_line,
    message_embed,
    moved_embed,
    player_name,
    player_text,
    status_change,
    thread_name,
)
from bot.repositories import Card, FeedRepo, ReplyRepo, Route, SeenTicket, StaffLinkRepo
from bot.transcript import transcript_file

from ..ticket_ui import ticket_buttons
from .plan import CardPlan, Found, Lookup, RouteFacts, Step, plan_card

if TYPE_CHECKING:
    from bot.client import TicketBot

__all__ = ("DEFAULT_ROUTE", "PROBLEM_RETRY_SECONDS", "Publisher", "RouteProblem", "TicketProblem")

log = logging.getLogger(__name__)

DEFAULT_ROUTE = ""
PROBLEM_RETRY_SECONDS = 600.0  # a broken route is retried at most this often (no invalid-request storms)
THREAD_ARCHIVE_MINUTES = 10080


class RouteProblem(Exception):
    """Discord refused a post in a route's channel (missing access, deleted channel)."""


class TicketProblem(Exception):
    """One ticket could not be shown in full (its card refused, its thread unusable); the others are unaffected."""


class Publisher:
    """Keeps a card per ticket in each server's staff channels, and the conversation in the card's thread."""

    def __init__(
        self,
        client: TicketBot,
        *,
        repo: FeedRepo,
        links: StaffLinkRepo,
        replies: ReplyRepo,
        names: Names,
    ) -> None:
        self.client = client
        self.repo = repo
        self.links = links
        self.replies = replies
        self.names = names
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._problem_checked: dict[tuple[int, str], float] = {}
        self._retry_scheduled: dict[tuple[int, str], float] = {}  # when each broken route's retry was last set up
        self.backfill_guilds: set[int] = set()  # servers whose active tickets may lack a card

    def route_changed(self, guild_id: int, department: str) -> None:
        """An admin set a route: retry it now, and give the tickets it covers their cards."""
        self._problem_checked.pop((guild_id, department), None)
        self.backfill_guilds.add(guild_id)

    async def retry_broken_routes(self, routes: list[Route]) -> None:
        """A broken route whose retry is due is tried again: its tickets without a card get their cards (a card
        Discord refused is otherwise never posted: its ticket was handled, and it doesn't change), and every card
        handled while it was broken is fetched and edited again (an edit Discord refused, or one skipped while the
        route waited, would otherwise stay stale). A failure puts the retry 10 minutes off again: no storm."""
        now = time.monotonic()
        for route in routes:
            key = (route.guild_id, route.department)
            # Once per retry: until a post in that route is tried (and fails or works), the retry stays due, and
            # scheduling it again every poll would rescan the guild's cards every 15 s.
            if route.problem is None or not self._retry_due(route):
                continue
            if now - self._retry_scheduled.get(key, -PROBLEM_RETRY_SECONDS) < PROBLEM_RETRY_SECONDS:
                continue
            self._retry_scheduled[key] = now
            self.backfill_guilds.add(route.guild_id)
            if route.problem_at is not None:
                await self.repo.refetch_route_cards(
                    guild_id=route.guild_id, channel_id=route.channel_id, since=route.problem_at
                )

    # -- one ticket --------------------------------------------------------------------------------------------

    async def sync_ticket(self, ticket: Ticket, *, config: TicketConfig | None) -> None:
        """Make every server's card and thread for ``ticket`` match Series, then remember it as handled.

        Raises :class:`TicketProblem` (after doing all it could in every server) when part of it failed; the
        ticket is then not marked as handled, so it is looked at again.
        """
        lock = self._locks.get(ticket.id)
        if lock is None:
            lock = self._locks[ticket.id] = asyncio.Lock()
        async with lock:
            seen = await self.repo.seen_one(ticket.id)
            if seen is not None and seen.updated_at and ticket.updated_at and ticket.updated_at < seen.updated_at:
                return  # an older copy (a poll fetched it before an action refreshed the card): keep the newer
            by_guild: defaultdict[int, dict[str, Route]] = defaultdict(dict)
            for route in await self.repo.routes():
                by_guild[route.guild_id][route.department] = route
            problems: list[str] = []
            for guild_id, routes in by_guild.items():
                route = routes.get(ticket.department) or routes.get(DEFAULT_ROUTE)
                try:
                    await self._sync_in_guild(guild_id, route, ticket, config, seen)
                except RouteProblem as exc:
                    if route is not None:
                        await self._route_failed(route, str(exc))
                except TicketProblem as exc:
                    problems.append(str(exc))
                except discord.HTTPException as exc:
                    problems.append(f"Discord refused it ({exc.status} {exc.code or ''} {exc.text})".strip())
            if problems:
                raise TicketProblem("; ".join(dict.fromkeys(problems)))
            await self.repo.mark_seen(
                ticket_id=ticket.id, updated_at=ticket.updated_at, status=ticket.status, department=ticket.department
            )

    async def _sync_in_guild(
        self, guild_id: int, route: Route | None, ticket: Ticket, config: TicketConfig | None, seen: SeenTicket | None
    ) -> None:
        card = await self.repo.card(guild_id=guild_id, ticket_id=ticket.id)
        blocked = route is not None and route.problem is not None and not self._retry_due(route)
        pings = await self._ping_facts(guild_id, route, ticket, seen)
        plan = plan_card(ticket, card, route, route_blocked=blocked, found=None, pings=pings)
        if plan.step is Step.SKIP:
            return
        if route is not None and route.problem is not None:
            self._problem_checked[(route.guild_id, route.department)] = time.monotonic()
        message: discord.Message | None = None
        refusal = ""
        if plan.step is Step.LOOK:
            assert card is not None and plan.lookup is not None
            found, message, refusal = await self._look_up(card, plan.lookup)
            plan = plan_card(ticket, card, route, route_blocked=blocked, found=found, pings=pings)
        if plan.step is Step.SKIP:
            return
        if plan.step is Step.UNREADABLE:
            assert card is not None
            raise RouteProblem(f"I can't read messages in <#{card.channel_id}> any more ({refusal}).")
        assert route is not None or plan.step in (Step.EDIT, Step.ADOPT)
        if plan.step is Step.MOVE:
            await self._mark_moved(message, plan, ticket)
        put_back = plan.step is Step.POST and card is not None and card.message_id is not None  # someone deleted it
        if plan.step is Step.MOVE or put_back:
            await self.repo.forget_mirrored(guild_id=guild_id, ticket_id=ticket.id)  # the new thread gets it all
            message = None
        if plan.step in (Step.POST, Step.MOVE):
            assert route is not None
            old = card
            message = await self._post_card(guild_id, route, ticket, config, plan)
            card = Card(guild_id, ticket.id, route.channel_id, message.id, None)
            if put_back and old is not None:
                await self._retire_thread(old, message)
        else:
            assert card is not None and message is not None
            await self._edit_card(message, ticket, config, guild_id)
            if plan.step is Step.ADOPT:  # posted before a crash: record it now
                await self.repo.save_card(
                    guild_id=guild_id,
                    ticket_id=ticket.id,
                    channel_id=card.channel_id,
                    message_id=message.id,
                    thread_id=card.thread_id,
                )
            card = Card(guild_id, ticket.id, card.channel_id, message.id, card.thread_id, card.problem)
        if route is not None and route.problem:
            await self.repo.set_problem(guild_id=guild_id, department=route.department, problem=None)
            self.backfill_guilds.add(guild_id)  # tickets that failed while it was broken
        await self._mirror(card, message, ticket, notify=plan.notify)
        reopened = seen is not None and seen.status not in ("", "open", "in-progress") and ticket.is_active
        await self._keep_thread_state(card, ticket, reopened=reopened, config=config)

    async def _ping_facts(
        self, guild_id: int, route: Route | None, ticket: Ticket, seen: SeenTicket | None
    ) -> RouteFacts:
        if route is None:
            return RouteFacts()
        first_seen = seen.first_seen_at if seen is not None else None
        # Both times are the bot's own clock (never Series' timestamps against ours): see migration 0007.
        return RouteFacts(
            opened_since_route=bool(route.primed_at and first_seen and first_seen > route.primed_at),
            transferred=seen is not None and bool(seen.department) and seen.department != ticket.department,
            already_pinged=bool(route.ping_role_id)
            and await self.repo.pinged(guild_id=guild_id, ticket_id=ticket.id, department=route.department),
            backfill=route.backfill,
        )

    async def _look_up(self, card: Card, how: Lookup) -> tuple[Found, discord.Message | None, str]:
        """Find the card's message: ``(what was found, the message, Discord's refusal if any)``."""
        if how is Lookup.SEARCH:
            message = await self._find_posted_card(card.channel_id, card.ticket_id)
            return (Found.FOUND, message, "") if message is not None else (Found.GONE, None, "")
        channel = self.client.get_channel(card.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread) or card.message_id is None:
            return Found.GONE, None, ""
        try:
            return Found.FOUND, await channel.fetch_message(card.message_id), ""
        except discord.NotFound:
            log.info("Card for %s in %s was deleted; posting it again", card.ticket_id, card.channel_id)
            return Found.GONE, None, ""
        except discord.Forbidden as exc:
            return Found.FORBIDDEN, None, exc.text

    async def _find_posted_card(self, channel_id: int, ticket_id: str) -> discord.Message | None:
        channel = self.client.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel) or self.client.user is None:
            return None
        try:
            async for message in channel.history(limit=50):
                if (
                    message.author.id == self.client.user.id
                    and message.embeds
                    and _is_card_of(message.embeds[0], ticket_id)
                ):
                    return message
        except discord.HTTPException:
            return None
        return None

    async def _post_card(
        self, guild_id: int, route: Route, ticket: Ticket, config: TicketConfig | None, plan: CardPlan
    ) -> discord.Message:
        channel = self.client.get_channel(route.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise RouteProblem(f"The channel <#{route.channel_id}> no longer exists or I can't see it.")
        await self.repo.save_card(
            guild_id=guild_id, ticket_id=ticket.id, channel_id=channel.id, message_id=None, thread_id=None
        )
        content = None
        mentions = discord.AllowedMentions.none()
        if plan.ping and route.ping_role_id:
            await self.repo.mark_pinged(guild_id=guild_id, ticket_id=ticket.id, department=route.department)
            content = f"<@&{route.ping_role_id}> {plan.note}"
            mentions = discord.AllowedMentions(roles=[discord.Object(route.ping_role_id)])
        try:
            message = await channel.send(
                content=content,
                embed=await self._embed(ticket, config, guild_id),
                view=ticket_buttons(ticket),
                allowed_mentions=mentions,
            )
        except discord.Forbidden as exc:
            raise RouteProblem(f"I'm not allowed to post in {channel.mention} ({exc.text}).") from exc
        except discord.NotFound as exc:
            raise RouteProblem(f"The channel <#{route.channel_id}> was deleted.") from exc
        await self.repo.save_card(
            guild_id=guild_id, ticket_id=ticket.id, channel_id=channel.id, message_id=message.id, thread_id=None
        )
        log.info("Posted card for %s in channel %s", ticket.id, channel.id)
        return message

    async def _edit_card(
        self, message: discord.Message, ticket: Ticket, config: TicketConfig | None, guild_id: int
    ) -> None:
        try:
            # content=None: the line that pinged the role has done its job; it doesn't stay lit on the card.
            await message.edit(
                content=None, embed=await self._embed(ticket, config, guild_id), view=ticket_buttons(ticket)
            )
        except discord.Forbidden as exc:
            raise RouteProblem(f"I can't edit my card in <#{message.channel.id}> ({exc.text}).") from exc

    async def _mark_moved(self, message: discord.Message | None, plan: CardPlan, ticket: Ticket) -> None:
        """Grey the old card, take its buttons away, and say where the ticket went and who moved it."""
        if message is None or plan.channel_id is None:
            return
        mover = next((m for m in reversed(ticket.messages) if _is_event(m) and "transfer" in m.content.lower()), None)
        names = await self.names.for_embed(message.guild.id if message.guild else 0, [mover and mover.author_id])
        by = names.get(mover.author_id or 0, "") if mover else ""
        try:
            await message.edit(content=None, embed=moved_embed(ticket, channel_id=plan.channel_id, by=by), view=None)
        except discord.HTTPException:
            log.info("Could not mark the old card %s as moved", message.id)

    async def _embed(self, ticket: Ticket, config: TicketConfig | None, guild_id: int) -> discord.Embed:
        change = status_change(ticket)
        known = {ticket.claimed_by: ticket.claimed_by_name} if ticket.claimed_by and ticket.claimed_by_name else {}
        names = await self.names.for_embed(guild_id, [ticket.claimed_by, change and change.by], known=known)
        return card_embed(ticket, config, names=names)

    # -- the conversation thread -----------------------------------------------------------------------------

    async def _mirror(self, card: Card, card_message: discord.Message, ticket: Ticket, *, notify: bool) -> None:
        """Post the messages not yet in the thread. ``notify``: mention the claimer for player messages (not
        for the history of a card that was only just posted)."""
        first = ticket.first_message
        to_post = [m for m in ticket.messages if m is not first]  # the first one is the card's own text
        if not to_post:
            return
        done = await self.repo.mirrored(guild_id=card.guild_id, ticket_id=ticket.id)
        pending = [m for m in to_post if done.get(m.id) is not True]
        if not pending:
            return
        thread = await self._thread(card, card_message, ticket)
        mark = functools.partial(self.repo.mark_mirrored, guild_id=card.guild_id, ticket_id=ticket.id)
        for message in pending:
            content, embed, mentions = await self._render(card.guild_id, ticket, message, notify=notify)
            if message.id in done and await self._already_in_thread(thread, content, embed):
                await mark(message_key=message.id, posted=True)
                continue
            await mark(message_key=message.id, posted=False)
            try:
                await thread.send(content=content, embed=embed or discord.utils.MISSING, allowed_mentions=mentions)
            except discord.HTTPException as exc:
                # A locked or otherwise unusable thread: this ticket's conversation waits and is retried with the
                # ticket's own back-off; the problem is logged once and shown by /feed show.
                await self._thread_failed(card, ticket, f"I can't post in its thread ({exc.text}).")
            await mark(message_key=message.id, posted=True)
        if card.problem is not None:
            await self.repo.set_card_problem(guild_id=card.guild_id, ticket_id=ticket.id, problem=None)

    async def _thread_failed(self, card: Card, ticket: Ticket, problem: str) -> NoReturn:
        if card.problem != problem:
            log.warning("Ticket %s in channel %s: %s", ticket.id, card.channel_id, problem)
            await self.repo.set_card_problem(guild_id=card.guild_id, ticket_id=ticket.id, problem=problem)
        raise TicketProblem(problem)

    async def _existing_thread(self, card: Card) -> discord.Thread | None:
        if not card.thread_id:
            return None
        thread = self.client.get_channel(card.thread_id)  # archived threads are not cached
        if thread is None:
            try:
                thread = await self.client.fetch_channel(card.thread_id)
            except discord.HTTPException:
                return None
        return thread if isinstance(thread, discord.Thread) else None

    async def _thread(self, card: Card, card_message: discord.Message, ticket: Ticket) -> discord.Thread:
        """The card's thread, opened if it has none. A thread problem is the ticket's, never the route's."""
        thread = await self._existing_thread(card)
        if thread is not None:
            return thread  # posting in an archived thread unarchives it; _keep_thread_state archives it again
        name = thread_name(ticket)
        try:
            thread = await card_message.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as exc:
            if exc.code != 160004:  # 160004: a thread already exists for this message (made before a crash)
                # 160006 is the server's cap on active threads; Forbidden is a missing permission. Either way the
                # card stays, and only this ticket's conversation waits.
                await self._thread_failed(card, ticket, f"I couldn't open its thread ({exc.text}).")
            found = self.client.get_channel(card_message.id) or await self.client.fetch_channel(card_message.id)
            assert isinstance(found, discord.Thread)
            thread = found
        await self.repo.save_card(
            guild_id=card.guild_id,
            ticket_id=ticket.id,
            channel_id=card.channel_id,
            message_id=card.message_id,
            thread_id=thread.id,
        )
        return thread

    async def _retire_thread(self, old: Card, card_message: discord.Message) -> None:
        """A deleted card's thread outlives it: point it at the card that replaced it, whose own thread gets the
        whole conversation, and archive it. Best effort: the new card and thread are what count."""
        thread = await self._existing_thread(old)
        if thread is None:
            return
        try:
            await thread.send(
                f"This ticket's card was deleted and posted again: {card_message.jump_url}. "
                "The conversation continues in the new card's thread."
            )
            await thread.edit(archived=True)
        except discord.HTTPException as exc:
            log.info("Could not retire the old thread %s: %s", thread.id, exc.text)

    async def _keep_thread_state(
        self, card: Card, ticket: Ticket, *, reopened: bool, config: TicketConfig | None = None
    ) -> None:
        """Archive a resolved or closed ticket's thread, and unarchive it when the ticket is reopened. A closed
        ticket's thread gets the transcript first.

        Discord caps a server's active threads (docs/discord-limits.md#thread-caps); an archived thread doesn't
        count, and a message in it still unarchives it.
        """
        if ticket.is_active and not reopened:
            return
        thread = self.client.get_channel(card.thread_id) if card.thread_id else None  # only active ones are cached
        if ticket.is_active or ticket.status == "closed":
            thread = thread or await self._existing_thread(card)
        if not isinstance(thread, discord.Thread) or thread.locked:
            return
        posted = ticket.status == "closed" and await self._post_transcript(card, thread, ticket, config)
        if not posted and thread.archived is not ticket.is_active:
            return
        try:
            await thread.edit(archived=not ticket.is_active)
        except discord.HTTPException as exc:
            log.info("Could not %sarchive the thread of %s: %s", "un" if ticket.is_active else "", ticket.id, exc.text)

    async def _post_transcript(
        self, card: Card, thread: discord.Thread, ticket: Ticket, config: TicketConfig | None
    ) -> bool:
        """Post the closed ticket's transcript in its thread, once per close; True if it was posted now."""
        key = f"transcript:{ticket.updated_at}"
        done = await self.repo.mirrored(guild_id=card.guild_id, ticket_id=ticket.id)
        if done.get(key) is True:
            return False
        mark = functools.partial(self.repo.mark_mirrored, guild_id=card.guild_id, ticket_id=ticket.id, message_key=key)
        file = await transcript_file(ticket, names=self.names, config=config)
        if key in done and await self._file_in_thread(thread, file.filename):  # posted just before a crash
            await mark(posted=True)
            return False
        await mark(posted=False)
        try:
            await thread.send("📄 Closed. The whole conversation, to keep:", file=file)
        except discord.HTTPException as exc:
            log.info("Could not post the transcript of %s: %s", ticket.id, exc.text)
            return False
        await mark(posted=True)
        return True

    async def _file_in_thread(self, thread: discord.Thread, filename: str) -> bool:
        try:
            async for posted in thread.history(limit=20):
                if any(a.filename == filename for a in posted.attachments):
                    return True
        except discord.HTTPException:
            return False
        return False

    async def _already_in_thread(
        self, thread: discord.Thread, content: str | None, embed: discord.Embed | None
    ) -> bool:
        """Whether a message the bot may have posted before a crash is in the thread (the same text, the same time)."""
        try:
            async for posted in thread.history(limit=100):
                if self.client.user is None or posted.author.id != self.client.user.id:
                    continue
                if embed is not None and posted.embeds:
                    theirs = posted.embeds[0]
                    if theirs.description == embed.description and theirs.timestamp == embed.timestamp:
                        return True
                elif embed is None and content is not None and posted.content == content:
                    return True
        except discord.HTTPException:
            return False
        return False

    async def _render(
        self, guild_id: int, ticket: Ticket, message: Message, *, notify: bool
    ) -> tuple[str | None, discord.Embed | None, discord.AllowedMentions]:
        """A thread message: the player's words under their name (mentioning the claimer, when ``notify``), a staff
        reply under its author's name, and anything else Series records (claims, transfers) as one quiet line."""
        quiet = discord.AllowedMentions.none()
        if not (message.is_player or message.is_staff):
            return event_line(message), None, quiet
        if message.is_player:
            embed = message_embed(ticket, message, speaker=player_name(ticket))
            if notify and ticket.claimed_by:
                members = await self.links.members_for(guild_id=guild_id, roblox_user_id=ticket.claimed_by)
                if members:
                    mention = discord.AllowedMentions(users=[discord.Object(m) for m in members[:5]])
                    who = " ".join(f"<@{m}>" for m in members[:5])
                    return f"{who} {player_text(player_name(ticket), 60)} wrote:", embed, mention
            return None, embed, quiet
        sender = await self.replies.sender_of(
            ticket_id=ticket.id, roblox_user_id=message.author_id or 0, content=message.content
        )
        speaker = self._member_name(guild_id, sender) if sender is not None else None
        if speaker is None:
            known = {ticket.claimed_by: ticket.claimed_by_name} if ticket.claimed_by and ticket.claimed_by_name else {}
            speaker = await self.names.speaker(message.author_id, known=known)
        where = "Discord" if sender is not None else "the Series website"
        return None, message_embed(ticket, message, speaker=f"{speaker} · staff, on {where}"), quiet

    def _member_name(self, guild_id: int, member_id: int) -> str | None:
        guild = self.client.get_guild(guild_id)
        member = guild.get_member(member_id) if guild else None
        return " ".join(member.display_name.split())[:80] if member else None

    # -- route problems ----------------------------------------------------------------------------------------

    def _retry_due(self, route: Route) -> bool:
        last = self._problem_checked.get((route.guild_id, route.department), 0.0)
        return time.monotonic() - last >= PROBLEM_RETRY_SECONDS

    async def _route_failed(self, route: Route, problem: str) -> None:
        if route.problem != problem:
            log.warning("Feed route %s/%s: %s", route.guild_id, route.department or "default", problem)
            await self.repo.set_problem(guild_id=route.guild_id, department=route.department, problem=problem)
        self._problem_checked[(route.guild_id, route.department)] = time.monotonic()


def _is_event(message: Message) -> bool:
    return not (message.is_player or message.is_staff)


def _is_card_of(embed: discord.Embed, ticket_id: str) -> bool:
    """Whether an embed of ours is this ticket's card (its footer carries the id; older cards had it in the title)."""
    return (embed.footer.text or "") == ticket_id or (embed.title or "").startswith(f"{ticket_id} ")
