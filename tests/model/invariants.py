"""The invariants, one function each, checked after every step of a program.

Each raises its own :class:`Violation` subclass (so Hypothesis tells different bugs apart and the report names the
invariant). Numbering follows the task: 1 answers, 2 replies, 3 cards, 4 progress, 5 pings, 6 staff ids; then
0 (no unexpected exception), 7 (thread mirror), 8 (Retry-After honoured), 9 (an action that can succeed does).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.api import SeriesError
from bot.errors import UserFacingError
from bot.render import STATUS_LABELS, short_ref

from .world import CHANNELS

if TYPE_CHECKING:
    import simcord

    from .driver import Run
    from .state import Submission

__all__ = (
    "ActionFailed",
    "CardWrong",
    "FeedStalled",
    "Leak",
    "Misleading",
    "NotAMember",
    "MirrorWrong",
    "PingPolicy",
    "ReplyLost",
    "RetryAfterIgnored",
    "Unanswered",
    "UnexpectedError",
    "Violation",
    "WrongStaffId",
)


class Violation(AssertionError):
    invariant = "?"

    def __init__(self, message: str) -> None:
        super().__init__(f"invariant {self.invariant}: {message}")


class UnexpectedError(Violation):
    invariant = "0 (no unexpected exception in the bot)"


class Unanswered(Violation):
    invariant = "1 (every interaction answered exactly once, within 3 s)"


class ReplyLost(Violation):
    invariant = "2 (no reply lost or sent twice)"


class CardWrong(Violation):
    invariant = "3 (one card per routed active ticket, matching Series)"


class FeedStalled(Violation):
    invariant = "4 (the feed makes progress on every ticket that isn't itself failing)"


class PingPolicy(Violation):
    invariant = "5 (role pings only for new tickets created after the route, at most once)"


class WrongStaffId(Violation):
    invariant = "6 (staffUserId is the acting member's link at the time)"


class MirrorWrong(Violation):
    invariant = "7 (each Series message in the card's thread exactly once)"


class RetryAfterIgnored(Violation):
    invariant = "8 (a 429's Retry-After is honoured)"


class ActionFailed(Violation):
    invariant = "9 (an action that can succeed on a healthy Series does)"


class Leak(Violation):
    invariant = "10 (tickets shown and suggested only to linked staff; links and routes changed only by admins)"


class NotAMember(Violation):
    invariant = "11 (only a department's members act on its tickets, when Series lists them)"


class Misleading(Violation):
    invariant = "12 (an answer that says nothing changed is true)"


EXPECTED_ERRORS = (UserFacingError, SeriesError, app_commands.CheckFailure, app_commands.TransformerError)
MOVED = "➡️"


# -- reading what Discord shows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardView:
    ticket: str
    channel: str
    message: discord.Message

    @property
    def live(self) -> bool:
        """Not the greyed card of a ticket that moved to another channel ("➡️ Moved to #…")."""
        return not (self.message.embeds[0].description or "").startswith(MOVED)


def card_ticket(message: discord.Message | Any) -> str:
    """The ticket a card is about: its footer carries the full ticket id (the title is the subject)."""
    return message.embeds[0].footer.text or "" if message.embeds else ""


def live_cards(run: Run, views: list[CardView]) -> list[CardView]:
    """A ticket's live cards. A card Discord falsely called deleted (an injected 404) may legitimately be replaced,
    and the world still shows it: it doesn't count next to its replacement."""
    live = [v for v in views if v.live]
    if len(live) > 1:
        live = [v for v in live if v.message.id not in run.model.ghosts] or live
    return live


def card_views(run: Run) -> dict[str, list[CardView]]:
    """Every ticket card in the staff channels, by ticket id (a card's footer is its ticket's id)."""
    known = {t.id for t in run.model.tickets} | set(run.world.fake.tickets)
    views: dict[str, list[CardView]] = {}
    for key in CHANNELS:
        for message in run.world.channels[key].history():
            if message.type is not discord.MessageType.default or not message.embeds:
                continue
            ticket_id = card_ticket(message)
            if ticket_id in known:
                views.setdefault(ticket_id, []).append(CardView(ticket_id, key, message))
    return views


def labels(message: discord.Message | Any) -> list[str]:
    if isinstance(message, discord.Message):
        return [c.label or "" for row in message.components for c in getattr(row, "children", [])]
    return [c.get("label", "") for row in message.components for c in row.get("components", [])]


def answer_messages(result: simcord.InteractionResult | None) -> list[simcord.ResponseMessage]:
    if result is None:
        return []
    return [m for m in [result.response, *result.followups] if m is not None]


def answer_text(result: simcord.InteractionResult | None) -> str:
    return "\n".join(m.content for m in answer_messages(result))


def series_count(run: Run, text: str) -> int:
    """How many staff messages on Series carry exactly this text."""
    return sum(
        1
        for ticket in run.world.fake.tickets.values()
        for message in ticket["Content"].values()
        if message.get("Type") == "staff_message" and (message.get("Content") or "").strip() == text
    )


def threads_of(run: Run, view: CardView) -> list[simcord.ChannelHandle]:
    """The card's thread (the one started from it); for a card that was deleted and put back, the bot keeps
    using the old card's thread, so then every thread of that ticket in the card's channel."""
    threads = run.world.channels[view.channel].threads
    own = [t for t in threads if t.id == view.message.id]
    return own or [t for t in threads if (t.name or "").endswith(f" · {short_ref(view.ticket)}")]


def mirrored(run: Run, view: CardView) -> Counter[str]:
    """How many times each Series message (by its msj_ key) was posted in the card's thread.

    A thread post is the message's text as its embed's description; every text a program writes is unique (a
    serial number), so the text names the message. A post matching no message counts under ``?<its text>``."""
    ticket = run.world.fake.tickets.get(view.ticket) or {}
    by_text = {(m.get("Content") or "").strip(): k for k, m in (ticket.get("Content") or {}).items()}
    keys: Counter[str] = Counter()
    for thread in threads_of(run, view):
        for message in thread.history():
            if message.embeds:
                text = (message.embeds[0].description or "").strip()
                keys[by_text.get(text, f"?{text[:60]}")] += 1
    return keys


# -- 0: no unexpected exception ---------------------------------------------------------------------------------


def check_errors(run: Run) -> None:
    env = run.world.env
    for error in env.errors_since(run.cursors.errors):
        original = getattr(error, "original", error)
        if (
            isinstance(original, EXPECTED_ERRORS)
            or isinstance(error, BaseException)
            and not isinstance(error, Exception)
        ):
            continue
        raise UnexpectedError(f"the bot raised {type(original).__name__}: {original}")
    run.cursors.errors = env.error_cursor


# -- 1: every interaction answered exactly once, in time ----------------------------------------------------------


def check_answers(run: Run) -> None:
    for record in run.step.interactions:
        if record.crashed:
            continue  # the process died while handling it
        result, what = record.result, record.what
        if not result.acknowledged:
            raise Unanswered(f"{what} was never answered (no response within Discord's 3 seconds)")
        if result.deferred:
            raise Unanswered(f"{what} was acknowledged but never answered (it still shows 'thinking…')")
        if result.modal is None and result.response is None:
            raise Unanswered(f"{what} has no visible answer")
        if result.followups:
            raise Unanswered(f"{what} was answered {1 + len(result.followups)} times")
    for failure in run.world.discord_errors.failures[run.cursors.failures :]:
        if failure.path.startswith(("/interactions/", "/webhooks/")):
            raise Unanswered(
                f"Discord refused an answer: {failure.method} {failure.path} -> {failure.status}/{failure.code} "
                "(40060: answered twice; 10062/10015: too late)"
            )


# -- 2: no reply lost or sent twice -----------------------------------------------------------------------------


def _told(result: simcord.InteractionResult | None, submission: Submission) -> tuple[bool, bool, bool]:
    """(confirmed as sent, text handed back, said it may or may not have arrived)."""
    messages = answer_messages(result)
    text = " ".join(m.content for m in messages)
    confirmed = (
        "**Sent** to" in text
        or "and **sent** your reply" in text
        or "already arrived" in text
        or "already delivered" in text
    )
    handed = any(e.description == submission.text for m in messages for e in m.embeds)
    return confirmed, handed, "may or may not" in text


def check_replies(run: Run) -> None:
    for submission in run.model.submissions:
        count = series_count(run, submission.text)
        if count > 1:
            raise ReplyLost(f"{submission.text!r} ({submission.via}) reached Series {count} times")
    for submission, result, retry in run.step.replies:
        if submission.crashed:
            continue
        count = series_count(run, submission.text)
        confirmed, handed, maybe = _told(result, submission)
        what = f"{submission.via} {submission.text!r} by s{submission.member}" + (f" ({retry})" if retry else "")
        if confirmed and count != 1:
            raise ReplyLost(f"{what}: the answer says it was sent, but Series has it {count} times")
        if handed and not maybe and not confirmed and count:
            raise ReplyLost(f"{what}: handed back as not sent, but it reached Series")
        if retry is None and not confirmed and not handed:
            if count == 0:
                raise ReplyLost(f"{what}: lost (neither sent nor handed back; answer: {answer_text(result)!r:.200})")
            if not maybe:
                raise ReplyLost(f"{what}: sent, but the answer doesn't say so ({answer_text(result)!r:.200})")


def handed_back_anywhere(run: Run, submission: Submission) -> bool:
    messages = [m for r in submission.results for m in answer_messages(r)]
    messages += [m for member, r in run.model.all_results if member == submission.member for m in answer_messages(r)]
    if any(e.description == submission.text for m in messages for e in m.embeds):
        return True
    if any(e.description == submission.text for m in run.world.dm_history(submission.member) for e in m.embeds):
        return True
    # After a restart the author is told how each of their replies ended, quoting it (in full: a program's texts
    # are short), by DM or with a mention.
    return any(f"“{submission.text}”" in m.content for m in recovery_reports(run, submission))


RECOVERY_HEAD = "The bot restarted while"


def recovery_reports(run: Run, submission: Submission) -> list[discord.Message]:
    """The messages that told the author how their replies ended after a restart: a DM, or a mention in a channel
    when their DMs are closed."""
    member = run.world.staff[submission.member]
    dms = [m for m in run.world.dm_history(submission.member) if m.content.startswith(RECOVERY_HEAD)]
    mention = f"{member.mention} {RECOVERY_HEAD}"
    return dms + [m for c in run.world.channels.values() for m in c.history() if m.content.startswith(mention)]


def told_after_restart(run: Run, submission: Submission) -> bool:
    """A reply the bot was sending when it died: its author was told how it ended (by DM, or a mention)."""
    return any(f"“{submission.text}”" in m.content for m in recovery_reports(run, submission))


def check_no_reply_lost(run: Run) -> None:
    """At a converge and at the end: every text is on Series once, or was handed back to its author; and whoever
    was sending a reply when the bot died was told how it ended."""
    for submission in run.model.submissions:
        if submission.crashed and not told_after_restart(run, submission):
            raise ReplyLost(
                f"the bot died while sending {submission.text!r} for s{submission.member}; after the restart they "
                "were never told how it ended"
            )
        if series_count(run, submission.text) == 0 and not handed_back_anywhere(run, submission):
            how = "the bot crashed while sending it" if submission.crashed else "after its answer"
            raise ReplyLost(
                f"{submission.via} {submission.text!r} by s{submission.member} to {submission.ticket} is lost ({how}): "
                "not on Series, and never handed back"
            )


# -- 3, 4, 7: cards and threads -----------------------------------------------------------------------------------


def check_no_duplicates(run: Run, views: dict[str, list[CardView]]) -> None:
    """Always: at most one live card per ticket, and no message twice in a thread."""
    for ticket_id, cards in views.items():
        live = live_cards(run, cards)
        if len(live) > 1 and ticket_id not in run.model.failing:
            where = ", ".join(f"#{v.channel}" for v in live)
            raise CardWrong(f"{ticket_id} has {len(live)} live cards ({where})")
        for view in live:
            keys = mirrored(run, view)
            twice = [k for k, n in keys.items() if n > 1]
            if twice:
                raise MirrorWrong(f"{ticket_id}: {twice[0]} was posted {keys[twice[0]]} times in its thread")


def card_problems(run: Run, views: dict[str, list[CardView]], *, excluded: set[str]) -> list[tuple[type, str]]:
    """Every way the cards differ from Series, for tickets not in ``excluded``."""
    problems: list[tuple[type, str]] = []
    fake = run.world.fake
    for info in run.model.tickets:
        if info.odd == "bad_id" or info.id in excluded or info.id not in fake.tickets:
            continue
        ticket = fake.tickets[info.id]
        route = run.model.route_for(ticket["Department"])
        live = live_cards(run, views.get(info.id, []))
        active = ticket["Status"] in ("open", "in-progress")
        if route is not None and route.channel in run.model.blocked_channels:
            continue
        if active and route is not None:
            unchanged = run.model.route_snapshot.get(info.id) == ticket["UpdatedAt"]
            here = [v for v in live if v.channel == route.channel]
            if not live and info.id in route.exempt:
                continue  # open before the route, and the admin chose to post only new tickets there
            if not live or (not here and not unchanged):
                problems.append((FeedStalled, f"{info.id} ({ticket['Status']}) has no card in #{route.channel}"))
                continue
        if any(v.channel in run.model.blocked_channels for v in live) or not run.model.routes:
            continue  # with no route at all the bot doesn't look at tickets: cards stay as they were
        for view in live:
            problem = _card_differs(run, view, ticket)
            if problem:
                problems.append((CardWrong, f"{info.id}'s card in #{view.channel} {problem}"))
            elif active or view.channel == (route.channel if route else None):
                mirror = _mirror_differs(run, view, ticket)
                if mirror:
                    problems.append((MirrorWrong, f"{info.id}: {mirror}"))
    return problems


def _card_differs(run: Run, view: CardView, ticket: dict[str, Any]) -> str | None:
    fields = {f.name: f.value or "" for f in view.message.embeds[0].fields}
    status = ticket["Status"]
    label = STATUS_LABELS.get(status, status)
    shown_status = fields.get("Status", "")
    # "Resolved by @s0 <t:…:R>", "In progress · nobody holds it": the status comes first.
    if shown_status != label and not shown_status.startswith((f"{label} ", f"{label}·")):
        return f"says {shown_status!r}, Series says {status!r}"
    if status in ("open", "in-progress"):  # done tickets' cards don't say who held them
        claimed = ticket.get("ClaimedBy")
        shown = fields.get("Claimed by", "")
        if claimed is None and shown != "Nobody":
            return f"says claimed by {shown!r}, Series says nobody"
        if claimed is not None:
            members = [run.world.staff[m].id for m, ids in run.model.linked_ever.items() if int(claimed) in ids]
            display = ((ticket.get("ClaimedByUser") or {}).get("DisplayName")) or ""
            named = (display and display in shown) or f"Roblox user {claimed}" in shown
            if not named and not any(f"<@{m}>" in shown for m in members):
                return f"says claimed by {shown!r}, Series says {claimed}"
    expected = _expected_buttons(ticket)
    if labels(view.message) != expected:
        return f"has buttons {labels(view.message)}, expected {expected}"
    return None


def _expected_buttons(ticket: dict[str, Any]) -> list[str]:
    """The main action first: Claim (or Reply once someone holds it), then Resolve; Unclaim and Close below."""
    if ticket["Status"] == "closed":
        return ["Reopen"]
    if ticket["Status"] == "resolved":
        return ["Reopen", "Close"]
    reply = [] if ticket.get("GameReport") is True else ["Reply"]
    if ticket.get("ClaimedBy"):
        return [*reply, "Resolve", "Unclaim", "Close"]
    return ["Claim", *reply, "Resolve", "Close"]


def _mirror_differs(run: Run, view: CardView, ticket: dict[str, Any]) -> str | None:
    messages = sorted(ticket["Content"].items(), key=lambda kv: (kv[1].get("Timestamp") or "", kv[0]))
    conversation = [(k, m) for k, m in messages if m.get("Type") in ("author_message", "staff_message")]
    first = next((k for k, m in conversation if m["Type"] == "author_message"), None)
    expected = [k for k, _ in conversation if k != first]
    posted = mirrored(run, view)
    missing = [k for k in expected if posted[k] == 0]
    if missing:
        return f"{len(missing)} message(s) missing from its thread (first: {missing[0]})"
    extra = [k for k in posted if k not in expected]
    if extra:
        return f"its thread has {extra[0]}, which is not a conversation message after the first"
    return None


def note_seen_done(run: Run) -> None:
    """Which tickets the bot last saw finished: a detail fetch this step saw each one's status now. And, for the
    ping policy, the route each active ticket had when the bot first listed it."""
    fake = run.world.fake
    if any(r.path == "/tickets/list" for r in fake.requests[run.step.fake_start :]):
        for info in run.model.tickets:
            ticket = fake.tickets.get(info.id)
            if not info.listed and ticket is not None and ticket["Status"] in ("open", "in-progress"):
                route = run.model.route_for(ticket["Department"])
                info.listed, info.first_listed_role = True, route.role if route else None
    for request in fake.requests[run.step.fake_start :]:
        parts = request.path.strip("/").split("/")  # GET /tickets/get/{id}
        if request.method == "GET" and parts[:2] == ["tickets", "get"] and len(parts) == 3 and parts[2] in fake.tickets:
            if fake.tickets[parts[2]]["Status"] in ("resolved", "closed"):
                run.model.seen_done.add(parts[2])
            else:
                run.model.seen_done.discard(parts[2])


def check_feed_caught_up(run: Run) -> None:
    """After a poll while nothing is degraded: every ticket that isn't failing itself is up to date."""
    if not any(r.path == "/tickets/list" for r in run.world.fake.requests[run.step.fake_start :]):
        raise FeedStalled("a poll was due and Series is healthy, but the feed did not poll")
    views = card_views(run)
    done = {tid for tid, t in run.world.fake.tickets.items() if t["Status"] in ("resolved", "closed")}
    problems = card_problems(run, views, excluded=run.model.failing | (done & run.seen_done_before))
    if problems:
        kind, message = problems[0]
        # With a ticket failing by itself (its own fault, or an id the bot must refuse), the others lagging behind
        # is invariant 4: one bad ticket held up the rest.
        if run.model.failing or any(t.odd == "bad_id" for t in run.model.tickets):
            kind = FeedStalled
        extra = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise kind(f"after a healthy poll: {message}{extra}")


# -- 5: pings --------------------------------------------------------------------------------------------------

_ROLE = re.compile(r"<@&(\d+)>")


def check_pings(run: Run) -> None:
    requests = run.world.env.http_requests
    failed = run.world.discord_errors.failed_indices()
    role_keys = {role.id: key for key, role in run.world.roles.items()}
    channel_ids = {c.id for c in run.world.channels.values()}
    infos = {t.id: t for t in run.model.tickets}
    for index in range(run.cursors.http, len(requests)):
        request = requests[index]
        body = request.json if isinstance(request.json, dict) else {}
        allowed = body.get("allowed_mentions") or {}
        if "everyone" in (allowed.get("parse") or []) or "users" in (allowed.get("parse") or []):
            raise PingPolicy(f"{request.method} {request.path} allows {allowed}")
        if index in failed or request.method != "POST" or not request.path.endswith("/messages"):
            continue
        pinged = [
            int(r)
            for r in _ROLE.findall(body.get("content") or "")
            if r in [str(x) for x in allowed.get("roles") or []] or "roles" in (allowed.get("parse") or [])
        ]
        embeds = body.get("embeds") or []
        ticket_id = ((embeds[0].get("footer") or {}).get("text") or "") if embeds else ""
        first_card = bool(ticket_id) and ticket_id not in run.model.carded
        if ticket_id:
            run.model.carded.add(ticket_id)
        if not pinged:
            continue
        channel_id = int(request.path.split("/")[2])
        info = infos.get(ticket_id)
        if channel_id not in channel_ids or info is None:
            raise PingPolicy(f"a role was pinged outside a ticket card: {body.get('content')!r}")
        for role_id in pinged:
            role = role_keys.get(role_id)
            note = (body.get("content") or "").split(">", 1)[-1].strip()
            # Allowed: once for the route that covered the ticket when it was created, and once per transfer into
            # a route with that role (whatever the note says: to that channel a transferred ticket is new).
            # ...or, on its first card, the role its route has now, if the route existed before the ticket did (a
            # ticket whose card Discord refused until the route gained a role is still new to everyone there).
            covering = run.model.route_for(run.world.fake.tickets.get(ticket_id, {}).get("Department", ""))
            late = first_card and covering is not None and covering.role == role and covering.since < info.created
            first = role is not None and (role in (info.creation_role, info.first_listed_role) or late)
            allowed = first + info.transfer_roles.count(role)
            run.pings[(ticket_id, role or "?")] += 1
            times = run.pings[(ticket_id, role or "?")]
            if times > allowed:
                why = (
                    "it existed before that route pinged and was never transferred into it"
                    if allowed == 0
                    else f"only {allowed} ping(s) are allowed (created under that route, or transferred into it)"
                )
                raise PingPolicy(f"@{role} pinged for {ticket_id} ({note!r}, {times} time(s)): {why}")
    run.cursors.http = len(requests)


# -- 6: staffUserId --------------------------------------------------------------------------------------------


def check_staff_ids(run: Run) -> None:
    model = run.model
    current = {s.text: s for s, _, _ in run.step.replies} | {s.text: s for s in run.step.submitted}
    by_text = {s.text: s for s in model.submissions}
    for request in run.world.fake.requests[run.cursors.fake :]:
        if request.method != "POST":
            continue
        body = request.json if isinstance(request.json, dict) else {}
        sent_as = body.get("staffUserId")
        what = f"POST {request.path}"
        department = run.step.departments.get(request.path.split("/")[2], "")
        members = (run.world.fake.departments.get(department) or {}).get("Members") or []
        if members and sent_as not in members:
            raise NotAMember(f"{what} as {sent_as}, who is not a member of {department} ({members})")
        content = (body.get("content") or "").strip()
        if request.path.endswith("/reply") and content in by_text and content not in current:
            # Finishing a reply accepted before a restart: as its author, unless their link changed meanwhile.
            submission = by_text[content]
            now = model.links.get(submission.member)
            if not (sent_as == submission.link == now):
                raise WrongStaffId(
                    f"{what} (recovering {content!r}) sent staffUserId {sent_as}; s{submission.member} submitted it "
                    f"as {submission.link} and is now linked to {now}"
                )
            continue
        actor = run.step.actor
        if actor is None:
            raise WrongStaffId(f"{what} with staffUserId {sent_as} outside any staff member's action")
        expected = model.links.get(actor)
        if expected is None:
            raise WrongStaffId(f"{what} with staffUserId {sent_as} for s{actor}, who is not linked")
        if sent_as != expected:
            raise WrongStaffId(f"{what} sent staffUserId {sent_as}; s{actor} is linked to {expected} right now")
    run.cursors.fake = len(run.world.fake.requests)


# -- 8: Retry-After ---------------------------------------------------------------------------------------------


def check_retry_after(run: Run) -> None:
    pauses = run.all_pauses()
    for pause in pauses[run.cursors.pauses :]:
        if not (math.isfinite(pause) and 0 < pause <= 300):
            raise RetryAfterIgnored(f"the limiter paused {pause!r} s after a 429")
    run.cursors.pauses = len(pauses)
    pending = run.model.pending_429
    if pending is None:
        return
    kind, before, answered_before = pending
    answered = sum(1 for r in run.world.fake.requests if r.status == 429)
    if answered == answered_before:
        return  # not used yet
    run.model.pending_429 = None
    new = pauses[before:]
    if not new:
        raise RetryAfterIgnored(f"Series answered 429 ({kind}) and the bot did not pause")
    pause = new[0]
    if kind == "429" and not 1.9 <= pause <= 60:
        raise RetryAfterIgnored(f"Retry-After: 2 gave a pause of {pause!r} s")
    if kind == "429_date" and not 10 <= pause <= 60:
        raise RetryAfterIgnored(f"Retry-After as an HTTP-date 20 s ahead gave a pause of {pause!r} s")


# -- 9: liveness ------------------------------------------------------------------------------------------------


def check_liveness(run: Run) -> None:
    for expectation in run.step.expect:
        outcome = expectation.met(run)
        if outcome:
            raise ActionFailed(outcome)
