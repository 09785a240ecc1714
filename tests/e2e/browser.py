"""Real Chromium with the unpacked extension, and many hosts on one local web server.

`--host-resolver-rules` sends every `*.test` name to 127.0.0.1, where one aiohttp server
answers for all of them, so a page can browse `http://a.test:PORT/`, `http://b.test:PORT/`…
Used by the e2e tests and by bench/tracking.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import BrowserContext, Page, Worker, async_playwright

from tests.api.live import free_port

EXTENSION = Path(__file__).resolve().parents[2] / "extension"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextlib.asynccontextmanager
async def serving_sites() -> AsyncIterator[Callable[[str], str]]:
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
    try:
        yield lambda name: f"http://{name}.test:{port}/"
    finally:
        await runner.cleanup()


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

    async def open_incognito(self, url: str) -> str:
        """A private window, as the user opens one; returns its CDP target id. The
        extension is not allowed there, so Chrome only tells it "no window focused"."""
        create = f"chrome.windows.create({{incognito: true, url: {url!r}}})"
        await self.call(f"{create}.then(() => true)")
        cdp = await self.context.new_cdp_session(self.context.pages[0])
        try:
            for _ in range(100):
                targets = (await cdp.send("Target.getTargets"))["targetInfos"]
                found = [t["targetId"] for t in targets if t["type"] == "page" and t["url"] == url]
                if found:
                    return str(found[0])
                await asyncio.sleep(0.05)
        finally:
            await cdp.detach()
        raise AssertionError("the private window did not open")

    async def drive_ticks(self) -> None:
        """Stops the 30 s alarm: the test calls `__qtimeTest.tick()` itself. Headless
        Chromium says the normal window is focused even while a private window is in front,
        so an alarm falling inside a private window would resume recording there."""
        await self.call("chrome.alarms.clearAll()")

    async def close_target(self, target_id: str) -> None:
        """Closes a window the extension cannot see (headless Chromium then sends no focus-back)."""
        cdp = await self.context.new_cdp_session(self.context.pages[0])
        await cdp.send("Target.closeTarget", {"targetId": target_id})
        await cdp.detach()

    async def status(self) -> dict[str, Any]:
        """What the popup would show now (the worker's status)."""
        found: dict[str, Any] = await self.call("__qtimeTest.status()")
        return found


@contextlib.asynccontextmanager
async def launched(profile: Path, extension: Path = EXTENSION) -> AsyncIterator[Browser]:
    """Headless Chromium with the extension loaded unpacked, on a fresh profile."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                f"--disable-extensions-except={extension}",
                f"--load-extension={extension}",
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
