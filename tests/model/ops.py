"""The operations a program is made of, and the Hypothesis strategy that generates programs.

Each operation is a small frozen dataclass (its ``repr`` is what a failing program prints) with one ``apply``
coroutine that performs it against the running world through :class:`~tests.model.driver.Run`. Operations name
tickets, members, boxes and failed replies by *index* (taken modulo what exists when the step runs), so every list of
operations is a valid program and Hypothesis can shrink freely; an operation with nothing to act on does nothing.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from hypothesis import strategies as st

from bot.render import short_ref

from . import invariants as inv
from .state import Box, Route
from .world import CRASH_POINTS, DEPARTMENTS, ROBLOX, STAFF

if TYPE_CHECKING:
    from .driver import Run

__all__ = ("OPS", "Op", "Skip", "programs")

DEPT_KEYS = tuple(DEPARTMENTS)  # "support", "mod"
STATUSES = ("open", "in-progress", "resolved", "closed")
CARD_BUTTONS = ("Claim", "Unclaim", "Resolve", "Close", "Reopen")
OFFER_LABELS = ("Claim and send", "Edit and send", "Check and send")
BAD_IDS = ("TKT-{ms}-ODD", "TICKET-{ms}-AB_CD", "TICKET-{ms}", "ticket {ms}", "")
PATTERNS = {  # where a Series fault applies: (method, path regex)
    "list": ("GET", r"^/tickets/list$"),
    "get": ("GET", r"^/tickets/get/"),
    "config": ("GET", r"^/tickets/config$"),
    "post": ("POST", r"^/tickets/[^/]+/(reply|claim|unclaim|status|transfer)$"),
    "any": ("*", r"^/tickets/"),
}


class Skip(Exception):  # noqa: N818 - it is not an error: the step had nothing to act on
    """Raised by an op that has nothing to act on (no ticket, no such button, a step the run avoids)."""


class Op:
    """One step of a program."""

    kind: ClassVar[str] = "op"
    interactive: ClassVar[bool] = False  # a Discord interaction by a staff member (or the admin)

    async def apply(self, run: Run) -> None:
        raise NotImplementedError


# -- the Series side: players and website staff ---------------------------------------------------------------


@dataclass(frozen=True)
class NewTicket(Op):
    """A player opens a ticket (a game report when ``report``)."""

    dept: str = "support"
    report: bool = False

    async def apply(self, run: Run) -> None:
        n = len(run.model.tickets) + 1
        ticket = run.world.fake.create_ticket(
            subject=f"Ticket {n}",
            message=f"first message of ticket {n}",
            category="reports" if self.report else "support",
            department=DEPARTMENTS[self.dept],
            game_report=self.report,
            author_id=1000 + n,
            username=f"player{n}",
        )
        run.model.tickets.append(run.ticket_info(ticket["TicketId"], ticket["Department"]))


@dataclass(frozen=True)
class PlayerWrites(Op):
    t: int = 0

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None or not run.active(info.id):
            raise Skip("players can only write to open tickets")  # reply-member refuses closed/resolved
        run.world.fake.author_message(info.id, f"player message {run.next_serial()}")
        return


@dataclass(frozen=True)
class WebClaim(Op):
    """A staff member claims the ticket on the Series website (``who`` indexes ``ROBLOX``)."""

    t: int = 0
    who: int = 0

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None:
            raise Skip("no ticket")
        if not run.active(info.id):
            run.model.reopened.add(info.id)  # claiming a closed ticket puts it in progress
        run.series_side(lambda: run.world.fake.claim(info.id, ROBLOX[self.who]))


@dataclass(frozen=True)
class WebUnclaim(Op):
    t: int = 0

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None or run.avoid("inactive_changes", not run.active(info.id)):
            raise Skip("no ticket" if info is None else "avoided")
        run.series_side(lambda: run.world.fake.unclaim(info.id))
        return


@dataclass(frozen=True)
class WebReply(Op):
    t: int = 0
    who: int = 0

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None or run.avoid("inactive_changes", not run.active(info.id)):
            raise Skip("no ticket" if info is None else "avoided")
        run.world.fake.staff_message(info.id, ROBLOX[self.who], f"website reply {run.next_serial()}")
        return


@dataclass(frozen=True)
class WebStatus(Op):
    t: int = 0
    status: str = "resolved"

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None:
            raise Skip("no ticket")
        closing = self.status in ("resolved", "closed")
        # Invisible to the poller: a change between two inactive statuses, or closing again a ticket the website
        # reopened since the last poll (it never was in the active lists when the bot looked).
        unseen = closing and (not run.active(info.id) or info.id in run.model.reopened)
        if run.avoid("inactive_changes", unseen):
            raise Skip("avoided")
        if not closing and not run.active(info.id):
            run.model.reopened.add(info.id)
        run.world.fake.set_status(info.id, self.status)
        return


@dataclass(frozen=True)
class WebTransfer(Op):
    t: int = 0
    dept: str = "mod"

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None or run.avoid("inactive_changes", not run.active(info.id)):
            raise Skip("no ticket" if info is None else "avoided")
        run.world.fake.transfer(info.id, DEPARTMENTS[self.dept])
        return


@dataclass(frozen=True)
class SeriesFault(Op):
    """Series misbehaves for the next ``times`` matching requests.

    ``drop`` closes the connection unanswered (what the bot sees of a timeout: SimCord's virtual clock never fires
    a real one); ``lost_answer`` applies the request, then drops the answer; ``429*`` answer Retry-After 2, nan, or
    an HTTP-date 20 s ahead.
    """

    kind: str = "503"
    on: str = "any"
    times: int = 1

    async def apply(self, run: Run) -> None:
        if self.kind.startswith("429"):
            if run.model.pending_429 is not None or run.avoid("retry_after", self.kind != "429"):
                raise Skip("a 429 is already armed" if run.model.pending_429 else "avoided")
            run.model.pending_429 = (self.kind, len(run.all_pauses()), run.answered_429())
        if run.avoid("lost_answer_unchanged", self.kind == "lost_answer" and self.on in ("post", "any")):
            raise Skip("avoided")
        method, pattern = PATTERNS[self.on]
        options: dict = {
            "500": {"status": 500},
            "503": {"status": 503},
            "drop": {"drop": True},
            "lost_answer": {"drop": True, "process": True},
            "bad_json": {"body": '{"success": tr'},
            "429": {"status": 429, "headers": {"Retry-After": "2"}},
            "429_nan": {"status": 429, "headers": {"Retry-After": "nan"}},
            "429_date": {
                "status": 429,
                "headers": {"Retry-After": email.utils.formatdate(time.time() + 20, usegmt=True)},
            },
        }[self.kind]
        run.world.fake.fail_next(method, pattern, times=1 if self.kind.startswith("429") else self.times, **options)
        run.model.degraded.add("series fault")


@dataclass(frozen=True)
class OddTicket(Op):
    """A ticket the bot must cope with: an id outside ``TICKET-<digits>-<alnum>``, or odd fields."""

    kind: str = "bad_id"

    async def apply(self, run: Run) -> None:
        if run.avoid("odd_id", self.kind == "bad_id"):
            raise Skip("avoided")
        fake = run.world.fake
        n = len(run.model.tickets) + 1
        ticket = fake.create_ticket(subject=f"Ticket {n}", message=f"first message of ticket {n}", author_id=1000 + n)
        old_id = ticket["TicketId"]
        if self.kind == "bad_id":
            new_id = BAD_IDS[n % len(BAD_IDS)].format(ms=old_id.split("-")[1])
            fake.tickets[new_id] = fake.tickets.pop(old_id)
            ticket["TicketId"] = new_id
        else:
            ticket.update(
                Priority="mystery",
                Category="ghost-category",
                Subject="",
                Department="ghost-dept" if n % 2 else ticket["Department"],
                Author={"UserId": str(1000 + n), "Username": None, "AvatarUrl": "javascript:alert(1)"},
            )
            ticket["Content"]["msj_0_weird"] = {"Content": None, "Type": "note", "Author": "x"}
        info = run.ticket_info(ticket["TicketId"], ticket["Department"])
        info.odd = self.kind
        run.model.tickets.append(info)


# -- Discord: the admin ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetRoute(Op):
    """``/feed set channel [department] [ping_role]`` (``dept`` None: the default route).

    A new route over tickets that are already open asks whether to post them too: ``backfill`` says whether the
    admin presses **Post them all** (else only tickets new to the route get cards)."""

    interactive: ClassVar[bool] = True
    dept: str | None = None
    channel: str = "tickets"
    role: str | None = None
    backfill: bool = True

    async def apply(self, run: Run) -> None:
        department = DEPARTMENTS[self.dept] if self.dept else ""
        old = run.model.routes.get(department)
        if self.role and run.avoid("ping_existing", bool(run.model.tickets) or (old is not None and old.role)):
            raise Skip("avoided")
        options: dict = {"channel": run.world.channels[self.channel]}
        if department:
            options["department"] = department
        if self.role:
            options["ping_role"] = run.world.roles[self.role]
        result = await run.slash(None, "feed set", **options)
        content = result.response.content if result is not None and result.response else ""
        if "now appear in" not in content:
            return
        exempt = old.exempt if old is not None else frozenset()
        offer = [label for label in run.labels(result.response) if label.startswith("Post")] if result else []
        if offer and self.backfill:
            await run.click_as_admin(result.response, offer[0])
        elif offer:
            exempt = frozenset(t.id for t in run.model.tickets)  # open before the route: they get no card
        since = old.since if old is not None else run.model.step
        run.model.routes[department] = Route(self.channel, self.role, exempt, since)
        run.routes_changed()


@dataclass(frozen=True)
class RemoveRoute(Op):
    interactive: ClassVar[bool] = True
    dept: str | None = None

    async def apply(self, run: Run) -> None:
        department = DEPARTMENTS[self.dept] if self.dept else ""
        options = {"department": department} if department else {}
        result = await run.slash(None, "feed remove", **options)
        if result is not None and result.response and "no longer appear in" in result.response.content:
            run.model.routes.pop(department, None)
            run.routes_changed()


@dataclass(frozen=True)
class Link(Op):
    """``/staff link member roblox`` with the Roblox id (``who`` indexes ``ROBLOX``; the option also takes a
    username or a profile link, which Roblox would have to resolve)."""

    interactive: ClassVar[bool] = True
    member: int = 0
    who: int = 0

    async def apply(self, run: Run) -> None:
        member = run.world.staff[self.member]
        result = await run.slash(None, "staff link", member=member, roblox=str(ROBLOX[self.who]))
        content = result.response.content if result is not None and result.response else ""
        if "Linked" in content or "Relinked" in content or "already linked" in content:
            run.model.link(self.member, ROBLOX[self.who])


@dataclass(frozen=True)
class Unlink(Op):
    interactive: ClassVar[bool] = True
    member: int = 0

    async def apply(self, run: Run) -> None:
        result = await run.slash(None, "staff unlink", member=run.world.staff[self.member])
        content = result.response.content if result is not None and result.response else ""
        if "Unlinked" in content or "is not linked" in content:
            run.model.link(self.member, None)


# -- Discord: staff ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slash(Op):
    """``/ticket claim|unclaim|status|transfer``."""

    interactive: ClassVar[bool] = True
    member: int = 0
    t: int = 0
    action: str = "claim"
    arg: str = ""

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None:
            raise Skip("no ticket")
        options: dict = {"ticket_id": info.id}
        if self.action == "status":
            options["status"] = self.arg or "resolved"
        elif self.action == "transfer":
            options["department"] = DEPARTMENTS[self.arg or "mod"]
        run.expect_ticket_action(self.member, info.id, self.action, options.get("status") or options.get("department"))
        before = run.ticket_state(info.id)
        result = await run.slash(self.member, f"ticket {self.action}", **options)
        run.answered_truthfully(info.id, before, result)


@dataclass(frozen=True)
class SlashReply(Op):
    """``/reply ticket_id message``; ``typo``: "malformed" (not an id at all) or "missing" (no such ticket)."""

    interactive: ClassVar[bool] = True
    member: int = 0
    t: int = 0
    typo: str | None = None

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None and self.typo is None:
            raise Skip("no ticket")
        if run.avoid("lost_refusal", self.typo == "malformed" or run.model.links.get(self.member) is None):
            raise Skip("avoided")
        ticket_id = {None: info.id if info else "", "malformed": "TICKET-12345", "missing": "TICKET-1-NOPE"}[self.typo]
        text = run.model.new_text(self.member)
        submission = run.submitted(self.member, ticket_id, text, via="slash")
        result = await run.slash(self.member, "reply", ticket_id=ticket_id, message=text)
        run.answered(submission, result)


@dataclass(frozen=True)
class Click(Op):
    """A button on a ticket's card: Claim, Unclaim, Resolve, Close or Reopen. **Close** asks first: ``confirm``
    answers **Close ticket**, else **Keep it open**."""

    interactive: ClassVar[bool] = True
    member: int = 0
    t: int = 0
    label: str = "Claim"
    confirm: bool = True

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        card = run.card(info.id) if info else None
        if card is None or self.label not in run.labels(card):
            raise Skip("no such button")
        before = run.ticket_state(info.id)
        result = await run.click(self.member, card, self.label)
        run.answered_truthfully(info.id, before, result)
        if self.label != "Close" or result is None or result.response is None:
            return
        if run.ticket_state(info.id) != before:
            raise inv.Misleading(f"'Close' on {info.id}'s card changed it before it was confirmed")
        answer = "Close ticket" if self.confirm else "Keep it open"
        if answer not in run.labels(result.response):
            return  # refused at once (not linked, ...): nothing to confirm
        before = run.ticket_state(info.id)
        confirmed = await run.click(self.member, result.response, answer, ticket_id=info.id)
        run.answered_truthfully(info.id, before, confirmed)
        if not self.confirm and run.ticket_state(info.id) != before:
            raise inv.Misleading(f"'Keep it open' on {info.id} changed it: {before} -> {run.ticket_state(info.id)}")


@dataclass(frozen=True)
class OpenBox(Op):
    """Reply on a card: the box opens (and stays open until a SubmitBox)."""

    interactive: ClassVar[bool] = True
    member: int = 0
    t: int = 0

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        card = run.card(info.id) if info else None
        if card is None or "Reply" not in run.labels(card):
            raise Skip("no Reply button")
        others = [b for b in run.model.open_boxes() if b.ticket == info.id]  # the same member's second box too
        if run.avoid("two_boxes", bool(others)):
            raise Skip("avoided")
        result = await run.click(self.member, card, "Reply")
        if result is not None and result.modal is not None:
            claim = str(result.modal.get("custom_id", "")).startswith("box:claimreply:")
            run.model.boxes.append(Box(self.member, info.id, result, run.world.generation, claim=claim))


@dataclass(frozen=True)
class SubmitBox(Op):
    """Write in an open box and send it."""

    interactive: ClassVar[bool] = True
    box: int = 0

    async def apply(self, run: Run) -> None:
        boxes = run.model.open_boxes()
        if not boxes:
            raise Skip("no open box")
        box = boxes[self.box % len(boxes)]
        stale = box.generation != run.world.generation
        twin = any(b is not box and b.ticket == box.ticket for b in run.model.open_boxes())
        unlinked = run.model.links.get(box.member) is None
        if run.avoid("two_boxes", stale or twin) or run.avoid("lost_refusal", unlinked):
            box.submitted = True
            raise Skip("avoided")
        text = run.model.new_text(box.member)
        submission = run.submitted(
            box.member, box.ticket, text, via="edit" if box.editing else "box", claim_first=box.claim
        )
        box.submitted = True
        result = await run.submit(box, text)
        run.answered(submission, result)


@dataclass(frozen=True)
class Offer(Op):
    """A button under a failed reply: Claim and send, Edit and send (opens a box) or Check and send."""

    interactive: ClassVar[bool] = True
    n: int = 0
    label: str = "Claim and send"

    async def apply(self, run: Run) -> None:
        offered = [o for o in run.model.offered if self.label in o.labels]
        if not offered:
            raise Skip("no such button")
        offer = offered[self.n % len(offered)]
        submission = offer.submission
        relinked = run.model.links.get(submission.member) != submission.link
        held = run.holds_claim(submission.member, submission.ticket)
        boxed = self.label == "Edit and send" and any(b.ticket == submission.ticket for b in run.model.open_boxes())
        if (
            run.avoid("retry_link", relinked)
            or run.avoid("claim_held", self.label == "Claim and send" and held)
            or run.avoid("two_boxes", boxed)
        ):
            raise Skip("avoided")
        result = await run.click(submission.member, offer.message, self.label, retry_of=submission)
        if result is not None and self.label == "Edit and send":
            if result.modal is not None:
                claim = str(result.modal.get("custom_id", "")).startswith("box:claimreply:")
                box = Box(
                    submission.member, submission.ticket, result, run.world.generation, editing=submission, claim=claim
                )
                run.model.boxes.append(box)
        else:
            run.answered(submission, result, retry=self.label)


@dataclass(frozen=True)
class ShowTicket(Op):
    """``/ticket show ticket_id`` (only to the caller)."""

    interactive: ClassVar[bool] = True
    member: int = 0
    t: int = 0

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        if info is None:
            raise Skip("no ticket")
        result = await run.slash(self.member, "ticket show", ticket_id=info.id)
        if result is not None and run.model.links.get(self.member) is None:
            run.no_ticket_shown(result, f"/ticket show by unlinked s{self.member}")
        return


@dataclass(frozen=True)
class Autocomplete(Op):
    """Typing in a ``ticket_id`` option: the suggestions (answered at once, never deferred)."""

    interactive: ClassVar[bool] = True
    member: int = 0
    command: str = "reply"

    async def apply(self, run: Run) -> None:
        await run.autocomplete(self.member, self.command, "ticket_id", "")


@dataclass(frozen=True)
class StaffTriesAdmin(Op):
    """A staff member without Manage Server tries an admin command: it must be refused (and change nothing)."""

    interactive: ClassVar[bool] = True
    member: int = 0
    command: str = "staff link"

    async def apply(self, run: Run) -> None:
        world = run.world
        options: dict = (
            {"member": world.staff[self.member], "roblox": str(ROBLOX[2])}
            if self.command == "staff link"
            else {"channel": world.channels["mod"]}
        )
        result = await run.slash(self.member, self.command, **options)
        if result is not None and "Manage Server" not in run.answer_text(result):
            run.admin_only_breached(f"/{self.command} by s{self.member}", result)


@dataclass(frozen=True)
class DeleteCard(Op):
    """A moderator deletes a ticket's card; the bot must put it back at once (without pinging again)."""

    t: int = 0

    async def apply(self, run: Run) -> None:
        info = run.model.pick(self.t)
        card = run.card(info.id) if info else None
        if card is None:
            raise Skip("no card")
        threads = run.world.channels[run.world.channel_key(card.channel.id) or "tickets"].threads
        if run.avoid("put_back_thread", any((t.name or "").endswith(f" · {short_ref(info.id)}") for t in threads)):
            raise Skip("avoided")
        if run.avoid("deleted_card_lost", bool(run.world.fake.pending_faults)):
            raise Skip("avoided")
        await run.world.moderator.delete(card)
        await run.world.env.settle()
        run.card_put_back(info.id)
        return


@dataclass(frozen=True)
class DiscordFault(Op):
    """Discord refuses the bot's next ``times`` matching requests (``Env.inject_error``).

    ``at`` is a channel key for card faults, or a ticket index for ``thread_post_403`` (that ticket's thread).
    """

    kind: str = "card_400"
    at: str = "tickets"
    t: int = 0
    times: int = 1

    FAULTS: ClassVar[dict[str, tuple[str, str, int, int, str]]] = {
        # kind: (method, path under the channel, status, code, message)
        "card_400": ("POST", "/messages", 400, 50035, "Invalid Form Body"),
        "card_403": ("POST", "/messages", 403, 50013, "Missing Permissions"),
        "card_404": ("POST", "/messages", 404, 10003, "Unknown Channel"),
        "edit_404": ("PATCH", "/messages/*", 404, 10008, "Unknown Message"),
        "edit_403": ("PATCH", "/messages/*", 403, 50013, "Missing Permissions"),
        "fetch_500": ("GET", "/messages/*", 500, 0, "Internal Server Error"),
        "fetch_403": ("GET", "/messages/*", 403, 50001, "Missing Access"),
        "thread_cap": ("POST", "/messages/*/threads", 400, 160006, "Maximum number of active threads reached"),
        "thread_403": ("POST", "/messages/*/threads", 403, 50013, "Missing Permissions"),
        "thread_post_403": ("POST", "/messages", 403, 160005, "Thread is locked"),
        "dm_closed": ("POST", "", 403, 50007, "Cannot send messages to this user"),
    }

    # Refusals the bot must get over by itself once Discord accepts again (a capped thread too, once the route
    # no longer breaks on it).
    REFUSALS: ClassVar[frozenset[str]] = frozenset(
        {"card_403", "card_404", "edit_403", "fetch_403", "thread_403", "thread_post_403", "thread_cap"}
    )

    async def apply(self, run: Run) -> None:
        if (
            run.avoid("card_400", self.kind == "card_400")
            or run.avoid("poll_abort_other", self.kind in ("fetch_500", "edit_404"))
            or run.avoid("thread_cap", self.kind == "thread_cap")
            or run.avoid("refusal_not_retried", self.kind in self.REFUSALS - {"edit_403", "fetch_403"})
            or run.avoid("refused_edit", self.kind in ("edit_403", "fetch_403"))
            or run.avoid("recovery_mention", self.kind == "dm_closed")
        ):
            raise Skip("avoided")
        method, tail, status, code, message = self.FAULTS[self.kind]
        if self.kind == "dm_closed":
            path = "/users/@me/channels"
        elif self.kind == "thread_post_403":
            info = run.model.pick(self.t)
            card = run.card(info.id) if info else None
            if card is None:
                raise Skip("no card")
            path = f"/channels/{card.id}{tail}"  # a card's thread has the card's id
        else:
            path = f"/channels/{run.world.channels[self.at].id}{tail}"
        run.world.env.inject_error(
            method, path, status=status, code=code, message=f"{message} [model]", times=self.times
        )


# -- the system: time, restarts, crashes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Poll(Op):
    """Let one feed poll happen (advance the virtual clock by the poll interval)."""

    async def apply(self, run: Run) -> None:
        await run.world.poll()
        if run.model.routes:  # with no route at all the bot doesn't look at tickets' details
            run.model.reopened.clear()


@dataclass(frozen=True)
class Restart(Op):
    """Stop the bot and start a new one on the same database."""

    async def apply(self, run: Run) -> None:
        await run.restart()


@dataclass(frozen=True)
class Crash(Op):
    """The bot dies at ``point`` during the work that reaches it, then restarts on the same database.

    Reply points: ``member`` replies to ticket ``t`` (the website first gives them the claim, so the reply gets as
    far as sending). Feed points: the Series change that needs that work happens, then a poll.
    """

    point: str = "reply_before_send"
    member: int = 0
    t: int = 0

    async def apply(self, run: Run) -> None:
        world, model = run.world, run.model
        if run.avoid("recovery_unchecked", self.point == "reply_saved"):
            raise Skip("avoided")
        world.arm_crash(self.point)
        if self.point.startswith("reply"):
            info = model.pick(self.t)
            link = model.links.get(self.member)
            # A reply the recovery delivers doesn't refresh the card; on an inactive ticket no poll sees it either.
            if info is not None and run.avoid("inactive_changes", not run.active(info.id)):
                raise Skip("avoided")
            if info is None or link is None:
                await run.restart()
                return
            ticket = world.fake.get_ticket(info.id)
            if ticket["ClaimedBy"] != link:
                run.series_side(lambda: world.fake.unclaim(info.id) if ticket["ClaimedBy"] else None)
                run.series_side(lambda: world.fake.claim(info.id, link))
            text = model.new_text(self.member)
            submission = run.submitted(self.member, info.id, text, via="slash", expect=False)
            result = await run.slash(self.member, "reply", ticket_id=info.id, message=text)
            if world.crashed:
                submission.crashed = True
                if result is not None:
                    submission.results.append(result)
            else:
                run.answered(submission, result)
        else:
            if self.point == "card_unconfirmed" or not model.addressable():
                await NewTicket().apply(run)
            if self.point in ("thread_unconfirmed", "mirror_unconfirmed", "mid_poll"):
                for info in [t for t in model.addressable() if run.active(t.id)][-2:]:
                    world.fake.author_message(info.id, f"player message {run.next_serial()}")
            await world.poll()
        if world.crashed:
            model.degraded.add("crash")
            run.note(f"crashed at {world.crashed[0]}")
        else:
            run.note("the crash point was not reached")
        await run.restart()


@dataclass(frozen=True)
class Converge(Op):
    """Every fault ends; within the longest legitimate wait (the 5-minute back-off, the 10-minute route retry) the
    feed must catch up completely."""

    async def apply(self, run: Run) -> None:
        await run.converge()


# -- generating programs -----------------------------------------------------------------------------------------

OPS: tuple[type[Op], ...] = (
    NewTicket,
    PlayerWrites,
    WebClaim,
    WebUnclaim,
    WebReply,
    WebStatus,
    WebTransfer,
    SeriesFault,
    OddTicket,
    SetRoute,
    RemoveRoute,
    Link,
    Unlink,
    Slash,
    SlashReply,
    Click,
    OpenBox,
    SubmitBox,
    Offer,
    ShowTicket,
    Autocomplete,
    StaffTriesAdmin,
    DeleteCard,
    DiscordFault,
    Poll,
    Restart,
    Crash,
    Converge,
)

_t = st.integers(0, 7)
_member = st.integers(0, STAFF - 1)
_who = st.integers(0, len(ROBLOX) - 1)
_dept = st.sampled_from(DEPT_KEYS)

# (weight, strategy): the weights say how often each kind of step appears in a random program.
_WEIGHTED: list[tuple[int, st.SearchStrategy[Op]]] = [
    (6, st.builds(Poll)),
    (5, st.builds(NewTicket, dept=_dept, report=st.sampled_from((False, False, False, True)))),
    (3, st.builds(PlayerWrites, t=_t)),
    (2, st.builds(WebClaim, t=_t, who=_who)),
    (1, st.builds(WebUnclaim, t=_t)),
    (1, st.builds(WebReply, t=_t, who=_who)),
    (2, st.builds(WebStatus, t=_t, status=st.sampled_from(STATUSES))),
    (1, st.builds(WebTransfer, t=_t, dept=_dept)),
    (
        2,
        st.builds(
            SeriesFault,
            kind=st.sampled_from(("503", "500", "drop", "lost_answer", "bad_json", "429", "429_nan", "429_date")),
            on=st.sampled_from(tuple(PATTERNS)),
            times=st.integers(1, 3),
        ),
    ),
    (1, st.builds(OddTicket, kind=st.sampled_from(("bad_id", "odd_fields")))),
    (
        2,
        st.builds(
            SetRoute,
            dept=st.none() | _dept,
            channel=st.sampled_from(("tickets", "support", "mod")),
            role=st.none() | st.sampled_from(("Support", "Mods")),
            backfill=st.booleans(),
        ),
    ),
    (1, st.builds(RemoveRoute, dept=st.none() | _dept)),
    (1, st.builds(Link, member=_member, who=_who)),
    (1, st.builds(Unlink, member=_member)),
    (
        4,
        st.one_of(
            st.builds(Slash, member=_member, t=_t, action=st.sampled_from(("claim", "unclaim"))),
            st.builds(Slash, member=_member, t=_t, action=st.just("status"), arg=st.sampled_from(STATUSES)),
            st.builds(Slash, member=_member, t=_t, action=st.just("transfer"), arg=_dept),
        ),
    ),
    (4, st.builds(SlashReply, member=_member, t=_t, typo=st.sampled_from((None, None, None, "missing", "malformed")))),
    (4, st.builds(Click, member=_member, t=_t, label=st.sampled_from(CARD_BUTTONS), confirm=st.booleans())),
    (3, st.builds(OpenBox, member=_member, t=_t)),
    (3, st.builds(SubmitBox, box=st.integers(0, 3))),
    (3, st.builds(Offer, n=st.integers(0, 3), label=st.sampled_from(OFFER_LABELS))),
    (1, st.builds(ShowTicket, member=_member, t=_t)),
    (1, st.builds(Autocomplete, member=_member, command=st.sampled_from(("reply", "ticket claim", "ticket status")))),
    (1, st.builds(DeleteCard, t=_t)),
    (1, st.builds(StaffTriesAdmin, member=_member, command=st.sampled_from(("staff link", "feed set")))),
    (
        2,
        st.builds(
            DiscordFault,
            kind=st.sampled_from(tuple(DiscordFault.FAULTS)),
            at=st.sampled_from(("tickets", "support", "mod")),
            t=_t,
            times=st.integers(1, 2),
        ),
    ),
    (1, st.builds(Restart)),
    (1, st.builds(Crash, point=st.sampled_from(CRASH_POINTS), member=_member, t=_t)),
    (1, st.builds(Converge)),
]

op_strategy: st.SearchStrategy[Op] = st.one_of(*[s for weight, s in _WEIGHTED for _ in range(weight)])


def programs(max_steps: int) -> st.SearchStrategy[list[Op]]:
    """Programs of 1 to ``max_steps`` steps, the length drawn first: plain ``st.lists`` keeps programs short (a
    median of 4 steps), and the interesting interleavings need a dozen or more. The length shrinks like any
    integer, and each step shrinks towards the first alternative, a plain Poll."""
    return st.integers(1, max_steps).flatmap(lambda n: st.lists(op_strategy, min_size=n, max_size=n))
