"""Window focus in real Chromium: a private window, a "no window focused" that Chrome never
takes back, and focus events fired in quick succession. Headless Chromium never sends
focus-back when such a window closes; the extension reads Chrome's focus at its next tick
(the test is the clock here: it ticks right after the close) and every 5 s by itself.

Headless Chromium reports the normal window as focused even while a private window is in
front, so a reading taken during the private window would resume recording there; these
tests keep private windows open for less than the 5 s between the worker's own readings."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.db.engine import SessionMaker
from core.db.models import FocusSession
from tests.e2e.browser import Browser
from tests.e2e.helpers import Lived, Tabs, end_and_compare, session_on_a

pytestmark = pytest.mark.timeout(120)


OnA = tuple[int, Lived, FocusSession]


@pytest.fixture
async def on_a(browser: Browser, linked: tuple[int, Tabs], db_sessions: SessionMaker) -> OnA:
    """A session on a.test; the test drives the ticks (see Browser.drive_ticks)."""
    user_id, tabs = linked
    await browser.drive_ticks()
    lived, session = await session_on_a(browser, tabs, db_sessions, user_id)
    return user_id, lived, session


async def recording(browser: Browser) -> dict[str, object]:
    found: dict[str, object] = (await browser.status())["recording"]
    return found


async def test_a_private_window_pauses_recording_and_its_close_resumes_it_within_a_tick(
    browser: Browser, on_a: OnA, db_sessions: SessionMaker
) -> None:
    user_id, lived, session = on_a
    tabs = lived.tabs
    # Spans long enough that the harness's own latency on a busy machine (a CDP call
    # takes up to a few hundred ms there) stays well inside 2%.
    await asyncio.sleep(15)
    private = await browser.open_incognito(tabs.url("secret"))
    lived.mark(None)
    assert await recording(browser) == {"recording": False, "reason": "not-focused"}
    await asyncio.sleep(3)
    await browser.close_target(private)
    lived.mark("a.test")
    await browser.call("__qtimeTest.tick()")  # no focus event comes back: the tick reads it
    assert (await recording(browser))["host"] == "a.test"
    await asyncio.sleep(15)
    await end_and_compare(browser, db_sessions, user_id, lived, session)


async def test_no_window_focused_without_focus_back_heals_by_itself(
    browser: Browser, on_a: OnA, db_sessions: SessionMaker
) -> None:
    user_id, lived, session = on_a
    tabs = lived.tabs
    await asyncio.sleep(5)
    # A second window: headless Chromium says "no window focused" as it opens and nothing
    # when it closes; the extension reads Chrome's focus on the window's own events.
    create = f"chrome.windows.create({{url: {tabs.url('b')!r}}})"
    second = await browser.call(f"{create}.then(w => w.id)")
    lived.mark("b.test")
    await asyncio.sleep(8)  # 2% of it is 160 ms: the new tab loads in well under that
    await browser.call(f"chrome.windows.remove({second})")
    lived.mark("a.test")
    await asyncio.sleep(0.5)
    assert (await recording(browser))["host"] == "a.test"
    await asyncio.sleep(4)

    # A private window: "no window focused", then no event at all. With no tick, the
    # worker reads Chrome's focus by itself within 5 s of losing it.
    private = await browser.open_incognito(tabs.url("secret"))
    lived.mark(None)  # from here until the extension sees the focus back
    lost_at = time.monotonic()
    await asyncio.sleep(2)
    await browser.close_target(private)
    while (await recording(browser)).get("host") != "a.test":
        assert time.monotonic() - lost_at < 6.5, "recording did not resume by itself"
        await asyncio.sleep(0.1)
    lived.mark("a.test")
    await asyncio.sleep(4)
    await end_and_compare(browser, db_sessions, user_id, lived, session)


async def test_focus_events_in_quick_succession_end_in_chromes_own_state(
    browser: Browser, on_a: OnA
) -> None:
    tabs = on_a[1].tabs
    window = await browser.call("chrome.windows.getLastFocused().then(w => w.id)")
    # "Window focused" (its tab still being read) and "no window" right after it, through
    # the worker's own listener: the later event must win.
    fire = "__qtimeTest.focusChanged"
    await browser.call(f"{fire}({window}); {fire}(chrome.windows.WINDOW_ID_NONE)")
    await asyncio.sleep(0.5)  # every event handled
    assert await recording(browser) == {"recording": False, "reason": "not-focused"}
    await browser.call(f"{fire}(chrome.windows.WINDOW_ID_NONE); {fire}({window})")
    await asyncio.sleep(0.5)
    assert (await recording(browser))["host"] == "a.test"

    # Chrome's own burst: a new window fires "window focused" and "no window" in the same
    # millisecond, then its tab loads. The end state is what Chrome says is focused.
    log = "globalThis.__focusLog = []; chrome.windows.onFocusChanged.addListener"
    await browser.call(f"{log}(id => __focusLog.push(id))")
    await browser.call(f"chrome.windows.create({{url: {tabs.url('b')!r}}}).then(() => true)")
    await asyncio.sleep(1)
    assert len(await browser.call("__focusLog")) >= 2
    chrome_says = await browser.call(
        "chrome.windows.getLastFocused({populate: true})"
        ".then(w => ({focused: w.focused, url: w.tabs.find(t => t.active).url}))"
    )
    assert chrome_says == {"focused": True, "url": tabs.url("b")}
    assert (await recording(browser))["host"] == "b.test"
