from __future__ import annotations

import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def unescaped(text: str, chars: str = "[]") -> list[str]:
    """The characters of ``chars`` that Discord would read as markdown (not preceded by an escaping backslash)."""
    found, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in chars:
            found.append(text[i])
        i += 1
    return found


LINKY = st.text(alphabet="[]()<>\\\n :/.#*_`|~@ehtpsxa\u200b", max_size=80)
URL = st.from_regex(r"https?://[a-z]{1,10}\.[a-z]{2,3}(/[a-z0-9]{0,6})?", fullmatch=True)
LABEL = st.text(alphabet="[]()\n ab\\*_<>", min_size=0, max_size=20)


@pytest.mark.parametrize(
    "text",
    [
        "[a\nb](https://evil.example)",  # a newline in the label
        "[[x]](https://evil.example)",  # nested brackets
        "[click [here]](https://evil.example)",
        "[x](https://a) [y](https://b)",
        "\\[z](https://q)",  # the player's own backslash
        "[a](<https://evil.example>)",
        '[a](https://evil.example "title")',
    ],
)
def test_no_masked_link_survives_whatever_its_shape(text):
    shown = player_text(text, 4000)
    assert unescaped(shown) == []
    assert "https://" in shown  # and the address stays visible


@given(LINKY, st.integers(min_value=2, max_value=300))
def test_no_player_text_can_form_a_masked_link(text, limit):
    """Whatever the player wrote and wherever it is cut, no '[' or ']' is left for Discord to read as a link."""
    shown = player_text(text, limit)
    assert unescaped(shown) == []
    assert len(shown) <= limit
    assert not (len(shown) - len(shown.rstrip("\\"))) % 2  # never ends in a backslash that escapes nothing


@given(LABEL, URL, LABEL)
def test_a_link_always_shows_where_it_goes(before, url, label):
    """Honest links: the address of every link the player wrote is visible, whatever the label says."""
    shown = player_text(f"{before}[{label}]({url}){before}", 4000)
    assert unescaped(shown) == []
    assert url.split("//", 1)[1].split("/")[0] in shown.replace("\\", "")
