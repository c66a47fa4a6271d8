"""The ticket feed: live ticket cards in staff channels, kept true, with the conversation in a thread.

``plan`` decides what a ticket's card needs, ``publisher`` posts cards and threads, ``cog`` holds the commands,
the poll loop and the listeners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cog import Feed
from .publisher import Publisher
from .reminders import Reminders

if TYPE_CHECKING:
    from bot.client import TicketBot

__all__ = ("Feed", "Publisher", "setup")


async def setup(bot: TicketBot) -> None:
    services = bot.services
    workspace = services.workspace
    publisher = Publisher(
        bot,
        repo=services.feed,
        links=services.links,
        replies=services.replies,
        names=services.names,
    )
    await bot.add_cog(
        Feed(
            bot,
            repo=services.feed,
            publisher=publisher,
            poller=workspace.poller,
            api=workspace.client,
            config=workspace.config,
            tickets=workspace.tickets,
            actions=services.actions,
            events=services.events,
            reminders=Reminders(
                bot,
                feed=services.feed,
                events=services.events.repo,
                sent=services.reminders,
                links=services.links,
                tickets=workspace.tickets,
            ),
            digests=services.digests,
            poll_seconds=services.settings.feed_poll_seconds,
        )
    )
