"""Input rules, checked before any API call or database write. Each failure is an :class:`InvalidInput`."""

from __future__ import annotations

import re
import unicodedata

from .api import is_ticket_id
from .errors import InvalidInput

__all__ = (
    "LISTED_ID",
    "MAX_REPLY_LENGTH",
    "MAX_ROBLOX_ID",
    "clean_message",
    "clean_roblox_id",
    "clean_ticket_id",
    "listed_ticket_id",
    "has_visible_text",
)

MAX_REPLY_LENGTH = 4000
MAX_ROBLOX_ID = 2**53 - 1  # the largest integer JSON (and Discord) carries exactly
_PROFILE_URL = re.compile(r"(?:https?://)?(?:www\.|web\.)?roblox\.com/users/(\d+)(?:/profile)?/?", re.IGNORECASE)


# An id Series listed, as carried in a button or box of ours: any non-blank printable text without ":" that fits
# in a custom_id (docs/series-api.md#ticket-id-shape). Its shape is Series' business; the API client encodes it.
LISTED_ID = re.compile(r"[^\s:]{1,64}")


def listed_ticket_id(raw: str) -> str:
    """A ticket id that came from Series (through a card's button or a box), not typed by a person."""
    if not LISTED_ID.fullmatch(raw):
        raise InvalidInput("That button or box refers to a ticket id the bot can't use. Use `/reply` instead.")
    return raw


def has_visible_text(text: str) -> bool:
    """False for text made only of whitespace, zero-width and other invisible characters."""
    return any(not ch.isspace() and unicodedata.category(ch) not in {"Cf", "Cc", "Zs", "Zl", "Zp"} for ch in text)


def clean_ticket_id(raw: str) -> str:
    """Accept ``TICKET-<digits>-<letters and digits>`` (any case for the prefix) or a 24-character hex id."""
    value = raw.strip().lstrip("#").strip()
    if value[:7].upper() == "TICKET-":
        value = "TICKET-" + value[7:]
    if not is_ticket_id(value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise InvalidInput(
            f"`{_plain(shown)}` is not a ticket id. Ticket ids look like `TICKET-1234567890-ABCD` "
            "(or a 24-character id from the Series website); pick one from the autocomplete list."
        )
    return value


def clean_message(raw: str) -> str:
    """Trim the reply; it must have visible text and at most 4000 characters."""
    text = raw.strip()
    if not has_visible_text(text):
        raise InvalidInput("Your message is empty. Write something to send to the player.")
    if len(text) > MAX_REPLY_LENGTH:
        raise InvalidInput(
            f"Your message is {len(text):,} characters; Series replies can be at most {MAX_REPLY_LENGTH:,}. "
            "Shorten it and send it again.",
            text=text,
        )
    return text


def clean_roblox_id(raw: str | int) -> int:
    """A Roblox user id: a positive whole number, given as a number or a roblox.com profile link."""
    text = str(raw).strip()
    match = _PROFILE_URL.fullmatch(text)
    if match:
        text = match.group(1)
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(
            f"`{_plain(text[:40])}` is not a Roblox user id. Use the number from the player's profile link "
            "(roblox.com/users/**123456789**/profile), or paste the link itself."
        )
    value = int(text)
    if not 1 <= value <= MAX_ROBLOX_ID:
        raise InvalidInput(f"A Roblox user id is a positive number up to {MAX_ROBLOX_ID}; `{text[:40]}` is not.")
    return value


def _plain(text: str) -> str:
    # Shown inside inline code: drop backticks and line breaks so the user's input cannot break out of it.
    return text.replace("`", "'").replace("\n", " ") or " "
