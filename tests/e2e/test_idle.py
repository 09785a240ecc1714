"""Idle is not attention: Chrome reports idle a threshold after the last input, and the
attention ends when the user left, not at the report. Headless Chromium never goes idle
by itself, so the test plays Chrome's part: it reports idle one threshold (15 s, Chrome's
minimum) after the user stopped, as Chrome would, and the user stays away 2 minutes in all.
bench/tracking.py runs the same break at the default 60 s threshold."""

from __future__ import annotations

import asyncio

import pytest

from core.db.engine import SessionMaker
from tests.e2e.browser import Browser
from tests.e2e.helpers import Tabs, end_and_compare, session_on_a

pytestmark = pytest.mark.timeout(240)
THRESHOLD = 15
AWAY_AFTER_REPORT = 120 - THRESHOLD  # 2 minutes away in all


async def test_time_away_before_chrome_reports_idle_is_not_attention(
    browser: Browser, linked: tuple[int, Tabs], db_sessions: SessionMaker
) -> None:
    user_id, tabs = linked
    await browser.call(f"__qtimeTest.idleThreshold({THRESHOLD})")
    lived, session = await session_on_a(browser, tabs, db_sessions, user_id)
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
    events = await end_and_compare(browser, db_sessions, user_id, lived, session)
    assert {event.host for event in events} == {"a.test", "b.test"}  # the break left out
