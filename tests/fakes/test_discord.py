"""Prove FakeDiscord with a real, unmodified discord.py bot process (tests/e2e/demo_bot.py), and with discord.py in
this process the way the benchmarks use it (the fake on its own thread, events handed over in-process).

Each bot runs as ``python -m tests.e2e.demo_bot`` with ``fakes/redirect`` first on ``PYTHONPATH`` (sitecustomize.py
repoints discord.py at the fake). The bot's output goes to a file that is printed at teardown, so pytest shows it
for a failing test; every bot process is SIGKILLed in the fixture's ``finally``.
"""

from __future__ import annotations

import asyncio
import copy
import io
import signal
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import discord
import pytest
from discord import app_commands

from fakes.discord import MANAGE_GUILD, FakeDiscord
from fakes.processes import BotProcesses
from fakes.threads import ServerThread

TOKEN = "fake-token"

BOT_ERRORS = ("Traceback", "Ignoring exception")


@dataclass
class World:
    fake: FakeDiscord
    guild_id: int
    channel_id: int
    alice_id: int  # a plain member
    staff_id: int  # Manage Server through a role
    bob_id: int  # a member with two roles


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = FakeDiscord(token=TOKEN)
    guild_id = int(fake.add_guild("Series Support")["id"])
    channel_id = int(fake.add_channel(guild_id, "tickets")["id"])
    staff_role = fake.add_role(guild_id, "Staff", MANAGE_GUILD)
    helper_role = fake.add_role(guild_id, "Helper", 0)
    alice, staff, bob = fake.add_user("alice"), fake.add_user("sam"), fake.add_user("bob")
    fake.add_member(guild_id, alice)
    fake.add_member(guild_id, staff, roles=[staff_role])
    fake.add_member(guild_id, bob, roles=[staff_role, helper_role])
    await fake.start()
    try:
        yield World(fake, guild_id, channel_id, int(alice["id"]), int(staff["id"]), int(bob["id"]))
    finally:
        await fake.close()


class BotRunner(BotProcesses):
    """demo_bot processes against the fake."""

    def __init__(self, world: World, log_path: Path) -> None:
        super().__init__("tests.e2e.demo_bot", world.fake.base_url, log_path)
        self.world = world

    async def start(self, *, token: str = TOKEN) -> asyncio.subprocess.Process:  # type: ignore[override]
        return await super().start(
            {
                "DISCORD_TOKEN": token,
                "DEMO_CHANNEL_ID": str(self.world.channel_id),
                "DEMO_GUILD_ID": str(self.world.guild_id),
            }
        )


@pytest.fixture
async def bots(world: World, tmp_path: Path) -> AsyncIterator[BotRunner]:
    """Every bot process is SIGKILLed at teardown; the log is printed (pytest shows it when the test failed)."""
    runner = BotRunner(world, tmp_path / "bot.log")
    try:
        yield runner
    finally:
        await runner.kill_all()
        print(runner.log())


async def _kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    await process.wait()


async def test_plumbing_without_a_bot(world: World) -> None:
    """Exact Content-Type, the 401 envelope, loud 404s for unknown routes, history order and paging."""
    fake = world.fake
    for i in range(5):
        fake.add_message(world.channel_id, world.alice_id, f"m{i}")
    api = f"{fake.base_url}/api/v10"
    auth = {"Authorization": f"Bot {TOKEN}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api}/gateway") as response:
            assert response.headers["Content-Type"] == "application/json"
            assert await response.json() == {"url": fake.ws_url}
        async with session.get(f"{api}/users/@me", headers={"Authorization": "Bot wrong"}) as response:
            assert response.status == 401
            assert await response.json() == {"message": "401: Unauthorized", "code": 0}
        async with session.get(f"{api}/channels/{world.channel_id}/pins", headers=auth) as response:
            assert response.status == 404
            assert (await response.json())["message"] == "Unknown route (fake)"
        url = f"{api}/channels/{world.channel_id}/messages"
        async with session.get(url, params={"limit": "2"}, headers=auth) as response:
            newest = await response.json()
        async with session.get(url, params={"limit": "2", "after": newest[-1]["id"]}, headers=auth) as response:
            after = await response.json()
        async with session.get(url, params={"before": newest[-1]["id"]}, headers=auth) as response:
            before = await response.json()
    assert [m["content"] for m in newest] == ["", ""]  # no MESSAGE_CONTENT intent identified: blanked
    assert [fake.message(int(m["id"]))["content"] for m in newest] == ["m4", "m3"]
    assert [fake.message(int(m["id"]))["content"] for m in after] == ["m4"]
    assert [fake.message(int(m["id"]))["content"] for m in before] == ["m2", "m1", "m0"]
    assert [r.path for r in fake.unknown_routes] == [f"/channels/{world.channel_id}/pins"]


async def test_discord_py_rest_client_in_process(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py's own REST layer against the fake: multipart upload, edit, fetch, history paging, threads."""
    fake = world.fake
    monkeypatch.setattr(discord.http.Route, "BASE", f"{fake.base_url}/api/v10")
    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    try:
        channel = await client.fetch_channel(world.channel_id)
        assert isinstance(channel, discord.TextChannel) and channel.name == "tickets"
        sent = await channel.send("with a file", file=discord.File(io.BytesIO(b"hello"), filename="a.txt"))
        assert fake.requests[-1].files[0]["filename"] == "a.txt"  # multipart, payload_json understood
        assert (sent.content, sent.attachments[0].filename, sent.attachments[0].size) == ("with a file", "a.txt", 5)
        edited = await sent.edit(content="edited", embed=discord.Embed(title="T"))
        assert (edited.content, edited.embeds[0].title, edited.edited_at is not None) == ("edited", "T", True)
        for i in range(4):
            await channel.send(f"n{i}")
        history = [m.content async for m in channel.history(limit=3)]
        oldest_first = [m.content async for m in channel.history(limit=None, oldest_first=True)]
        after = [m.content async for m in channel.history(after=sent, limit=2)]
        assert (history, oldest_first, after) == (["n3", "n2", "n1"], ["edited", "n0", "n1", "n2", "n3"], ["n0", "n1"])
        fetched = await channel.fetch_message(sent.id)
        thread = await fetched.create_thread(name="t", auto_archive_duration=60)
        assert (thread.id, thread.parent_id, thread.type) == (sent.id, channel.id, discord.ChannelType.public_thread)
        await thread.send("inside")
        archived = await thread.edit(archived=True, locked=True)
        assert archived.archived and archived.locked
        with pytest.raises(discord.HTTPException) as caught:
            await thread.send("refused")
        assert caught.value.code == 50083
        guild = await client.fetch_guild(world.guild_id)  # with roles, unlike channel.guild here
        member = await guild.fetch_member(world.bob_id)
        assert sorted(r.name for r in member.roles if not r.is_default()) == ["Helper", "Staff"]
        await fetched.delete()
        assert [m["content"] for m in fake.messages(world.channel_id)] == ["n0", "n1", "n2", "n3"]
    finally:
        await client.close()
    assert fake.unknown_routes == [] and fake.server_errors == []


async def test_wrong_token_is_refused(world: World, bots: BotRunner) -> None:
    process = await bots.start(token="not-the-token")
    async with asyncio.timeout(15):
        assert await process.wait() != 0  # discord.LoginFailure from the 401 on GET /users/@me
    assert world.fake.find_requests("GET", "/users/@me")[0].status == 401
    assert world.fake.identify_count == 0


async def test_demo_bot_end_to_end(world: World, bots: BotRunner) -> None:
    fake, guild_id, channel_id = world.fake, world.guild_id, world.channel_id
    process = await bots.start()
    await fake.wait_for_connection()
    await fake.wait_for_commands({"ping", "echo", "pick"})
    await fake.wait_for_commands({"demo"}, guild_id=guild_id)
    assert fake.gateway_queries[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    command_ids = {c["name"]: c["id"] for c in fake.global_commands}

    # /ping: deferred ephemerally, then the followup fills the "thinking" message.
    ping = await fake.slash(guild_id, channel_id, world.alice_id, "ping")
    assert await ping.first_response() == {"type": 5, "data": {"flags": 64}}
    message = await ping.final_message()
    assert (message["content"], ping.ephemeral, ping.message and ping.message["id"]) == ("pong", True, message["id"])
    assert ping.followup_ids == []  # the followup replaced the deferred message

    # on_ready: an embed, a thread on it (thread id == message id), a post in the thread, the thread archived.
    announcement = await fake.wait_for_message(channel_id, lambda m: bool(m["embeds"]))
    assert announcement["embeds"][0]["title"] == "Demo bot online"
    thread = (await fake.wait_until(lambda: [t for t in fake.threads(channel_id) if t["thread_metadata"]["archived"]]))[
        0
    ]
    assert (thread["id"], thread["type"], thread["parent_id"]) == (announcement["id"], 11, str(channel_id))
    assert [m["content"] for m in fake.messages(int(thread["id"]))] == ["first post in the thread"]

    # /echo: a public message with a persistent button; allowed_mentions none -> nobody pinged.
    echo = await fake.slash(guild_id, channel_id, world.alice_id, "echo", {"text": f"hi <@{world.bob_id}>"})
    echoed = await echo.final_message()
    assert not echo.ephemeral and echoed["content"] == f"hi <@{world.bob_id}>"
    assert echoed["mentions"] == [] and echoed["allowed_mentions"]["parse"] == []
    button = echo.components[0]["components"][0]
    assert (button["type"], button["custom_id"]) == (2, "demo:btn:1")
    assert echoed in fake.messages(channel_id) and ping.message not in fake.messages(channel_id)

    # The button opens a modal (a Label wrapping a paragraph text input); the submit answers ephemerally.
    await _reply_through_modal(world, int(echoed["id"]), "first reply")

    # Autocomplete, then the command with the chosen value.
    complete = await fake.autocomplete(guild_id, channel_id, world.alice_id, "pick", {"fruit": "ap"}, focused="fruit")
    assert [c["value"] for c in await complete.wait_for_choices()] == ["apple", "apricot"]
    picked = await fake.slash(guild_id, channel_id, world.alice_id, "pick", {"fruit": "apple"})
    assert (await picked.final_message())["content"] == "picked apple" and picked.ephemeral

    # A guild-only group with a member option (resolved users + members) and the invoker's permissions.
    whois = await fake.slash(guild_id, channel_id, world.staff_id, "demo whois", {"member": world.bob_id})
    assert (await whois.final_message())["content"] == (
        f"bob ({world.bob_id}) roles=['Helper', 'Staff'] asked_by_staff=True"
    )
    with pytest.raises(ValueError, match="required options missing"):
        await fake.slash(guild_id, channel_id, world.alice_id, "demo whois")

    # op 7 RECONNECT: discord.py resumes on resume_gateway_url (this fake) and keeps working.
    await fake.request_reconnect()
    await fake.wait_until(lambda: fake.resume_count == 1 and fake.connected, what="RESUMED")
    again = await fake.slash(guild_id, channel_id, world.alice_id, "ping")
    assert (await again.final_message())["content"] == "pong"

    # SIGKILL and restart: the old message's button still works (DynamicItem), command ids are kept.
    await _kill(process)
    await fake.wait_for_disconnect()
    await bots.start()
    await fake.wait_for_connection(identify_count=2)
    await fake.wait_until(lambda: fake.command_syncs >= 4, what="the restarted bot to sync")
    assert {c["name"]: c["id"] for c in fake.global_commands} == command_ids
    await _reply_through_modal(world, int(echoed["id"]), "after restart")

    handles = [ping, echo, complete, picked, whois, again]
    assert [h.errors for h in handles] == [[]] * len(handles)
    assert fake.unknown_routes == [] and fake.server_errors == []
    assert not [line for line in bots.log().splitlines() if line.startswith(BOT_ERRORS)]


async def _reply_through_modal(world: World, message_id: int, text: str) -> None:
    fake = world.fake
    click = await fake.click(world.guild_id, world.channel_id, world.staff_id, message_id, "demo:btn:1")
    modal = await click.wait_for_modal()
    assert modal["custom_id"] == "demo:modal:1" and modal["title"] == "Reply #1"
    label = modal["components"][0]
    assert (label["type"], label["component"]["type"], label["component"]["custom_id"]) == (18, 4, "body")
    assert label["component"]["style"] == 2  # paragraph
    submit = await fake.submit_modal(world.guild_id, world.channel_id, world.staff_id, "demo:modal:1", {"body": text})
    answer = await submit.final_message()
    assert answer["content"] == f"Got #1: {text}" and submit.ephemeral
    assert submit.payload["data"]["components"][0]["component"] == {
        "type": 4,
        "id": label["component"]["id"],
        "custom_id": "body",
        "value": text,
    }


async def test_requests_are_stamped_with_perf_counter_on_arrival(world: World) -> None:
    """``at`` is ``time.perf_counter()`` when the request reached the fake: after it was sent, before the answer was
    back, in order; unknown routes and refused requests are stamped too."""
    fake = world.fake
    api = f"{fake.base_url}/api/v10"
    auth = {"Authorization": f"Bot {TOKEN}"}
    windows: list[tuple[float, float]] = []
    async with aiohttp.ClientSession() as session:
        for url, headers in [
            (f"{api}/users/@me", auth),
            (f"{api}/channels/{world.channel_id}/pins", auth),  # unknown route
            (f"{api}/users/@me", {}),  # 401
        ]:
            sent = time.perf_counter()
            async with session.get(url, headers=headers) as response:
                await response.read()
            windows.append((sent, time.perf_counter()))
    assert [r.status for r in fake.requests] == [200, 404, 401]
    stamps = [r.at for r in fake.requests]
    assert all(sent <= at <= answered for (sent, answered), at in zip(windows, stamps, strict=True))
    assert stamps == sorted(stamps)


async def test_on_its_own_thread_with_events_handed_over_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmarks' set-up: the fake on a ServerThread (its own loop), discord.py on this loop logged in over REST
    but without a gateway; the guild comes from ``guild_create_payload``, the interaction from ``prepare_slash``.
    The fake answers the callback and followup, and stamps the first response's arrival."""
    server = ServerThread("fake-discord-test")
    fake = FakeDiscord(token=TOKEN)
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    here = threading.current_thread()
    handled_on: list[threading.Thread] = []

    @tree.command(description="pong, after a deferral")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        handled_on.append(threading.current_thread())
        await interaction.followup.send("pong")

    try:
        guild_id = int(server.call_sync(fake.add_guild, "Staff HQ")["id"])
        channel_id = int(server.call_sync(fake.add_channel, guild_id, "tickets")["id"])
        user = server.call_sync(fake.add_user, "staffer")
        server.call_sync(fake.add_member, guild_id, user)
        monkeypatch.setattr(discord.http.Route, "BASE", f"{server.run_sync(fake.start())}/api/v10")
        await client.login(TOKEN)
        await tree.sync()
        with pytest.raises(ValueError, match="not synced"):
            await server.call(fake.prepare_slash, guild_id, channel_id, int(user["id"]), "pong")

        guild = client._connection._add_guild_from_data(await server.call(fake.guild_create_payload, guild_id))
        assert guild.get_channel(channel_id) is not None and guild.me is not None
        handle = await server.call(fake.prepare_slash, guild_id, channel_id, int(user["id"]), "ping")
        assert handle.first_response_at is None
        payload = await server.call(copy.deepcopy, handle.payload)
        sent = time.perf_counter()
        client._connection.parse_interaction_create(payload)
        message = await server.run(handle.final_message(timeout=5))

        assert (message["content"], handle.ephemeral, handle.response_type) == ("pong", True, 5)
        assert handled_on == [here] and await server.call(threading.current_thread) is not here  # two threads
        callback = (await server.call(fake.find_requests, "POST", r"/interactions/\d+/[^/]+/callback"))[0]
        followup = (await server.call(fake.find_requests, "POST", r"/webhooks/\d+/[^/]+"))[0]
        assert sent < handle.first_response_at == callback.at < followup.at

        # A second initial response is refused (40060) and does not move the first response's time.
        first = handle.first_response_at
        async with aiohttp.ClientSession() as session:
            url = f"{fake.base_url}/api/v10/interactions/{handle.id}/{handle.token}/callback"
            async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as response:
                assert response.status == 400 and (await response.json())["code"] == 40060

        def state() -> tuple[object, ...]:
            return handle.first_response_at, handle.errors, fake.unknown_routes, fake.server_errors

        assert await server.call(state) == (first, ["second initial response (40060)"], [], [])
    finally:
        await client.close()
        server.run_sync(fake.close())
        server.stop()
