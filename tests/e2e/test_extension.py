"""The extension in real Chromium against the real API: what a user's browsing leaves in
the database, through pairing, tab switches, idle, exclusions, a server restart and a
killed service worker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from playwright.async_api import Page
from sqlalchemy import select

from core.db import SessionMaker, create_engine, create_sessionmaker, transaction
from core.models import ActivityEvent
from core.pairing import bind_code
from core.sessions import end_session, start_session
from core.users import upsert_telegram_user
from tests.api.live import LiveApi
from tests.e2e.conftest import Browser

pytestmark = pytest.mark.timeout(240)
TOLERANCE = 1.0  # seconds between what the browser lived and what was stored


@pytest.fixture
async def db_sessions(sqlite_url: str) -> AsyncIterator[SessionMaker]:
    engine = create_engine(sqlite_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def stored(sessions: SessionMaker) -> list[ActivityEvent]:
    async with sessions() as db:
        found = await db.execute(select(ActivityEvent).order_by(ActivityEvent.started_at))
        return list(found.scalars())


async def wait_stored(
    sessions: SessionMaker, ready: Callable[[list[ActivityEvent]], bool], timeout: float = 15
) -> list[ActivityEvent]:
    deadline = time.monotonic() + timeout
    while True:
        events = await stored(sessions)
        if ready(events) or time.monotonic() > deadline:
            return events
        await asyncio.sleep(0.2)


def seconds(event: ActivityEvent) -> float:
    return (event.ended_at - event.started_at).total_seconds()


def hosts(events: list[ActivityEvent]) -> list[str]:
    return [event.host for event in events]


def assert_no_overlap(events: list[ActivityEvent]) -> None:
    """Nothing stored twice: one attention span, one row."""
    for before, after in zip(events, events[1:], strict=False):
        assert after.started_at >= before.ended_at, (before.host, after.host)


async def pair_through_the_bot(browser: Browser, api: LiveApi, sessions: SessionMaker) -> int:
    """The options page asks for a pairing; the user opens the deep link, which makes the
    bot bind the code (its /start does exactly `bind_code`); the page collects the token."""
    options = await browser.extension_page("options.html")
    await options.fill("#server-url", api.url)
    await options.click("#link-telegram")
    await options.locator("#pairing").wait_for(state="visible", timeout=10_000)
    code = (await options.locator("#pairing-code").inner_text()).strip()
    deep_link = await options.locator("#deep-link").get_attribute("href")
    assert deep_link == f"https://t.me/qtime_test_bot?start={code}"
    async with transaction(sessions) as db:
        user, _ = await upsert_telegram_user(db, telegram_id=4242, chat_id=4242, first_name="Ann")
        await bind_code(db, code, user)
    await options.locator("#linked").wait_for(state="visible", timeout=15_000)
    await options.close()
    assert (await browser.storage("token"))["token"]
    return user.id


async def start_focus(browser: Browser, sessions: SessionMaker, user_id: int) -> None:
    """The user sends /focus in Telegram; the extension learns it at its next poll, and the
    active tab counts from the session's start."""
    async with transaction(sessions) as db:
        await start_session(db, user_id, minutes=60, goal="write chapter 2")
    await browser.call("__qtimeTest.tick()")
    session = (await browser.storage("session"))["session"]
    assert session and session["active"]


class Tabs:
    """Tabs on `*.test` hosts, opened up front so that each switch is a single activation,
    with the moment each became the active one."""

    def __init__(self, browser: Browser, url: Callable[[str], str]) -> None:
        self.browser = browser
        self.url = url
        self.pages: dict[str, Page] = {}
        self.switched_at = time.monotonic()

    async def open(self, *names: str) -> None:
        for name in names:
            self.pages[name] = page = await self.browser.context.new_page()
            await page.goto(self.url(name))

    async def show(self, name: str) -> float:
        """Make `name.test` the active tab; returns how long the previous tab had it."""
        await self.pages[name].bring_to_front()
        now = time.monotonic()
        previous, self.switched_at = now - self.switched_at, now
        return previous

    def mark(self) -> None:
        """Recording of the active tab starts now (a session starts, the user is back)."""
        self.switched_at = time.monotonic()


@pytest.fixture
async def linked(
    browser: Browser, api: LiveApi, db_sessions: SessionMaker, sites: Callable[[str], str]
) -> tuple[int, Tabs]:
    """A user whose browser was paired through the bot, and tabs to browse with."""
    return await pair_through_the_bot(browser, api, db_sessions), Tabs(browser, sites)


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
