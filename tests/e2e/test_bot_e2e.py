"""The real bot, started exactly as a user starts it (``python -m bot``), against a fake Discord on the wire and
the fake Series: linking, a failed then a successful reply, button → modal → submit, a new ticket's card, and a
SIGKILL restart after which the old button still works and nothing is posted twice; then a graceful SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakes.discord import MANAGE_GUILD, FakeDiscord
from fakes.processes import BotProcesses
from fakes.series import FakeSeries
from tests.helpers import sent

TOKEN = "e2e-discord-token"
KEY = "e2e-series-key"
STAFF_ROBLOX_ID = 987654321


@dataclass
class World:
    discord: FakeDiscord
    series: FakeSeries
    guild: int
    channel: int
    admin: int
    staff: int


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = FakeDiscord(token=TOKEN)
    guild = int(fake.add_guild("Staff HQ")["id"])
    channel = int(fake.add_channel(guild, "tickets")["id"])
    admins = fake.add_role(guild, "Admins", MANAGE_GUILD)
    admin, staff = fake.add_user("admin"), fake.add_user("staffer")
    fake.add_member(guild, admin, roles=[admins])
    fake.add_member(guild, staff)
    series = FakeSeries(api_key=KEY)
    await fake.start()
    await series.start()
    try:
        yield World(fake, series, guild, channel, int(admin["id"]), int(staff["id"]))
    finally:
        await series.close()
        await fake.close()


class Bot(BotProcesses):
    """``python -m bot`` processes with the settings a user would give, on one database."""

    def __init__(self, world: World, tmp: Path) -> None:
        super().__init__("bot", world.discord.base_url, tmp / "bot.log")
        self.world = world
        self.db_path = tmp / "data" / "bot.db"

    async def start(self) -> asyncio.subprocess.Process:  # type: ignore[override]
        return await super().start(
            {
                "DISCORD_TOKEN": TOKEN,
                "SERIES_API_KEY": KEY,
                "SERIES_API_URL": self.world.series.url,
                "DATABASE_PATH": str(self.db_path),
                "DISCORD_GUILD_ID": str(self.world.guild),
                "FEED_POLL_SECONDS": "5",
            }
        )


@pytest.fixture
async def bot(world: World, tmp_path: Path) -> AsyncIterator[Bot]:
    runner = Bot(world, tmp_path)
    try:
        yield runner
    finally:
        await runner.kill_all()
        print(runner.log())


def labels(message: dict) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.get("components", []) for c in row["components"]}


async def test_the_whole_path(world: World, bot: Bot):
    d, s = world.discord, world.series
    process = await bot.start()
    await d.wait_for_connection(timeout=30)
    await d.wait_for_commands({"staff", "reply", "ticket", "feed"}, guild_id=world.guild, timeout=30)

    # At start, a fresh deploy is told its next steps (bot.checkup), and discord.py's voice warnings are silent
    async with asyncio.timeout(20):
        while "Next step: Staff links" not in bot.log():  # noqa: ASYNC110 - polling another process's log file
            await asyncio.sleep(0.1)
    log = bot.log()
    assert "Next step: Feed routes: tickets aren't posted anywhere yet. In Discord, run /feed set" in log
    assert "Setup: Series API key: valid for workspace" in log
    assert "voice will NOT be supported" not in log

    # Linking
    link = await d.slash(
        world.guild,
        world.channel,
        world.admin,
        "staff link",
        {"member": world.staff, "roblox": str(STAFF_ROBLOX_ID)},
    )
    await link.final_message()
    assert link.ephemeral and "Linked" in link.content

    # A reply that fails (not claimed), then one that succeeds
    ticket = s.create_ticket(subject="Rank please", message="I need a rank")["TicketId"]
    failed = await d.slash(world.guild, world.channel, world.staff, "reply", {"ticket_id": ticket, "message": "On it"})
    await failed.final_message()
    assert failed.ephemeral and "“You must claim this ticket before replying”" in failed.content
    assert failed.embeds[0]["description"] == "On it"
    claimed = await d.slash(world.guild, world.channel, world.staff, "ticket claim", {"ticket_id": ticket})
    await claimed.final_message()
    assert "is yours now" in claimed.content
    ok = await d.slash(world.guild, world.channel, world.staff, "reply", {"ticket_id": ticket, "message": "On it"})
    await ok.final_message()
    assert ok.ephemeral and sent(ok.content)
    assert [r.json for r in s.requests if r.path.endswith("/reply")][-1] == {
        "content": "On it",
        "staffUserId": STAFF_ROBLOX_ID,
    }

    # Button, then modal, then submit
    shown = await d.slash(world.guild, world.channel, world.staff, "ticket show", {"ticket_id": ticket, "public": True})
    await shown.final_message()
    assert shown.ephemeral and "Posted" in shown.content
    card = await d.wait_for_message(
        world.channel, lambda m: bool(m.get("embeds")) and "Rank please" in m["embeds"][0]["title"]
    )
    click = await d.click(world.guild, world.channel, world.staff, int(card["id"]), labels(card)["Reply"])
    modal = await click.wait_for_modal()
    text_input = modal["components"][0]["component"]["custom_id"]
    submitted = await d.submit_modal(
        world.guild, world.channel, world.staff, modal["custom_id"], {text_input: "From the modal"}
    )
    await submitted.final_message()
    assert submitted.ephemeral and sent(submitted.content)

    # A new ticket appears as a card
    route = await d.slash(world.guild, world.channel, world.admin, "feed set", {"channel": world.channel})
    await route.final_message()
    assert "now appear in" in route.content
    fresh = s.create_ticket(subject="Brand new ticket")["TicketId"]

    def is_card(tid):
        return lambda m: bool(m.get("embeds")) and (m["embeds"][0].get("footer") or {}).get("text") == tid

    new_card = await d.wait_for_message(world.channel, is_card(fresh), timeout=20)
    assert "Reply" in labels(new_card)

    # A SIGKILL restart: the old button still works, and nothing is posted twice
    process.send_signal(signal.SIGKILL)
    await process.wait()
    process = await bot.start()
    await d.wait_for_connection(timeout=30, identify_count=2)
    click = await d.click(world.guild, world.channel, world.staff, int(new_card["id"]), labels(new_card)["Reply"])
    modal = await click.wait_for_modal(timeout=20)
    s.claim(fresh, STAFF_ROBLOX_ID)
    text_input = modal["components"][0]["component"]["custom_id"]
    after = await d.submit_modal(
        world.guild, world.channel, world.staff, modal["custom_id"], {text_input: "After the restart"}
    )
    await after.final_message(timeout=20)
    assert sent(after.content)
    await asyncio.sleep(6)  # at least one more poll after the restart
    cards = [m for m in d.messages(world.channel) if is_card(fresh)(m)]
    assert len(cards) == 1
    assert [m["Content"] for _, m in s.messages(fresh) if m["Type"] == "staff_message"] == ["After the restart"]

    # SIGTERM: a graceful stop, database closed, exit code 0
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    log = bot.log()
    assert "Database closed" in log
    assert "Traceback" not in log
    assert TOKEN not in log and KEY not in log
    assert not d.unknown_routes, d.unknown_routes


async def test_a_second_copy_on_the_same_database_waits_and_takes_over_when_the_first_stops(world: World, bot: Bot):
    """Defect: in a deploy overlap both copies would recover replies and post cards. The second waits, says why, and
    never connects to Discord until the first has stopped."""
    d = world.discord
    first = await bot.start()
    await d.wait_for_connection(timeout=30)
    second = await bot.start()
    for _ in range(200):  # the log is a file another process writes: look at it every 0.1 s, for 20 s at most
        if "Another copy of Ticket Bridge" in bot.log():
            break
        await asyncio.sleep(0.1)
    assert "Another copy of Ticket Bridge" in bot.log()
    await asyncio.sleep(3)
    assert d.identify_count == 1 and second.returncode is None  # waiting, not connected, not crashed
    first.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(first.wait(), 30) == 0
    await d.wait_for_connection(timeout=30, identify_count=2)  # the released lease lets it in at once
    second.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(second.wait(), 30) == 0
    assert "Traceback" not in bot.log()
