from __future__ import annotations

import sqlite3

import pytest
from discord import app_commands

from bot.api import SeriesBadRequest, SeriesForbidden, SeriesNotFound, SeriesRateLimited, SeriesUnavailable
from bot.errors import NotLinked, user_message


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
