"""Typed views of Series payloads (docs/series-api.md#ticket-shapes).

Parsers are forgiving about fields Series leaves undocumented (how an unclaimed ticket shows ``ClaimedBy``,
the system-message ``Type``), and strict about nothing: a missing string becomes ``""``, so a new or absent
field in Series never crashes the feed (docs/series-api.md#what-the-bot-assumes-where-series-is-silent).
``Any`` appears only here, at the JSON edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = (
    "ACTIVE_STATUSES",
    "STATUSES",
    "Author",
    "Department",
    "KeyInfo",
    "Message",
    "Ticket",
    "TicketConfig",
    "TicketPage",
    "parse_time",
)

STATUSES = ("open", "in-progress", "resolved", "closed")
ACTIVE_STATUSES = ("open", "in-progress")
PLAYER_MESSAGE = "author_message"
STAFF_MESSAGE = "staff_message"

_MSG_KEY = re.compile(r"msj_(\d+)_")


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value or None
    if isinstance(value, str) and value.isdigit():
        return int(value) or None
    return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_time(value: str) -> datetime | None:
    """Parse the API's ISO-8601 UTC strings (``2025-01-15T10:30:00.000Z``)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Author:
    user_id: int | None
    username: str
    display_name: str
    avatar_url: str

    @classmethod
    def from_api(cls, data: Any) -> Author:
        data = data if isinstance(data, dict) else {}
        return cls(
            user_id=_int_or_none(data.get("UserId")),
            username=_str(data.get("Username")),
            display_name=_str(data.get("DisplayName")),
            avatar_url=_str(data.get("AvatarUrl")),
        )

    @property
    def name(self) -> str:
        """How staff know the player: display name, with the username when it differs."""
        if self.display_name and self.username and self.display_name != self.username:
            return f"{self.display_name} (@{self.username})"
        return self.display_name or self.username or "Unknown player"


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    content: str
    author_id: int | None
    type: str
    timestamp: str

    @classmethod
    def from_api(cls, key: str, data: Any) -> Message:
        data = data if isinstance(data, dict) else {}
        return cls(
            id=key,
            content=_str(data.get("Content")),
            author_id=_int_or_none(data.get("Author")),
            type=_str(data.get("Type")),
            timestamp=_str(data.get("Timestamp")),
        )

    @property
    def is_player(self) -> bool:
        return self.type == PLAYER_MESSAGE

    @property
    def is_staff(self) -> bool:
        return self.type == STAFF_MESSAGE

    def sort_key(self) -> tuple[str, int, str]:
        # Content is a JSON object, so key order means nothing (docs/series-api.md#messages): sort by time, then by
        # the epoch-milliseconds part of the msj_ key, then by key for a stable order.
        match = _MSG_KEY.match(self.id)
        return (self.timestamp, int(match.group(1)) if match else 0, self.id)


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket from ``list`` (no messages) or ``get`` (with messages)."""

    id: str
    mongo_id: str
    subject: str
    category: str
    department: str
    status: str
    priority: str
    author: Author
    claimed_by: int | None
    claimed_by_name: str
    game_report: bool
    created_at: str
    updated_at: str
    messages: tuple[Message, ...] = field(default=())

    @classmethod
    def from_api(cls, data: Any) -> Ticket:
        data = data if isinstance(data, dict) else {}
        claimer = data.get("ClaimedByUser")
        claimer_name = _str(data.get("ClaimedByName"))
        if not claimer_name and isinstance(claimer, dict):
            claimer_name = _str(claimer.get("DisplayName")) or _str(claimer.get("Username"))
        content = data.get("Content")
        messages: tuple[Message, ...] = ()
        if isinstance(content, dict):
            messages = tuple(sorted((Message.from_api(k, v) for k, v in content.items()), key=Message.sort_key))
        return cls(
            id=_str(data.get("TicketId")),
            mongo_id=_str(data.get("_id")),
            subject=_str(data.get("Subject")),
            category=_str(data.get("Category")),
            department=_str(data.get("Department")),
            status=_str(data.get("Status")),
            priority=_str(data.get("Priority")),
            author=Author.from_api(data.get("Author")),
            claimed_by=_int_or_none(data.get("ClaimedBy")),
            claimed_by_name=claimer_name,
            game_report=data.get("GameReport") is True,
            created_at=_str(data.get("CreatedAt")),
            updated_at=_str(data.get("UpdatedAt")),
            messages=messages,
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def first_message(self) -> Message | None:
        return next((m for m in self.messages if m.is_player), None)


@dataclass(frozen=True, slots=True)
class TicketPage:
    tickets: tuple[Ticket, ...]
    page: int
    total_pages: int
    total_count: int
    has_next: bool

    @classmethod
    def from_api(cls, data: Any) -> TicketPage:
        data = data if isinstance(data, dict) else {}
        raw = data.get("Tickets")
        pagination = data.get("Pagination") if isinstance(data.get("Pagination"), dict) else {}
        return cls(
            tickets=tuple(Ticket.from_api(t) for t in raw) if isinstance(raw, list) else (),
            page=_int_or_none(pagination.get("CurrentPage")) or 1,
            total_pages=_int_or_none(pagination.get("TotalPages")) or 0,
            total_count=_int_or_none(pagination.get("TotalCount")) or 0,
            has_next=pagination.get("HasNextPage") is True,
        )


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: str
    members: tuple[int, ...]
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TicketConfig:
    enabled: bool
    categories: dict[str, str]
    departments: dict[str, Department]

    @classmethod
    def from_api(cls, data: Any) -> TicketConfig:
        data = data if isinstance(data, dict) else {}
        categories = data.get("Categories") if isinstance(data.get("Categories"), dict) else {}
        departments = data.get("Departments") if isinstance(data.get("Departments"), dict) else {}
        return cls(
            enabled=data.get("Enabled") is not False,
            categories={k: _str(v.get("Name")) or k for k, v in categories.items() if isinstance(v, dict)},
            departments={
                k: Department(
                    id=k,
                    name=_str(v.get("Name")) or k,
                    members=tuple(m for m in (_int_or_none(x) for x in v.get("Members") or ()) if m),
                    categories=tuple(c for c in v.get("Categories") or () if isinstance(c, str)),
                )
                for k, v in departments.items()
                if isinstance(v, dict)
            },
        )

    def department_name(self, department_id: str) -> str:
        department = self.departments.get(department_id)
        return department.name if department else department_id

    def category_name(self, category_id: str) -> str:
        return self.categories.get(category_id) or category_id


@dataclass(frozen=True, slots=True)
class KeyInfo:
    valid: bool
    workspace_id: str
    workspace_name: str
    message: str

    @classmethod
    def from_api(cls, data: Any) -> KeyInfo:
        data = data if isinstance(data, dict) else {}
        # check-key answers 200 with success: true for a bad key; only data.valid tells (docs/series-api.md#check-key).
        return cls(
            valid=data.get("valid") is True,
            workspace_id=_str(data.get("workspaceId")),
            workspace_name=_str(data.get("workspaceName")),
            message=_str(data.get("message")),
        )
