from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, Secret

BASE = {"DISCORD_TOKEN": "discord-token-value", "SERIES_API_KEY": "series-key-value"}


def test_defaults():
    cfg = Config.from_env(BASE)
    assert cfg.series_api_url == "https://api.series.hr"
    assert cfg.database_path == Path("data/bot.db")
    assert cfg.series_rate_limit == 25
    assert cfg.series_timeout == 10.0
    assert cfg.discord_guild_id is None
    assert cfg.feed_poll_seconds == 15.0
    assert cfg.log_level == "INFO"


def test_every_setting_parsed():
    cfg = Config.from_env(
        BASE
        | {
            "SERIES_API_URL": "http://127.0.0.1:8099/",
            "DATABASE_PATH": "/tmp/x/bot.db",
            "SERIES_RATE_LIMIT": "10",
            "SERIES_TIMEOUT": "2.5",
            "DISCORD_GUILD_ID": "123456789012345678",
            "FEED_POLL_SECONDS": "30",
            "LOG_LEVEL": "debug",
        }
    )
    assert cfg.series_api_url == "http://127.0.0.1:8099"
    assert cfg.database_path == Path("/tmp/x/bot.db")
    assert cfg.series_rate_limit == 10
    assert cfg.series_timeout == 2.5
    assert cfg.discord_guild_id == 123456789012345678
    assert cfg.feed_poll_seconds == 30
    assert cfg.log_level == "DEBUG"


def test_all_problems_reported_together():
    with pytest.raises(ConfigError) as info:
        Config.from_env(
            {
                "DISCORD_TOKEN": "  ",
                "SERIES_RATE_LIMIT": "fast",
                "SERIES_API_URL": "ftp://x",
                "DISCORD_GUILD_ID": "abc",
                "LOG_LEVEL": "LOUD",
                "SERIES_TIMEOUT": "0",
                "FEED_POLL_SECONDS": "-1",
            }
        )
    text = str(info.value)
    for key in (
        "DISCORD_TOKEN",
        "SERIES_API_KEY",
        "SERIES_RATE_LIMIT",
        "SERIES_API_URL",
        "DISCORD_GUILD_ID",
        "LOG_LEVEL",
        "SERIES_TIMEOUT",
        "FEED_POLL_SECONDS",
    ):
        assert key in text
    assert len(info.value.problems) == 8


@pytest.mark.parametrize("rate", ["0", "26", "-3", "2.5"])
def test_rate_limit_bounds(rate):
    with pytest.raises(ConfigError, match="SERIES_RATE_LIMIT"):
        Config.from_env(BASE | {"SERIES_RATE_LIMIT": rate})


def test_secrets_never_in_repr_or_str():
    cfg = Config.from_env(BASE)
    for text in (repr(cfg), str(cfg), repr(cfg.discord_token), f"{cfg.series_api_key}"):
        assert "discord-token-value" not in text
        assert "series-key-value" not in text
    assert cfg.discord_token.reveal() == "discord-token-value"
    assert set(cfg.secrets()) == {"discord-token-value", "series-key-value"}
    assert Secret("a") == Secret("a")


def test_env_example_lists_every_setting_in_config_order():
    root = Path(__file__).resolve().parent.parent
    keys = re.findall(r"^([A-Z_]+)=", (root / ".env.example").read_text(encoding="utf-8"), re.MULTILINE)
    fields = [f.name.upper() for f in dataclasses.fields(Config)]
    assert keys == fields
    readme = (root / "README.md").read_text(encoding="utf-8")
    for key in keys:
        assert f"`{key}`" in readme
