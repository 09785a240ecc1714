"""A worker killed with SIGKILL in the middle of an analysis: a new worker, one result message."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from arq.constants import in_progress_key_prefix

from tests.analysis.conftest import Harness, MakeHarness
from tests.analysis.test_openai import ADVICE, GOOD, ai_settings
from tests.fakes.openai_stub import OpenAIStub, slow


def start_worker(harness: Harness, home: Path) -> subprocess.Popen[bytes]:
    """`qtime worker` as its own process, configured through the environment."""
    s = harness.settings
    assert s.ai.base_url is not None
    env = {
        "PATH": os.environ.get("PATH", ""),
        "QTIME_DATA_DIR": str(home),
        "QTIME_DATABASE__URL": s.database_url,
        "QTIME_REDIS__URL": s.redis_url,
        "QTIME_TELEGRAM__TOKEN": harness.fake.token,
        "QTIME_TELEGRAM__API_URL": harness.fake.url,
        "QTIME_AI__PROVIDER": "openai",
        "QTIME_AI__BASE_URL": s.ai.base_url,
        "QTIME_AI__API_KEY": "sk-test",
        "QTIME_AI__TIMEOUT": "30",
    }
    return subprocess.Popen([sys.executable, "-m", "qtime", "worker"], cwd=home, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


async def test_a_killed_worker_leaves_exactly_one_result_message(
    make_harness: MakeHarness, sqlite_url: str, openai_stub: OpenAIStub, tmp_path: Path
) -> None:
    harness = await make_harness(sqlite_url, ai=ai_settings(openai_stub, timeout=30))
    openai_stub.enqueue(slow(60), GOOD)  # the first worker dies waiting for this answer
    sub = await harness.submit()
    worker = start_worker(harness, tmp_path)
    try:
        for _ in range(600):
            if openai_stub.requests:
                break
            await asyncio.sleep(0.05)
        assert openai_stub.requests, "the worker never asked the AI"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert harness.bot_messages(sub)[0].content == sub.message.content  # still "Analysing…"

    # arq holds a dead worker's jobs until their locks expire (the longest job timeout
    # + 10 s); expire them now instead of waiting, as time would.
    redis = harness.resources.redis
    locks = [key async for key in redis.scan_iter(f"{in_progress_key_prefix}*")]
    assert f"{in_progress_key_prefix}analyze:{sub.review_id}".encode() in locks
    await redis.delete(*locks)
    await harness.run_worker()

    [message] = harness.bot_messages(sub)
    assert ADVICE[0] in message.content
    assert len(harness.fake.calls_of("sendMessage")) == 1  # the "Analysing…" message only
    analysis = await harness.analysis(sub.review_id)
    assert analysis.delivered_at is not None and analysis.analyser == "gpt-4o-mini"
    assert len(openai_stub.requests) == 2
