"""The help desk's flows: the same answer whichever way a staff member asked."""

from __future__ import annotations

from bot.desk import confirmation
from bot.render import short_ref
from bot.service import ReplySent
from tests.helpers import STAFF_ROBLOX_ID, World, card_for, make_ticket, poll


def test_a_confirmation_names_the_ticket_in_our_words_and_shows_the_start_of_the_text():
    ticket = make_ticket(Subject="Rank please")
    text = confirmation(ReplySent(1, ticket.id, "Hello **there**\nsecond line", "Reply sent successfully", ticket))
    assert text.startswith("✅ **Sent** to P on **Rank please** (#ABCD).")
    assert "Hello \\*\\*there\\*\\* second line" in text and "successfully" not in text  # not Series' sentence again
    claimed = confirmation(ReplySent(1, ticket.id, "hi", "Reply sent successfully", ticket, claimed=True))
    assert claimed.startswith("✅ Claimed **Rank please** (#ABCD) and **sent** your reply to P.")


async def test_a_command_and_a_button_answer_alike(routed: World):
    w = routed
    await w.link(w.staff)
    first, second = (w.fake.create_ticket(subject=s)["TicketId"] for s in ("One", "Two"))
    await poll(w)
    typed = await w.staff.slash(w.channel, "ticket claim", ticket_id="ticket-" + first[7:])
    [card] = card_for(w.channel, second)
    clicked = await w.staff.click(card, label="Claim")
    assert typed.ephemeral and clicked.ephemeral
    assert (
        typed.response.content
        == f"✅ **One** ({short_ref(first)}) is yours now. Reply from its card, or with `/reply`."
    )
    assert (
        clicked.response.content
        == f"✅ **Two** ({short_ref(second)}) is yours now. Reply from its card, or with `/reply`."
    )
    assert {w.fake.get_ticket(t)["ClaimedBy"] for t in (first, second)} == {STAFF_ROBLOX_ID}
