"""Typed views of Series payloads: forgiving about what Series leaves open, never crashing on odd data."""

from __future__ import annotations

import pytest

from bot.models import Author, KeyInfo, Message, Ticket, TicketConfig, TicketPage, parse_time
from tests.helpers import make_ticket


def test_messages_sorted_by_time_not_key_order():
    ticket = make_ticket()
    assert [m.content for m in ticket.messages] == ["first", "second", "claimed"]
    assert ticket.first_message.content == "first"


@pytest.mark.parametrize(
    ("claimed_by", "expected"), [(None, None), (0, None), ("", None), (987654321, 987654321), ("42", 42), (True, None)]
)
def test_unclaimed_shows_in_any_of_the_shapes_series_might_use(claimed_by, expected):
    assert make_ticket(ClaimedBy=claimed_by).claimed_by == expected


def test_claimer_name_from_the_list_or_the_get_shape():
    assert make_ticket(ClaimedBy=5, ClaimedByName="Amy").claimed_by_name == "Amy"
    user = {"UserId": 5, "DisplayName": "Amy D", "Username": "amy"}
    assert make_ticket(ClaimedBy=5, ClaimedByUser=user).claimed_by_name == "Amy D"


@pytest.mark.parametrize("payload", [None, [], "text", 3, {"TicketId": 7, "Author": "x", "Content": [1, 2]}])
def test_odd_payloads_become_empty_fields_not_crashes(payload):
    ticket = Ticket.from_api(payload)
    assert isinstance(ticket.id, str) and ticket.messages == () and ticket.author.name == "Unknown player"


def test_author_name_reads_like_the_player():
    assert Author(1, "player123", "Player Name", "").name == "Player Name (@player123)"
    assert Author(1, "same", "same", "").name == "same"
    assert Author(None, "", "", "").name == "Unknown player"


def test_message_kinds_and_unknown_types():
    player = Message.from_api("msj_1_a", {"Type": "author_message", "Content": "hi", "Author": 1})
    staff = Message.from_api("msj_2_b", {"Type": "staff_message", "Content": "yo", "Author": "2"})
    system = Message.from_api("msj_3_c", {"Type": "ticket_claimed"})
    assert player.is_player and not player.is_staff
    assert staff.is_staff and staff.author_id == 2
    assert not system.is_player and not system.is_staff


def test_page_and_config_and_key():
    page = TicketPage.from_api({"Tickets": [{"TicketId": "TICKET-1-A"}], "Pagination": {"HasNextPage": True}})
    assert [t.id for t in page.tickets] == ["TICKET-1-A"] and page.has_next and page.page == 1
    config = TicketConfig.from_api(
        {
            "Categories": {"support": {"Name": "Support"}, "broken": "x"},
            "Departments": {"d": {"Name": "Dept", "Members": [1, "2", None, True], "Categories": ["support", 3]}},
        }
    )
    assert config.categories == {"support": "Support"}
    assert config.departments["d"].members == (1, 2) and config.departments["d"].categories == ("support",)
    assert config.department_name("unknown") == "unknown" and config.category_name("support") == "Support"
    assert KeyInfo.from_api({"valid": False, "message": "API key is inactive or invalid"}).valid is False
    assert KeyInfo.from_api({"valid": "yes"}).valid is False  # only a real true counts


def test_times():
    assert parse_time("2025-01-15T10:30:00.000Z").isoformat() == "2025-01-15T10:30:00+00:00"
    assert parse_time("2025-01-15T10:30:00").tzinfo is not None
    assert parse_time("") is None and parse_time("yesterday") is None
