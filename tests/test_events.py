"""Events: what each look at a ticket shows, dated by Series, recorded once however often the bot looks."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.events import EventRecorder, derive
from bot.repositories import EventRepo, TicketState
from tests.helpers import make_ticket

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def kinds(events) -> list[tuple[str, str]]:
    return [(e.kind, e.at) for e in events]


def staff_message(key: str, at: str, author: int = 42, text: str = "hello") -> dict:
    return {key: {"Content": text, "Author": author, "Type": "staff_message", "Timestamp": at}}


def test_a_first_look_records_opened_and_messages_but_no_state_changes():
    ticket = make_ticket(ClaimedBy=42, Status="in-progress")
    events = derive(ticket, None, observed_at=NOW)
    assert kinds(events) == [
        ("opened", "2025-01-15T10:30:00.000Z"),
        ("player", "2025-01-15T10:30:00.000Z"),
        ("player", "2025-01-15T10:31:00.000Z"),
    ]  # the claim happened before the bot looked: not dated, so not counted


def test_state_changes_are_dated_by_updated_at_and_credited():
    before = TicketState("TICKET-1234567890-ABCD", "open", None, "support-dept", "2025-01-15T10:32:00.000Z")
    claimed = make_ticket(ClaimedBy=42, Status="in-progress", UpdatedAt="2025-01-15T10:40:00.000Z")
    assert [(e.kind, e.actor) for e in derive(claimed, before, observed_at=NOW)][-1:] == [("claimed", 42)]
    state = TicketState(claimed.id, "in-progress", 42, "support-dept", claimed.updated_at)
    resolved = make_ticket(ClaimedBy=42, Status="resolved", UpdatedAt="2025-01-15T11:00:00.000Z")
    [last] = derive(resolved, state, observed_at=NOW)[-1:]
    assert (last.kind, last.at, last.actor) == ("resolved", "2025-01-15T11:00:00.000Z", 42)
    moved = make_ticket(Department="mod-dept", ClaimedBy=None, Status="open", UpdatedAt="2025-01-15T11:05:00.000Z")
    changes = [(e.kind, e.actor, e.department) for e in derive(moved, state, observed_at=NOW)[3:]]
    assert changes == [("transferred", None, "mod-dept"), ("unclaimed", 42, "mod-dept")]
    done = TicketState(claimed.id, "closed", None, "support-dept", "x")
    reopened = make_ticket(Status="open", UpdatedAt="2025-01-15T12:00:00.000Z")
    assert derive(reopened, done, observed_at=NOW)[-1].kind == "reopened"


def test_staff_replies_count_with_their_author_and_odd_times_are_skipped():
    content = {
        **staff_message("msj_5_a", "2025-01-15T10:35:00Z", author=42),
        **staff_message("msj_6_b", "not a time", author=43),
        "msj_7_c": {"Content": "?", "Author": 1, "Type": "weird", "Timestamp": "2025-01-15T10:36:00Z"},
    }
    events = derive(make_ticket(Content=content), None, observed_at=NOW)
    assert [(e.kind, e.at, e.actor) for e in events] == [
        ("opened", "2025-01-15T10:30:00.000Z", None),
        ("replied", "2025-01-15T10:35:00.000Z", 42),  # normalised to the one sortable form
    ]


def test_odd_updated_at_falls_back_to_when_the_bot_looked():
    before = TicketState("TICKET-1234567890-ABCD", "open", None, "support-dept", "")
    ticket = make_ticket(ClaimedBy=7, UpdatedAt="")
    [claim] = [e for e in derive(ticket, before, observed_at=NOW) if e.kind == "claimed"]
    assert claim.at == "2025-01-15T12:00:00.000Z"


async def test_recording_is_idempotent_across_looks_and_restarts(db):
    recorder = EventRecorder(repo=EventRepo(db), now=lambda: NOW)
    ticket = make_ticket(Content=staff_message("msj_5_a", "2025-01-15T10:35:00.000Z"))
    assert await recorder.observe(ticket) == 2  # opened, replied (no player message: Content replaced)
    assert await recorder.observe(ticket) == 0
    restarted = EventRecorder(repo=EventRepo(db), now=lambda: NOW)  # a new process, the same database
    assert await restarted.observe(ticket) == 0
    claimed = make_ticket(
        Content=staff_message("msj_5_a", "2025-01-15T10:35:00.000Z"), ClaimedBy=42, UpdatedAt="2025-01-15T10:50Z"
    )
    assert await restarted.observe(claimed) == 1
    assert await restarted.observe(claimed) == 0
    rows = await db.fetchall("SELECT kind FROM ticket_events ORDER BY at, id")
    assert [r[0] for r in rows] == ["opened", "replied", "claimed"]


STATES = st.tuples(
    st.sampled_from(["open", "in-progress", "resolved", "closed"]),
    st.sampled_from([None, 42, 43]),
    st.sampled_from(["support-dept", "mod-dept"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(STATES, min_size=1, max_size=8))
def test_a_run_of_looks_records_each_change_once(states):
    """Whatever sequence of states Series shows, each look's changes are recorded exactly once: claims count the
    claimer changes, resolves the moves into resolved, and looking twice at the same state adds nothing."""
    previous: TicketState | None = None
    seen: dict[str, object] = {}
    for minute, (status, claimer, department) in enumerate(states):
        ticket = make_ticket(
            Status=status, ClaimedBy=claimer, Department=department, UpdatedAt=f"2025-01-15T11:{minute:02d}:00.000Z"
        )
        for _ in range(2):  # the same look twice (a poll and an action's refresh)
            for event in derive(ticket, previous, observed_at=NOW):
                seen.setdefault(event.key, event)
            previous = TicketState(ticket.id, status, claimer, department, ticket.updated_at)
    claims = sum(1 for a, b in zip(states, states[1:], strict=False) if a[1] != b[1] and b[1] is not None)
    resolves = sum(1 for a, b in zip(states, states[1:], strict=False) if a[0] != b[0] and b[0] == "resolved")
    recorded = [e.kind for e in seen.values()]  # type: ignore[attr-defined]
    assert recorded.count("claimed") == claims
    assert recorded.count("resolved") == resolves
    assert recorded.count("opened") == 1
