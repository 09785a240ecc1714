"""Fixtures for the extension in real Chromium against a real API (see browser.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from core.db.engine import SessionMaker, create_engine, create_sessionmaker
from core.settings import Settings
from tests.api.live import LiveApi
from tests.e2e.browser import Browser, launched, serving_sites
from tests.e2e.helpers import Tabs, pair_through_the_bot
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
async def sites() -> AsyncIterator[Callable[[str], str]]:
    async with serving_sites() as url:
        yield url


@pytest.fixture
async def api(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    redis: Any,
    fake_telegram: FakeTelegram,
) -> AsyncIterator[LiveApi]:
    settings = make_settings(database={"url": sqlite_url}, telegram={"api_url": fake_telegram.url})
    server = LiveApi(settings)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    async with launched(tmp_path / "profile") as running:
        yield running


@pytest.fixture
async def db_sessions(sqlite_url: str) -> AsyncIterator[SessionMaker]:
    engine = create_engine(sqlite_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def linked(
    browser: Browser, api: LiveApi, db_sessions: SessionMaker, sites: Callable[[str], str]
) -> tuple[int, Tabs]:
    """A user whose browser was paired through the bot, and tabs to browse with."""
    return await pair_through_the_bot(browser, api.url, db_sessions), Tabs(browser, sites)
