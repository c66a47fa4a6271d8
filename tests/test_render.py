from __future__ import annotations

import discord
import pytest

from bot.render import choice_name, clip, player_text, ticket_embed
from tests.helpers import make_ticket


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
