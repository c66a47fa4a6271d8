"""``python -m bot`` as a user runs it: settings problems and a bad key stop it cleanly, with exit code 2."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.database import Database
from bot.repositories import StaffLinkRepo
from fakes.discord import FakeDiscord
from fakes.processes import NOWHERE, OPTIONAL_SERVICES, SETTING_PREFIXES
from tests.helpers import running_fake

ROOT = Path(__file__).resolve().parent.parent


async def run_bot(
    env: dict[str, str],
    cwd: Path,
    wait: float = 30,
    *,
    args: Sequence[str] = (),
    discord_url: str = "http://127.0.0.1:9",
) -> tuple[int, str]:
    """``python -m bot [args]`` with these settings; discord.py is pointed at ``discord_url`` (by default a closed
    local port), never at Discord."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT / "fakes" / "redirect"), str(ROOT)])
    base["TICKET_BRIDGE_FAKE_DISCORD"] = discord_url
    base |= dict.fromkeys(OPTIONAL_SERVICES, NOWHERE)  # never the real Roblox, Bloxlink or RoVer
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
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


async def test_a_bad_database_path_is_reported_with_the_other_settings_before_any_network_call(tmp_path):
    async with running_fake(api_key="k") as fake:
        code, out = await run_bot(
            {"SERIES_API_URL": fake.url, "DATABASE_PATH": str(tmp_path), "FEED_POLL_SECONDS": "1"}, tmp_path
        )
        assert fake.requests == []  # nothing reached the network
    assert code == 2 and "Traceback" not in out
    assert out.count("Ticket Bridge cannot start") == 1
    for problem in ("DISCORD_TOKEN", "SERIES_API_KEY", "FEED_POLL_SECONDS", "is a folder, not a file"):
        assert problem in out


async def test_a_series_url_that_answers_404_is_named_and_the_bot_stops(tmp_path):
    from aiohttp import web

    app = web.Application()  # a web server that isn't the Series API: 404 for everything
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        code, out = await run_bot(
            {
                "DISCORD_TOKEN": "t",
                "SERIES_API_KEY": "k",
                "SERIES_API_URL": f"http://127.0.0.1:{port}/wrong",
                "DATABASE_PATH": str(tmp_path / "bot.db"),
            },
            tmp_path,
        )
    finally:
        await runner.cleanup()
    assert code == 2 and "Traceback" not in out
    assert "SERIES_API_URL" in out and "404" in out and "not the Series API" in out


async def test_discord_unreachable_at_start_is_one_line_and_a_retry_not_a_traceback(tmp_path):
    """Defect: a DNS failure, refused connection or timeout printed a 74-line traceback and exited with 1."""
    import signal
    import socket

    with socket.socket() as probe:  # a port nothing listens on: Discord "refuses the connection"
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    async with running_fake(api_key="k") as fake:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SERIES_", "DATABASE_"))}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=base
            | {
                "PYTHONPATH": os.pathsep.join([str(ROOT / "fakes" / "redirect"), str(ROOT)]),
                "TICKET_BRIDGE_FAKE_DISCORD": f"http://127.0.0.1:{closed}",
                "DISCORD_TOKEN": "t",
                "SERIES_API_KEY": "k",
                "SERIES_API_URL": fake.url,
                "DATABASE_PATH": str(tmp_path / "bot.db"),
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert proc.stdout is not None
        lines: list[str] = []
        try:
            async with asyncio.timeout(20):
                while not any("Can't reach Discord" in line for line in lines):
                    line = (await proc.stdout.readline()).decode()
                    assert line, "".join(lines)
                    lines.append(line)
            proc.send_signal(signal.SIGTERM)
            rest, _ = await asyncio.wait_for(proc.communicate(), 20)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    out = "".join(lines) + rest.decode()
    assert proc.returncode == 0, out  # stopped by us, not crashed
    assert "Traceback" not in out
    [retry] = [line for line in out.splitlines() if "Can't reach Discord" in line]
    assert "connection was refused or failed" in retry and "trying again in 5 s" in retry


async def test_version(tmp_path):
    code, out = await run_bot({}, tmp_path, args=["--version"])
    assert code == 0 and out.strip() == f"Ticket Bridge {__version__}"


async def test_check_with_bad_settings_exits_2(tmp_path):
    code, out = await run_bot({"SERIES_RATE_LIMIT": "lots"}, tmp_path, args=["--check"])
    assert code == 2 and "DISCORD_TOKEN is missing" in out and "Traceback" not in out


async def test_check_prints_the_checklist_and_exits_0_then_1(tmp_path):
    """The real command against the fakes: green, then with Series' plan off (tests/test_checkup.py has the rest)."""
    discord = FakeDiscord(token="check-token")
    discord.add_guild("Staff HQ")
    await discord.start()
    try:
        async with running_fake(api_key="check-key") as series:
            env = {
                "DISCORD_TOKEN": "check-token",
                "SERIES_API_KEY": "check-key",
                "SERIES_API_URL": series.url,
                "DATABASE_PATH": str(tmp_path / "data" / "bot.db"),
            }
            code, out = await run_bot(env, tmp_path, args=["--check"], discord_url=discord.base_url)
            assert code == 0, out
            assert out.startswith(f"Ticket Bridge {__version__}: setup check")
            for line in ("[ ok ] Series API key", "[ ok ] Discord token: logged in as", "[next] Feed routes"):
                assert line in out, out
            assert "[warn] Roblox users API" in out  # a closed port: optional, so not a failure
            series.premium = False
            code, out = await run_bot(env, tmp_path, args=["--check"], discord_url=discord.base_url)
    finally:
        await discord.close()
    assert code == 1, out
    assert "[FIX ] Series Tickets module: Series says: “Tickets module requires a Premium or Enterprise" in out
    assert "The workspace needs the Premium or Enterprise plan" in out
    assert "check-token" not in out and "check-key" not in out and "Traceback" not in out


async def test_backup_copies_a_live_database_and_refuses_a_missing_one(tmp_path):
    path = tmp_path / "data" / "bot.db"
    db = await Database.open(path)
    try:  # the bot "runs": its connection stays open, with a write in the WAL
        await StaffLinkRepo(db).link(guild_id=1, member_id=2, roblox_user_id=3, linked_by=4)
        code, out = await run_bot({"DATABASE_PATH": str(path)}, tmp_path, args=["--backup", "backups/copy.db"])
    finally:
        await db.close()
    assert code == 0, out
    assert "Backed up" in out and "integrity ok" in out
    copy = await Database.open(tmp_path / "backups" / "copy.db")
    try:
        assert [link.roblox_user_id for link in await StaffLinkRepo(copy).list(guild_id=1)] == [3]
    finally:
        await copy.close()
    assert not list((tmp_path / "backups").glob("*.partial"))

    code, out = await run_bot({"DATABASE_PATH": str(tmp_path / "nope.db")}, tmp_path, args=["--backup", "x.db"])
    assert code == 2 and "There is no database at" in out
