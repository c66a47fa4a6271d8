"""Input rules, checked before any API call or write."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.validation import clean_message, clean_roblox_id, clean_ticket_id, has_visible_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TICKET-1-A", "TICKET-1-A"),
        ("  ticket-12-AB9 ", "TICKET-12-AB9"),
        ("#TICKET-1-Z", "TICKET-1-Z"),
        ("0123456789abcdef01234567", "0123456789abcdef01234567"),
    ],
)
def test_ticket_ids_accepted(raw, expected):
    assert clean_ticket_id(raw) == expected


def test_message_rules():
    assert clean_message("  hi  ") == "hi"
    assert len(clean_message("x" * 4000)) == 4000
    with pytest.raises(InvalidInput) as info:
        clean_message("x" * 4001)
    assert "4,001" in info.value.message and info.value.text == "x" * 4001
    assert not has_visible_text("\u200b \ufeff\n")
    assert has_visible_text("\u200bé")


@pytest.mark.parametrize(("raw", "value"), [("1", 1), (str(2**53 - 1), 2**53 - 1), ("roblox.com/users/77/profile", 77)])
def test_roblox_ids_accepted(raw, value):
    assert clean_roblox_id(raw) == value
