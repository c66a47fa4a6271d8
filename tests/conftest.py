from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.database import Database


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    """A real file database (WAL, migrations), always closed: an open aiosqlite connection hangs pytest."""
    database = await Database.open(tmp_path / "data" / "bot.db")
    try:
        yield database
    finally:
        await database.close()
