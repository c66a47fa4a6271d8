from __future__ import annotations

import pytest

from fakes.series import FakeSeries
from tests.helpers import STAFF_ROBLOX_ID, World, buttons, card_for, poll, sent, thread_of

LONG = "x" * 4001


def staff_messages(fake: FakeSeries, ticket_id: str) -> list[str]:
    return [m["Content"] for _, m in fake.messages(ticket_id) if m["Type"] == "staff_message"]


@pytest.fixture
async def ticket(world: World) -> str:
    t = world.fake.create_ticket(subject="Can't rank up", message="I need help with my rank")
    return t["TicketId"]


async def test_unlinked_member_is_told_to_ask_an_admin(world: World, ticket):
    before = len(world.fake.requests)
    result = await world.staff.slash(world.channel, "reply", ticket_id=ticket, message="hello")
    assert result.ephemeral
    assert "ask a server admin" in result.response.content.lower() and "/staff link" in result.response.content
    assert len(world.fake.requests) == before  # no API call


async def test_success(world: World, ticket):
    await world.link(world.staff)
    world.fake.claim(ticket, STAFF_ROBLOX_ID)
    result = await world.staff.slash(
        world.channel, "reply", ticket_id=ticket, message="  Please join the training center.  "
    )
    assert result.ephemeral
    assert sent(result.response.content) and "Please join the training center." in result.response.content
    assert staff_messages(world.fake, ticket) == ["Please join the training center."]
    [request] = [r for r in world.fake.requests if r.method == "POST"]
    assert request.json == {"content": "Please join the training center.", "staffUserId": STAFF_ROBLOX_ID}
    assert request.path == f"/tickets/{ticket}/reply"


@pytest.mark.parametrize(
    ("setup", "api_message", "buttons"),
    [
        ("unclaimed", "You must claim this ticket before replying", ["Claim and send", "Edit and send"]),
        ("claimed_by_other", "You must claim this ticket before replying", ["Edit and send"]),
        ("game_report", "Cannot reply to game reports", []),
        ("missing", "Ticket not found", []),
        ("no_premium", "Tickets module requires a Premium or Enterprise subscription", []),
        ("disabled", "Tickets module is not enabled for this workspace", []),
    ],
)
async def test_every_documented_error_word_for_word_with_the_text_back(
    world: World, ticket, setup, api_message, buttons
):
    """Only buttons that can work are offered: no resend for a game report or a missing ticket, and no Claim and
    send when someone else holds the ticket (it would fail with "Ticket already claimed")."""
    await world.link(world.staff)
    target = ticket
    if setup == "claimed_by_other":
        world.fake.claim(ticket, 111111111)
    elif setup == "game_report":
        target = world.fake.create_ticket(
            subject="Exploiter", category="reports", department="support-dept", game_report=True
        )["TicketId"]
        world.fake.claim(target, STAFF_ROBLOX_ID)
    elif setup == "missing":
        target = "TICKET-9999999999-NOPE"
    elif setup == "no_premium":
        world.fake.premium = False
    elif setup == "disabled":
        world.fake.enabled = False
    text = "A long careful answer that must not be lost.\nSecond line."
    result = await world.staff.slash(world.channel, "reply", ticket_id=target, message=text)
    assert result.ephemeral
    assert f"“{api_message}”" in result.response.content
    assert "wasn't sent" in result.response.content
    assert result.response.embeds[0].description == text  # nothing typed is lost
    labels = [c["label"] for row in result.response.components for c in row["components"]]
    assert labels == buttons
    if setup == "claimed_by_other":
        assert "**Amy** holds this ticket" in result.response.content


async def test_claim_and_send(world: World, ticket):
    await world.link(world.staff)
    failed = await world.staff.slash(world.channel, "reply", ticket_id=ticket, message="On it!")
    assert "You must claim this ticket before replying" in failed.response.content
    done = await world.staff.click(failed.response, label="Claim and send")
    assert done.ephemeral and sent(done.response.content)
    assert world.fake.get_ticket(ticket)["ClaimedBy"] == STAFF_ROBLOX_ID
    assert staff_messages(world.fake, ticket) == ["On it!"]
    again = await world.staff.click(failed.response, label="Claim and send")
    assert "already delivered" in again.response.content
    assert staff_messages(world.fake, ticket) == ["On it!"]


async def test_edit_and_send_prefills_the_modal(world: World, ticket):
    await world.link(world.staff)
    failed = await world.staff.slash(world.channel, "reply", ticket_id=ticket, message="Draft answer")
    world.fake.claim(ticket, STAFF_ROBLOX_ID)
    shown = await world.staff.click(failed.response, label="Edit and send")
    [label] = shown.modal["components"]
    assert label["component"]["value"] == "Draft answer"
    done = await world.staff.submit_modal(shown, {"reply_text": "Better answer"})
    assert sent(done.response.content)
    assert staff_messages(world.fake, ticket) == ["Better answer"]


async def test_someone_elses_retry_is_refused(world: World, ticket):
    # Discord shows the ephemeral buttons only to their owner; the bot checks again anyway.
    from bot.errors import NotAllowed

    await world.link(world.staff)
    await world.staff.slash(world.channel, "reply", ticket_id=ticket, message="mine")
    world.fake.claim(ticket, 555555555)
    [reply] = [r for r in [await world.env.bot.services.replies.get(1)] if r]
    with pytest.raises(NotAllowed):
        await world.env.bot.services.actions.retry(reply_id=reply.id, member_id=world.admin.id, claim_first=True)
    assert staff_messages(world.fake, ticket) == []


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ("   ", "empty"),
        ("\u200b\u200b", "empty"),
        ("\n\t \u2060", "empty"),
    ],
)
async def test_empty_messages_are_refused_without_an_api_call(world: World, ticket, message, why):
    await world.link(world.staff)
    world.fake.claim(ticket, STAFF_ROBLOX_ID)
    before = len(world.fake.requests)
    result = await world.staff.slash(world.channel, "reply", ticket_id=ticket, message=message)
    assert result.ephemeral and why in result.response.content
    assert len(world.fake.requests) == before
    assert await world.env.bot.services.replies.unfinished() == []


@pytest.mark.parametrize(
    "bad_id",
    [
        "hello",
        "TICKET-",
        "TICKET-123",
        "TICKET-abc-DEF",
        "../../basic/check-key/x",
        "TICKET-1-A/../../config",
        "TICKET-1-A?x=1",
        "TICKET-1-A#frag",
        "TICKET-1-" + "A" * 500,
        "0123456789abcdef0123456",  # 23 hex
    ],
)
async def test_malformed_ticket_ids_never_reach_series(world: World, bad_id):
    await world.link(world.staff)
    before = len(world.fake.requests)
    result = await world.staff.slash(world.channel, "reply", ticket_id=bad_id, message="hi")
    assert result.ephemeral and "is not a ticket id" in result.response.content
    assert len(world.fake.requests) == before


async def test_hex_id_and_lowercase_prefix_are_accepted(world: World, ticket):
    await world.link(world.staff)
    world.fake.claim(ticket, STAFF_ROBLOX_ID)
    result = await world.staff.slash(world.channel, "reply", ticket_id="ticket-" + ticket[7:], message="ok")
    assert sent(result.response.content)
    mongo = world.fake.get_ticket(ticket)["_id"]
    shown = await world.staff.slash(world.channel, "ticket show", ticket_id=mongo)
    assert shown.response.embeds[0].footer.text == ticket


async def test_too_long_message_is_refused_by_discord(world: World, ticket):
    await world.link(world.staff)
    import simcord

    with pytest.raises(simcord.SetupError, match="4000"):
        await world.staff.slash(world.channel, "reply", ticket_id=ticket, message=LONG)


async def test_show_then_reply_button_then_modal(world: World, ticket):
    await world.link(world.staff)
    world.fake.claim(ticket, STAFF_ROBLOX_ID)
    world.fake.author_message(ticket, "Are you there?")
    shown = await world.staff.slash(world.channel, "ticket show", ticket_id=ticket)
    assert shown.ephemeral
    embed = shown.response.embeds[0]
    assert embed.title == "Can't rank up" and embed.footer.text == ticket  # the subject first; the id to copy
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Status"] == "In progress" and "Priority" not in fields  # medium is the default: not shown
    assert fields["Claimed by"] == f"<@{world.staff.id}>"  # the linked member, the same as on the card
    assert any("Are you there?" in f.value for f in embed.fields)
    modal = await world.staff.click(shown.response, label="Reply")
    assert modal.modal["title"] == "Reply to the player"
    done = await world.staff.submit_modal(modal, {"reply_text": "Yes, I am here.\nHow can I help?"})
    assert done.ephemeral and sent(done.response.content)
    assert staff_messages(world.fake, ticket) == ["Yes, I am here.\nHow can I help?"]


async def test_reply_button_works_after_a_restart(world: World, ticket, make_bot):
    await world.link(world.staff)
    world.fake.claim(ticket, STAFF_ROBLOX_ID)
    shown = await world.staff.slash(world.channel, "ticket show", ticket_id=ticket, public=True)
    assert shown.ephemeral and "Posted" in shown.response.content
    card = world.channel.last_message
    assert card.embeds[0].footer.text == ticket
    old_bot = world.env.bot
    await world.env.restart_bot(make_bot())
    assert world.env.bot is not old_bot
    modal = await world.staff.click(card, label="Reply")
    done = await world.staff.submit_modal(modal, {"reply_text": "After the restart"})
    assert sent(done.response.content)
    assert staff_messages(world.fake, ticket) == ["After the restart"]


async def test_game_report_has_no_reply_button(world: World):
    report = world.fake.create_ticket(subject="Exploiter", category="reports", game_report=True)["TicketId"]
    await world.link(world.staff)
    shown = await world.staff.slash(world.channel, "ticket show", ticket_id=report)
    labels = [c["label"] for row in shown.response.components for c in row["components"]]
    assert "Reply" not in labels and "Claim" in labels


async def test_show_is_for_linked_staff_and_errors_stay_private_even_when_public(world: World, ticket):
    refused = await world.player_fan.slash(world.channel, "ticket show", ticket_id=ticket, public=True)
    assert refused.ephemeral and "/staff link" in refused.response.content
    await world.link(world.staff)
    missing = await world.staff.slash(world.channel, "ticket show", ticket_id="TICKET-1-NOPE", public=True)
    assert missing.ephemeral and "Ticket not found" in missing.response.content
    assert [m for m in world.channel.history() if m.embeds] == []  # nothing was posted publicly
    assert await world.player_fan.autocomplete(world.channel, "reply", "ticket_id", "") == []


async def test_autocomplete_limits_and_order(routed: World):
    w = routed
    await w.link(w.staff)
    ids = [w.fake.create_ticket(subject=("Long subject " * 20) + str(i))["TicketId"] for i in range(30)]
    w.fake.claim(ids[3], STAFF_ROBLOX_ID)
    empty = w.fake.create_ticket(subject="   ")["TicketId"]
    await poll(w)
    choices = await w.staff.autocomplete(w.channel, "reply", "ticket_id", "")
    assert 1 <= len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    assert choices[0]["value"] == ids[3]  # the caller's claimed ticket first
    only = await w.staff.autocomplete(w.channel, "reply", "ticket_id", empty)
    assert [c["value"] for c in only] == [empty] and "(no subject)" in only[0]["name"]
    # Inside a ticket's thread, that ticket comes first.
    w.fake.author_message(ids[7], "hi")
    await poll(w)
    [card] = card_for(w.channel, ids[7])
    inside = await w.staff.autocomplete(thread_of(w, card), "reply", "ticket_id", "")
    assert inside[0]["value"] == ids[7]


async def test_department_autocomplete_asks_series_nothing_for_a_member_who_isnt_staff(world: World):
    world.bot.services.workspace.config.value = None
    before = world.fake.count("GET", "/tickets/config")
    for typed in ("s", "su", "sup"):
        choices = await world.player_fan.autocomplete(world.channel, "ticket transfer", "department", typed)
        assert choices == []
    await world.env.settle()
    assert world.fake.count("GET", "/tickets/config") == before


async def test_card_buttons_sit_in_two_rows_of_two_so_nothing_wraps_alone_on_a_phone(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    await w.poll()
    [card] = card_for(w.channel, tid)
    assert [[c.label for c in row.children] for row in card.components] == [["Claim", "Reply"], ["Resolve", "Close"]]
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    await w.poll()
    [card] = card_for(w.channel, tid)
    assert [[c.label for c in row.children] for row in card.components] == [["Reply", "Resolve"], ["Unclaim", "Close"]]


async def test_the_close_question_has_a_way_to_say_no(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    await w.poll()
    [card] = card_for(w.channel, tid)
    question = await w.staff.click(card, label="Close")
    assert buttons(question.response) == ["Close ticket", "Keep it open"]
    kept = await w.staff.click(question.response, label="Keep it open")
    assert "Nothing changed" in kept.response.content and kept.response.components == []
    assert w.fake.get_ticket(tid)["Status"] == "open"
