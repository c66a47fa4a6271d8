"""The decision of what a ticket's card needs, one row per case: every path through ``plan_card``."""

from __future__ import annotations

import itertools

import pytest

from bot.repositories import Card, Route
from cogs.feed.plan import NEW_TICKET, TRANSFERRED, CardPlan, Found, Lookup, RouteFacts, Step, plan_card
from tests.helpers import make_ticket

HERE, THERE = 100, 200  # channel ids
ACTIVE, DONE = make_ticket(Status="open"), make_ticket(Status="closed")
ROUTE_HERE = Route(guild_id=1, department="", channel_id=HERE, ping_role_id=9, problem=None)
ROUTE_THERE = Route(guild_id=1, department="", channel_id=THERE, ping_role_id=9, problem=None)
DEPT_THERE = Route(guild_id=1, department="moderation-dept", channel_id=THERE, ping_role_id=9, problem=None)
CONFIRMED = Card(guild_id=1, ticket_id=ACTIVE.id, channel_id=HERE, message_id=555, thread_id=None)
UNCONFIRMED = Card(guild_id=1, ticket_id=ACTIVE.id, channel_id=HERE, message_id=None, thread_id=None)

SKIP = CardPlan(Step.SKIP)
LOOK_BY_ID = CardPlan(Step.LOOK, lookup=Lookup.BY_ID)
SEARCH = CardPlan(Step.LOOK, lookup=Lookup.SEARCH)
POST_NEW = CardPlan(Step.POST, channel_id=HERE, ping=True, note=NEW_TICKET)
POST_QUIETLY = CardPlan(Step.POST, channel_id=HERE, ping=False, note=NEW_TICKET)
EDIT = CardPlan(Step.EDIT, notify=True)
ADOPT = CardPlan(Step.ADOPT, notify=True)
MOVE = CardPlan(Step.MOVE, channel_id=THERE, ping=False, note=TRANSFERRED)
MOVE_AND_PING = CardPlan(Step.MOVE, channel_id=THERE, ping=True, note=TRANSFERRED)
UNREADABLE = CardPlan(Step.UNREADABLE)

NEW = RouteFacts(opened_since_route=True)  # opened after its route was set, never pinged
OLD = RouteFacts()  # opened before the route existed: backfill
NEW_PINGED = RouteFacts(opened_since_route=True, already_pinged=True)  # e.g. a retry after a crash
TRANSFER = RouteFacts(transferred=True)
TRANSFER_PINGED = RouteFacts(transferred=True, already_pinged=True)

A, D = ACTIVE, DONE
C, U = CONFIRMED, UNCONFIRMED
F, G, X = Found.FOUND, Found.GONE, Found.FORBIDDEN

# (why, ticket, card, route, blocked, found, pings, expected)
ROWS = [
    ("no card, no route: nothing to do", A, None, None, False, None, NEW, SKIP),
    ("no card, ticket not active: never a card for it", D, None, ROUTE_HERE, False, None, NEW, SKIP),
    ("no card, route waiting for its retry", A, None, ROUTE_HERE, True, None, NEW, SKIP),
    ("a new ticket: post with the role ping", A, None, ROUTE_HERE, False, None, NEW, POST_NEW),
    ("backfill of an older ticket: post, no ping", A, None, ROUTE_HERE, False, None, OLD, POST_QUIETLY),
    ("a new ticket already pinged: no second ping", A, None, ROUTE_HERE, False, None, NEW_PINGED, POST_QUIETLY),
    ("a card, route waiting for its retry: no request", A, C, ROUTE_HERE, True, None, NEW, SKIP),
    ("a confirmed card: fetch it first", A, C, ROUTE_HERE, False, None, NEW, LOOK_BY_ID),
    ("an unconfirmed post: search for it first", A, U, ROUTE_HERE, False, None, NEW, SEARCH),
    ("a card with no route left: still looked up", A, C, None, False, None, NEW, LOOK_BY_ID),
    ("found: edit it, and notify the claimer", A, C, ROUTE_HERE, False, F, NEW, EDIT),
    ("found after a crash: adopt it", A, U, ROUTE_HERE, False, F, NEW, ADOPT),
    ("found, no route left: keep it true", A, C, None, False, F, NEW, EDIT),
    ("found, ticket closed: keep it true", D, C, ROUTE_HERE, False, F, NEW, EDIT),
    ("deleted by someone: put back, no ping", A, C, ROUTE_HERE, False, G, NEW, POST_QUIETLY),
    ("never posted before a crash: post, it is new", A, U, ROUTE_HERE, False, G, NEW, POST_NEW),
    ("never posted, ping recorded: no ping", A, U, ROUTE_HERE, False, G, NEW_PINGED, POST_QUIETLY),
    ("never posted, older ticket: no ping", A, U, ROUTE_HERE, False, G, OLD, POST_QUIETLY),
    ("closed and its card deleted: put back", D, C, ROUTE_HERE, False, G, NEW, POST_QUIETLY),
    ("gone and no route left: nothing to do", A, C, None, False, G, NEW, SKIP),
    ("the channel refuses the bot", A, C, ROUTE_HERE, False, X, NEW, UNREADABLE),
    ("route moved to another channel: move, no ping", A, C, ROUTE_THERE, False, F, NEW, MOVE),
    ("transfer into the default route: no ping", A, C, ROUTE_THERE, False, F, TRANSFER, MOVE),
    ("transfer into a department route: ping once", A, C, DEPT_THERE, False, F, TRANSFER, MOVE_AND_PING),
    ("transfer, that route already pinged", A, C, DEPT_THERE, False, F, TRANSFER_PINGED, MOVE),
    ("transferred, old card deleted: post there", A, C, ROUTE_THERE, False, G, NEW, MOVE),
    ("transferred, old channel unreadable", A, C, ROUTE_THERE, False, X, NEW, MOVE),
    ("transferred, unconfirmed old post: move", A, U, ROUTE_THERE, False, G, NEW, MOVE),
    ("closed in another route: old card stays true", D, C, ROUTE_THERE, False, F, NEW, EDIT),
]


@pytest.mark.parametrize(
    ("why", "ticket", "card", "route", "blocked", "found", "pings", "expected"), ROWS, ids=[r[0] for r in ROWS]
)
def test_row(why, ticket, card, route, blocked, found, pings, expected):
    assert plan_card(ticket, card, route, route_blocked=blocked, found=found, pings=pings) == expected


def test_every_combination_is_decided_and_consistent():
    """Beyond the table: over every combination, the decision is total and its invariants hold."""
    tickets, cards = (ACTIVE, DONE), (None, CONFIRMED, UNCONFIRMED)
    routes, founds = (None, ROUTE_HERE, ROUTE_THERE, DEPT_THERE), (None, *Found)
    facts = [RouteFacts(*bits) for bits in itertools.product((False, True), repeat=3)]
    for ticket, card, route, blocked, found, pings in itertools.product(
        tickets, cards, routes, (False, True), founds, facts
    ):
        plan = plan_card(ticket, card, route, route_blocked=blocked, found=found, pings=pings)
        if plan.step in (Step.POST, Step.MOVE):
            assert route is not None and plan.channel_id == route.channel_id and not blocked
            assert not plan.notify  # a fresh card's thread starts with the history, not with pings
        if plan.step is Step.LOOK:
            assert card is not None and found is None
        if card is None:
            assert plan.step in (Step.SKIP, Step.POST)
        if plan.ping:  # the policy: never twice, and only for a new ticket or a transfer into a department's route
            assert plan.step in (Step.POST, Step.MOVE) and not pings.already_pinged and route is not None
            assert pings.opened_since_route if plan.step is Step.POST else pings.transferred and route.department
        if blocked and route is not None:
            assert plan.step is Step.SKIP
