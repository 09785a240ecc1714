"""The popup's status line in each state, as the user reads it, and the options one click
away. The popup page stays open in a background tab while the user browses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from core.db.engine import SessionMaker
from core.db.models import Device
from tests.api.live import LiveApi
from tests.e2e.browser import Browser
from tests.e2e.helpers import Tabs, pair_through_the_bot, start_focus

pytestmark = pytest.mark.timeout(120)


async def test_the_popup_says_what_is_recorded_or_why_not(
    browser: Browser, api: LiveApi, db_sessions: SessionMaker, sites: Callable[[str], str]
) -> None:
    await browser.drive_ticks()
    popup = await browser.extension_page("popup.html")
    line, waiting = popup.locator("#status-line"), popup.locator("#waiting")
    await expect(line).to_have_text("Not recording: this browser is not linked")
    async with browser.context.expect_page() as opened:
        await popup.click("#open-options")
    assert (await opened.value).url.endswith("/options.html")

    options = await browser.extension_page("options.html")
    assert await options.input_value("#device-name") == "Chrome on Linux"  # editable before linking
    await options.fill("#device-name", "Work laptop")
    await options.close()
    user_id = await pair_through_the_bot(browser, api.url, db_sessions)
    async with db_sessions() as db:  # what the bot's /devices lists
        assert list((await db.execute(select(Device.name))).scalars()) == ["Work laptop"]
    await expect(line).to_have_text("Not recording: no focus session")
    tabs = Tabs(browser, sites)
    await tabs.open("x", "b", "a")
    await start_focus(browser, db_sessions, user_id)
    await expect(line).to_have_text("Recording a.test for write chapter 2, 60 min left")
    await expect(popup.locator("#open-options")).to_be_visible()  # options one click away

    await browser.call("chrome.storage.local.set({excludedHosts: ['x.test']})")
    await tabs.show("x")
    await expect(line).to_have_text("Paused: excluded site")
    await tabs.show("a")
    await browser.call("__qtimeTest.setIdle('idle')")
    await expect(line).to_have_text("Paused: idle")
    await browser.call("__qtimeTest.setIdle('active')")
    await expect(line).to_have_text("Recording a.test for write chapter 2, 60 min left")

    private = await browser.open_incognito(sites("secret"))
    await expect(line).to_have_text("Paused: browser not focused")
    await browser.close_target(private)
    await browser.call("__qtimeTest.tick()")
    await expect(line).to_have_text("Recording a.test for write chapter 2, 60 min left")

    await api.stop()
    for name in ("b", "a"):
        await asyncio.sleep(1)
        await tabs.show(name)
    await browser.call("__qtimeTest.flush()")
    await expect(waiting).to_have_text("2 events waiting to be sent")
    await expect(popup.locator("#connection")).to_have_text("offline — will retry")
