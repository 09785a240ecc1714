"""The device token goes only where it was issued: a new server address unlinks the
browser and drops the old server's queue, and the new server never sees either."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from core.db.engine import SessionMaker
from tests.api.live import LiveApi, free_port
from tests.e2e.browser import Browser
from tests.e2e.helpers import Tabs, start_focus

pytestmark = pytest.mark.timeout(120)


@dataclass
class Recorder:
    """A second local server that answers 401 to everything and notes what it was sent."""

    url: str = ""
    received: list[tuple[str, str, str | None, str]] = field(default_factory=list)


@pytest.fixture
async def other_server() -> AsyncIterator[Recorder]:
    recorder = Recorder()

    async def anything(request: web.Request) -> web.Response:
        body = await request.text()
        auth = request.headers.get("Authorization")
        recorder.received.append((request.method, request.path, auth, body))
        return web.json_response({"detail": "Not authenticated"}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    recorder.url = f"http://127.0.0.1:{port}"
    yield recorder
    await runner.cleanup()


async def test_a_new_server_address_never_gets_the_old_token_or_queue(
    browser: Browser,
    api: LiveApi,
    linked: tuple[int, Tabs],
    db_sessions: SessionMaker,
    other_server: Recorder,
) -> None:
    user_id, tabs = linked
    token = (await browser.storage("token"))["token"]
    await tabs.open("b", "a")
    await start_focus(browser, db_sessions, user_id)
    await api.stop()  # the old server is away: what the user browses now waits in the queue
    for name in ("b", "a", "b"):
        await asyncio.sleep(1)
        await tabs.show(name)
    await browser.call("__qtimeTest.flush()")
    assert (await browser.status())["queue"]["length"] >= 2

    options = await browser.extension_page("options.html")
    await options.fill("#server-url", "http://qtime.example.com")
    await options.click("#save-server")
    await options.locator("#error").wait_for(state="visible")
    assert "https://" in await options.locator("#error").inner_text()

    await options.fill("#server-url", other_server.url)
    options.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
    await options.click("#save-server")
    await asyncio.sleep(0.5)
    assert (await browser.storage("token"))["token"] == token  # the user said no: nothing moved

    await options.fill("#server-url", other_server.url)
    options.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await options.click("#save-server")
    await options.locator("#unlinked").wait_for(state="visible", timeout=10_000)
    for name in ("a", "b"):  # browsing goes on; the worker polls and flushes
        await tabs.show(name)
        await asyncio.sleep(0.5)
    await browser.call("__qtimeTest.tick()")
    await browser.call("__qtimeTest.flush()")

    status = await browser.status()
    assert (status["linked"], status["queue"]["length"]) == (False, 0)
    assert await browser.storage("token", "tokenServerUrl") == {}
    sent = other_server.received
    assert all(auth is None for _, _, auth, _ in sent), sent
    assert not any(token in body for *_, body in sent)
    assert not any(path == "/v1/events" for _, path, _, _ in sent)
