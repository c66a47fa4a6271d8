"""``python -m bot`` as a user runs it: settings problems and a bad key stop it cleanly, with exit code 2."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.helpers import running_fake

ROOT = Path(__file__).resolve().parent.parent


async def run_bot(env: dict[str, str], cwd: Path, wait: float = 30) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SERIES_", "DATABASE_", "FEED_"))}
    base["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=cwd,
        env=base | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), wait)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode, out.decode()


async def test_missing_and_invalid_settings_are_listed_together(tmp_path):
    code, out = await run_bot({"SERIES_RATE_LIMIT": "lots", "LOG_LEVEL": "chatty"}, tmp_path)
    assert code == 2
    for key in ("DISCORD_TOKEN", "SERIES_API_KEY", "SERIES_RATE_LIMIT", "LOG_LEVEL"):
        assert key in out
    assert "Traceback" not in out


async def test_dotenv_is_loaded_but_the_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=from-dotenv\nSERIES_API_KEY=from-dotenv\nSERIES_RATE_LIMIT=99\n")
    code, out = await run_bot({"SERIES_RATE_LIMIT": "oops"}, tmp_path)
    assert code == 2
    assert "DISCORD_TOKEN" not in out and "SERIES_API_KEY" not in out  # both came from .env
    assert "'oops'" in out and "'99'" not in out  # the environment won over .env


async def test_invalid_key_refuses_to_start_and_never_shows_secrets(tmp_path):
    async with running_fake(api_key="the-real-key") as fake:
        fake.key_valid = False
        code, out = await run_bot(
            {
                "DISCORD_TOKEN": "discord-secret-token",
                "SERIES_API_KEY": "series-secret-key",
                "SERIES_API_URL": fake.url,
                "DATABASE_PATH": str(tmp_path / "db" / "bot.db"),
            },
            tmp_path,
        )
    assert code == 2
    assert "Series refused the API key" in out and "API key is inactive or invalid" in out
    assert "series-secret-key" not in out and "discord-secret-token" not in out
    assert "Traceback" not in out
