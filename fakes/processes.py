"""Bot processes against the fake Discord (end-to-end tests, screenshots): started, logged to one file, killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REDIRECT = Path(__file__).resolve().parent / "redirect"
NOWHERE = "http://127.0.0.1:9"
SETTING_PREFIXES = ("DISCORD_", "SERIES_", "DATABASE_", "FEED_", "ROBLOX_", "BLOXLINK_", "ROVER_", "SELF_LINK")
OPTIONAL_SERVICES = ("ROBLOX_USERS_URL", "ROBLOX_THUMBNAILS_URL", "BLOXLINK_API_URL", "ROVER_API_URL")


class BotProcesses:
    """``python -m <module>`` processes pointed at a fake Discord; every one is SIGKILLed by :meth:`kill_all`.

    The bot's settings come only from ``env``: anything named like a Ticket Bridge setting in the test runner's own
    environment is dropped, and Roblox, Bloxlink and RoVer point at a closed local port unless ``env`` names them.
    ``fakes/redirect`` goes first on ``PYTHONPATH`` so its ``sitecustomize`` repoints discord.py at the fake.
    """

    def __init__(self, module: str, fake_discord_url: str, log_path: Path) -> None:
        self.module = module
        self.fake_discord_url = fake_discord_url
        self.log_path = log_path
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, env: Mapping[str, str]) -> asyncio.subprocess.Process:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
        full_env = inherited | {
            "PYTHONPATH": os.pathsep.join([str(REDIRECT), str(REPO)]),
            "PYTHONUNBUFFERED": "1",
            "TICKET_BRIDGE_FAKE_DISCORD": self.fake_discord_url,
            # Roblox, Bloxlink and RoVer default to their real addresses: a closed local port unless given.
            **dict.fromkeys(OPTIONAL_SERVICES, NOWHERE),
            **env,
        }
        with self.log_path.open("ab") as log_file:
            log_file.write(f"----- bot process #{len(self.processes) + 1}\n".encode())
            log_file.flush()
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", self.module, cwd=REPO, env=full_env, stdout=log_file, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def kill_all(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await process.wait()
