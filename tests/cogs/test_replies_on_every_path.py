"""Replies keep their promise on the paths no script walked: two people at once, a restart in the middle, an
identity that changed meanwhile, a refusal before anything was saved (issue 9, defects 1, 4, 5 and 6)."""

from __future__ import annotations

import pytest

from tests.helpers import STAFF_ROBLOX_ID, World, card_for, poll, sent

SECOND_ROBLOX_ID = 111111111  # also a member of support-dept in the fake's config


def staff_messages(world: World, ticket_id: str) -> list[str]:
    return [m["Content"] for _, m in world.fake.messages(ticket_id) if m["Type"] == "staff_message"]


def bodies(world: World, suffix: str) -> list[dict]:
    return [r.json for r in world.fake.requests if r.method == "POST" and r.path.endswith(suffix)]


@pytest.fixture
async def second(world: World):
    member = world.guild.add_member(world.env.create_user("second"))
    await world.env.settle()
    return member


@pytest.fixture
async def card(routed: World):
    await routed.link(routed.staff)
    tid = routed.fake.create_ticket(subject="Two helpers")["TicketId"]
    routed.fake.claim(tid, STAFF_ROBLOX_ID)
    await poll(routed)
    [message] = card_for(routed.channel, tid)
    return routed, tid, message


async def test_two_reply_boxes_on_one_ticket_are_both_answered_and_keep_their_text(routed: World, second):
    """Defect 1: the second of two boxes for one ticket was never answered, its text lost. Two helpers both
    press Reply on an unclaimed card (each box says it will claim the ticket); the first to send claims it."""
    w = routed
    await w.link(w.staff)
    await w.link(second, SECOND_ROBLOX_ID)
    tid = w.fake.create_ticket(subject="Two helpers")["TicketId"]
    await poll(w)
    [message] = card_for(w.channel, tid)
    mine = await w.staff.click(message, label="Reply")
    theirs = await second.click(message, label="Reply")
    assert mine.modal["title"] == theirs.modal["title"] == "Claim and reply"
    done = await w.staff.submit_modal(mine, {"reply_text": "From the first helper"})
    refused = await second.submit_modal(theirs, {"reply_text": "From the second helper"})
    assert done.ephemeral and sent(done.response.content) and "Claimed" in done.response.content
    assert refused.ephemeral and "wasn't sent" in refused.response.content
    assert refused.response.embeds[0].description == "From the second helper"  # their text, back to them
    assert staff_messages(w, tid) == ["From the first helper"]
    assert w.fake.get_ticket(tid)["ClaimedBy"] == STAFF_ROBLOX_ID


async def test_a_card_someone_else_holds_says_so_instead_of_opening_a_box(card, second):
    w, tid, message = card
    await w.link(second, SECOND_ROBLOX_ID)
    refused = await second.click(message, label="Reply")
    assert refused.ephemeral and "holds **Two helpers**" in refused.response.content


async def test_the_same_person_with_two_boxes_gets_both_answered(card):
    w, tid, message = card
    first = await w.staff.click(message, label="Reply")
    again = await w.staff.click(message, label="Reply")
    one = await w.staff.submit_modal(first, {"reply_text": "first box"})
    two = await w.staff.submit_modal(again, {"reply_text": "second box"})
    assert sent(one.response.content) and sent(two.response.content)
    assert staff_messages(w, tid) == ["first box", "second box"]


async def test_a_box_opened_before_a_restart_is_answered_after_it(card, make_bot):
    w, tid, message = card
    box = await w.staff.click(message, label="Reply")
    await w.env.restart_bot(make_bot())
    done = await w.staff.submit_modal(box, {"reply_text": "typed across a restart"})
    assert sent(done.response.content)
    assert staff_messages(w, tid) == ["typed across a restart"]


async def test_edit_and_send_and_a_reply_box_at_once(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket()["TicketId"]
    await poll(w)
    failed = await w.staff.slash(w.channel, "reply", ticket_id=tid, message="draft")
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    edit = await w.staff.click(failed.response, label="Edit and send")
    [message] = card_for(w.channel, tid)
    fresh = await w.staff.click(message, label="Reply")
    one = await w.staff.submit_modal(edit, {"reply_text": "edited draft"})
    two = await w.staff.submit_modal(fresh, {"reply_text": "another answer"})
    assert sent(one.response.content) and sent(two.response.content)
    assert staff_messages(w, tid) == ["edited draft", "another answer"]


@pytest.fixture
async def failed_reply(world: World):
    await world.link(world.staff)
    tid = world.fake.create_ticket()["TicketId"]
    failed = await world.staff.slash(world.channel, "reply", ticket_id=tid, message="careful words")
    assert "You must claim this ticket before replying" in failed.response.content
    return world, tid, failed


async def test_claim_and_send_after_an_unlink_is_refused_with_the_text_back(failed_reply):
    """Defect 4: the retry buttons acted as the Roblox id saved with the reply, even after an unlink."""
    w, tid, failed = failed_reply
    await w.admin.slash(w.channel, "staff unlink", member=w.staff)
    before = len(bodies(w, "/claim")) + len(bodies(w, "/reply"))
    result = await w.staff.click(failed.response, label="Claim and send")
    assert result.ephemeral and "isn't linked" in result.response.content
    assert result.response.embeds[0].description == "careful words"
    assert len(bodies(w, "/claim")) + len(bodies(w, "/reply")) == before  # nothing sent as the old id
    assert w.fake.get_ticket(tid)["ClaimedBy"] is None


async def test_claim_and_send_after_a_relink_acts_as_the_new_id(failed_reply):
    w, tid, failed = failed_reply
    await w.link(w.staff, SECOND_ROBLOX_ID)
    result = await w.staff.click(failed.response, label="Claim and send")
    assert sent(result.response.content)
    assert bodies(w, "/claim")[-1] == {"staffUserId": SECOND_ROBLOX_ID}
    assert bodies(w, "/reply")[-1] == {"content": "careful words", "staffUserId": SECOND_ROBLOX_ID}


async def test_a_retry_checks_the_department_again(failed_reply):
    w, tid, failed = failed_reply
    w.fake.departments["support-dept"]["Members"] = [SECOND_ROBLOX_ID]  # removed from the department meanwhile
    w.bot.services.workspace.config.value = None
    result = await w.staff.click(failed.response, label="Claim and send")
    assert "isn't one of its members" in result.response.content
    assert result.response.embeds[0].description == "careful words"
    assert w.fake.get_ticket(tid)["ClaimedBy"] is None


async def test_a_reply_resumed_after_a_crash_checks_the_department_again(world: World, make_bot):
    w = world
    await w.link(w.staff)
    tid = w.fake.create_ticket(department="moderation-dept")["TicketId"]  # 987654321 is not one of its members
    w.fake.departments["moderation-dept"]["Members"] = [SECOND_ROBLOX_ID]
    w.fake.claim(tid, STAFF_ROBLOX_ID)  # Series itself would accept it: only the bot's own check refuses
    await w.accepted_reply(tid, "accepted before the crash")
    await w.env.restart_bot(make_bot())
    await w.env.settle()
    assert staff_messages(w, tid) == []
    [reply] = await w.bot.services.db.fetchall("SELECT state FROM replies")
    assert reply["state"] == "failed"


async def test_claim_and_send_when_you_already_hold_the_claim(failed_reply):
    """Defect 6: it claimed again and failed with "Ticket already claimed"."""
    w, tid, failed = failed_reply
    claimed = await w.staff.slash(w.channel, "ticket claim", ticket_id=tid)
    assert "is yours now" in claimed.response.content
    result = await w.staff.click(failed.response, label="Claim and send")
    assert sent(result.response.content)
    assert staff_messages(w, tid) == ["careful words"]
    assert len(bodies(w, "/claim")) == 1


@pytest.mark.parametrize(
    ("ticket_id", "link", "says"),
    [
        ("TICKET-123", True, "is not a ticket id"),  # mistyped
        (None, False, "isn't linked"),  # unlinked while writing
    ],
)
async def test_a_refusal_before_the_reply_is_saved_gives_the_whole_text_back(world: World, ticket_id, link, says):
    """Defect 5: a reply refused before it was saved lost its text."""
    w = world
    if link:
        await w.link(w.staff)
    tid = ticket_id or w.fake.create_ticket()["TicketId"]
    text = "A long answer, written with care.\nSecond paragraph."
    result = await w.staff.slash(w.channel, "reply", ticket_id=tid, message=text)
    assert result.ephemeral and says in result.response.content
    assert result.response.embeds[0].description == text.strip()
