"""Reading HTTP headers that tell the bot to wait.

``Retry-After`` is either a number of seconds or an HTTP-date (RFC 9110, section 10.2.3). Whatever a server sends,
the pause that comes out is a finite number of seconds within bounds, so one odd header can neither stall the bot
for an hour nor turn into no pause at all (docs/series-api.md#429-and-retry-after).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ("MAX_PAUSE", "MIN_PAUSE", "retry_after")

MIN_PAUSE = 0.1
MAX_PAUSE = 60.0
DEFAULT_PAUSE = 1.0


def retry_after(value: str | None, *, now: datetime | None = None, default: float = DEFAULT_PAUSE) -> float:
    """Seconds to wait for a ``Retry-After`` value (delta-seconds or HTTP-date), clamped to [0.1, 60].

    Missing, unreadable or NaN values give ``default``; infinities and dates in the past are clamped like any number.
    """
    seconds = _parse(value.strip(), now or datetime.now(UTC)) if value else None
    if seconds is None or math.isnan(seconds):
        seconds = default
    return min(max(seconds, MIN_PAUSE), MAX_PAUSE)


def _parse(value: str, now: datetime) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form without a zone is read as GMT too
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()
