"""`qtime bot` (polling) stopped 10 times while it works through 100 queued updates of 10
users: every update's work done once, in each user's order, and answered.

A SIGTERM lets the updates under way finish: every update gets its own reply, once. A
SIGKILL between a handler's commit and its reply makes that update run again, and its
second answer may differ (see `updates_harness.Verdict`); nothing else may.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import own_redis
from tests.faults.updates_harness import Script, judge, judge_effects
from tests.faults.updates_kills import Setup, explain, kill_run


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
async def test_kills_lose_no_update_and_keep_each_chat_in_order(
    fake_telegram: FakeTelegram, sqlite_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    script = Script.create(fake_telegram)
    script.queue(fake_telegram)
    async with own_redis(tmp_path / "redis") as redis:
        setup = Setup(fake_telegram, tmp_path / "bot", sqlite_url, redis.url)
        run = await kill_run(setup, script, kills=10, sig=sig, seed=12)
    verdict = await judge_effects(judge(fake_telegram, script, run.kills), script, sqlite_url)
    with explain(run):
        assert len(run.kills) == 10
        assert verdict.effects_wrong == [], verdict.line()  # each update's work done once
        assert verdict.inversions == 0, verdict.line()
        assert verdict.unexplained == [], verdict.line()
        assert verdict.unanswered <= verdict.replayed, verdict.line()
        if sig is signal.SIGTERM:  # a stop finishes what it started: nothing runs twice
            assert (verdict.answered, verdict.replayed) == (script.total, 0), verdict.line()
