"""The decision of what a ticket's card needs, one row per case: every path through ``plan_card``."""

from __future__ import annotations

import itertools

import pytest

from bot.repositories import Card, Route
from cogs.feed.plan import NEW_TICKET, TRANSFERRED, CardPlan, Found, Lookup, Step, plan_card
from tests.helpers import make_ticket

HERE, THERE = 100, 200  # channel ids
ACTIVE, DONE = make_ticket(Status="open"), make_ticket(Status="closed")
ROUTE_HERE = Route(guild_id=1, department="", channel_id=HERE, ping_role_id=9, problem=None)
ROUTE_THERE = Route(guild_id=1, department="", channel_id=THERE, ping_role_id=9, problem=None)
CONFIRMED = Card(guild_id=1, ticket_id=ACTIVE.id, channel_id=HERE, message_id=555, thread_id=None)
UNCONFIRMED = Card(guild_id=1, ticket_id=ACTIVE.id, channel_id=HERE, message_id=None, thread_id=None)

SKIP = CardPlan(Step.SKIP)
LOOK_BY_ID = CardPlan(Step.LOOK, lookup=Lookup.BY_ID)
SEARCH = CardPlan(Step.LOOK, lookup=Lookup.SEARCH)
POST_NEW = CardPlan(Step.POST, channel_id=HERE, ping=True, note=NEW_TICKET)
REPOST_QUIETLY = CardPlan(Step.POST, channel_id=HERE, ping=False, note=NEW_TICKET)
EDIT = CardPlan(Step.EDIT, notify=True)
ADOPT = CardPlan(Step.ADOPT, notify=True)
MOVE = CardPlan(Step.MOVE, channel_id=THERE, ping=True, note=TRANSFERRED)
UNREADABLE = CardPlan(Step.UNREADABLE)

# (why, ticket, card, route, blocked, found, expected)
ROWS = [
    ("no card, no route: nothing to do", ACTIVE, None, None, False, None, SKIP),
    ("no card, ticket not active: never a card for it", DONE, None, ROUTE_HERE, False, None, SKIP),
    ("no card, route waiting for its retry", ACTIVE, None, ROUTE_HERE, True, None, SKIP),
    ("a new ticket: post with the role ping", ACTIVE, None, ROUTE_HERE, False, None, POST_NEW),
    ("a card, route waiting for its retry: no request at all", ACTIVE, CONFIRMED, ROUTE_HERE, True, None, SKIP),
    ("a confirmed card: fetch it first", ACTIVE, CONFIRMED, ROUTE_HERE, False, None, LOOK_BY_ID),
    ("an unconfirmed post: search for it first", ACTIVE, UNCONFIRMED, ROUTE_HERE, False, None, SEARCH),
    ("a card with no route left: still looked up", ACTIVE, CONFIRMED, None, False, None, LOOK_BY_ID),
    ("found: edit it, and notify the claimer", ACTIVE, CONFIRMED, ROUTE_HERE, False, Found.FOUND, EDIT),
    ("found after a crash: adopt it", ACTIVE, UNCONFIRMED, ROUTE_HERE, False, Found.FOUND, ADOPT),
    ("found, no route left: keep it true", ACTIVE, CONFIRMED, None, False, Found.FOUND, EDIT),
    ("found, ticket closed: keep it true", DONE, CONFIRMED, ROUTE_HERE, False, Found.FOUND, EDIT),
    (
        "deleted by someone: put it back without a ping",
        ACTIVE,
        CONFIRMED,
        ROUTE_HERE,
        False,
        Found.GONE,
        REPOST_QUIETLY,
    ),
    ("never posted before a crash: post, it is new", ACTIVE, UNCONFIRMED, ROUTE_HERE, False, Found.GONE, POST_NEW),
    ("closed and its card deleted: put it back", DONE, CONFIRMED, ROUTE_HERE, False, Found.GONE, REPOST_QUIETLY),
    ("gone and no route left: nothing to do", ACTIVE, CONFIRMED, None, False, Found.GONE, SKIP),
    ("the channel refuses the bot", ACTIVE, CONFIRMED, ROUTE_HERE, False, Found.FORBIDDEN, UNREADABLE),
    ("transferred to another route: move", ACTIVE, CONFIRMED, ROUTE_THERE, False, Found.FOUND, MOVE),
    ("transferred, old card deleted: post there", ACTIVE, CONFIRMED, ROUTE_THERE, False, Found.GONE, MOVE),
    (
        "transferred, old channel unreadable: not held back",
        ACTIVE,
        CONFIRMED,
        ROUTE_THERE,
        False,
        Found.FORBIDDEN,
        MOVE,
    ),
    ("transferred, unconfirmed old post: move", ACTIVE, UNCONFIRMED, ROUTE_THERE, False, Found.GONE, MOVE),
    ("closed in another route: the old card stays true", DONE, CONFIRMED, ROUTE_THERE, False, Found.FOUND, EDIT),
]


@pytest.mark.parametrize(
    ("why", "ticket", "card", "route", "blocked", "found", "expected"), ROWS, ids=[r[0] for r in ROWS]
)
def test_row(why, ticket, card, route, blocked, found, expected):
    assert plan_card(ticket, card, route, route_blocked=blocked, found=found) == expected


def test_every_combination_is_decided_and_consistent():
    """Beyond the table: over every combination, the decision is total and its invariants hold."""
    tickets, cards = (ACTIVE, DONE), (None, CONFIRMED, UNCONFIRMED)
    routes, founds = (None, ROUTE_HERE, ROUTE_THERE), (None, *Found)
    for ticket, card, route, blocked, found in itertools.product(tickets, cards, routes, (False, True), founds):
        plan = plan_card(ticket, card, route, route_blocked=blocked, found=found)
        if plan.step in (Step.POST, Step.MOVE):
            assert route is not None and plan.channel_id == route.channel_id and not blocked
            assert not plan.notify  # a fresh card's thread starts with the history, not with pings
        if plan.step is Step.LOOK:
            assert card is not None and found is None
        if card is None:
            assert plan.step in (Step.SKIP, Step.POST)
        if plan.ping:
            assert plan.step in (Step.POST, Step.MOVE)
        if blocked and route is not None:
            assert plan.step is Step.SKIP
