"""Runs a program (a list of :mod:`~tests.model.ops`) against a fresh world and checks the invariants after each step.

:func:`execute` is the whole public surface: one program, one new event loop, one new world, and either it returns
or it raises the first :class:`~tests.model.invariants.Violation` (with the program's trace appended).

Every program starts with :data:`PRELUDE` (s0 and s1 linked to support-department members, s2 unlinked, a default
route to #tickets without a ping) and ends with a :class:`~tests.model.ops.Converge`, so every program is judged on
its end state too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord.backend.errors import BackendError

from fakes.series import FakeApiError

from . import invariants as inv
from .ops import OFFER_LABELS, Converge, Link, Op, Poll, SetRoute, Skip
from .state import Box, Model, Offered, Submission, TicketInfo
from .world import World

__all__ = (
    "DEFECTS",
    "KNOWN_DEFECTS",
    "NEW_DEFECTS",
    "PRELUDE",
    "TALLY",
    "HarnessError",
    "Run",
    "Tally",
    "avoid_from_env",
    "execute",
)

PRELUDE: tuple[Op, ...] = (Link(member=0, who=0), Link(member=1, who=1), SetRoute(dept=None, channel="tickets"))
# The buttons that act on a ticket (Close only asks; "Close ticket", under its question, closes).
CARD_ACTIONS: dict[str, tuple[str, str | None]] = {
    "Claim": ("claim", None),
    "Unclaim": ("unclaim", None),
    "Resolve": ("status", "resolved"),
    "Close ticket": ("status", "closed"),
    "Reopen": ("status", "open"),
}
CONVERGE_POLLS = 47  # 705 s: longer than the longest back-off (300 s) and the route retry (600 s)

# Every defect found, by the name TICKET_BRIDGE_MODEL_AVOID uses to keep programs from triggering it, so a run can
# look past it for others: "all-known" avoids the ones the issue lists, "all" every one. NEW marks those the model
# found beyond the issue.
KNOWN_DEFECTS = {
    "two_boxes": "two Reply boxes on one ticket, or a box opened before a restart: the second submit is lost",
    "odd_id": "a listed ticket whose TicketId doesn't match TICKET-<digits>-<alnum> aborts every poll",
    "card_400": "Discord refusing one card (400) aborts the whole poll",
    "thread_cap": "a thread that can't be created (160006) marks the whole route broken for 10 minutes",
    "retry_link": "Claim/Check/Edit and send act as the Roblox id stored with the failed reply",
    "lost_refusal": "a reply refused before it is saved (unlinked member, mistyped id) loses its text",
    "claim_held": "Claim and send when you already hold the claim fails with 'Ticket already claimed'",
    "ping_existing": "/feed set with ping_role pings existing tickets; moving a route pings every active ticket",
    "retry_after": "Retry-After as an HTTP-date or nan is mishandled",
}
NEW_DEFECTS = {
    "inactive_changes": "NEW: changes on Series to a resolved or closed ticket never reach its card or thread",
    "refusal_not_retried": "NEW: a card or thread post Discord refused once is never retried by itself",
    "refused_edit": "NEW: a card edit (or read) Discord refused once (403) is never retried; the card stays stale",
    "poll_abort_other": "NEW: a 404 editing a card or a 5xx fetching one also aborts the whole poll",
    "put_back_thread": "NEW: a deleted card is put back without its thread; earlier messages stay in the old one",
    "recovery_mention": "NEW: a reply recovered after a restart that fails, for a member with DMs closed, is lost",
    "recovery_unchecked": "NEW: a reply saved just before a crash is sent after the restart without any checks",
    "lost_answer_unchanged": "NEW: a claim/status/transfer whose answer was lost is reported as 'Nothing was changed'",
    "backfill_refused": "NEW: a card refused (400) while Post all backfilled a ticket the feed had handled without a "
    "card is never tried again",
    "restart_timer": "HARNESS: a Series config fault at a restart hung SimCord's settle (the client's retry pause "
    "was a real timer); the bot itself was fine",
    "first_sight_ping": "MODEL: a ticket first listed after its route moved and gained a role may ping it once (the "
    "model only allowed the role at creation; the bot is right: to that route the ticket is new)",
    "deleted_card_lost": "NEW: a card deleted while Series can't give its ticket is never put back (until it changes)",
}
DEFECTS = KNOWN_DEFECTS | NEW_DEFECTS


def avoid_from_env(default: Iterable[str] = ()) -> frozenset[str]:
    """The defects programs steer clear of: ``TICKET_BRIDGE_MODEL_AVOID`` (names, "all-known", "all", or "none"),
    else ``default``."""
    raw = os.environ.get("TICKET_BRIDGE_MODEL_AVOID")
    if raw is None:
        return frozenset(default)
    names = {n.strip() for n in raw.split(",") if n.strip()} - {"none"}
    if "all-known" in names:
        names = (names - {"all-known"}) | set(KNOWN_DEFECTS)
    if "all" in names:
        names = (names - {"all"}) | set(DEFECTS)
    unknown = names - set(DEFECTS)
    if unknown:
        raise ValueError(f"TICKET_BRIDGE_MODEL_AVOID: unknown names {sorted(unknown)}; known: {sorted(DEFECTS)}")
    return frozenset(names)


@dataclass
class Interaction:
    what: str
    member: int | None
    result: simcord.InteractionResult
    crashed: bool = False


@dataclass
class Expect:
    """An action that must succeed (invariant 9): ``holds`` is checked after the step."""

    what: str
    holds: Callable[[Run], bool]

    def met(self, run: Run) -> str | None:
        if any(r.faulted for r in run.world.fake.requests[run.step.fake_start :]) or run.world.crashed:
            return None  # a fault hit this step after all
        return None if self.holds(run) else self.what


@dataclass
class Step:
    index: int
    op: Op
    fake_start: int
    actor: int | None = None  # the staff member acting in this step
    interactions: list[Interaction] = field(default_factory=list)
    replies: list[tuple[Submission, simcord.InteractionResult, str | None]] = field(default_factory=list)
    submitted: list[Submission] = field(default_factory=list)
    expect: list[Expect] = field(default_factory=list)
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)
    departments: dict[str, str] = field(default_factory=dict)  # each ticket's department when the step began


@dataclass
class Cursors:
    """How far each log has been checked."""

    errors: int = 0
    failures: int = 0
    http: int = 0
    fake: int = 0
    pauses: int = 0


class Run:
    """One program running in one world: the context every op and invariant works with."""

    def __init__(self, world: World, avoid: frozenset[str] = frozenset()) -> None:
        self.world = world
        self.model = Model()
        self.avoided = avoid
        self.cursors = Cursors()
        self.step = Step(-1, Converge(), 0)
        self.pings: Counter[tuple[str, str]] = Counter()
        self.trace: list[str] = []
        self.skipped: list[tuple[int, Op, str]] = []  # (index, op, why) of every step that did nothing
        self.ran = 0  # steps after the prelude that did run (the final Converge not counted)
        self._serial = 0

    # -- running ------------------------------------------------------------------------------------------------

    async def execute(self, ops: Sequence[Op], *, strict: int = 0) -> None:
        """Run ``ops`` one by one, checking every invariant after each; the first ``strict`` (the prelude) must
        not skip: a program built on a prelude that didn't happen tests nothing (:class:`HarnessError`)."""
        for index, op in enumerate(ops):
            departments = {tid: t["Department"] for tid, t in self.world.fake.tickets.items()}
            self.step = Step(index, op, len(self.world.fake.requests), departments=departments)
            self.model.step = index
            try:
                try:
                    await op.apply(self)
                except Skip as skip:
                    self.skip(str(skip))
                except simcord.SetupError as exc:  # a real user could not have done this (hidden button, ...)
                    self.skip(f"SimCord: {exc}")
                except TimeoutError as exc:
                    raise inv.UnexpectedError(f"the bot hung: SimCord could not settle ({exc})") from None
                self.trace.append(self._line(index, op))
                if self.step.skipped is not None:
                    self.skipped.append((index, op, self.step.skipped))
                    if index < strict:
                        raise HarnessError(
                            f"prelude step {index} {op!r} was skipped ({self.step.skipped}): the harness no longer "
                            "matches the bot\n" + "\n".join(self.trace)
                        )
                elif index >= strict and not isinstance(op, Converge):
                    self.ran += 1
                self.check_step()
            except inv.Violation as violation:
                self.trace.append(f"{self._line(index, op)}  <-- {type(violation).__name__}")
                violation.args = (f"{violation.args[0]}\n\nsteps (0-2 are the prelude):\n" + "\n".join(self.trace),)
                raise

    def check_step(self) -> None:
        self.seen_done_before = set(self.model.seen_done)
        inv.note_seen_done(self)
        self.note_transfers()
        self.attribute_discord_failures()
        inv.check_errors(self)
        inv.check_answers(self)
        inv.check_replies(self)
        inv.check_no_duplicates(self, inv.card_views(self))
        inv.check_pings(self)
        inv.check_staff_ids(self)
        inv.check_retry_after(self)
        inv.check_liveness(self)
        if isinstance(self.step.op, Poll) and self.model.healthy():
            inv.check_feed_caught_up(self)
        self.cursors.failures = len(self.world.discord_errors.failures)

    def _line(self, index: int, op: Op) -> str:
        notes = ([f"skipped: {self.step.skipped}"] if self.step.skipped else []) + self.step.notes
        return f"{index:3d}  {op!r}" + "".join(f"  [{n}]" for n in notes)

    def skip(self, reason: str) -> None:
        self.step.skipped = reason

    def note(self, text: str) -> None:
        self.step.notes.append(text)

    def avoid(self, name: str, triggers: bool) -> bool:
        """True when this step would trigger the known defect ``name`` and the run avoids it."""
        assert name in DEFECTS, name
        return triggers and name in self.avoided

    def next_serial(self) -> int:
        self._serial += 1
        return self._serial

    # -- Discord interactions ----------------------------------------------------------------------------------

    async def slash(self, member: int | None, name: str, /, **options: Any) -> simcord.InteractionResult | None:
        """Run a slash command in #tickets as staff member ``member`` (None: the admin)."""
        actor = self.world.admin if member is None else self.world.staff[member]
        command = actor.slash(self.world.channels["tickets"], name, **options)
        return await self._interact(member, f"/{name} by {actor.name}", command)

    async def click(
        self,
        member: int,
        message: Any,
        label: str,
        *,
        retry_of: Submission | None = None,
        ticket_id: str | None = None,
    ) -> simcord.InteractionResult | None:
        """Click a button as staff member ``member``: on a card, under a failed reply (``retry_of``), or under the
        question **Close** asks (``ticket_id``: the ticket it is about)."""
        actor = self.world.staff[member]
        if retry_of is not None:
            self.expect_retry(member, retry_of, label)
        elif label in CARD_ACTIONS:
            self.expect_card_action(member, ticket_id or inv.card_ticket(message), label)
        return await self._interact(member, f"{label!r} clicked by {actor.name}", actor.click(message, label=label))

    async def click_as_admin(self, message: Any, label: str) -> simcord.InteractionResult | None:
        admin = self.world.admin
        return await self._interact(None, f"{label!r} clicked by {admin.name}", admin.click(message, label=label))

    async def submit(self, box: Box, text: str) -> simcord.InteractionResult | None:
        actor = self.world.staff[box.member]
        return await self._interact(
            box.member, f"a Reply box submitted by {actor.name}", actor.submit_modal(box.shown, {"reply_text": text})
        )

    async def _interact(self, member: int | None, what: str, action: Any) -> simcord.InteractionResult | None:
        if member is not None:
            self.step.actor = member
        try:
            result = await action
        except simcord.SetupError as exc:
            self.skip(f"SimCord: {exc}")
            return None
        except BackendError as exc:  # SimCord won't submit a box whose card was deleted meanwhile
            self.skip(f"SimCord: {exc}")
            return None
        crashed = bool(self.world.crashed)
        for _ in range(3):  # an answer waiting on a virtual sleep (a retried GET waits 0.5 s) gets that time
            if not result.deferred or crashed:
                break
            await self.world.env.advance_time(1)
        self.step.interactions.append(Interaction(what, member, result, crashed=crashed))
        if member is not None:
            self.model.all_results.append((member, result))
        return result

    @staticmethod
    def answer_text(result: simcord.InteractionResult | None) -> str:
        return inv.answer_text(result)

    def card(self, ticket_id: str) -> discord.Message | None:
        live = inv.live_cards(self, inv.card_views(self).get(ticket_id, []))
        return live[-1].message if live else None

    @staticmethod
    def labels(message: Any) -> list[str]:
        return inv.labels(message)

    # -- the model's bookkeeping ---------------------------------------------------------------------------------

    def ticket_info(self, ticket_id: str, department: str) -> TicketInfo:
        route = self.model.route_for(department)
        return TicketInfo(ticket_id, self.model.step, creation_role=route.role if route else None)

    def note_transfers(self) -> None:
        """Tickets whose department changed in this step (however: website, button, or a request whose answer was
        lost) may ping the role of the route they moved into, once."""
        tickets = self.world.fake.tickets
        for info in self.model.tickets:
            before = self.step.departments.get(info.id)
            after = tickets[info.id]["Department"] if info.id in tickets else None
            if before is not None and after is not None and before != after:
                route = self.model.route_for(after)
                if route is not None and route.role:
                    info.transfer_roles.append(route.role)
                info.unseen_transfer = after
            elif info.unseen_transfer is not None:
                route = self.model.route_for(info.unseen_transfer)
                if route is not None and route.role and route.role not in info.transfer_roles:
                    info.transfer_roles.append(route.role)
            if info.unseen_transfer is not None and self._bot_looked_at(info.id):
                info.unseen_transfer = None

    def _bot_looked_at(self, ticket_id: str) -> bool:
        return any(
            r.path in ("/tickets/list", f"/tickets/get/{ticket_id}")
            for r in self.world.fake.requests[self.step.fake_start :]
        )

    def routes_changed(self) -> None:
        self.model.route_snapshot = {tid: t["UpdatedAt"] for tid, t in self.world.fake.tickets.items()}

    def series_side(self, change: Callable[[], object]) -> None:
        """Something done on the Series website; refusals (already claimed, ...) just mean it didn't happen."""
        with contextlib.suppress(FakeApiError):
            change()

    def submitted(
        self, member: int, ticket_id: str, text: str, *, via: str, expect: bool = True, claim_first: bool = False
    ) -> Submission:
        submission = Submission(
            n=len(self.model.submissions) + 1,
            member=member,
            ticket=ticket_id,
            text=text,
            step=self.step.index,
            via=via,
            link=self.model.links.get(member),
        )
        self.model.submissions.append(submission)
        self.step.submitted.append(submission)
        if expect:
            holding = "claiming it first" if claim_first else "holding the claim"
            self.expect_sent(
                member, ticket_id, text, what=f"{via} {text!r} by s{member} ({holding})", claim_first=claim_first
            )
        return submission

    def answered(
        self, submission: Submission, result: simcord.InteractionResult | None, *, retry: str | None = None
    ) -> None:
        if result is None:
            if retry is None:  # SimCord refused to send it at all (no real user could have): nothing was submitted
                self.model.submissions.remove(submission)
                self.step.submitted.remove(submission)
                self.step.expect.clear()
            return
        submission.results.append(result)
        self.step.replies.append((submission, result, retry))
        for message in inv.answer_messages(result):
            offered = tuple(label for label in inv.labels(message) if label in OFFER_LABELS)
            if offered:
                self.model.offered.append(Offered(submission, message, offered))

    def active(self, ticket_id: str) -> bool:
        ticket = self.world.fake.tickets.get(ticket_id)
        return ticket is not None and ticket["Status"] in ("open", "in-progress")

    def holds_claim(self, member: int, ticket_id: str) -> bool:
        ticket = self.world.fake.tickets.get(ticket_id)
        link = self.model.links.get(member)
        return ticket is not None and link is not None and ticket.get("ClaimedBy") == link

    def all_pauses(self) -> list[float]:
        return [p for limiter in self.world.limiters for p in limiter.pauses]

    def answered_429(self) -> int:
        return sum(1 for r in self.world.fake.requests if r.status == 429)

    # -- invariant 9: what must work on a healthy Series ------------------------------------------------------

    def may_act(self, member: int, ticket_id: str) -> int | None:
        """The member's link if Series is quiet and the bot should let them act on this ticket, else None."""
        fake = self.world.fake
        link = self.model.links.get(member)
        ticket = fake.tickets.get(ticket_id)
        if link is None or ticket is None or fake.pending_faults:
            return None
        department = fake.departments.get(ticket["Department"]) or {}
        members = department.get("Members") or []
        return link if not members or link in members else None

    def expect_sent(self, member: int, ticket_id: str, text: str, *, what: str, claim_first: bool = False) -> None:
        link = self.may_act(member, ticket_id)
        if link is None:
            return
        ticket = self.world.fake.tickets[ticket_id]
        holder = ticket.get("ClaimedBy")
        if ticket.get("GameReport") or holder not in ((None, link) if claim_first else (link,)):
            return
        self.step.expect.append(Expect(f"{what} did not reach Series", lambda run: inv.series_count(run, text) == 1))

    def expect_retry(self, member: int, submission: Submission, label: str) -> None:
        if label == "Edit and send" or self.model.links.get(member) != submission.link:
            return  # after a relink, sending as the new id and refusing are both right
        what = f"{label!r} by s{member} on {submission.text!r} (ticket {submission.ticket})"
        self.expect_sent(member, submission.ticket, submission.text, what=what, claim_first=label == "Claim and send")

    def expect_card_action(self, member: int, ticket_id: str, label: str) -> None:
        action, arg = CARD_ACTIONS[label]
        self.expect_ticket_action(member, ticket_id, action, arg, what=f"{label!r} on {ticket_id}'s card by s{member}")

    def expect_ticket_action(
        self, member: int, ticket_id: str, action: str, arg: str | None, *, what: str | None = None
    ) -> None:
        """claim / unclaim / status / transfer by a member the bot should let act, on a quiet Series."""
        link = self.may_act(member, ticket_id)
        if link is None:
            return
        claimed = self.world.fake.tickets[ticket_id].get("ClaimedBy")
        what = what or f"/ticket {action} {arg or ''} on {ticket_id} by s{member}"

        def now(run: Run) -> dict[str, Any]:
            return run.world.fake.tickets[ticket_id]

        if action == "claim" and claimed is None:
            self.step.expect.append(Expect(f"{what} did not claim it", lambda run: now(run)["ClaimedBy"] == link))
        elif action == "unclaim" and claimed is not None:
            self.step.expect.append(Expect(f"{what} did not release it", lambda run: now(run)["ClaimedBy"] is None))
        elif action == "status":
            self.step.expect.append(Expect(f"{what} did not set {arg}", lambda run: now(run)["Status"] == arg))
        elif action == "transfer":
            self.step.expect.append(Expect(f"{what} did not move it", lambda run: now(run)["Department"] == arg))

    def ticket_state(self, ticket_id: str) -> tuple[Any, ...]:
        ticket = self.world.fake.tickets.get(ticket_id) or {}
        return (ticket.get("ClaimedBy"), ticket.get("Status"), ticket.get("Department"))

    def answered_truthfully(
        self, ticket_id: str, before: tuple[Any, ...], result: simcord.InteractionResult | None
    ) -> None:
        """A staff action answered "Nothing was changed" must really have changed nothing on Series."""
        text = inv.answer_text(result)
        if ("Nothing was changed" in text or "Nothing changed" in text) and self.ticket_state(ticket_id) != before:
            raise inv.Misleading(
                f"the answer says {text[:120]!r}, but on Series {ticket_id} went from (claimed by, status, "
                f"department) {before} to {self.ticket_state(ticket_id)}"
            )

    def no_ticket_shown(self, result: simcord.InteractionResult, what: str) -> None:
        for message in inv.answer_messages(result):
            if any((e.title or "").startswith("TICKET") for e in message.embeds):
                raise inv.Leak(f"{what} was shown the ticket")

    def admin_only_breached(self, what: str, result: simcord.InteractionResult) -> None:
        raise inv.Leak(f"{what} was not refused for lacking Manage Server: {inv.answer_text(result)!r:.200}")

    async def autocomplete(self, member: int, command: str, option: str, value: str) -> None:
        """Autocomplete, keeping whether it was answered (SimCord's public ``autocomplete`` returns ``[]`` either
        way; its answered-or-not result is a private helper)."""
        from simcord.actors import _autocomplete_result

        actor = self.world.staff[member]
        self.step.actor = member
        result = await _autocomplete_result(actor, self.world.channels["tickets"], command, option, value, {})
        if not result.acknowledged or result.autocomplete_choices is None:
            raise inv.Unanswered(f"autocomplete of /{command} {option} for {actor.name} was never answered")
        if self.model.links.get(member) is None and result.autocomplete_choices:
            raise inv.Leak(f"unlinked {actor.name} was suggested {len(result.autocomplete_choices)} tickets")

    def card_put_back(self, ticket_id: str) -> None:
        """After a card was deleted: on a healthy feed, a routed active ticket has its card again at once."""
        self.attribute_discord_failures()  # a fault that refused the card just now excuses it
        ticket = self.world.fake.tickets[ticket_id]
        route = self.model.route_for(ticket["Department"])
        if (
            route is None
            or not self.active(ticket_id)
            or not self.model.healthy()
            or ticket_id in self.model.failing
            or route.channel in self.model.blocked_channels
            or self.world.fake.pending_faults
        ):
            return
        if self.card(ticket_id) is None:
            raise inv.CardWrong(f"{ticket_id}'s card was deleted and not put back")

    # -- restarts and convergence --------------------------------------------------------------------------------

    async def restart(self) -> None:
        await self.world.restart()

    async def converge(self) -> None:
        world, model = self.world, self.model
        world.clear_faults()
        model.pending_429 = None
        model.degraded.clear()
        model.blocked_channels.clear()
        model.failing.clear()
        problems: list[tuple[type, str]] = []
        for _ in range(CONVERGE_POLLS):
            await world.poll()
            problems = inv.card_problems(self, inv.card_views(self), excluded=set())
            if not problems:
                break
        else:
            kind, message = problems[0]
            kind = inv.CardWrong if kind is inv.FeedStalled else kind
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            raise kind(f"{CONVERGE_POLLS * 15} s after every fault ended the feed has not caught up: {message}{more}")
        if model.routes:
            model.reopened.clear()
        inv.check_no_reply_lost(self)

    # -- Discord faults: which ticket or route did they hit? -------------------------------------------------------

    def attribute_discord_failures(self) -> None:
        """A Discord fault excuses the ticket it hit (or, for a refused channel, the whole route) until a Converge."""
        views = None
        for failure in self.world.discord_errors.failures[self.cursors.failures :]:
            parts = failure.path.split("/")
            if not failure.injected or len(parts) < 4 or parts[1] != "channels":
                continue
            channel = self.world.channel_key(int(parts[2]))
            if channel is not None and (failure.status == 403 or (failure.status == 404 and len(parts) == 4)):
                self.model.blocked_channels.add(channel)
                continue
            if failure.status == 404 and channel is not None and len(parts) == 5:
                self.model.ghosts.add(int(parts[4]))  # "Unknown Message" for a card that is still there
            request = self.world.env.http_requests[failure.index]
            embeds = (request.json or {}).get("embeds") if isinstance(request.json, dict) else None
            ticket_id = ((embeds[0].get("footer") or {}).get("text") or "") if embeds else None
            if not ticket_id:  # an edit, a fetch, a thread or a thread post: find the card by message id
                message_id = int(parts[4]) if channel is not None and len(parts) > 4 else int(parts[2])
                views = views or inv.card_views(self)
                ticket_id = next((v.ticket for vs in views.values() for v in vs if v.message.id == message_id), None)
            if ticket_id:
                self.model.failing.add(ticket_id)


class HarnessError(Exception):
    """The harness doesn't match the bot (a prelude step skipped, a regression that no longer does what it says).
    Not a :class:`~tests.model.invariants.Violation`: an xfail waiting for a violation doesn't swallow it."""


@dataclass
class Tally:
    """Across every program a test session ran: how many steps (after the prelude) ran, and how many skipped."""

    programs: int = 0
    ran: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # by op kind

    def add(self, run: Run) -> None:
        self.programs += 1
        self.ran += run.ran
        self.skipped.update(type(op).__name__ for index, op, _ in run.skipped if index >= len(PRELUDE))

    @property
    def share_ran(self) -> float:
        total = self.ran + sum(self.skipped.values())
        return self.ran / total if total else 1.0


TALLY = Tally()  # what tests/test_model.py's random programs did in this session


async def run_program(program: Sequence[Op], *, avoid: frozenset[str] = frozenset(), tally: Tally | None = None) -> Run:
    with tempfile.TemporaryDirectory(prefix="ticket-bridge-model-") as tmp:
        async with World.open(Path(tmp)) as world:
            run = Run(world, avoid)
            try:
                await run.execute([*PRELUDE, *program, Converge()], strict=len(PRELUDE))
            finally:
                if tally is not None:
                    tally.add(run)
            return run


def execute(program: Sequence[Op], *, avoid: frozenset[str] = frozenset(), tally: Tally | None = None) -> Run:
    """Run one program in a fresh world (its own event loop); raise the first invariant it breaks. Returns the
    finished run (its trace, and which steps were skipped); ``tally`` counts its steps."""
    return asyncio.run(run_program(program, avoid=avoid, tally=tally))
