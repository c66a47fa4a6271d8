from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.database import Database
from fakes.series import FakeSeries


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    """A real file database (WAL, migrations), always closed: an open aiosqlite connection hangs pytest."""
    database = await Database.open(tmp_path / "data" / "bot.db")
    try:
        yield database
    finally:
        await database.close()


@contextlib.asynccontextmanager
async def running_fake(**options: Any) -> AsyncIterator[FakeSeries]:
    """A fake Series listening on 127.0.0.1, always closed."""
    fake = FakeSeries(**options)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def fake_series() -> AsyncIterator[FakeSeries]:
    """The fake Series with its documented limit of 25 requests per sliding second."""
    async with running_fake(api_key="test-key") as fake:
        yield fake


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
