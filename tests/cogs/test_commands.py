"""Every slash command of every extension: described within Discord's limits, and documented in the README."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import offline_bot, settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


async def test_every_command_is_described_and_documented(db, http_session):
    bot = offline_bot(settings(), session=http_session, db=db)
    for extension in bot.initial_extensions:
        await bot.load_extension(extension)
    try:
        names = []
        for command in bot.tree.get_commands():
            children = getattr(command, "commands", None) or [command]
            for child in children:
                names.append(child.qualified_name)
                assert 1 <= len(child.description) <= 100, child.qualified_name
                for parameter in child.parameters:
                    assert parameter.description and parameter.description != "…", (
                        child.qualified_name,
                        parameter.name,
                    )
                    assert len(parameter.description) <= 100
                assert f"/{child.qualified_name}" in README, f"/{child.qualified_name} is not in the README"
        assert len(names) >= 13
    finally:
        for extension in bot.initial_extensions:
            await bot.unload_extension(extension)
