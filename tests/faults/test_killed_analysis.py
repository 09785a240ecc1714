"""`qtime worker` SIGKILLed in the middle of an analysis: the user has the result within a
minute of the kill, in the one "Analysing…" message, and an AI answer already stored is
never paid for twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from arq.constants import in_progress_key_prefix

from core.infra.queue import analyze_job_id
from core.settings import Settings
from tests.analysis.conftest import ANALYSING, Harness
from tests.analysis.test_openai import ADVICE, GOOD
from tests.deploy.processes import Qtime
from tests.fakes.openai_stub import OpenAIStub, slow
from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import open_harness, own_redis, sends_to, worker_qtime

RECOVERY_SECONDS = 60


async def _true(value: bool) -> bool:
    return value


def _ai_worker(harness: Harness, stub: OpenAIStub, home: Path) -> Qtime:
    return worker_qtime(
        harness.settings, harness.fake, home,
        QTIME_AI__PROVIDER="openai", QTIME_AI__BASE_URL=stub.url,
        QTIME_AI__API_KEY="sk-test", QTIME_AI__TIMEOUT="30",
    )  # fmt: skip


async def _killed_when(qtime: Qtime, ready: Callable[[], Awaitable[bool]]) -> float:
    """Run the worker until `ready()`, SIGKILL it; returns the moment of the kill."""
    async with qtime.serving("worker") as worker:
        async with asyncio.timeout(30):
            while not await ready():
                await asyncio.sleep(0.02)
        worker.process.kill()
        await worker.process.wait()
        return time.monotonic()


async def test_an_analysis_killed_while_the_ai_thinks_is_answered_within_a_minute(
    make_settings: Callable[..., Settings],
    fake_telegram: FakeTelegram,
    openai_stub: OpenAIStub,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    openai_stub.enqueue(slow(60), GOOD)  # the first worker dies waiting for this answer
    async with (
        own_redis(tmp_path / "redis") as server,
        open_harness(make_settings, fake_telegram, sqlite_url, server.url) as harness,
    ):
        sub = await harness.submit()
        qtime = _ai_worker(harness, openai_stub, tmp_path / "worker")
        killed = await _killed_when(qtime, lambda: _true(bool(openai_stub.requests)))
        assert harness.bot_messages(sub)[0].content == ANALYSING
        async with qtime.serving("worker"):
            await fake_telegram.wait_for_text(
                sub.message.chat, ADVICE[0], timeout=RECOVERY_SECONDS + 5
            )
            recovery = time.monotonic() - killed
    assert recovery <= RECOVERY_SECONDS
    [message] = harness.bot_messages(sub)  # the "Analysing…" message, edited
    assert ADVICE[0] in message.content
    assert sends_to(fake_telegram, sub.message.chat.id, "") == 1
    assert len(openai_stub.requests) == 2  # the first one never answered


async def test_a_stored_ai_answer_is_delivered_after_a_kill_without_asking_the_ai_again(
    make_settings: Callable[..., Settings],
    fake_telegram: FakeTelegram,
    openai_stub: OpenAIStub,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    openai_stub.enqueue(GOOD)
    fake_telegram.fail_next("editMessageText", times=1, error_code=502)  # Telegram has a blip
    async with (
        own_redis(tmp_path / "redis") as server,
        open_harness(make_settings, fake_telegram, sqlite_url, server.url) as harness,
    ):
        sub = await harness.submit()
        qtime = _ai_worker(harness, openai_stub, tmp_path / "worker")
        redis = harness.resources.redis
        running = f"{in_progress_key_prefix}{analyze_job_id(sub.review_id)}"

        async def edit_failed_and_retry_queued() -> bool:
            return bool(fake_telegram.errors) and not await redis.exists(running)

        await _killed_when(qtime, edit_failed_and_retry_queued)
        assert harness.bot_messages(sub)[0].content == ANALYSING
        async with qtime.serving("worker"):
            await fake_telegram.wait_for_text(
                sub.message.chat, ADVICE[0], timeout=RECOVERY_SECONDS + 5
            )
    [message] = harness.bot_messages(sub)
    assert "AI" in message.content
    assert len(openai_stub.requests) == 1  # the stored answer was shown, not bought again
