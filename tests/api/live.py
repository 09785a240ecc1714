"""The API served by a real uvicorn on a loopback port, for streams and the browser."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn

from core.settings import Settings
from tracker_api.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveApi:
    """One API process's worth of app on a fixed port, which can be stopped and started
    again on the same address (as a browser would see a server restart)."""

    def __init__(self, settings: Settings, port: int | None = None) -> None:
        self.settings = settings
        self.port = port or free_port()
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(
            create_app(self.settings),
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            timeout_graceful_shutdown=1,
        )
        self._server = server = uvicorn.Server(config)
        self._serving = asyncio.create_task(server.serve())
        while not server.started:
            if self._serving.done():
                self._serving.result()
                raise RuntimeError(f"the API did not start on port {self.port}")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is None or self._serving is None:
            return
        self._server.should_exit = True
        await self._serving
        self._server = self._serving = None


@contextlib.asynccontextmanager
async def live_api(settings: Settings) -> AsyncIterator[str]:
    """Serve until the block ends; yields the base URL."""
    api = LiveApi(settings)
    await api.start()
    try:
        yield api.url
    finally:
        await api.stop()
