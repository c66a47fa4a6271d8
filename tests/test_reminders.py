"""Which tickets are due a reminder, at any moment a test picks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.reminders import due_reminders
from bot.repositories import Route
from tests.helpers import make_ticket

OPENED = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)  # make_ticket's CreatedAt
ROUTE = Route(1, "", 100, 7, None, remind_unclaimed=30, remind_waiting=60)


def due(now, *, tickets, last=None, sent=frozenset(), routes=(ROUTE,)):
    return [
        (d.ticket.id, d.kind, d.wait)
        for d in due_reminders(now=now, routes=routes, tickets=tickets, last_messages=last or {}, sent=set(sent))
    ]


def test_unclaimed_is_due_once_the_minutes_have_passed():
    ticket = make_ticket()
    assert due(OPENED + timedelta(minutes=29, seconds=59), tickets=[ticket]) == []
    assert due(OPENED + timedelta(minutes=30), tickets=[ticket]) == [(ticket.id, "unclaimed", "opened")]
    sent = {(1, ticket.id, "unclaimed", "opened")}
    assert due(OPENED + timedelta(days=3), tickets=[ticket], sent=sent) == []  # once per ticket


def test_claimed_resolved_or_closed_tickets_get_no_unclaimed_reminder():
    late = OPENED + timedelta(hours=5)
    assert due(late, tickets=[make_ticket(ClaimedBy=42, Status="in-progress")]) == []
    assert due(late, tickets=[make_ticket(Status="resolved")]) == []
    assert due(late, tickets=[make_ticket(Status="closed")]) == []


def test_waiting_is_per_player_message_and_ends_with_a_reply():
    ticket = make_ticket(ClaimedBy=42, Status="in-progress")
    wrote = OPENED + timedelta(hours=1)
    last = {ticket.id: ("player", "msj_9", wrote.isoformat().replace("+00:00", "Z"))}
    assert due(wrote + timedelta(minutes=59), tickets=[ticket], last=last) == []
    assert due(wrote + timedelta(minutes=60), tickets=[ticket], last=last) == [(ticket.id, "waiting", "msj_9")]
    sent = {(1, ticket.id, "waiting", "msj_9")}
    assert due(wrote + timedelta(hours=9), tickets=[ticket], last=last, sent=sent) == []
    again = {ticket.id: ("player", "msj_10", (wrote + timedelta(hours=2)).isoformat())}  # a new message: a new wait
    assert due(wrote + timedelta(hours=3), tickets=[ticket], last=again, sent=sent) == [
        (ticket.id, "waiting", "msj_10")
    ]
    answered = {ticket.id: ("replied", "msj_11", (wrote + timedelta(hours=2, minutes=5)).isoformat())}
    assert due(wrote + timedelta(hours=9), tickets=[ticket], last=answered) == []


def test_off_routes_and_other_departments():
    ticket = make_ticket()
    late = OPENED + timedelta(hours=5)
    off = Route(1, "", 100, None, None)
    assert due(late, tickets=[ticket], routes=[off]) == []
    own = Route(1, "support-dept", 200, None, None, remind_unclaimed=0)  # the department's route wins: off
    assert due(late, tickets=[ticket], routes=[ROUTE, own]) == []
    other_server = Route(2, "", 300, None, None, remind_unclaimed=10)
    assert due(late, tickets=[ticket], routes=[ROUTE, other_server]) == [
        (ticket.id, "unclaimed", "opened"),
        (ticket.id, "unclaimed", "opened"),
    ]


def test_decimal_minutes():
    route = Route(1, "", 100, None, None, remind_unclaimed=0.5)
    assert due(OPENED + timedelta(seconds=29), tickets=[make_ticket()], routes=[route]) == []
    assert len(due(OPENED + timedelta(seconds=30), tickets=[make_ticket()], routes=[route])) == 1
