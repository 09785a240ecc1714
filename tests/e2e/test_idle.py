"""Idle is not attention: Chrome reports idle a threshold after the last input, and the
attention ends when the user left, not at the report. Headless Chromium never goes idle
by itself, so the test plays Chrome's part: it reports idle one threshold (15 s, Chrome's
minimum) after the user stopped, as Chrome would. bench/tracking.py runs a 2-minute break
at the default 60 s threshold."""

from __future__ import annotations

import asyncio

import pytest

from core.db import SessionMaker, transaction
from core.sessions import end_session, start_session
from tests.e2e.browser import Browser
from tests.e2e.helpers import Lived, Tabs, assert_within, recorded_per_host, wait_stored

pytestmark = pytest.mark.timeout(120)
THRESHOLD = 15
AWAY_AFTER_REPORT = 15


async def test_time_away_before_chrome_reports_idle_is_not_attention(
    browser: Browser, linked: tuple[int, Tabs], db_sessions: SessionMaker
) -> None:
    user_id, tabs = linked
    await browser.call(f"__qtimeTest.idleThreshold({THRESHOLD})")
    await tabs.open("b", "a")
    lived = Lived(tabs)
    await lived.show("a")
    async with transaction(db_sessions) as db:
        session = await start_session(db, user_id, minutes=60, goal="write chapter 2")
    await browser.call("__qtimeTest.tick()")
    await asyncio.sleep(4)
    lived.mark(None)  # the user walks away
    await asyncio.sleep(THRESHOLD)
    await browser.call("__qtimeTest.setIdle('idle')")  # Chrome: no input for 15 s
    assert (await browser.status())["recording"] == {"recording": False, "reason": "idle"}
    await asyncio.sleep(AWAY_AFTER_REPORT)
    await browser.call("__qtimeTest.setIdle('active')")  # back
    lived.mark("a.test")
    await asyncio.sleep(3)
    await lived.show("b")
    await asyncio.sleep(3)
    async with transaction(db_sessions) as db:
        ended = await end_session(db, user_id)
    await browser.call("__qtimeTest.tick()")
    await browser.call("__qtimeTest.flush()")

    assert ended.ended_at is not None
    truth = lived.per_host(session.started_at, ended.ended_at)
    events = await wait_stored(db_sessions, lambda found: len(found) >= 3)
    recorded = recorded_per_host(events)
    assert sum(recorded.values()) - sum(truth.values()) < 5  # the break left out
    assert_within(recorded, truth, share=0.02)
