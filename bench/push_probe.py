"""How long a push channel lives in an MV3 service worker: the measurement behind the
extension's local timeline (extension/README.md, "Why a local timeline").

    .venv/bin/python -m bench.push_probe [--seconds 150]

Headless Chromium, with no DevTools attached (an attached debugger keeps workers alive),
loads a probe extension whose service worker follows an SSE stream from a local server
and reconnects a second after it ends; a web page follows the same stream as the
baseline. The server sends a keep-alive comment every 10 s and logs when each stream
opens and closes. Prints how long the worker's stream and the page's stream lived and
how often each was opened.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from aiohttp import web

from tests.api.live import free_port
from tests.e2e.browser import CHROMIUM

WORKER = """async function follow() {
  try {
    const reader = (await fetch('%(url)s/stream?who=worker')).body.getReader();
    while (!(await reader.read()).done);
  } catch {}
  setTimeout(follow, 1000);
}
follow();
"""
MANIFEST = (
    '{"manifest_version": 3, "name": "push probe", "version": "1", '
    '"background": {"service_worker": "sw.js"}, "host_permissions": ["http://127.0.0.1/*"]}'
)
PAGE = """<script>(async () => { for (;;) { try {
  const reader = (await fetch('/stream?who=page')).body.getReader();
  while (!(await reader.read()).done); } catch {}
  await new Promise((r) => setTimeout(r, 1000)); } })();</script>"""


async def main(seconds: float) -> None:
    lived: dict[str, list[float]] = {"worker": [], "page": []}
    opened: dict[str, int] = {"worker": 0, "page": 0}

    async def stream(request: web.Request) -> web.StreamResponse:
        who = request.query["who"]
        opened[who] += 1
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        start = time.monotonic()
        try:
            while True:
                await response.write(b": keep-alive\n\n")
                await asyncio.sleep(10)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            lived[who].append(time.monotonic() - start)
        return response

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/stream", stream)
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    url = f"http://127.0.0.1:{free_port()}"
    await web.TCPSite(runner, "127.0.0.1", int(url.rsplit(":", 1)[1])).start()
    home = Path(tempfile.mkdtemp(prefix="qtime-push-probe-"))
    (home / "ext").mkdir()
    (home / "ext" / "manifest.json").write_text(MANIFEST)
    (home / "ext" / "sw.js").write_text(WORKER % {"url": url})
    chromium = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless=new", "--no-sandbox", "--no-first-run",
        f"--user-data-dir={home / 'profile'}", f"--disable-extensions-except={home / 'ext'}",
        f"--load-extension={home / 'ext'}", url + "/",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(seconds)
    chromium.terminate()
    await chromium.wait()
    await runner.cleanup()
    shutil.rmtree(home, ignore_errors=True)
    for who in ("worker", "page"):
        spans = ", ".join(f"{s:.1f}" for s in lived[who]) or "-"
        print(f"{who:<7} stream opened {opened[who]}x in {seconds:.0f} s; lived (s): {spans}")  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=150.0)
    asyncio.run(main(parser.parse_args().seconds))
