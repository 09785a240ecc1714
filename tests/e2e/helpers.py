"""What the e2e tests and bench/tracking.py share: what was stored, pairing, tabs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise

from playwright.async_api import Page
from sqlalchemy import select

from core.accounts.pairing import bind_code
from core.accounts.users import upsert_telegram_user
from core.db.engine import SessionMaker, transaction
from core.db.models import ActivityEvent, FocusSession
from core.sessions.lifecycle import end_session, start_session
from tests.e2e.browser import Browser


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


async def pair_through_the_bot(browser: Browser, api_url: str, sessions: SessionMaker) -> int:
    """The options page asks for a pairing; the user opens the deep link, which makes the
    bot bind the code (its /start does exactly `bind_code`); the page collects the token."""
    options = await browser.extension_page("options.html")
    await options.fill("#server-url", api_url)
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


class Lived:
    """What the user lived, on the wall clock the API stamps sessions with: which host had
    their attention from when. `None` is time that must not be recorded (away, private)."""

    def __init__(self, tabs: Tabs) -> None:
        self.tabs = tabs
        self.marks: list[tuple[float, str | None]] = []

    async def show(self, name: str) -> None:
        """The user switches to `name.test`; Chrome's event fires during bring_to_front."""
        before = time.time()
        await self.tabs.pages[name].bring_to_front()
        self.marks.append(((before + time.time()) / 2, f"{name}.test"))

    def mark(self, host: str | None) -> None:
        self.marks.append((time.time(), host))

    def per_host(self, start: datetime, end: datetime) -> dict[str, float]:
        """Seconds per host between `start` and `end` (a session's window)."""
        totals: dict[str, float] = {}
        bounds = [*self.marks, (end.timestamp(), None)]
        for (at, host), (until, _) in pairwise(bounds):
            span = min(until, end.timestamp()) - max(at, start.timestamp())
            if host is not None and span > 0:
                totals[host] = totals.get(host, 0.0) + span
        return totals


def recorded_per_host(events: list[ActivityEvent]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for event in events:
        totals[event.host] = totals.get(event.host, 0.0) + seconds(event)
    return totals


def assert_within(recorded: dict[str, float], lived: dict[str, float], share: float) -> None:
    """Every host's recorded seconds within `share` of what was lived, and no other host."""
    assert set(recorded) == set(lived), (recorded, lived)
    for host, truth in lived.items():
        assert abs(recorded[host] - truth) <= share * truth, (host, recorded[host], truth)


async def session_on_a(
    browser: Browser, tabs: Tabs, sessions: SessionMaker, user_id: int
) -> tuple[Lived, FocusSession]:
    """Tabs b.test and a.test, a.test in front when /focus arrives, learned at once."""
    await tabs.open("b", "a")
    lived = Lived(tabs)
    await lived.show("a")
    async with transaction(sessions) as db:
        session = await start_session(db, user_id, minutes=60, goal="write chapter 2")
    await browser.call("__qtimeTest.tick()")
    return lived, session


async def end_and_compare(
    browser: Browser, sessions: SessionMaker, user_id: int, lived: Lived, session: FocusSession
) -> list[ActivityEvent]:
    """/done, then every host's recorded time within 2% of what was lived, nothing twice."""
    async with transaction(sessions) as db:
        ended = await end_session(db, user_id)
    await browser.call("__qtimeTest.tick()")
    await browser.call("__qtimeTest.flush()")
    assert ended.ended_at is not None
    truth = lived.per_host(session.started_at, ended.ended_at)
    events = await wait_stored(
        sessions, lambda found: sum(recorded_per_host(found).values()) > sum(truth.values()) - 1
    )
    assert_within(recorded_per_host(events), truth, share=0.02)
    assert_no_overlap(events)
    return events
