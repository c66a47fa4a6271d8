"""The bot class: what it promises before it ever connects."""

from __future__ import annotations

import asyncio

from tests.helpers import offline_bot, settings


async def test_player_text_can_never_ping_by_default(db, http_session):
    bot = offline_bot(settings(), session=http_session, db=db)
    assert bot.allowed_mentions is not None and bot.allowed_mentions.to_dict() == {"parse": []}


async def test_close_waits_for_replies_in_flight(db, http_session):
    bot = offline_bot(settings(), session=http_session, db=db)
    finished = []

    async def reply_in_flight():
        async with bot.services.actions.in_flight():
            await asyncio.sleep(0.3)
            finished.append(True)

    task = asyncio.ensure_future(reply_in_flight())
    await asyncio.sleep(0)
    await bot.close()
    assert finished == [True]  # close() waited for it
    await task
