"""Background tasks are kept until they end, and a failure is logged, never lost."""

from __future__ import annotations

import asyncio

from tests.helpers import offline_bot, settings


async def test_close_cancels_background_tasks_and_their_failures_are_logged(db, http_session, caplog):
    bot = offline_bot(settings(), session=http_session, db=db)
    background = bot.services.background

    async def fails():
        raise RuntimeError("boom")

    async def runs_forever():
        await asyncio.Event().wait()

    background.spawn(fails(), name="failing task")
    forever = background.spawn(runs_forever(), name="forever")
    for _ in range(5):  # the task runs, then its done-callback
        await asyncio.sleep(0)
    assert "Background task failing task failed" in caplog.text
    await bot.close()
    assert forever.cancelled() and len(background) == 0
