"""The buttons under a ticket and under a failed reply: their ids survive restarts and never collide."""

from __future__ import annotations

import pytest

from bot.ui import ReplyOfferButton
from cogs.ticket_ui import DYNAMIC_ITEMS, ReplyButton, TicketActionButton

SAMPLES = ["TICKET-1234567890-ABCD", "0123456789abcdef01234567", "TICKET-" + "9" * 20 + "-" + "Z" * 16]


@pytest.mark.parametrize("ticket_id", SAMPLES)
def test_button_custom_ids_fit_and_match_only_their_own_template(ticket_id):
    items = [
        ReplyButton(ticket_id),
        *(TicketActionButton(a, ticket_id) for a in ("claim", "unclaim", "resolve", "close", "reopen")),
    ]
    items += [ReplyOfferButton(a, 10**17) for a in ("claimsend", "edit", "check")]
    templates = [item.__discord_ui_compiled_template__ for item in DYNAMIC_ITEMS]
    for item in items:
        assert len(item.custom_id) <= 100
        matching = [t for t in templates if t.fullmatch(item.custom_id)]
        assert matching == [type(item).__discord_ui_compiled_template__]
