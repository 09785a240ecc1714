"""The extension in real Chromium against the real API: what a user's browsing leaves in
the database, through pairing, tab switches, idle, exclusions, a server restart and a
killed service worker."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.db.engine import SessionMaker, transaction
from core.sessions.lifecycle import end_session
from tests.api.live import LiveApi
from tests.e2e.browser import Browser
from tests.e2e.helpers import (
    Tabs,
    assert_no_overlap,
    hosts,
    seconds,
    start_focus,
    stored,
    wait_stored,
)

pytestmark = pytest.mark.timeout(240)
TOLERANCE = 1.0  # seconds between what the browser lived and what was stored


async def test_browsing_in_a_session_is_recorded_as_lived(
    browser: Browser, linked: tuple[int, Tabs], db_sessions: SessionMaker
) -> None:
    user_id, tabs = linked
    await browser.call("__qtimeTest.idleThreshold(1)")  # Chrome says idle 1 s after the last input
    await tabs.open("b", "x", "a")
    tabs.mark()
    await start_focus(browser, db_sessions, user_id)
    await asyncio.sleep(2)
    on_a = await tabs.show("b")
    await asyncio.sleep(1.5)
    on_b = await tabs.show("a")
    await asyncio.sleep(1.5)
    await browser.call("__qtimeTest.setIdle('idle')")  # headless Chromium never idles itself
    on_a_again = time.monotonic() - tabs.switched_at - 1  # the user left a second before
    await asyncio.sleep(2)
    await browser.call("__qtimeTest.setIdle('active')")
    tabs.mark()
    await asyncio.sleep(1)

    await browser.call("chrome.storage.local.set({excludedHosts: ['x.test']})")
    on_a_last = await tabs.show("x")
    await asyncio.sleep(1.5)
    await tabs.show("b")
    await asyncio.sleep(1)
    await tabs.show("a")
    await browser.call("__qtimeTest.flush()")

    events = await wait_stored(db_sessions, lambda found: len(found) >= 5)
    assert hosts(events) == ["a.test", "b.test", "a.test", "a.test", "b.test"]
    expected = [on_a, on_b, on_a_again, on_a_last]
    for event, lived in zip(events, expected, strict=False):
        assert abs(seconds(event) - lived) < TOLERANCE, (event.host, seconds(event), lived)
    idle_gap = (events[3].started_at - events[2].ended_at).total_seconds()
    assert abs(idle_gap - 3) < TOLERANCE  # no time counted while away
    assert_no_overlap(events)
    assert all(event.title is None for event in events)  # titles are off by default

    await asyncio.sleep(1)  # on a.test still
    async with transaction(db_sessions) as db:  # /done in Telegram
        ended = await end_session(db, user_id)
    await browser.call("__qtimeTest.tick()")
    await tabs.show("b")
    await asyncio.sleep(1)
    await tabs.show("a")
    await asyncio.sleep(1)
    await tabs.show("b")
    await browser.call("__qtimeTest.flush()")
    await asyncio.sleep(1)
    after = await stored(db_sessions)
    # The a.test span open at /done ends with the session; nothing is recorded after it.
    assert hosts(after) == [*hosts(events), "a.test"]
    assert ended.ended_at is not None and after[-1].ended_at <= ended.ended_at
    assert "x.test" not in hosts(after)


async def test_nothing_is_lost_while_the_api_is_down(
    browser: Browser, api: LiveApi, linked: tuple[int, Tabs], db_sessions: SessionMaker
) -> None:
    user_id, tabs = linked
    await tabs.open("b", "c", "a")
    tabs.mark()
    await start_focus(browser, db_sessions, user_id)
    await asyncio.sleep(1)
    await api.stop()
    lived = [await tabs.show("b")]
    await asyncio.sleep(1)
    lived.append(await tabs.show("c"))
    await asyncio.sleep(1)
    lived.append(await tabs.show("a"))
    await browser.call("__qtimeTest.flush()")
    offline = await browser.call("__qtimeTest.status()")
    assert (offline["sync"]["status"], offline["queue"]["length"]) == ("offline", 3)

    await api.start()  # same address, as after a deploy
    await browser.call("__qtimeTest.flush()")
    await browser.call("__qtimeTest.flush()")  # a second send would find only duplicates
    events = await wait_stored(db_sessions, lambda found: len(found) >= 3)
    assert hosts(events) == ["a.test", "b.test", "c.test"]
    for event, span in zip(events, lived, strict=True):
        assert abs(seconds(event) - span) < TOLERANCE, (event.host, seconds(event), span)
    assert_no_overlap(events)
    assert (await browser.call("__qtimeTest.status()"))["queue"]["length"] == 0


async def test_nothing_is_lost_when_the_worker_is_stopped(
    browser: Browser, linked: tuple[int, Tabs], db_sessions: SessionMaker
) -> None:
    user_id, tabs = linked
    await tabs.open("b", "a")
    tabs.mark()
    await start_focus(browser, db_sessions, user_id)
    await asyncio.sleep(1)
    await browser.stop_worker()  # an open a.test span lives only in storage now
    await asyncio.sleep(1.5)
    lived = await tabs.show("b")  # wakes a new worker
    await asyncio.sleep(1)
    await browser.stop_worker()
    lived_b = await tabs.show("a")
    await browser.call("__qtimeTest.flush()")

    events = await wait_stored(db_sessions, lambda found: len(found) >= 2)
    assert hosts(events) == ["a.test", "b.test"]
    assert abs(seconds(events[0]) - lived) < TOLERANCE, (seconds(events[0]), lived)
    assert abs(seconds(events[1]) - lived_b) < TOLERANCE, (seconds(events[1]), lived_b)
    assert_no_overlap(events)


async def test_nothing_is_recorded_without_a_session(
    browser: Browser, linked: tuple[int, Tabs], db_sessions: SessionMaker
) -> None:
    _, tabs = linked
    await tabs.open("a", "b", "c")
    await browser.call("__qtimeTest.tick()")
    for name in ("a", "b", "a", "c"):
        await tabs.show(name)
        await asyncio.sleep(0.7)
    result = await browser.call("__qtimeTest.flush()")
    assert (await browser.call("__qtimeTest.status()"))["queue"]["length"] == 0
    assert result.get("sent", 0) == 0
    assert await stored(db_sessions) == []
