"""Real Chromium with the unpacked extension, a real API and many hosts on one local server.

`--host-resolver-rules` sends every `*.test` name to 127.0.0.1, where one aiohttp server
answers for all of them, so a test can browse `http://a.test:PORT/`, `http://b.test:PORT/`…
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page, Worker, async_playwright

from core.settings import Settings
from tests.api.live import LiveApi, free_port
from tests.fakes.telegram import FakeTelegram

EXTENSION = Path(__file__).resolve().parents[2] / "extension"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
async def sites() -> AsyncIterator[Callable[[str], str]]:
    """`url("a")` is the address of a page on host `a.test`, titled after its host."""

    async def page(request: web.Request) -> web.Response:
        host = request.host.split(":")[0]
        body = f"<!doctype html><title>{host} page</title><h1>{host}</h1>"
        return web.Response(text=body, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield lambda name: f"http://{name}.test:{port}/"
    await runner.cleanup()


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


class Browser:
    """The browser and the extension's service worker, found again after it is stopped."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context

    async def worker(self) -> Worker:
        """The live service worker, once it has registered its listeners."""
        for _ in range(200):
            for worker in self.context.service_workers:
                try:
                    if await worker.evaluate("globalThis.__qtimeReady === true"):
                        return worker
                except Exception:  # a stopped worker's handle; a new one will come
                    continue
            await asyncio.sleep(0.05)
        raise AssertionError("the extension's service worker did not start")

    async def call(self, expression: str) -> Any:
        return await (await self.worker()).evaluate(expression)

    async def storage(self, *keys: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.call(f"chrome.storage.local.get({list(keys)!r})")
        return found

    async def extension_page(self, name: str) -> Page:
        extension_id = (await self.worker()).url.split("/")[2]
        page = await self.context.new_page()
        await page.goto(f"chrome-extension://{extension_id}/{name}")
        return page

    async def stop_worker(self) -> None:
        """What Chrome does to an idle MV3 worker, at a moment of the test's choosing."""
        cdp = await self.context.new_cdp_session(self.context.pages[0])
        await cdp.send("ServiceWorker.enable")
        await cdp.send("ServiceWorker.stopAllWorkers")
        await cdp.detach()


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                f"--disable-extensions-except={EXTENSION}",
                f"--load-extension={EXTENSION}",
                "--host-resolver-rules=MAP *.test 127.0.0.1",
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield Browser(context)
        finally:
            await context.close()
