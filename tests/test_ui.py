"""Delivering answers: the offer buttons, and one ephemeral answer whether or not the interaction was deferred."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from bot.api import SeriesBadRequest, SeriesMessage
from bot.errors import Offer, ReplyNotSent
from bot.ui import ReplyOfferButton, offer_view, report_error, safe_reply


@dataclass
class Sent:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    deferred: bool = False

    def is_done(self) -> bool:
        return self.deferred or bool(self.calls)

    async def send_message(self, **kwargs: Any) -> None:
        self.calls.append(("response", kwargs))

    async def send(self, **kwargs: Any) -> None:
        self.calls.append(("followup", kwargs))


def interaction(*, deferred: bool = False) -> Any:
    sent = Sent(deferred=deferred)
    return SimpleNamespace(
        response=sent, followup=sent, user=SimpleNamespace(id=5), guild_id=1, command=None, data={"custom_id": "x"}
    )


def test_offers_become_buttons_that_survive_a_restart():
    assert offer_view(()) is None
    view = offer_view((Offer("claimsend", 3), Offer("edit", 3)))
    assert view is not None and view.is_persistent()
    assert [item.custom_id for item in view.children] == ["reply:claimsend:3", "reply:edit:3"]
    assert all(isinstance(item, ReplyOfferButton) for item in view.children)


async def test_one_answer_before_or_after_a_defer_and_always_ephemeral():
    fresh, deferred = interaction(), interaction(deferred=True)
    await safe_reply(fresh, "x" * 5000)
    await safe_reply(deferred, "hi")
    [(where, kwargs)] = fresh.response.calls
    assert where == "response" and kwargs["ephemeral"] and len(kwargs["content"]) == 2000
    assert deferred.response.calls[0][0] == "followup" and deferred.response.calls[0][1]["ephemeral"]


async def test_a_failed_reply_is_answered_with_its_text_and_buttons():
    itx = interaction(deferred=True)
    cause = SeriesBadRequest(SeriesMessage.CLAIM_REQUIRED, status=400)
    await report_error(itx, ReplyNotSent(cause, reply_id=9, ticket_id="TICKET-1-A", text="hello"))
    [(_, kwargs)] = itx.response.calls
    assert SeriesMessage.CLAIM_REQUIRED in kwargs["content"] and kwargs["embeds"][0].description == "hello"
    assert [item.custom_id for item in kwargs["view"].children] == ["reply:claimsend:9", "reply:edit:9"]


async def test_an_unexpected_error_gets_an_id_that_is_also_in_the_log(caplog):
    itx = interaction()
    await report_error(itx, RuntimeError("boom"))
    [(_, kwargs)] = itx.response.calls
    error_id = kwargs["content"].split("`")[1]
    assert len(error_id) == 8 and error_id in caplog.text and "boom" in caplog.text
