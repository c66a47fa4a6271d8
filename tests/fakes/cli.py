"""Run a fake's ``python -m fakes.<name>`` CLI for a test: read its address, talk to it, stop it with Ctrl+C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Cli:
    process: asyncio.subprocess.Process
    url: str
    banner: list[str] = field(default_factory=list)

    async def readline(self) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(10):
            return (await self.process.stdout.readline()).decode()

    async def stop(self) -> list[str]:
        """Ctrl+C; the exit code must be 0. Returns what it printed after the banner."""
        self.process.send_signal(signal.SIGINT)
        assert self.process.stdout is not None
        async with asyncio.timeout(20):
            rest = (await self.process.stdout.read()).decode()
            assert await self.process.wait() == 0
        return rest.splitlines()


@contextlib.asynccontextmanager
async def running_cli(module: str, *args: str) -> AsyncIterator[Cli]:
    """``python -m module --port 0 *args``, yielded once it prints its address; always stopped."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "--port",
        "0",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    try:
        banner: list[str] = []
        url = None
        async with asyncio.timeout(20):
            while url is None:
                line = (await process.stdout.readline()).decode()
                assert line, f"the CLI exited early: {''.join(banner)}"
                banner.append(line)
                if match := re.search(r"(http://127\.0\.0\.1:\d+)", line):
                    url = match.group(1)
            while not banner[-1].startswith("Press Ctrl+C"):
                line = (await process.stdout.readline()).decode()
                assert line, f"the CLI exited early: {''.join(banner)}"
                banner.append(line)
        yield Cli(process, url, banner)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
