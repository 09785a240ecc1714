"""A real `qtime worker` while its Redis restarts and is then flushed: the worker goes on,
every due "time's up" and every analysis reaches its user exactly once, and the deferred
jobs that Redis kept across its restart still run on time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.texts import local_time
from core.db.base import utcnow
from core.settings import Settings
from tests.analysis.conftest import ANALYSING, Submission
from tests.deploy.processes import Qtime, free_port, wait_for_http
from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import (
    DueSession,
    first_arrival,
    open_harness,
    own_redis,
    sends_to,
    start_session,
    until_exits_or,
    worker_qtime,
)

TIMES_UP = "Time's up"
SESSIONS = 10
LATE = timedelta(minutes=5)  # a session that ended while the worker was down
TOKYO = "Asia/Tokyo"


async def test_a_redis_restart_and_a_flush_lose_no_message_and_send_none_twice(
    make_settings: Callable[..., Settings],
    fake_telegram: FakeTelegram,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    fake = fake_telegram
    async with (
        own_redis(tmp_path / "redis") as server,
        open_harness(make_settings, fake, sqlite_url, server.url) as harness,
    ):
        submitted = [await harness.submit(harness.person(f"A{n}")) for n in range(3)]
        qtime = worker_qtime(harness.settings, fake, tmp_path / "worker")
        async with qtime.serving("worker") as worker:
            await _all_analysed(fake, submitted, timeout=30)  # the worker is up
            start = utcnow()
            olga = fake.add_user("Olga")
            overdue = await start_session(harness, olga, start - LATE, timezone=TOKYO)
            due = [
                await start_session(
                    harness, fake.add_user(f"U{n}"), start + timedelta(seconds=6 + n)
                )
                for n in range(SESSIONS)
            ]  # due 6 s to 15 s from now
            await _until(start.timestamp() + 1)
            await server.stop()  # a planned restart: the AOF keeps the deferred jobs
            # Reviews submitted meanwhile cannot be queued: only the database has them.
            for n in range(3):
                submitted.append(await harness.submit(harness.person(f"B{n}"), queue=False))
            assert not await harness.enqueue(submitted[-1].review_id)
            await asyncio.sleep(3)
            await server.start()
            back = time.time()
            await _until(start.timestamp() + 10.5)
            await server.flushall()  # every deferred job still in Redis is gone
            flushed = time.time()
            submitted += [await harness.submit(harness.person(f"C{n}")) for n in range(2)]

            await _all_times_up(fake, [overdue, *due], timeout=60)
            await _all_analysed(fake, submitted, timeout=30)
            await asyncio.sleep(16)  # one more sweep: it must find nothing owed
            assert await until_exits_or(worker, 0) is None, worker.output()
            log = worker.output()

    for session in [overdue, *due]:
        assert sends_to(fake, session.person.id, TIMES_UP) == 1, session.person.first_name
    for sub in submitted:
        [message] = fake.bot_messages(sub.message.chat)
        assert message.content != ANALYSING
    kept = [s for s in due if back + 0.5 < s.planned_end.timestamp() < flushed - 1]
    assert kept, "some sessions fall due between the restart and the flush"
    for session in kept:  # run by the deferred job Redis kept, not by the sweep
        arrived = first_arrival(fake, session.person.id, TIMES_UP)
        assert arrived is not None and arrived - session.planned_end.timestamp() < 3
    [late] = [m for m in fake.bot_messages(overdue.person) if TIMES_UP in m.content]
    ended = local_time(overdue.planned_end, TOKYO)  # on Olga's clock, not the server's
    assert f"ended at {ended}" in late.content and "late" in late.content
    assert log.count("Redis unavailable") == 1, "one outage, logged once"
    assert "Redis is back" in log


async def _until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))


async def _all_times_up(fake: FakeTelegram, sessions: list[DueSession], timeout: float) -> None:
    await fake.wait_until(
        lambda: all(sends_to(fake, s.person.id, TIMES_UP) for s in sessions),
        timeout,
        "every time's up",
    )


async def _all_analysed(fake: FakeTelegram, submitted: list[Submission], timeout: float) -> None:
    def done() -> bool:
        return all(
            message.content != ANALYSING
            for sub in submitted
            for message in fake.bot_messages(sub.message.chat)
        )

    await fake.wait_until(done, timeout, "every analysis")


async def test_qtime_up_rides_out_a_redis_restart_and_a_flush(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """Every part of `qtime up` goes on: the chat answers and the worker runs its jobs."""
    fake, port = fake_telegram, free_port()
    async with own_redis(tmp_path / "redis") as server:
        qtime = Qtime(
            env={
                "QTIME_DATA_DIR": str(tmp_path / "data"),
                "QTIME_REDIS__URL": server.url,
                "QTIME_TELEGRAM__TOKEN": fake.token,
                "QTIME_TELEGRAM__API_URL": fake.url,
                "QTIME_API__HOST": "127.0.0.1",
                "QTIME_API__PORT": str(port),
            },
            cwd=tmp_path,
        )
        async with qtime.serving("up") as up:
            await wait_for_http(up, f"http://127.0.0.1:{port}/healthz")
            alice = fake.add_user("Alice")
            fake.send_message(alice, "/start")
            await fake.wait_for_text(alice, "Quality Time", timeout=30)
            await server.restart(downtime=3)
            await server.flushall()
            fake.send_message(alice, "/export")  # the bot answers, the worker sends the file
            exported = await fake.wait_for_text(alice, "All your Quality Time data", timeout=30)
            assert exported.document is not None
            assert await until_exits_or(up, 0) is None, up.output()
            assert await up.stop() == 0
