"""The repository keeps its promises: README, CI, settings and command definitions agree with the code."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.config import Config
from cogs.ticket_ui import ReplyButton, ReplyRetryButton, TicketActionButton

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", README.split("## Setting up the Discord application")[0])


def test_readme_gives_exactly_two_commands_and_ci_runs_the_test_one():
    run, test = readme_commands()
    assert run.endswith("python -m bot") and "requirements.txt" in run
    assert test.endswith("python -m pytest") and "requirements-dev.txt" in test
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_env_example_lists_every_setting_in_config_order():
    keys = re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.MULTILINE)
    fields = [f.name.upper() for f in dataclasses.fields(Config)]
    assert keys == fields
    for key in keys:
        assert f"`{key}`" in README


def test_procfile():
    assert (ROOT / "Procfile").read_text(encoding="utf-8").strip() == "worker: python -m bot"


@pytest.fixture
def command_tree(tmp_path):
    import asyncio

    from bot.api import SeriesClient
    from bot.client import EXTENSIONS, TicketBot
    from bot.config import Secret
    from bot.database import Database
    from bot.ratelimit import RateLimiter

    async def build():
        db = await Database.open(tmp_path / "t.db")
        cfg = Config.from_env({"DISCORD_TOKEN": "t", "SERIES_API_KEY": "k"})
        bot = TicketBot(
            config=cfg, api=SeriesClient(None, base_url="http://x", api_key=Secret("k"), limiter=RateLimiter(1)), db=db
        )  # type: ignore[arg-type]
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        commands = bot.tree.get_commands()
        for extension in EXTENSIONS:
            await bot.unload_extension(extension)
        await db.close()
        return commands

    return asyncio.run(build())


def test_every_command_is_described_and_documented(command_tree):
    names = []
    for command in command_tree:
        children = getattr(command, "commands", None) or [command]
        for child in children:
            names.append(child.qualified_name)
            assert 1 <= len(child.description) <= 100, child.qualified_name
            for parameter in child.parameters:
                assert parameter.description and parameter.description != "…", (child.qualified_name, parameter.name)
                assert len(parameter.description) <= 100
            assert f"/{child.qualified_name}" in README, f"/{child.qualified_name} is not in the README"
    assert len(names) >= 13


SAMPLES = ["TICKET-1234567890-ABCD", "0123456789abcdef01234567", "TICKET-" + "9" * 20 + "-" + "Z" * 16]


@pytest.mark.parametrize("ticket_id", SAMPLES)
def test_button_custom_ids_fit_and_match_only_their_own_template(ticket_id):
    items = [
        ReplyButton(ticket_id),
        *(TicketActionButton(a, ticket_id) for a in ("claim", "unclaim", "resolve", "close", "reopen")),
    ]
    items += [ReplyRetryButton(a, 10**17) for a in ("claimsend", "edit", "check")]
    templates = [
        ReplyButton.__discord_ui_compiled_template__,
        TicketActionButton.__discord_ui_compiled_template__,
        ReplyRetryButton.__discord_ui_compiled_template__,
    ]
    for item in items:
        assert len(item.custom_id) <= 100
        matching = [t for t in templates if t.fullmatch(item.custom_id)]
        assert matching == [type(item).__discord_ui_compiled_template__]


async def test_close_waits_for_replies_in_flight(tmp_path):
    import asyncio

    from bot.api import SeriesClient
    from bot.client import TicketBot
    from bot.config import Secret
    from bot.database import Database
    from bot.ratelimit import RateLimiter

    db = await Database.open(tmp_path / "t.db")
    try:
        cfg = Config.from_env({"DISCORD_TOKEN": "t", "SERIES_API_KEY": "k"})
        api = SeriesClient(None, base_url="http://x", api_key=Secret("k"), limiter=RateLimiter(1))  # type: ignore[arg-type]
        bot = TicketBot(config=cfg, api=api, db=db)
        assert bot.allowed_mentions is not None and bot.allowed_mentions.to_dict() == {"parse": []}
        finished = []

        async def reply_in_flight():
            async with bot.actions.in_flight():
                await asyncio.sleep(0.3)
                finished.append(True)

        task = asyncio.ensure_future(reply_in_flight())
        await asyncio.sleep(0)
        await bot.close()
        assert finished == [True]  # close() waited for it
        await task
    finally:
        await db.close()
