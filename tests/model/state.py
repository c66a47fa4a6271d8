"""The model: what the test expects, kept next to the real bot while a program runs.

Series itself (the fake's state) is the ground truth for tickets; the model keeps what only the test knows: who is
linked to which Roblox id *at each moment*, which routes the admin set and when, when each ticket was created and
transferred (to know which pings are allowed), every text a staff member submitted and what they were answered,
the reply boxes still open, and which faults are active (to know which invariants must hold right now).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import simcord

__all__ = ("Box", "Model", "Offered", "Route", "Submission", "TicketInfo")


@dataclass
class TicketInfo:
    id: str
    created: int  # the step that created it
    odd: str | None = None  # "bad_id" (a TicketId outside TICKET-<digits>-<alnum>) or "odd_fields"
    creation_role: str | None = None  # the ping role of the route that covered it when it was created
    # The ping role of its route when the bot first listed it: a ticket the bot never saw before a route changed is
    # new to that route as it is now (policy: one mention per ticket new since the route existed).
    first_listed_role: str | None = None
    listed: bool = False
    transfer_roles: list[str] = field(default_factory=list)  # per transfer: the ping role covering the target
    # A transfer the bot hasn't seen yet (it learns it at its next look): to the bot, the ticket moves into the
    # route that covers the department *then*, which may have gained a role since.
    unseen_transfer: str | None = None


@dataclass
class Submission:
    """A text a staff member submitted (``/reply``, a Reply box, an Edit and send box)."""

    n: int
    member: int
    ticket: str
    text: str
    step: int
    via: str
    link: int | None  # the member's Roblox id when they submitted it
    results: list[simcord.InteractionResult] = field(default_factory=list)  # the submit and every retry
    crashed: bool = False  # the bot died while handling it: judged after the restart


@dataclass
class Box:
    """A Reply box (modal) shown to a member and not submitted yet."""

    member: int
    ticket: str
    shown: simcord.InteractionResult
    generation: int  # the bot generation that showed it
    editing: Submission | None = None  # an Edit and send box: the failed reply it edits
    submitted: bool = False
    claim: bool = False  # a "Claim and reply" box (the ticket was unclaimed): sending it claims the ticket first


@dataclass
class Offered:
    """An answer that handed a failed reply back with buttons (Claim and send, Edit and send, Check and send)."""

    submission: Submission
    message: simcord.ResponseMessage
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    channel: str
    role: str | None
    # Tickets that existed when the route was set over open tickets and the admin didn't ask to post them: they
    # may have no card in it (one they already had still has to be right).
    exempt: frozenset[str] = frozenset()
    since: int = 0  # the step that first set this department's route (changing it keeps it, as the bot does)


@dataclass
class Model:
    links: dict[int, int | None] = field(default_factory=dict)
    linked_ever: dict[int, set[int]] = field(default_factory=dict)  # member -> every Roblox id it ever had
    routes: dict[str, Route] = field(default_factory=dict)  # "" (default route) or a department id -> route
    # UpdatedAt of each ticket when a route last changed: an unchanged ticket's card may stay where it was.
    route_snapshot: dict[str, str] = field(default_factory=dict)
    tickets: list[TicketInfo] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    offered: list[Offered] = field(default_factory=list)
    all_results: list[tuple[int, simcord.InteractionResult]] = field(default_factory=list)  # (member, result)
    # Why the feed may lag right now (cleared by a Converge): the strict per-poll checks are off while set.
    degraded: set[str] = field(default_factory=set)
    blocked_channels: set[str] = field(default_factory=set)  # a route-level Discord fault hit these channels
    failing: set[str] = field(default_factory=set)  # tickets that failed by themselves (their own Discord fault)
    ghosts: set[int] = field(default_factory=set)  # cards an injected 404 called deleted (they still show)
    reopened: set[str] = field(default_factory=set)  # closed tickets the website reopened since the last Poll
    # Tickets the bot last saw resolved or closed (its last fetch of them said so): they are in no list it can walk,
    # so a later change to them is seen by its watch of finished tickets (within minutes, not at the next poll);
    # Converge checks them.
    seen_done: set[str] = field(default_factory=set)
    carded: set[str] = field(default_factory=set)  # tickets that have had a card posted (anywhere)
    pending_429: tuple[str, int, int] | None = None  # while a 429 is armed: (kind, pauses, 429s answered) before
    texts: int = 0
    step: int = 0

    def new_text(self, member: int) -> str:
        self.texts += 1
        return f"reply {self.texts} from s{member}: hello"

    def link(self, member: int, roblox_id: int | None) -> None:
        self.links[member] = roblox_id
        if roblox_id is not None:
            self.linked_ever.setdefault(member, set()).add(roblox_id)

    def route_for(self, department: str) -> Route | None:
        return self.routes.get(department) or self.routes.get("")

    def addressable(self) -> list[TicketInfo]:
        """Tickets staff can name in Discord (not the ones with an id the bot must refuse)."""
        return [t for t in self.tickets if t.odd != "bad_id"]

    def pick(self, index: int) -> TicketInfo | None:
        tickets = self.addressable()
        return tickets[index % len(tickets)] if tickets else None

    def open_boxes(self) -> list[Box]:
        return [b for b in self.boxes if not b.submitted]

    def healthy(self) -> bool:
        return not self.degraded
