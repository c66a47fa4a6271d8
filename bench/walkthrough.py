"""``python -m bench.walkthrough``: a new admin's path from ``git clone`` to linked staff and a first card, timed.

It follows the README on a fresh clone of this repository, in a temporary folder:

1. ``git clone`` (from this checkout: the sandbox has no GitHub);
2. the README's first command, split at ``python -m bot``: a virtual environment and ``pip install -r
   requirements.txt`` (from the package registry, as a new machine would);
3. ``.env`` from ``.env.example``, with the token, key, server id and addresses filled in;
4. ``python -m bot --check``;
5. ``python -m bot``, then in Discord: ``/feed set``, ``/staff link member roblox:<username>``, a player opens a
   ticket on Series, its card appears, the staff member claims it from the card and answers with ``/reply``.

Discord, Series and Roblox are the repository's fakes (this is a sandbox): the bot process is pointed at the fake
Discord by ``fakes/redirect`` on ``PYTHONPATH``, the only step a real admin doesn't take. What a real admin does by
hand in Discord's Developer Portal (create the application, copy the token, invite the bot: about five minutes
by the README) is not timed here. Prints each step's time and the total.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fakes.discord import MANAGE_GUILD, FakeDiscord
from fakes.roblox import FakeRoblox
from fakes.series import FakeSeries

from .common import write_result

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "walkthrough-token"
KEY = "walkthrough-key"


def _step(times: list[tuple[str, float]], name: str, started: float) -> float:
    took = time.perf_counter() - started
    times.append((name, took))
    print(f"  {name}: {took:.1f} s", flush=True)
    return time.perf_counter()


async def _run(*command: str, cwd: Path | None = None) -> None:
    # Never a blocking subprocess.run: the fakes answer from this process's event loop, which must keep running.
    process = await asyncio.create_subprocess_exec(*command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {err.decode(errors='replace')[-2000:]}")


def _env_file(example: str, values: dict[str, str]) -> str:
    lines = []
    for line in example.splitlines():
        key = line.split("=", 1)[0]
        lines.append(f"{key}={values[key]}" if key in values and not line.startswith("#") else line)
    return "\n".join(lines) + "\n"


async def run(*, keep: bool = False) -> dict:
    times: list[tuple[str, float]] = []
    folder = Path(tempfile.mkdtemp(prefix="walkthrough-"))
    discord = FakeDiscord(token=TOKEN)
    guild = int(discord.add_guild("Roblox Cafe Staff")["id"])
    channel = int(discord.add_channel(guild, "tickets")["id"])
    admins = discord.add_role(guild, "Admins", MANAGE_GUILD)
    admin, staff = discord.add_user("owner"), discord.add_user("jordan")
    discord.add_member(guild, admin, roles=[admins])
    discord.add_member(guild, staff)
    series, roblox = FakeSeries(api_key=KEY), FakeRoblox()
    await discord.start()
    await series.start()
    await roblox.start()
    process = None
    began = t = time.perf_counter()
    try:
        repo = folder / "ticket-bridge"
        await _run("git", "clone", "-q", str(ROOT), str(repo))
        t = _step(times, "git clone", t)
        venv = repo / ".venv"
        await _run(sys.executable, "-m", "venv", str(venv))
        python = venv / "bin" / "python"
        await _run(
            str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", "requirements.txt", cwd=repo
        )
        t = _step(times, "venv + pip install -r requirements.txt", t)
        example = (repo / ".env.example").read_text()
        (repo / ".env").write_text(
            _env_file(
                example,
                {
                    "DISCORD_TOKEN": TOKEN,
                    "SERIES_API_KEY": KEY,
                    "SERIES_API_URL": series.url,
                    "DISCORD_GUILD_ID": str(guild),
                    "ROBLOX_USERS_URL": roblox.url,
                    "ROBLOX_THUMBNAILS_URL": roblox.url,
                    "FEED_POLL_SECONDS": "5",
                },
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SERIES_", "DATABASE_", "ROBLOX_"))}
        env |= {
            "PYTHONPATH": str(repo / "fakes" / "redirect"),
            "TICKET_BRIDGE_FAKE_DISCORD": discord.base_url,
            "BLOXLINK_API_URL": "http://127.0.0.1:9",
            "ROVER_API_URL": "http://127.0.0.1:9",
        }
        t = _step(times, "cp .env.example .env, filled in", t)
        check = await asyncio.create_subprocess_exec(
            str(python), "-m", "bot", "--check", cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        out, _ = await check.communicate()
        print("\n".join("    " + line for line in out.decode().splitlines()), flush=True)
        if check.returncode != 0:
            raise SystemExit(f"--check exited {check.returncode}")
        t = _step(times, "python -m bot --check (exit 0)", t)
        log = (folder / "bot.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            str(python), "-m", "bot", cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        await discord.wait_for_connection(timeout=60)
        await discord.wait_for_commands({"feed", "staff", "reply"}, guild_id=guild, timeout=60)
        t = _step(times, "python -m bot: connected, commands ready", t)
        route = await discord.slash(guild, channel, int(admin["id"]), "feed set", {"channel": channel})
        await route.final_message()
        linked = await discord.slash(
            guild, channel, int(admin["id"]), "staff link", {"member": staff, "roblox": "staff123"}
        )
        await linked.final_message()
        assert "Linked" in linked.content, linked.content
        t = _step(times, "/feed set and /staff link (by username)", t)
        ticket = series.create_ticket(subject="I can't find my pet")["TicketId"]

        def is_card(message: dict) -> bool:
            return bool(message.get("embeds")) and (message["embeds"][0].get("footer") or {}).get("text") == ticket

        card = await discord.wait_for_message(channel, is_card, timeout=30)
        t = _step(times, "a player opens a ticket: its card appears", t)
        labels = {c["label"]: c["custom_id"] for row in card["components"] for c in row["components"]}
        claimed = await discord.click(guild, channel, int(staff["id"]), int(card["id"]), labels["Claim"])
        await claimed.final_message()
        answered = await discord.slash(
            guild, channel, int(staff["id"]), "reply", {"ticket_id": ticket, "message": "Hi! Let's find it."}
        )
        await answered.final_message()
        assert "Sent" in answered.content, answered.content
        _step(times, "staff claim it from the card and /reply", t)
        total = time.perf_counter() - began
        print(f"  total: {total:.1f} s", flush=True)
        return {"steps": [{"step": n, "seconds": s} for n, s in times], "total_seconds": total}
    finally:
        if process is not None and process.returncode is None:
            process.terminate()
            await process.wait()
        await roblox.close()
        await series.close()
        await discord.close()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"  kept {folder}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.walkthrough", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone and the bot's log")
    args = parser.parse_args(argv)
    result = asyncio.run(run(keep=args.keep))
    print(f"wrote {write_result('walkthrough', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
