"""A session started in Telegram while the user is already browsing: the extension learns
of it only at its next poll, yet records every tab from the session's real start."""

from __future__ import annotations

import asyncio

import pytest

from core.db.engine import SessionMaker, transaction
from core.sessions.lifecycle import start_session
from tests.e2e.browser import Browser
from tests.e2e.helpers import Lived, Tabs, end_and_compare

pytestmark = pytest.mark.timeout(120)
SWITCH_SECONDS = 3.0


async def test_a_session_from_telegram_counts_from_its_start_while_tabs_switch(
    browser: Browser, linked: tuple[int, Tabs], db_sessions: SessionMaker
) -> None:
    user_id, tabs = linked
    await tabs.open("a", "b", "c")
    await browser.call("__qtimeTest.tick()")  # the poll before: no session
    lived = Lived(tabs)
    order = ["a", "b", "c"] * 4
    for name in order[:2]:
        await lived.show(name)
        await asyncio.sleep(SWITCH_SECONDS)
    async with transaction(db_sessions) as db:  # /focus in Telegram, mid-browsing
        session = await start_session(db, user_id, minutes=60, goal="write chapter 2")
    for index, name in enumerate(order[2:]):
        await lived.show(name)
        await asyncio.sleep(SWITCH_SECONDS)
        if index == 4:  # the extension's next poll, 5 switches after the start
            await browser.call("__qtimeTest.tick()")
            assert (await browser.status())["recording"]["recording"] is True
    events = await end_and_compare(browser, db_sessions, user_id, lived, session)
    assert events[0].started_at >= session.started_at
