"""The worker's run: a job starts as soon as it is enqueued, though the worker polls its queue
rarely, and a stop lets the jobs under way finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis
from arq.worker import func
from redis.asyncio import Redis

import jobs.worker
from core.infra.queue import WAKE_CHANNEL, enqueue
from core.settings import Settings
from jobs.worker import build_worker, redis_settings
from qtime.run import run_worker
from tests.faults.processes_harness import OwnRedis

RAN = "wakeup_probe"


class Probe:
    """A job that notes when it ran."""

    def __init__(self) -> None:
        self.ran: dict[str, float] = {}
        self.finished: set[str] = set()
        self.event = asyncio.Event()

    async def job(self, ctx: dict[str, Any], name: str, seconds: float = 0) -> None:
        self.ran[name] = time.monotonic()
        self.event.set()
        await asyncio.sleep(seconds)
        self.finished.add(name)

    async def wait_for(self, name: str, timeout: float) -> float:
        async with asyncio.timeout(timeout):
            while name not in self.ran:
                self.event.clear()
                await self.event.wait()
        return self.ran[name]


@pytest.fixture
def worker_settings(make_settings: Callable[..., Settings], sqlite_url: str) -> Settings:
    return make_settings(database={"url": sqlite_url})


@pytest.fixture
async def pool(worker_settings: Settings, redis: Redis) -> AsyncIterator[ArqRedis]:
    arq = await create_pool(redis_settings(worker_settings))
    yield arq
    await arq.aclose()


@contextlib.asynccontextmanager
async def running_worker(
    settings: Settings, redis: Redis, probe: Probe, idle_poll: float
) -> AsyncIterator[None]:
    """A long-running (not burst) worker, listening for wake-ups when this enters."""
    worker = build_worker(
        settings, functions=[func(probe.job, name=RAN)], cron_jobs=[], idle_poll=idle_poll
    )
    task = asyncio.create_task(worker.main())
    async with asyncio.timeout(10):
        while (await redis.pubsub_numsub(WAKE_CHANNEL))[0][1] < 1:
            await asyncio.sleep(0.02)
    try:
        yield
    finally:
        await asyncio.gather(*worker.tasks.values())  # the probe's bookkeeping, then stop
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()


async def test_a_job_starts_at_once_though_the_worker_polls_only_every_minute(
    worker_settings: Settings, redis: Redis, pool: ArqRedis
) -> None:
    probe = Probe()
    async with running_worker(worker_settings, redis, probe, idle_poll=60):
        await asyncio.sleep(0.3)  # the worker is idle, waiting
        for n in range(3):
            enqueued = time.monotonic()
            assert await enqueue(pool, RAN, f"job {n}", job_id=f"probe:{n}")
            started = await probe.wait_for(f"job {n}", timeout=5)
            assert started - enqueued < 1.0


async def test_wake_ups_resume_after_their_connection_drops(
    worker_settings: Settings, redis: Redis, pool: ArqRedis
) -> None:
    probe = Probe()
    async with running_worker(worker_settings, redis, probe, idle_poll=60):
        database = int(redis.connection_pool.connection_kwargs.get("db", 0))
        subscribers = [
            client["id"]
            for client in await redis.client_list()
            if "P" in client["flags"] and int(client["db"]) == database
        ]
        assert len(subscribers) == 1  # the worker's
        await redis.client_kill_filter(_id=subscribers[0])
        await asyncio.sleep(1.5)  # the worker notices and subscribes again
        enqueued = time.monotonic()
        assert await enqueue(pool, RAN, "after", job_id="probe:after")
        assert await probe.wait_for("after", timeout=5) - enqueued < 1.0


async def test_jobs_nobody_announced_still_run_at_the_next_idle_poll(
    worker_settings: Settings, redis: Redis, pool: ArqRedis
) -> None:
    """A deferred job, or one enqueued while the worker was not listening, is not lost."""
    probe = Probe()
    async with running_worker(worker_settings, redis, probe, idle_poll=0.3):
        soon = datetime.now(UTC) + timedelta(seconds=0.5)
        assert await enqueue(pool, RAN, "deferred", job_id="probe:deferred", defer_until=soon)
        await pool.enqueue_job(RAN, "unannounced", _job_id="probe:unannounced")
        await probe.wait_for("unannounced", timeout=5)
        deferred = await probe.wait_for("deferred", timeout=5)
    assert deferred >= probe.ran["unannounced"]  # not before its time


async def test_a_stop_lets_the_job_under_way_finish(
    worker_settings: Settings, redis: Redis, pool: ArqRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy stops the worker mid-job: the job ends its work rather than start over."""
    probe = Probe()
    monkeypatch.setattr(jobs.worker, "FUNCTIONS", [func(probe.job, name=RAN)])
    monkeypatch.setattr(jobs.worker, "CRON_JOBS", [])
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(worker_settings, stop))
    assert await enqueue(pool, RAN, "slow", 1.0, job_id="probe:slow")
    await probe.wait_for("slow", timeout=10)
    stop.set()
    await asyncio.wait_for(running, 10)
    assert probe.finished == {"slow"}
    assert await pool.zcard("arq:queue") == 0  # done, not queued to run again


async def test_a_worker_started_while_redis_is_away_waits_for_it(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A deploy that meets a Redis restart: the worker waits, however long, instead of
    exiting after arq's few tries, and says so once."""
    server = OwnRedis(tmp_path / "redis")  # not running yet
    settings = make_settings(database={"url": sqlite_url}, redis={"url": server.url})
    probe = Probe()
    worker = build_worker(
        settings, functions=[func(probe.job, name=RAN)], cron_jobs=[], idle_poll=0.2
    )
    running = asyncio.create_task(worker.main())
    try:
        await asyncio.sleep(3)
        assert not running.done(), "the worker gave up on Redis"
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warnings == ["Redis unavailable; trying again"]
        await server.start()
        pool = await create_pool(redis_settings(settings))
        assert await enqueue(pool, RAN, "after", job_id="probe:after")
        await probe.wait_for("after", timeout=10)
        await pool.aclose()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await worker.close()
        server.kill()


def test_a_killed_workers_jobs_run_again_within_a_minute(worker_settings: Settings) -> None:
    """arq holds a job of a killed worker for its longest job timeout plus 10 s; a job type
    with a long timeout would hold every analysis that long after a crash."""
    assert build_worker(worker_settings).in_progress_timeout_s <= 55
