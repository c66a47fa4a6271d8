"""Snippets through the real command tree: kept by admins, sent by staff with +name or from the Reply box."""

from __future__ import annotations

import pytest
import simcord

from tests.helpers import STAFF_ROBLOX_ID, World, card_for, poll, sent

WELCOME = "Hi {player}, this is {staff}. About “{subject}” ({ticket}): we're on it. {{braces}} stay."


def staff_messages(world: World, ticket_id: str) -> list[str]:
    return [m["Content"] for _, m in world.fake.messages(ticket_id) if m["Type"] == "staff_message"]


@pytest.fixture
async def ready(routed: World):
    """A linked staff member, a snippet, and a ticket they hold (shown on its card)."""
    w = routed
    await w.link(w.staff)
    added = await w.admin.slash(w.channel, "snippet add", name="welcome", text=WELCOME)
    assert added.ephemeral and "Added `+welcome`" in added.response.content
    ticket = w.fake.create_ticket(subject="Lost my pet", username="petlover", display_name="Pet Lover")
    w.fake.claim(ticket["TicketId"], STAFF_ROBLOX_ID)
    await poll(w)
    return w, ticket["TicketId"]


async def test_reply_plus_name_sends_the_snippet_filled_in_for_that_ticket(ready):
    w, tid = ready
    result = await w.staff.slash(w.channel, "reply", ticket_id=tid, message="+welcome")
    assert result.ephemeral and sent(result.response.content)
    [text] = staff_messages(w, tid)
    assert text == f"Hi Pet Lover, this is Staff Member. About “Lost my pet” ({tid}): we're on it. {{braces}} stay."


async def test_an_unknown_snippet_is_refused_and_nothing_is_sent(ready):
    w, tid = ready
    result = await w.staff.slash(w.channel, "reply", ticket_id=tid, message="+nope")
    assert result.ephemeral and "There is no snippet `+nope`" in result.response.content
    assert staff_messages(w, tid) == []


async def test_the_limit_is_checked_after_expansion(ready):
    w, tid = ready
    long = "x" * 3990 + "{subject}"  # 3999 as typed; 4001 with "Lost my pet"
    assert "Added" in (await w.admin.slash(w.channel, "snippet add", name="long", text=long)).response.content
    result = await w.staff.slash(w.channel, "reply", ticket_id=tid, message="+long")
    assert result.ephemeral and "comes to 4,001 characters for this ticket" in result.response.content
    assert staff_messages(w, tid) == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Hello {Player}", "Did you mean `{player}`?"),
        ("Hello {name}", "`{name}` isn't a variable"),
        ("Hi {player} {ticket_id}", "`{ticket_id}` isn't a variable"),
    ],
)
async def test_unknown_variables_are_refused_when_saved(routed: World, text, why):
    result = await routed.admin.slash(routed.channel, "snippet add", name="bad", text=text)
    assert result.ephemeral and why in result.response.content
    assert await routed.bot.services.snippets.repo.list(guild_id=routed.guild.id) == []


@pytest.mark.parametrize("name", ["Hello", "has space", "a" * 33, "ünï", "-" * 0 + "x_y"])
async def test_bad_names_are_refused(routed: World, name):
    result = await routed.admin.slash(routed.channel, "snippet add", name=name, text="Hi")
    assert result.ephemeral and "can't be a snippet name" in result.response.content


async def test_edit_list_remove_and_the_audit(ready):
    w, _ = ready
    edited = await w.admin.slash(w.channel, "snippet edit", name="welcome", text="Hello {player}!")
    assert "Changed `+welcome`" in edited.response.content and "this is {staff}" in edited.response.content
    listing = await w.admin.slash(w.channel, "snippet list")
    assert listing.response.embeds[0].title == "Snippets (1)"
    assert "**+welcome** · Hello {player}!" in listing.response.embeds[0].description
    removed = await w.admin.slash(w.channel, "snippet remove", name="+welcome")
    assert "Removed `+welcome`" in removed.response.content and "Hello {player}!" in removed.response.content
    again = await w.admin.slash(w.channel, "snippet remove", name="welcome")
    assert "There is no snippet" in again.response.content
    rows = await w.bot.services.db.fetchall("SELECT action FROM audit WHERE action LIKE 'snippet%' ORDER BY id")
    assert [r[0] for r in rows] == ["snippet add +welcome", "snippet edit +welcome", "snippet remove +welcome"]


async def test_a_taken_name_keeps_the_old_text(ready):
    w, _ = ready
    result = await w.admin.slash(w.channel, "snippet add", name="welcome", text="other")
    assert "already a snippet `+welcome`" in result.response.content
    assert result.response.embeds[0].description == "other"  # the admin's text, back to them


@pytest.mark.parametrize("command", ["snippet add", "snippet edit", "snippet remove", "snippet list"])
async def test_snippet_commands_need_manage_server(routed: World, command):
    options = {"add": {"name": "x", "text": "y"}, "edit": {"name": "x", "text": "y"}, "remove": {"name": "x"}}
    args = options.get(command.split()[1], {})
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await routed.staff.slash(routed.channel, command, **args)
    await routed.allow("snippet", routed.staff)
    result = await routed.staff.slash(routed.channel, command, **args)
    assert result.ephemeral and "Manage Server" in result.response.content


async def test_message_autocomplete_offers_snippets_only_after_a_plus(ready):
    w, tid = ready
    choices = await w.staff.autocomplete(w.channel, "reply", "message", "+wel", ticket_id=tid)
    assert [c["value"] for c in choices] == ["+welcome"] and choices[0]["name"].startswith("+welcome · Hi {player}")
    assert await w.staff.autocomplete(w.channel, "reply", "message", "Thanks for writing", ticket_id=tid) == []
    assert await w.player_fan.autocomplete(w.channel, "reply", "message", "+", ticket_id=tid) == []  # not staff


async def test_the_reply_box_can_start_from_a_snippet(ready):
    w, tid = ready
    [card] = card_for(w.channel, tid)
    step = await w.staff.click(card, label="Reply")
    assert step.ephemeral and "start from a snippet, or write your own" in step.response.content
    box = await w.staff.select(step.response, ["welcome"])
    [label] = box.modal["components"]
    prefilled = label["component"]["value"]
    assert prefilled.startswith("Hi Pet Lover, this is Staff Member.")
    done = await w.staff.submit_modal(box, {"reply_text": prefilled + " Edited before sending."})
    assert sent(done.response.content)
    assert staff_messages(w, tid) == [prefilled + " Edited before sending."]


async def test_write_my_own_opens_the_empty_box(ready):
    w, tid = ready
    [card] = card_for(w.channel, tid)
    step = await w.staff.click(card, label="Reply")
    box = await w.staff.click(step.response, label="Write my own")
    assert box.modal["title"] == "Reply to the player"
    done = await w.staff.submit_modal(box, {"reply_text": "my own words"})
    assert sent(done.response.content) and staff_messages(w, tid) == ["my own words"]


async def test_without_snippets_the_reply_button_opens_the_box_at_once(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    [card] = card_for(w.channel, tid)
    box = await w.staff.click(card, label="Reply")
    assert box.modal is not None
