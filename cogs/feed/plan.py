"""What a ticket's card needs: a pure decision from the ticket, its card record and its route.

The publisher asks :func:`plan_card` what to do, does it, and asks again when the answer is "look first". Keeping
the decision free of I/O means every crash-relevant case (a post recorded but never confirmed, a card deleted by
someone, a ticket transferred to another route, a channel the bot can no longer read) is one row in a table test.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.models import Ticket
from bot.repositories import Card, Route

__all__ = ("NEW_TICKET", "ALWAYS", "TRANSFERRED", "CardPlan", "Found", "Lookup", "RouteFacts", "Step", "plan_card")

NEW_TICKET = "New ticket"
TRANSFERRED = "Ticket transferred here"


class Step(Enum):
    SKIP = "skip"  # nothing to do in this server
    LOOK = "look"  # find the card's message first, then ask again
    POST = "post"  # post a new card in the route's channel
    EDIT = "edit"  # edit the card in place
    ADOPT = "adopt"  # a post a crash left unconfirmed was found: edit it and record it
    MOVE = "move"  # the ticket's route is another channel now: mark the old card, post a new one there
    UNREADABLE = "unreadable"  # the card's channel refuses the bot: a route problem


class Lookup(Enum):
    BY_ID = "by id"  # the card was confirmed: fetch its message
    SEARCH = "search"  # the post was recorded but never confirmed: look for it in the channel's recent history


class Found(Enum):
    FOUND = "found"
    GONE = "gone"  # deleted, its channel deleted, or never posted
    FORBIDDEN = "forbidden"  # the bot may no longer read that channel


@dataclass(frozen=True, slots=True)
class CardPlan:
    step: Step
    lookup: Lookup | None = None
    channel_id: int | None = None  # where POST and MOVE post
    ping: bool = False  # mention the route's role with the new card
    note: str = NEW_TICKET  # the line that goes with the ping
    notify: bool = False  # mention the claimer when new player messages reach the thread


SKIP = CardPlan(Step.SKIP)


@dataclass(frozen=True, slots=True)
class RouteFacts:
    """What the ping policy, and the choice of posting old tickets, need to know about a ticket and its route."""

    opened_since_route: bool = False  # the ticket was opened after the route was first set
    transferred: bool = False  # the ticket's department changed since the bot last handled it
    already_pinged: bool = False  # this route's role was already mentioned for this ticket
    backfill: bool = True  # the route posts tickets that were open before it was set


ALWAYS = RouteFacts()


def plan_card(
    ticket: Ticket,
    card: Card | None,
    route: Route | None,
    *,
    route_blocked: bool,
    found: Found | None,
    pings: RouteFacts = ALWAYS,
) -> CardPlan:
    """Decide what ``ticket``'s card in one server needs.

    ``route`` is the route the ticket belongs to now (None: no route covers it); ``route_blocked`` is true while a
    route with a problem waits for its next retry; ``found`` is what looking for the card's message gave (None: not
    looked yet). A card that was only just posted doesn't notify: its thread starts with the history.

    The role is mentioned once per ticket opened since the route existed, never for backfill, a route moved to
    another channel, or a restart; a ticket transferred into a department's own route may mention its role once.
    A route set to post only new tickets gives no card to one that was open before it.
    """
    new_here = pings.opened_since_route and not pings.already_pinged
    if card is None:
        if route is None or not ticket.is_active or route_blocked:
            return SKIP  # no card for tickets that were never active while routed here
        if not (pings.backfill or pings.opened_since_route or pings.transferred):
            return SKIP  # the admin chose "only new ones" when the route was set over open tickets
        return CardPlan(Step.POST, channel_id=route.channel_id, ping=new_here, note=NEW_TICKET)
    if route is not None and route_blocked:
        return SKIP
    if found is None:
        return CardPlan(Step.LOOK, lookup=Lookup.BY_ID if card.message_id is not None else Lookup.SEARCH)
    moving = route is not None and card.channel_id != route.channel_id and ticket.is_active
    if moving:
        assert route is not None
        # An old channel we lost access to must not hold the ticket back from its new route.
        transfer_ping = pings.transferred and route.department != "" and not pings.already_pinged
        return CardPlan(Step.MOVE, channel_id=route.channel_id, ping=transfer_ping, note=TRANSFERRED)
    if found is Found.FORBIDDEN:
        return CardPlan(Step.UNREADABLE)
    if found is Found.FOUND:
        return CardPlan(Step.EDIT if card.message_id is not None else Step.ADOPT, notify=True)
    if route is None:
        return SKIP  # its card is gone and no route covers the ticket any more
    # Deleted by someone (no ping again), or never posted before a crash (it may still be new here).
    return CardPlan(Step.POST, channel_id=route.channel_id, ping=card.message_id is None and new_here, note=NEW_TICKET)
