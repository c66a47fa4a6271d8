from __future__ import annotations

import sqlite3

import pytest
from discord import app_commands

from bot.api import (
    SeriesBadRequest,
    SeriesError,
    SeriesForbidden,
    SeriesMessage,
    SeriesNotFound,
    SeriesRateLimited,
    SeriesUnavailable,
)
from bot.errors import InvalidInput, NotAllowed, NotLinked, Offer, ReplyNotSent, present, user_message
from fakes import series as fake


@pytest.mark.parametrize(
    ("exc", "contains"),
    [
        (SeriesBadRequest("You must claim this ticket before replying"), "Claim and send"),
        (SeriesForbidden("Cannot reply to game reports"), "view-only"),
        (SeriesNotFound("Ticket not found"), "Check the ticket id"),
        (SeriesForbidden("Tickets module requires a Premium or Enterprise subscription"), "Premium or Enterprise plan"),
        (SeriesForbidden("Tickets module is not enabled for this workspace"), "turn on the Tickets module"),
        (SeriesRateLimited("x"), "try again"),
        (SeriesUnavailable("Could not connect to Series."), "Could not connect to Series."),
        (NotLinked(), "/staff link"),
        (sqlite3.OperationalError("database is locked"), "database is busy"),
        (app_commands.NoPrivateMessage(), "inside a server"),
    ],
)
def test_mapping(exc, contains):
    text = user_message(exc)
    assert contains in text
    if (
        hasattr(exc, "message")
        and exc.__class__.__module__ == "bot.api"
        and not isinstance(exc, SeriesUnavailable | SeriesRateLimited)
    ):
        assert f"“{exc.message}”" in text  # the API's own words, quoted exactly


def test_wrapped_errors_are_unwrapped():
    wrapped = app_commands.CommandInvokeError.__new__(app_commands.CommandInvokeError)
    wrapped.original = SeriesNotFound("Ticket not found")
    assert "Ticket not found" in user_message(wrapped)


def test_unknown_errors_map_to_nothing_so_the_caller_apologises_with_an_id():
    assert user_message(RuntimeError("boom")) == ""


def test_series_strings_match_the_fakes_independent_copy():
    """The bot and the fake each spell Series' documented strings once, independently; they must agree."""
    fake_strings = {value for name, value in vars(fake).items() if name.startswith("MSG_") and isinstance(value, str)}
    assert {str(m) for m in SeriesMessage} <= fake_strings


def reply_failed(cause: Exception, **extra) -> ReplyNotSent:
    return ReplyNotSent(cause, reply_id=7, ticket_id="TICKET-1-A", text="my careful answer", **extra)


@pytest.mark.parametrize(
    ("error", "offers", "contains"),
    [
        (
            reply_failed(SeriesBadRequest(SeriesMessage.CLAIM_REQUIRED, status=400)),
            ("claimsend", "edit"),
            "wasn't sent",
        ),
        (
            reply_failed(SeriesBadRequest(SeriesMessage.CLAIM_REQUIRED, status=400), claimed_by_other="Amy"),
            ("edit",),
            "**Amy** holds this ticket",
        ),
        (reply_failed(SeriesForbidden(SeriesMessage.GAME_REPORT, status=403)), (), "game report"),
        (reply_failed(SeriesNotFound(SeriesMessage.TICKET_NOT_FOUND, status=404)), (), "can't find that ticket"),
        (reply_failed(SeriesUnavailable("Could not connect to Series.")), ("retry", "edit"), "Try again"),
        (
            reply_failed(
                SeriesUnavailable("Series had a problem (HTTP 502).", maybe_delivered=True), maybe_delivered=True
            ),
            ("check",),
            "may or may not have arrived",
        ),
        (reply_failed(NotAllowed("not a member")), (), "not a member"),
    ],
)
def test_a_failed_reply_is_answered_in_one_place_with_the_text_and_only_offers_that_can_work(error, offers, contains):
    answer = present(error)
    assert contains in answer.content and "#A" in answer.content  # named by its short reference
    if isinstance(error.cause, SeriesError) and error.cause.status:
        assert f"Series said: “{error.cause.message}”" in answer.content  # and Series' own words, word for word
    assert [e.description for e in answer.embeds] == ["my careful answer"]
    assert answer.offers == tuple(Offer(action, 7) for action in offers)


def test_refusals_hand_the_text_back_and_unknown_errors_are_flagged():
    assert [e.description for e in present(InvalidInput("too long", text="abc")).embeds] == ["abc"]
    assert present(NotLinked()).embeds == ()
    assert present(RuntimeError("boom")).expected is False
