from __future__ import annotations

import discord
import pytest

from bot.errors import InvalidInput
from bot.models import Ticket
from bot.render import choice_name, clip, player_text, ticket_embed
from bot.validation import clean_message, clean_roblox_id, clean_ticket_id, has_visible_text


def make_ticket(**overrides) -> Ticket:
    data = {
        "TicketId": "TICKET-1234567890-ABCD",
        "_id": "0123456789abcdef01234567",
        "Subject": "Help with ranking",
        "Category": "support",
        "Department": "support-dept",
        "Status": "open",
        "Priority": "high",
        "Author": {"UserId": 1, "Username": "p", "DisplayName": "P", "AvatarUrl": "https://a/b.png"},
        "Content": {
            "msj_2_b": {
                "Content": "second",
                "Author": 1,
                "Type": "author_message",
                "Timestamp": "2025-01-15T10:31:00.000Z",
            },
            "msj_1_a": {
                "Content": "first",
                "Author": 1,
                "Type": "author_message",
                "Timestamp": "2025-01-15T10:30:00.000Z",
            },
            "msj_3_c": {
                "Content": "claimed",
                "Author": 9,
                "Type": "system_message",
                "Timestamp": "2025-01-15T10:32:00.000Z",
            },
        },
        "ClaimedBy": None,
        "GameReport": False,
        "CreatedAt": "2025-01-15T10:30:00.000Z",
        "UpdatedAt": "2025-01-15T10:32:00.000Z",
    }
    data.update(overrides)
    return Ticket.from_api(data)


def test_messages_sorted_by_time_not_key_order():
    ticket = make_ticket()
    assert [m.content for m in ticket.messages] == ["first", "second", "claimed"]
    assert ticket.first_message.content == "first"


def test_player_text_neutralises_mentions_markdown_and_masked_links():
    text = player_text("@everyone <@&1> **x** [free](https://evil.example) \u202eabc", 4096)
    assert "@everyone" not in text and "@\u200beveryone" in text
    assert "\\*\\*x\\*\\*" in text
    assert "free (https://evil.example)" in text.replace("\\", "")
    assert "\u202e" not in text


def test_clip_escapes_first_and_never_ends_in_a_lone_backslash():
    text = player_text("*" * 5000, 100)
    assert len(text) <= 100 and text.endswith("…") and not text.endswith("\\…")
    assert clip("abc", 3) == "abc" and clip("abcd", 3) == "ab…"
    assert player_text("   ", 10) == "*(empty)*"


@pytest.mark.parametrize("subject", ["", "   ", "x" * 300, "@everyone " * 40])
@pytest.mark.parametrize("message", ["", "y" * 10_000, "**" * 5000])
def test_embed_always_within_limits(subject, message):
    ticket = make_ticket(
        Subject=subject,
        Content={"msj_1_a": {"Content": message, "Author": 1, "Type": "author_message", "Timestamp": ""}},
        Author={"UserId": 1, "Username": "u" * 300, "DisplayName": "d" * 300, "AvatarUrl": "javascript:alert(1)"},
    )
    for embed in (ticket_embed(ticket), ticket_embed(ticket, recent=5)):
        assert len(embed) <= 6000
        assert 0 < len(embed.title) <= 256 and len(embed.description or "") <= 4096
        assert len(embed.author.name) <= 256 and embed.author.icon_url is None
        assert all(0 < len(f.value) <= 1024 and 0 < len(f.name) <= 256 for f in embed.fields)


def test_choice_name_is_1_to_100():
    assert 1 <= len(choice_name(make_ticket(Subject=""))) <= 100
    assert len(choice_name(make_ticket(Subject="s" * 500))) == 100


def test_status_colours():
    assert ticket_embed(make_ticket(Status="closed")).colour == discord.Colour.dark_grey()
    assert ticket_embed(make_ticket(Status="in-progress")).colour == discord.Colour.gold()


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
    assert "4,001" in info.value.message and info.value.embeds[0].description == "x" * 4001
    assert not has_visible_text("\u200b \ufeff\n")
    assert has_visible_text("\u200bé")


@pytest.mark.parametrize(("raw", "value"), [("1", 1), (str(2**53 - 1), 2**53 - 1), ("roblox.com/users/77/profile", 77)])
def test_roblox_ids_accepted(raw, value):
    assert clean_roblox_id(raw) == value
