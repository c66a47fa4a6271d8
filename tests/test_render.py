from __future__ import annotations

import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Message, TicketConfig
from bot.render import (
    STATUS_COLOURS,
    card_embed,
    choice_name,
    clip,
    detail_embed,
    event_line,
    message_embed,
    moved_embed,
    player_text,
    short_ref,
    thread_name,
)
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
    speech = Message("msj_2_b", message, 1, "author_message", "2025-01-15T10:31:00.000Z")
    for embed in (
        card_embed(ticket),
        detail_embed(ticket, recent=5),
        message_embed(ticket, speech, speaker="x" * 300),
        moved_embed(ticket, channel_id=1, by="y" * 300),
    ):
        assert len(embed) <= 6000
        assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
        assert len(embed.author.name) <= 256 and embed.author.icon_url is None
        assert all(0 < len(f.value) <= 1024 and 0 < len(f.name) <= 256 for f in embed.fields)


def test_choice_name_reads_like_the_ticket_and_always_shows_its_reference():
    ticket = make_ticket(Subject="Can't rank up", Author={"UserId": 1, "Username": "alex99", "DisplayName": "Alex"})
    assert choice_name(ticket) == "Can't rank up · Alex (@alex99) · Open · #ABCD"
    long = choice_name(make_ticket(Subject="s" * 500))
    assert len(long) == 100 and long.endswith("· Open · #ABCD")
    assert 1 <= len(choice_name(make_ticket(Subject=""))) <= 100 and "(no subject)" in choice_name(
        make_ticket(Subject="")
    )


def test_thread_names_lead_with_the_subject():
    assert thread_name(make_ticket(Subject="Help with ranking")) == "Help with ranking · #ABCD"
    named = thread_name(make_ticket(Subject="@everyone " + "z" * 200))
    assert len(named) <= 100 and named.endswith(" · #ABCD") and "@everyone" not in named


def test_short_references():
    assert short_ref("TICKET-1749740440000-UJZD") == "#UJZD" and short_ref("0123456789abcdef01234567") == "#234567"


def fields(embed) -> dict[str, str]:
    return {f.name: f.value for f in embed.fields}


def test_a_card_leads_with_what_people_recognise_and_shows_three_facts():
    ticket = make_ticket(Priority="medium", ClaimedBy=5, ClaimedByName="Amy", Status="in-progress")
    card = card_embed(ticket)
    assert card.title == "Help with ranking" and card.footer.text == "TICKET-1234567890-ABCD"
    assert card.author.name == "P (@p)" and card.author.url == "https://www.roblox.com/users/1/profile"
    assert list(fields(card)) == ["Status", "Claimed by", "Opened"]
    assert fields(card)["Claimed by"] == "Amy" and fields(card)["Opened"].startswith("<t:")
    assert card_embed(ticket, names={5: "<@42>"}).fields[1].value == "<@42>"  # the linked member, when there is one


def test_priority_only_when_it_isnt_the_default_and_category_only_when_it_says_more():
    config = TicketConfig.from_api(
        {
            "Categories": {"support": {"Name": "Support"}, "appeal": {"Name": "Ban appeal"}},
            "Departments": {"support-dept": {"Name": "Support Department"}},
        }
    )
    assert "Priority" not in fields(card_embed(make_ticket(Priority="medium"), config))
    assert fields(card_embed(make_ticket(Priority="urgent"), config))["Priority"] == "🔴 Urgent"
    assert "Category" not in fields(card_embed(make_ticket(Category="support"), config))  # "Support Department"
    assert fields(card_embed(make_ticket(Category="appeal"), config))["Category"] == "Ban appeal"


def test_status_and_claim_agree_and_done_cards_say_who_and_when():
    nobody = card_embed(make_ticket(Status="in-progress", ClaimedBy=None))
    assert fields(nobody)["Status"] == "In progress · nobody holds it" and fields(nobody)["Claimed by"] == "Nobody"
    events = {
        "msj_9_z": {
            "Content": "Status changed to resolved",
            "Author": 5,
            "Type": "system_message",
            "Timestamp": "2025-01-15T11:00:00.000Z",
        }
    }
    done = card_embed(make_ticket(Status="resolved", Content=events), names={5: "<@42>"})
    assert fields(done)["Status"].startswith("Resolved by <@42> <t:") and "Claimed by" not in fields(done)
    quiet = card_embed(make_ticket(Status="closed", Content={}))
    assert fields(quiet)["Status"].startswith("Closed <t:")  # no event from Series: when, at least


def test_colours_tell_the_state_and_none_is_discords_blurple():
    colours = {s: card_embed(make_ticket(Status=s, ClaimedBy=5)).colour for s in STATUS_COLOURS}
    assert len(set(colours.values())) == 4 and discord.Colour.blurple() not in colours.values()
    nobody = card_embed(make_ticket(Status="in-progress", ClaimedBy=None)).colour
    assert nobody not in colours.values()


def test_a_moved_card_is_grey_says_where_and_who_and_keeps_nothing_to_press():
    moved = moved_embed(make_ticket(), channel_id=77, by="<@42>")
    assert "<#77>" in moved.description and "<@42>" in moved.description and not moved.fields


def test_thread_messages_have_one_header_and_no_internal_ids():
    ticket = make_ticket()
    speech = Message("msj_2_b", "hello", 1, "author_message", "2025-01-15T10:31:00.000Z")
    embed = message_embed(ticket, speech, speaker="P (@p)")
    assert embed.author.name == "P (@p)" and embed.timestamp is not None and not embed.footer.text
    assert "msj_" not in str(embed.to_dict())
    line = event_line(Message("msj_3_c", "Ticket claimed by Amy", 5, "system_message", "2025-01-15T10:32:00.000Z"))
    assert line.startswith("-# Ticket claimed by Amy · <t:") and "\n" not in line


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


def test_ticket_show_names_speakers_where_discord_draws_them_and_never_repeats_the_card_text():
    """Found at phone width: a linked staff member showed as a raw <@id> (Discord draws no mentions or <t:…>
    times in field names), and the player's first message appeared twice."""
    content = {
        "msj_1_a": {"Content": "first", "Author": 1, "Type": "author_message", "Timestamp": "2025-01-15T10:30:00Z"},
        "msj_2_b": {"Content": "answer", "Author": 42, "Type": "staff_message", "Timestamp": "2025-01-15T10:40:00Z"},
        "msj_3_c": {"Content": "thanks", "Author": 1, "Type": "author_message", "Timestamp": "2025-01-15T10:50:00Z"},
    }
    embed = detail_embed(make_ticket(Content=content), names={42: "<@900>"})
    assert all("<@" not in f.name and "<t:" not in f.name for f in embed.fields)
    assert [f.name for f in embed.fields][-2:] == ["Staff reply", "P (@p)"]
    assert embed.fields[-2].value.startswith("<@900> · <t:")
    assert "first" not in " ".join(f.value for f in embed.fields)
