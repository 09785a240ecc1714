"""Redis down at Submit: the review is saved, and the reconcile sweep delivers it later."""

from __future__ import annotations

from datetime import timedelta

from arq.connections import ArqRedis
from sqlalchemy import update

from core.db.base import utcnow
from core.db.engine import transaction
from core.db.models import Analysis, AnalysisStatus
from core.infra.queue import ANALYZE_REVIEW, enqueue
from jobs.reconcile import reconcile_analyses
from tests.analysis.conftest import ANALYSING, Harness

LATER = timedelta(minutes=5)


async def test_submitted_while_redis_was_down_then_delivered_by_the_sweep(
    harness: Harness,
) -> None:
    sub = await harness.submit(queue=False)
    down = ArqRedis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
    try:
        assert not await enqueue(down, ANALYZE_REVIEW, sub.review_id, job_id="analyze:x")
    finally:
        await down.aclose()
    await harness.run_worker()  # Redis is back, but nothing was queued
    assert harness.bot_messages(sub)[0].content == ANALYSING

    sweep = {"resources": harness.resources}
    assert await reconcile_analyses(sweep) == 0  # too fresh: its own job may still come
    assert await reconcile_analyses(sweep, now=utcnow() + LATER) == 1
    assert await reconcile_analyses(sweep, now=utcnow() + LATER) == 1  # same job id: no-op
    await harness.run_worker()

    [message] = harness.bot_messages(sub)
    assert message.content.startswith("🧠 Session analysis")
    analysis = await harness.analysis(sub.review_id)
    assert analysis.status == AnalysisStatus.done and analysis.delivered_at is not None
    assert await reconcile_analyses(sweep, now=utcnow() + LATER) == 0


async def test_the_sweep_runs_when_a_worker_starts(harness: Harness) -> None:
    sub = await harness.submit(queue=False)
    async with transaction(harness.resources.sessionmaker) as db:
        await db.execute(update(Analysis).values(updated_at=utcnow() - LATER))
    await harness.run_worker()
    assert harness.bot_messages(sub)[0].content.startswith("🧠 Session analysis")
