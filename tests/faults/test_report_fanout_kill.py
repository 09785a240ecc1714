"""The weekly fan-out to 300 users, `qtime worker` SIGKILLed mid-way and started again: each
reachable user gets exactly one report, and those who blocked the bot are marked inactive.

A report is claimed only once its send slot is held, so a kill while it waits leaves it
owed. Telegram has no idempotency key, so the few milliseconds between the claim and the
request are the one moment a kill leaves a report's fate unknown: that one is never sent
again (never twice), and it is the only report the kill may cost.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

from core.db.base import utcnow
from core.infra.resources import Resources
from core.settings import Settings
from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import own_redis, worker_qtime
from tests.faults.report_harness import (
    delivered,
    inactive_and_unknown,
    reports_settled,
    seed_report_users,
)
from tests.report.conftest import tick

USERS = 300
BLOCKED = 30
KILL_AFTER = 100  # reports delivered before the kill, give or take a random moment


async def test_each_reachable_user_gets_one_report_though_the_worker_is_killed(
    make_settings: Callable[..., Settings],
    fake_telegram: FakeTelegram,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    fake = fake_telegram
    async with own_redis(tmp_path / "redis") as server:
        settings = make_settings(
            database={"url": sqlite_url}, redis={"url": server.url}, telegram={"api_url": fake.url}
        )
        resources = Resources.open(settings)
        try:
            reachable, blocked = await seed_report_users(resources, fake, USERS, BLOCKED)
            assert await tick(resources, utcnow()) == USERS  # this week's reports, queued
            qtime = worker_qtime(settings, fake, tmp_path / "worker")
            async with qtime.serving("worker") as first:
                await fake.wait_until(
                    lambda: sum(delivered(fake, reachable).values()) >= KILL_AFTER, 60
                )
                await asyncio.sleep(random.uniform(0, 0.5))  # a random moment mid-way
                first.process.kill()
                await first.process.wait()
            at_kill = sum(delivered(fake, reachable).values())
            async with qtime.serving("worker") as second:
                database = Path(sqlite_url.split(":///", 1)[1])
                await fake.wait_until(lambda: reports_settled(database), 75, "every report settled")
                await asyncio.sleep(2)  # time for a second copy to arrive, if one would
                assert second.process.returncode is None, second.output()
            inactive, unknown = await inactive_and_unknown(resources)
        finally:
            await resources.close()

    assert KILL_AFTER <= at_kill < len(reachable), "killed mid-way"
    assert len(unknown) <= 1, "only the send the kill cut short has an unknown fate"
    received = delivered(fake, reachable)
    assert {chat: n for chat, n in received.items() if chat not in unknown} == dict.fromkeys(
        set(reachable) - unknown, 1
    )
    assert all(received[chat] <= 1 for chat in unknown), "never twice"
    assert inactive == set(blocked)
