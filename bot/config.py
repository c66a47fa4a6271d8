"""Settings, read once from the environment.

``Config.from_env`` takes any mapping, so tests pass a plain dict and never read a developer's
``.env``. Every problem is collected and reported together: a deployer fixes them all in one go.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

__all__ = ("Config", "ConfigError", "Secret", "database_path_problem")

DEFAULT_API_URL = "https://api.series.hr"
DEFAULT_ROBLOX_USERS_URL = "https://users.roblox.com"
DEFAULT_ROBLOX_THUMBNAILS_URL = "https://thumbnails.roblox.com"
DEFAULT_BLOXLINK_API_URL = "https://api.blox.link"
DEFAULT_ROVER_API_URL = "https://registry.rover.link"
DEFAULT_DATABASE_PATH = "data/bot.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_ON = ("on", "true", "yes", "1")
_OFF = ("off", "false", "no", "0")


class Secret:
    """A string that never shows itself in ``repr``, ``str`` or f-strings.

    Call :meth:`reveal` at the one place the real value is needed (the login call, the HTTP header).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # pragma: no cover - guard, not a feature
        raise TypeError("Secret values cannot be pickled")


class ConfigError(Exception):
    """Raised with every problem found in the settings, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def __str__(self) -> str:
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"Ticket Bridge cannot start; fix these settings (see .env.example):\n{lines}"


def database_path_problem(path: Path) -> str | None:
    """What stops the bot from keeping its database at ``path``, found without creating anything (None: fine).

    Checked with the other settings, so a bad ``DATABASE_PATH`` is reported in the same message, before any
    network call.
    """
    if str(path) == ":memory:":
        return None
    try:
        if path.exists() and not path.is_file():
            example = str(path / "bot.db")
            return f"DATABASE_PATH {str(path)!r} is a folder, not a file; name a file inside it, e.g. {example!r}."
        folder = path.parent if str(path.parent) else Path(".")
        existing = folder
        while not existing.exists():
            if existing.parent == existing:
                break
            existing = existing.parent
        if not existing.is_dir():
            return f"DATABASE_PATH {str(path)!r} can't be created: {str(existing)!r} is a file, not a folder."
        writable = os.access(path if path.exists() else existing, os.W_OK)
    except OSError as exc:
        return f"DATABASE_PATH {str(path)!r} can't be used ({exc.strerror})."
    if not writable:
        return f"DATABASE_PATH {str(path)!r} is not writable by this user; choose a folder the bot may write to."
    return None


@dataclass(frozen=True, slots=True)
class Config:
    """Deployment settings. Per-guild settings (links, feed routes) live in the database."""

    discord_token: Secret = field(repr=False)
    series_api_key: Secret = field(repr=False)
    series_api_url: str = DEFAULT_API_URL
    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    series_rate_limit: int = 25
    series_timeout: float = 10.0
    discord_guild_id: int | None = None
    feed_poll_seconds: float = 15.0
    data_retention_days: int = 90
    log_level: str = "INFO"
    roblox_users_url: str = DEFAULT_ROBLOX_USERS_URL
    roblox_thumbnails_url: str = DEFAULT_ROBLOX_THUMBNAILS_URL
    bloxlink_api_key: Secret | None = field(default=None, repr=False)
    bloxlink_api_url: str = DEFAULT_BLOXLINK_API_URL
    rover_api_key: Secret | None = field(default=None, repr=False)
    rover_api_url: str = DEFAULT_ROVER_API_URL
    self_link: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Build a config from ``env``; raise :class:`ConfigError` naming every bad or missing key."""
        problems: list[str] = []

        def get(key: str) -> str | None:
            value = env.get(key)
            if value is None:
                return None
            value = value.strip()
            return value or None

        def required(key: str, what: str) -> Secret:
            value = get(key)
            if value is None:
                problems.append(f"{key} is missing: set it to {what}.")
                return Secret("")
            return Secret(value)

        def number(key: str, default: float, *, kind: type, low: float, high: float, what: str):
            raw = get(key)
            if raw is None:
                return default
            try:
                value = kind(raw)
            except ValueError:
                problems.append(f"{key} must be {what}, got {raw!r}.")
                return default
            if not low <= value <= high:
                problems.append(f"{key} must be {what}, got {raw!r}.")
                return default
            return value

        def optional_secret(key: str) -> Secret | None:
            value = get(key)
            return Secret(value) if value is not None else None

        def web_address(key: str, default: str) -> str:
            value = get(key) or default
            if not value.startswith(("https://", "http://")):
                problems.append(f"{key} must start with https:// or http://, got {value!r}.")
            return value.rstrip("/")

        def switch(key: str, default: bool) -> bool:
            raw = get(key)
            if raw is None:
                return default
            if raw.lower() in _ON:
                return True
            if raw.lower() in _OFF:
                return False
            problems.append(f"{key} must be on or off, got {raw!r}.")
            return default

        token = required("DISCORD_TOKEN", "your bot's token from the Discord Developer Portal")
        api_key = required("SERIES_API_KEY", "your workspace's Series API key")

        url = get("SERIES_API_URL") or DEFAULT_API_URL
        if not url.startswith(("https://", "http://")):
            problems.append(f"SERIES_API_URL must start with https:// or http://, got {url!r}.")
        url = url.rstrip("/")

        database_path = Path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH)
        if (problem := database_path_problem(database_path)) is not None:
            problems.append(problem)

        rate = number(
            "SERIES_RATE_LIMIT", 25, kind=int, low=1, high=25, what="a whole number of requests per second from 1 to 25"
        )
        timeout = number("SERIES_TIMEOUT", 10.0, kind=float, low=1, high=120, what="a number of seconds from 1 to 120")
        poll = number(
            "FEED_POLL_SECONDS", 15.0, kind=float, low=5, high=3600, what="a number of seconds from 5 to 3600"
        )
        retention = number(
            "DATA_RETENTION_DAYS", 90, kind=int, low=1, high=3650, what="a whole number of days from 1 to 3650"
        )

        guild_id: int | None = None
        raw_guild = get("DISCORD_GUILD_ID")
        if raw_guild is not None:
            if raw_guild.isdigit() and 0 < int(raw_guild) < 2**64:
                guild_id = int(raw_guild)
            else:
                problems.append(f"DISCORD_GUILD_ID must be a server id (a number), got {raw_guild!r}.")

        level = (get("LOG_LEVEL") or "INFO").upper()
        if level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}.")
            level = "INFO"

        roblox_users_url = web_address("ROBLOX_USERS_URL", DEFAULT_ROBLOX_USERS_URL)
        roblox_thumbnails_url = web_address("ROBLOX_THUMBNAILS_URL", DEFAULT_ROBLOX_THUMBNAILS_URL)
        bloxlink_api_key = optional_secret("BLOXLINK_API_KEY")
        bloxlink_api_url = web_address("BLOXLINK_API_URL", DEFAULT_BLOXLINK_API_URL)
        rover_api_key = optional_secret("ROVER_API_KEY")
        rover_api_url = web_address("ROVER_API_URL", DEFAULT_ROVER_API_URL)
        self_link = switch("SELF_LINK", True)

        if problems:
            raise ConfigError(problems)
        return cls(
            discord_token=token,
            series_api_key=api_key,
            series_api_url=url,
            database_path=database_path,
            series_rate_limit=int(rate),
            series_timeout=timeout,
            discord_guild_id=guild_id,
            feed_poll_seconds=poll,
            data_retention_days=int(retention),
            log_level=level,
            roblox_users_url=roblox_users_url,
            roblox_thumbnails_url=roblox_thumbnails_url,
            bloxlink_api_key=bloxlink_api_key,
            bloxlink_api_url=bloxlink_api_url,
            rover_api_key=rover_api_key,
            rover_api_url=rover_api_url,
            self_link=self_link,
        )

    def secrets(self) -> tuple[str, ...]:
        """The secret values, for the log redaction filter."""
        keys = (self.discord_token, self.series_api_key, self.bloxlink_api_key, self.rover_api_key)
        values = [s.reveal() for s in keys if s is not None and s.reveal()]
        # The Series key also travels URL-encoded (check-key puts it in the path).
        return tuple(dict.fromkeys([*values, *(quote(v, safe="") for v in values)]))
