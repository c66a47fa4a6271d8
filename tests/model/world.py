"""One fresh world per program: fake Series, a SQLite file, the real bot in SimCord, restarts and crash points.

Everything here is built the way ``tests/conftest.py`` builds the cog tests' world (``tests.helpers.offline_bot``,
the fake Series without its rate limit), with three differences a long random program needs:

- The limiter is wide open *and* on a :class:`~tests.helpers.FakeClock`: a ``429`` makes the limiter pause, and the
  limiter's timed wait is not a wait SimCord recognises (it would hang ``settle`` for its whole timeout). On the
  fake clock a pause passes at once, and :class:`RecordingLimiter` keeps every pause so the model can check that
  ``Retry-After`` was honoured.
- A restart opens a new database connection on the same file (as a new process would) and closes the old one.
- Every Discord REST call SimCord refuses is recorded (:class:`DiscordErrors`): SimCord logs requests but not how
  they ended, and the invariants need to know which card post, thread or interaction answer failed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import discord
import simcord
from simcord.backend.errors import BackendError
from simcord.http import router

from bot.client import TicketBot
from bot.database import Database
from bot.ratelimit import RateLimiter
from fakes.roblox import FakeRoblox
from fakes.series import FakeSeries
from tests.helpers import UNLIMITED, FakeClock, offline_bot, settings

__all__ = (
    "CHANNELS",
    "CRASH_POINTS",
    "DEPARTMENTS",
    "ROBLOX",
    "DiscordErrors",
    "HttpFailure",
    "RecordingLimiter",
    "World",
)

# Roblox ids that are department members in the fake's config: two in support-dept, one in moderation-dept.
ROBLOX = (987654321, 111111111, 555555555)
DEPARTMENTS = {"support": "support-dept", "mod": "moderation-dept"}
CHANNELS = ("tickets", "support", "mod")
ROLES = ("Support", "Mods")
STAFF = 3
POLL_SECONDS = 15.0

# Where a crash (the process dying at once) can be armed; see World.arm_crash.
CRASH_POINTS = (
    "reply_saved",  # the reply was just written to the outbox ("pending"), nothing checked or sent yet
    "reply_before_send",  # the reply is in the outbox as "sending", not yet sent
    "reply_after_send",  # Series stored the reply; the bot died before recording it
    "card_unconfirmed",  # Discord accepted a card; the bot died before recording its message id
    "thread_unconfirmed",  # a thread was opened; the bot died before recording it
    "mirror_unconfirmed",  # a message reached a thread; the bot died before marking it mirrored
    "mid_poll",  # the bot died while handling the second changed ticket of a poll
)


class RecordingLimiter(RateLimiter):
    """The bot's real limiter, on a fake clock, keeping every pause a 429 asked for."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(UNLIMITED, clock=clock, sleep=clock.sleep)
        self.pauses: list[float] = []

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        super().pause(seconds)


@dataclass(frozen=True, slots=True)
class HttpFailure:
    """A Discord REST call SimCord refused: ``index`` is its position in ``env.http_requests``."""

    index: int
    method: str
    path: str
    status: int
    code: int
    message: str

    @property
    def injected(self) -> bool:
        return self.message.endswith("[model]")


class DiscordErrors:
    """Records every refused Discord REST call (injected faults, 40060 double answers, 10062 late answers)."""

    def __init__(self) -> None:
        self.failures: list[HttpFailure] = []
        self._original: Any = None

    def install(self) -> None:
        original = self._original = router.dispatch

        def recording(backend: Any, method: str, path: str, **kwargs: Any) -> Any:
            try:
                return original(backend, method, path, **kwargs)
            except BackendError as exc:
                index = len(backend.http_requests) - 1
                self.failures.append(HttpFailure(index, method, path, exc.status, exc.code, exc.message))
                raise

        router.dispatch = recording

    def uninstall(self) -> None:
        if self._original is not None:
            router.dispatch = self._original
            self._original = None

    def failed_indices(self) -> set[int]:
        return {f.index for f in self.failures}


@contextlib.contextmanager
def quick_settle(idle: float = 0.002) -> Iterator[None]:
    """Make SimCord look for finished work every 2 ms instead of 50 ms while it settles.

    After each poll the feed's loop task goes to sleep until the next one; SimCord only sees that sleep as a
    recognised wait on its next look, so every poll cost 50 ms of idling (a Converge of 47 polls: 2.5 s). The
    interval is a keyword default of a private method (SimCord has no setting for it); only how often it looks
    changes, not what it waits for.
    """
    defaults = simcord.Env._settle_internal.__kwdefaults__
    previous = defaults["idle"]
    defaults["idle"] = idle
    try:
        yield
    finally:
        defaults["idle"] = previous


@dataclass
class World:
    """The world one program runs in. Build with ``async with World.open(tmp) as world``."""

    tmp: Path
    fake: FakeSeries
    env: simcord.Env
    guild: simcord.GuildHandle
    channels: dict[str, simcord.ChannelHandle]
    roles: dict[str, simcord.RoleHandle]
    admin: simcord.MemberActor
    moderator: simcord.MemberActor  # may delete messages (a card someone tidies away)
    staff: list[simcord.MemberActor]
    clock: FakeClock
    limiters: list[RecordingLimiter]
    discord_errors: DiscordErrors
    databases: list[Database]  # the last one is the open one
    make_bot: Callable[[Database], TicketBot]
    generation: int = 0
    crashed: list[str] = field(default_factory=list)  # crash points that fired since the last restart

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, tmp: Path) -> AsyncIterator[World]:
        async with contextlib.AsyncExitStack() as stack:
            fake = FakeSeries(api_key="test-key", rate_limit=None, tickets_per_page=3, seed=7)
            await fake.start()
            stack.push_async_callback(fake.close)
            # Roblox names the staff (on cards, in threads, in link answers) as it would for real; without it every
            # name lookup waits out a refused connection and its retry.
            roblox = FakeRoblox()
            await roblox.start()
            stack.push_async_callback(roblox.close)
            errors = DiscordErrors()
            errors.install()
            stack.callback(errors.uninstall)
            stack.enter_context(quick_settle())
            session = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
            )
            databases = [await Database.open(tmp / "bot.db")]
            stack.push_async_callback(lambda: databases[-1].close())  # the one open when the world ends
            config = settings(
                fake.url,
                SERIES_TIMEOUT="2",
                FEED_POLL_SECONDS=str(int(POLL_SECONDS)),
                ROBLOX_USERS_URL=roblox.url,
                ROBLOX_THUMBNAILS_URL=roblox.url,
            )
            clock = FakeClock()
            limiters: list[RecordingLimiter] = []

            def make_bot(database: Database) -> TicketBot:
                limiters.append(RecordingLimiter(clock))
                bot = offline_bot(config, session=session, db=database, limiter=limiters[-1])
                # The client's half-second pause before retrying a failed GET, on the fake clock like the limiter's:
                # a real timer started while SimCord restarts the bot (the config load at start) deadlocks its
                # settle. In a real process it is an ordinary asyncio.sleep.
                bot.services.workspace.client._sleep = clock.sleep  # noqa: SLF001 - the client's injectable sleep
                return bot

            env = await stack.enter_async_context(
                simcord.run(make_bot(databases[0]), check_errors=False, settle_timeout=5)
            )
            guild = env.create_guild("Staff HQ")
            channels = {name: guild.create_text_channel(name) for name in CHANNELS}
            admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
            roles = {name: guild.create_role(name, mentionable=True) for name in ROLES}
            admin = guild.add_member(env.create_user("admin"), roles=[admins])
            mods = guild.create_role("Moderators", permissions=discord.Permissions(manage_messages=True))
            moderator = guild.add_member(env.create_user("moderator"), roles=[mods])
            staff = [guild.add_member(env.create_user(f"s{i}")) for i in range(STAFF)]
            await env.settle()
            yield cls(
                tmp=tmp,
                fake=fake,
                env=env,
                guild=guild,
                channels=channels,
                roles=roles,
                admin=admin,
                moderator=moderator,
                staff=staff,
                clock=clock,
                limiters=limiters,
                discord_errors=errors,
                databases=databases,
                make_bot=make_bot,
            )

    # -- the bot's lifecycle -------------------------------------------------------------------------------------

    @property
    def bot(self) -> TicketBot:
        return self.env.bot  # type: ignore[return-value]

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database file, as a new process would."""
        old = self.databases[-1]
        self.databases.append(await Database.open(self.tmp / "bot.db"))
        await self.env.restart_bot(self.make_bot(self.databases[-1]))
        await old.close()
        self.generation += 1
        self.crashed.clear()

    async def poll(self) -> None:
        await self.env.advance_time(POLL_SECONDS)

    def clear_faults(self) -> None:
        self.fake.clear_faults()
        self.env.backend.faults.clear()  # internal: SimCord has no public "clear injected faults"

    # -- crash points --------------------------------------------------------------------------------------------

    def arm_crash(self, point: str) -> None:
        """Make the bot die (its task cancelled, as if the process was killed) at ``point`` the next time it
        gets there. Hooks are set on this bot's own service objects, so a restart removes them."""
        services = self.bot.services
        fired = self.crashed

        def die(where: str) -> None:
            if not fired:
                fired.append(where)
                raise asyncio.CancelledError(f"simulated crash at {where}")

        if point == "reply_saved":
            add = services.replies.add

            async def add_then_die(**kwargs: Any) -> int:
                reply_id = await add(**kwargs)
                die(point)
                return reply_id

            services.replies.add = add_then_die  # type: ignore[method-assign]
        elif point == "reply_before_send":
            set_state = services.replies.set_state

            async def set_state_then_die(reply_id: int, *, state: str, error: str | None = None) -> None:
                await set_state(reply_id, state=state, error=error)
                if state == "sending":
                    die(point)

            services.replies.set_state = set_state_then_die  # type: ignore[method-assign]
        elif point == "reply_after_send":
            reply = services.workspace.client.reply

            async def reply_then_die(*args: Any, **kwargs: Any) -> str:
                result = await reply(*args, **kwargs)
                die(point)
                return result

            services.workspace.client.reply = reply_then_die  # type: ignore[method-assign]
        elif point in ("card_unconfirmed", "thread_unconfirmed"):
            save_card = services.feed.save_card

            # Die *instead of* the second write: the first (message_id=None) happened, the confirmation didn't.
            async def save_card_or_die(**kwargs: Any) -> None:
                card_confirmed = point == "card_unconfirmed" and kwargs.get("message_id") and not kwargs["thread_id"]
                if card_confirmed or (point == "thread_unconfirmed" and kwargs.get("thread_id")):
                    die(point)
                await save_card(**kwargs)

            services.feed.save_card = save_card_or_die  # type: ignore[method-assign]
        elif point == "mirror_unconfirmed":
            mark = services.feed.mark_mirrored

            async def mark_or_die(**kwargs: Any) -> None:
                if kwargs.get("posted"):
                    die(point)
                await mark(**kwargs)

            services.feed.mark_mirrored = mark_or_die  # type: ignore[method-assign]
        elif point == "mid_poll":
            feed = self.bot.get_cog("Feed")
            assert feed is not None
            publisher = feed.publisher  # type: ignore[attr-defined]
            sync = publisher.sync_ticket
            calls = [0]

            async def sync_or_die(ticket: Any, *, config: Any) -> None:
                calls[0] += 1
                if calls[0] == 2:
                    die(point)
                await sync(ticket, config=config)

            publisher.sync_ticket = sync_or_die
        else:
            raise ValueError(f"unknown crash point {point!r}")

    # -- what Discord shows ----------------------------------------------------------------------------------------

    def channel_key(self, channel_id: int) -> str | None:
        return next((k for k, c in self.channels.items() if c.id == channel_id), None)

    def dm_history(self, member: int) -> list[discord.Message]:
        try:
            return self.staff[member].user.dm_channel.history()
        except (simcord.SetupError, BackendError, KeyError):
            return []
