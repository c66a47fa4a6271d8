"""Retry-After in every form HTTP allows, and whatever else a server sends, becomes a bounded, finite pause."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.headers import MAX_PAUSE, MIN_PAUSE, retry_after

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, 1.0),
        ("", 1.0),
        ("2", 2.0),
        (" 2.5 ", 2.5),
        ("0", MIN_PAUSE),
        ("-5", MIN_PAUSE),
        ("3600", MAX_PAUSE),
        ("nan", 1.0),
        ("inf", MAX_PAUSE),
        ("-inf", MIN_PAUSE),
        ("soon", 1.0),
        ("Tue, 01 Dec 2026 12:00:07 GMT", 7.0),  # IMF-fixdate
        ("Tuesday, 01-Dec-26 12:00:07 GMT", 7.0),  # obsolete RFC 850 form
        ("Tue Dec  1 12:00:07 2026", 7.0),  # obsolete asctime form
        ("Tue, 01 Dec 2026 11:00:00 GMT", MIN_PAUSE),  # already past
        ("Tue, 01 Dec 2026 13:00:00 GMT", MAX_PAUSE),  # an hour away: clamped
    ],
)
def test_every_form(value, seconds):
    assert retry_after(value, now=NOW) == pytest.approx(seconds)


@given(st.text(max_size=40))
def test_any_text_gives_a_finite_pause_within_bounds(value):
    pause = retry_after(value, now=NOW)
    assert math.isfinite(pause) and MIN_PAUSE <= pause <= MAX_PAUSE


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(10**12), max_value=10**12))
def test_any_number_gives_a_finite_pause_within_bounds(number):
    pause = retry_after(str(number), now=NOW)
    assert math.isfinite(pause) and MIN_PAUSE <= pause <= MAX_PAUSE
    if not math.isnan(number) and MIN_PAUSE <= number <= MAX_PAUSE:
        assert pause == pytest.approx(float(number))


@given(st.integers(min_value=-600, max_value=600))
def test_any_date_means_the_time_until_it(offset):
    when = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    assert retry_after(when, now=NOW) == pytest.approx(min(max(offset, MIN_PAUSE), MAX_PAUSE))
