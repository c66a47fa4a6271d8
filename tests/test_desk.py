"""The help desk's flows: the same answer whichever way a staff member asked."""

from __future__ import annotations

from bot.desk import confirmation
from bot.service import ReplySent
from tests.helpers import STAFF_ROBLOX_ID, World, card_for, poll


def test_a_confirmation_names_the_ticket_and_shows_the_start_of_the_text():
    text = confirmation(ReplySent(1, "TICKET-1-A", "Hello **there**\nsecond line", "Reply sent successfully"))
    assert "TICKET-1-A" in text and "Hello \\*\\*there\\*\\* second line" in text


async def test_a_command_and_a_button_answer_alike(routed: World):
    w = routed
    await w.link(w.staff)
    first, second = (w.fake.create_ticket(subject=s)["TicketId"] for s in ("One", "Two"))
    await poll(w)
    typed = await w.staff.slash(w.channel, "ticket claim", ticket_id="ticket-" + first[7:])
    [card] = card_for(w.channel, second)
    clicked = await w.staff.click(card, label="Claim")
    assert typed.ephemeral and clicked.ephemeral
    assert typed.response.content == f"✅ `{first}`: Ticket claimed successfully"
    assert clicked.response.content == f"✅ `{second}`: Ticket claimed successfully"
    assert {w.fake.get_ticket(t)["ClaimedBy"] for t in (first, second)} == {STAFF_ROBLOX_ID}
