"""`qtime api` in webhook mode stopped 10 times while Telegram pushes 100 updates of 10 users,
sending each again until it gets a 200: every update's work done once, in each user's
order, and answered (see `updates_harness.Verdict` for what a SIGKILL may repeat)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import own_redis
from tests.faults.updates_harness import Script, judge, judge_effects
from tests.faults.updates_kills import Setup, explain, kill_run


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
async def test_api_kills_lose_no_webhook_update(
    fake_telegram: FakeTelegram, sqlite_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    script = Script.create(fake_telegram)
    script.queue(fake_telegram)
    async with own_redis(tmp_path / "redis") as redis:
        setup = Setup(fake_telegram, tmp_path / "api", sqlite_url, redis.url, webhook=True)
        run = await kill_run(setup, script, kills=10, sig=sig, seed=14)
    verdict = await judge_effects(judge(fake_telegram, script, run.kills), script, sqlite_url)
    deliveries = fake_telegram.webhook.deliveries
    with explain(run):
        assert len(run.kills) == 10
        assert verdict.effects_wrong == [], verdict.line()
        assert verdict.inversions == 0, verdict.line()
        assert verdict.unexplained == [], verdict.line()
        assert verdict.unanswered <= verdict.replayed, verdict.line()
        refused = [d for d in deliveries if d.status != 200]
        assert len(deliveries) >= script.total + len(refused)  # each refused one came again
        if sig is signal.SIGTERM:  # a stop finishes what it started: nothing runs twice
            assert (verdict.answered, verdict.replayed) == (script.total, 0), verdict.line()
