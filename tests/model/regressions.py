"""Every failure the model found, as a short named program that ``tests/test_model.py`` replays on every run.

``KNOWN`` are the defects the issue lists; ``NEW`` are the ones the model found beyond it. While a defect is open its
program is expected to break ``violation`` (an xfail that must fail for that reason, not another); when the fix
lands, set ``fixed=True`` (or move it to ``FIXED``) and the program must keep passing forever.

Each program runs after the prelude (s0 linked to 987654321 and s1 to 111111111, both support-dept members; s2
unlinked; a default route to #tickets without a ping) and ends with a Converge.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import invariants as inv
from .driver import DEFECTS
from .ops import (
    Autocomplete,
    Click,
    Crash,
    DeleteCard,
    DiscordFault,
    Link,
    NewTicket,
    OddTicket,
    Offer,
    Op,
    OpenBox,
    PlayerWrites,
    Poll,
    RemoveRoute,
    Restart,
    SeriesFault,
    SetRoute,
    Slash,
    SlashReply,
    SubmitBox,
    Unlink,
    WebClaim,
    WebReply,
    WebStatus,
)

__all__ = ("FIXED", "KNOWN", "NEW", "Regression")


@dataclass(frozen=True)
class Regression:
    name: str
    defect: str  # its name in tests.model.driver.DEFECTS (what TICKET_BRIDGE_MODEL_AVOID calls it)
    reason: str
    program: tuple[Op, ...]
    violation: type[inv.Violation]
    fixed: bool = False
    may_skip: frozenset[int] = frozenset()  # steps (0 = the program's first) allowed to do nothing, and why below

    def __post_init__(self) -> None:
        assert self.defect in DEFECTS, self.defect


KNOWN: tuple[Regression, ...] = (
    Regression(
        "two_boxes_on_one_ticket",
        "two_boxes",
        "known: two Reply boxes on one ticket share a custom_id; once one is sent, the other is never answered",
        (NewTicket(), Poll(), OpenBox(member=0), OpenBox(member=1), WebClaim(who=0), SubmitBox(0), SubmitBox(0)),
        inv.Unanswered,
        fixed=True,
    ),
    Regression(
        "box_opened_before_a_restart",
        "two_boxes",
        "known: a Reply box opened before a restart and submitted after is never answered, its text lost",
        (NewTicket(), Poll(), WebClaim(who=0), OpenBox(member=0), Restart(), SubmitBox(0)),
        inv.Unanswered,
        fixed=True,
    ),
    Regression(
        "odd_ticket_id_stops_the_feed",
        "odd_id",
        "known: a listed ticket whose TicketId doesn't match TICKET-<digits>-<alnum> aborts every poll",
        (OddTicket("bad_id"), NewTicket(), Poll()),
        inv.FeedStalled,
        fixed=True,
    ),
    Regression(
        "one_refused_card_stops_the_poll",
        "card_400",
        "known: Discord refusing one card with a 400 aborts the whole poll (and backs the feed off)",
        (DiscordFault("card_400", at="tickets"), NewTicket(), NewTicket(), Poll(), Poll()),
        inv.FeedStalled,
        fixed=True,
    ),
    Regression(
        "thread_cap_breaks_the_whole_route",
        "thread_cap",
        "known: a thread that can't be created (160006) marks the whole route broken for 10 minutes",
        (
            NewTicket(),
            Poll(),
            DiscordFault("thread_cap", at="tickets"),
            PlayerWrites(0),
            Poll(),
            NewTicket(),
            Poll(),
            PlayerWrites(0),  # ticket 0 changes again, so its thread is retried (not a test of retrying by itself)
            Poll(),
        ),
        inv.FeedStalled,
        fixed=True,
    ),
    Regression(
        "claim_and_send_after_a_relink",
        "retry_link",
        "known: Claim and send acts as the Roblox id stored with the failed reply, not the member's link now",
        (NewTicket(), Poll(), SlashReply(member=0), Link(member=0, who=1), Offer(0, "Claim and send")),
        inv.WrongStaffId,
        fixed=True,
    ),
    Regression(
        "claim_and_send_after_an_unlink",
        "retry_link",
        "known: Claim and send still acts for a member an admin unlinked",
        (NewTicket(), Poll(), SlashReply(member=0), Unlink(member=0), Offer(0, "Claim and send")),
        inv.WrongStaffId,
        fixed=True,
    ),
    Regression(
        "unlinked_reply_loses_its_text",
        "lost_refusal",
        "known: a reply refused before it is saved (unlinked member) is not handed back",
        (NewTicket(), SlashReply(member=2)),
        inv.ReplyLost,
        fixed=True,
    ),
    Regression(
        "mistyped_ticket_id_loses_the_text",
        "lost_refusal",
        "known: a reply to a mistyped (malformed) ticket id is not handed back",
        (SlashReply(member=0, typo="malformed"),),
        inv.ReplyLost,
        fixed=True,
    ),
    Regression(
        "claim_and_send_when_already_holding_the_claim",
        "claim_held",
        "known: Claim and send fails with 'Ticket already claimed' when the member already holds the claim",
        (NewTicket(), Poll(), SlashReply(member=0), Slash(member=0, action="claim"), Offer(0, "Claim and send")),
        inv.ActionFailed,
        fixed=True,
    ),
    Regression(
        "ping_role_over_existing_tickets",
        "ping_existing",
        "known: /feed set with a ping_role pings tickets that existed before the route",
        (RemoveRoute(), NewTicket(), SetRoute(role="Support"), Poll()),
        inv.PingPolicy,
        fixed=True,
    ),
    Regression(
        "moving_a_route_pings_again",
        "ping_existing",
        "known: moving a route pings every active ticket again",
        (
            SetRoute(role="Support"),
            NewTicket(),
            Poll(),
            SetRoute(channel="support", role="Support"),
            PlayerWrites(0),
            Poll(),
        ),
        inv.PingPolicy,
        fixed=True,
    ),
    Regression(
        "retry_after_nan",
        "retry_after",
        "known: Retry-After: nan makes the limiter pause nan seconds (no pause at all)",
        (NewTicket(), SeriesFault("429_nan", on="get"), Slash(member=0, action="claim")),
        inv.RetryAfterIgnored,
        fixed=True,
    ),
    Regression(
        "retry_after_http_date",
        "retry_after",
        "known: Retry-After as an HTTP-date is read as 1 s, whatever the date says",
        (NewTicket(), SeriesFault("429_date", on="get"), Slash(member=0, action="claim")),
        inv.RetryAfterIgnored,
        fixed=True,
    ),
)

NEW: tuple[Regression, ...] = (
    Regression(
        "website_reply_to_a_resolved_ticket",
        "inactive_changes",
        "NEW: a staff reply on the Series website to a resolved/closed ticket never reaches the card's thread",
        (NewTicket(), Poll(), Slash(member=0, action="status", arg="resolved"), WebReply(who=0), Poll()),
        inv.MirrorWrong,
        fixed=True,
    ),
    Regression(
        "closed_then_resolved_on_the_website",
        "inactive_changes",
        "NEW: a closed ticket resolved on the website keeps a card that says Closed (inactive tickets aren't polled)",
        (NewTicket(), Poll(), WebStatus(status="closed"), Poll(), WebStatus(status="resolved"), Poll()),
        inv.CardWrong,
        fixed=True,
    ),
    Regression(
        "closed_ticket_reopened_and_closed_between_polls",
        "inactive_changes",
        "NEW: a closed ticket claimed (so reopened) and closed again on the website between polls keeps a stale card",
        (NewTicket(), Poll(), Click(member=0, label="Close"), WebClaim(who=1), WebStatus(status="closed"), Poll()),
        inv.CardWrong,
        fixed=True,
    ),
    Regression(
        "reply_recovered_on_a_resolved_ticket_never_reaches_the_thread",
        "inactive_changes",
        "NEW: a reply the recovery delivers after a crash doesn't refresh the card; on a resolved ticket, ever",
        (NewTicket(), Poll(), WebClaim(who=0), Click(member=0, label="Resolve"), Crash("reply_before_send", member=0)),
        inv.MirrorWrong,
        fixed=True,
    ),
    Regression(
        "refused_edit_leaves_the_card_stale",
        "refused_edit",
        "NEW: a card edit Discord refused once (403) is never retried; the card stays stale after Discord recovers",
        (NewTicket(), Poll(), DiscordFault("edit_403", at="tickets"), WebClaim(who=2), Poll()),
        inv.CardWrong,
        fixed=True,
    ),
    Regression(
        "refused_card_is_never_posted",
        "refusal_not_retried",
        "NEW: a card Discord refused once (403) is not posted again by itself, however long Discord is healthy",
        (DiscordFault("card_403", at="tickets"), NewTicket(), Poll()),
        inv.CardWrong,
        fixed=True,
    ),
    Regression(
        "refused_thread_post_is_never_retried",
        "refusal_not_retried",
        "NEW: a thread post Discord refused once (locked) is retried only when that ticket changes again",
        (NewTicket(), Poll(), PlayerWrites(0), Poll(), DiscordFault("thread_post_403", t=0), PlayerWrites(0), Poll()),
        inv.MirrorWrong,
        fixed=True,
    ),
    Regression(
        "card_edit_404_stops_the_poll",
        "poll_abort_other",
        "NEW: a 404 on editing one card (not only a 400 on posting) aborts the whole poll",
        (
            NewTicket(),
            NewTicket(),
            Poll(),
            DiscordFault("edit_404", at="tickets"),
            WebClaim(t=0, who=0),
            WebClaim(t=1, who=1),
            Poll(),
        ),
        inv.FeedStalled,
        fixed=True,
    ),
    Regression(
        "card_fetch_500_stops_the_poll",
        "poll_abort_other",
        "NEW: a 5xx fetching one card aborts the whole poll",
        (
            NewTicket(),
            NewTicket(),
            Poll(),
            DiscordFault("fetch_500", at="tickets"),
            WebClaim(t=0, who=0),
            WebClaim(t=1, who=1),
            Poll(),
        ),
        inv.FeedStalled,
        fixed=True,
    ),
    Regression(
        "put_back_card_loses_its_thread",
        "put_back_thread",
        "NEW: a deleted card is put back with a new thread holding only later messages (the rest is orphaned)",
        (NewTicket(), Poll(), PlayerWrites(0), Poll(), DeleteCard(0), PlayerWrites(0), Poll()),
        inv.MirrorWrong,
        fixed=True,
    ),
    Regression(
        "recovered_reply_fails_and_dms_are_closed",
        "recovery_mention",
        "NEW: a reply recovered after a crash that Series refuses is reported by a channel mention without its text",
        (
            NewTicket(),
            Poll(),
            DiscordFault("dm_closed", times=3),
            SeriesFault("503", on="post"),
            Crash("reply_before_send", member=0),
        ),
        inv.ReplyLost,
        fixed=True,
    ),
    Regression(
        "reply_saved_before_a_crash_skips_the_department_check",
        "recovery_unchecked",
        "NEW: after a crash, a reply still 'pending' is sent without authorize(): a non-member's reply gets through",
        (Link(member=2, who=2), NewTicket(), Poll(), Crash("reply_saved", member=2)),
        inv.NotAMember,
        fixed=True,
    ),
    Regression(
        "lost_answer_to_a_claim_says_nothing_changed",
        "lost_answer_unchanged",
        "NEW: a claim that reached Series but whose answer was lost is answered 'Nothing was changed on purpose'",
        (NewTicket(), Poll(), SeriesFault("lost_answer", on="post"), Slash(member=0, action="claim")),
        inv.Misleading,
        fixed=True,
    ),
    Regression(
        "card_deleted_while_series_is_down_never_comes_back",
        "deleted_card_lost",
        "NEW: the put-back asks Series once; if that fails, the quiet ticket is never looked at again",
        (NewTicket(), Poll(), SeriesFault("503", on="get", times=2), DeleteCard(0)),
        inv.CardWrong,
        fixed=True,
    ),
    Regression(
        "a_card_refused_during_post_all_is_never_retried",
        "backfill_refused",
        "NEW: the ticket was handled while no route covered it; its backfilled card was refused once, then forgotten",
        (
            RemoveRoute(dept=None),
            SetRoute(dept="mod", channel="tickets", role=None, backfill=False),
            Crash(point="mirror_unconfirmed", member=0, t=7),
            DiscordFault(kind="card_400", at="support", t=6, times=2),
            SetRoute(dept=None, channel="support", role="Support", backfill=True),
            Poll(),
        ),
        inv.CardWrong,
        fixed=True,
    ),
    Regression(
        "a_config_fault_across_a_restart",
        "restart_timer",
        "HARNESS: the config load at start retried on a real timer, which SimCord's restart could not settle",
        (Poll(), SeriesFault("503", on="config", times=2), Restart()),
        inv.UnexpectedError,
        fixed=True,
    ),
    Regression(
        "first_card_after_the_route_gained_a_role",
        "first_sight_ping",
        "MODEL: a card Discord refused until the route gained a role may mention that role once when it appears",
        (
            Link(member=0, who=0),
            DiscordFault(kind="card_400", at="tickets", t=0, times=2),
            Poll(),
            Poll(),
            Poll(),
            Autocomplete(member=0, command="reply"),
            Poll(),
            Unlink(member=0),
            Poll(),
            DiscordFault(kind="card_400", at="tickets", t=0, times=1),
            Autocomplete(member=0, command="reply"),
            NewTicket(dept="support", report=False),
            NewTicket(dept="support", report=False),
            Slash(member=0, t=0, action="transfer", arg="support"),
            Poll(),
            Autocomplete(member=0, command="reply"),
            Poll(),
            Poll(),
            Unlink(member=0),
            RemoveRoute(dept="support"),
            NewTicket(dept="support", report=False),
            SetRoute(dept=None, channel="tickets", role="Support", backfill=False),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
            Poll(),
        ),
        inv.PingPolicy,
        fixed=True,
    ),
    Regression(
        "ticket_first_listed_after_its_route_gained_a_role",
        "first_sight_ping",
        "MODEL: the invariant allowed only the role at creation; a ticket the bot never listed is new to the route",
        (OddTicket(kind="odd_fields"), SetRoute(dept=None, channel="mod", role="Mods", backfill=False)),
        inv.PingPolicy,
        fixed=True,
    ),
)

FIXED: tuple[Regression, ...] = ()
