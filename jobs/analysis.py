"""`analyze_review`: grade a submitted review and edit its "Analysing…" message into the result.

One result message per review, however often the job runs (arq re-runs a killed job,
the reconcile sweep re-enqueues a stuck one):

1. a delivered analysis is left alone;
2. the verdict is committed before the message is touched, so every later run shows
   the same verdict;
3. the result *edits* the "Analysing…" message, and an edit is idempotent: a worker
   killed between the edit and the next commit repeats an edit Telegram answers with
   "not modified", never a second message;
4. `delivered_at` is committed right after.

AI failures (429 with its Retry-After honoured, 5xx, timeouts, answers outside the
schema) are retried with backoff through arq's `Retry`, `AI_ATTEMPTS` calls in all,
counted in the database so re-runs share the count. Then the local analyser answers
and the message says so.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from aiogram.exceptions import (
    TelegramBadRequest,
)
from aiogram.methods import EditMessageText, SendMessage
from aiogram.methods.base import Response
from arq import Retry
from arq.worker import func
from sqlalchemy.orm import Session

from bot.notify import Notifier
from bot.texts import analysis as texts
from core.analysis import store, uses_ai
from core.analysis.base import Analyser, Verdict
from core.analysis.local import NAME as LOCAL
from core.analysis.local import LocalAnalyser
from core.db.units import Units
from core.errors import AnalyserFailed
from core.infra import events_bus
from core.infra.queue import ANALYZE_REVIEW
from core.infra.resources import Resources
from core.metrics.compute import SessionMetrics
from core.metrics.loader import measure_sessions
from core.settings import AIProvider, Settings
from jobs.retry import PASSING, retry_send

log = logging.getLogger(__name__)

AI_ATTEMPTS = 3
BACKOFF_SECONDS = 2.0  # doubled after each failed attempt
MAX_RETRY_AFTER = 120.0  # a server asking for a longer wait gets the local analyser now
DELIVERY_BACKOFF_SECONDS = 5.0
JOB_TIMEOUT = 40  # the AI timeout (QTIME_AI__TIMEOUT, at most 30 s) fits inside it
LOCAL_ANALYSER = LocalAnalyser()
GONE = ("message to edit not found", "message can't be edited")
# aiogram parametrises `Response[T]` on every call, and pydantic keeps that class only
# while something references it: rebuilt, it costs milliseconds a call. Keep ours alive.
RESPONSE_TYPES = [cast(Any, Response)[m.__returning__] for m in (EditMessageText, SendMessage)]


async def startup(ctx: dict[str, Any], settings: Settings) -> None:
    """Open this job's clients once per worker; the AI client only when one is configured.

    The result is an edit, outside the shared send budget (`bot.notify.limit_sends`):
    it answers the user's own Submit and must not queue behind a weekly-report fan-out.
    The database steps run as units (`core.db.units`): on SQLite the read on this thread,
    each write in one hop to the writer thread.
    """
    ctx["units"] = Units(ctx["resources"].sessionmaker)
    if settings.ai.provider is AIProvider.openai:
        from core.analysis.openai_analyser import OpenAIAnalyser, create_client  # 40 MB: lazily

        ctx["ai"] = OpenAIAnalyser(create_client(settings.ai), settings.ai.model)


async def shutdown(ctx: dict[str, Any]) -> None:
    if "ai" in ctx:
        await ctx["ai"].client.close()
    if "units" in ctx:
        await ctx["units"].close()


async def analyze_review(ctx: dict[str, Any], review_id: int) -> str:
    resources: Resources = ctx["resources"]
    units: Units = ctx["units"]
    loaded = await units.read(lambda db: _load(db, review_id))
    if loaded is None:
        return "nothing to do"
    job, measured = loaded
    analysis_id = job.analysis.id
    stored = measured is None
    if measured is None:  # an earlier run's verdict: show that one
        verdict, metrics, fallback = job.stored()
    else:
        metrics = measured
        verdict, fallback = await _grade(ctx, job, metrics)
        if verdict.analyser != LOCAL:  # an AI answer is costly and varies: keep it first
            await units.statement(
                lambda db: store.save_verdict(db, analysis_id, verdict, metrics, fallback=fallback)
            )
            stored = True
    text = texts.result(job.review, job.session.goal, verdict, metrics, fallback=fallback)
    try:
        message_id = await _show(ctx, job, text)
    except TelegramBadRequest as exc:  # a retry cannot change Telegram's answer
        error = exc.message
        await units.statement(lambda db: store.mark_failed(db, analysis_id, error))
        log.error("analysis undeliverable", extra={"review_id": review_id})
        return "undeliverable"
    if stored:
        await units.statement(
            lambda db: store.mark_delivered(db, analysis_id, message_id=message_id)
        )
    else:  # local and deterministic: a re-run would show the very same; one write
        await units.statement(
            lambda db: store.complete(
                db, analysis_id, verdict, metrics, fallback=fallback, message_id=message_id
            )
        )
    await events_bus.publish(
        resources.redis, job.user.id, events_bus.ANALYSIS, {"review_id": review_id}
    )
    return "delivered"


def _load(db: Session, review_id: int) -> tuple[store.Job, SessionMetrics | None] | None:
    """One read: the job if it is still owed, with its session's metrics unless an earlier
    run stored a verdict (None then)."""
    job = store.load_job(db, review_id)
    if job is None or not job.open:
        return None
    if job.verdict is not None:
        return job, None
    at_hand = [(job.session, job.user.track_titles)]
    return job, measure_sessions(db, at_hand)[job.session.id]


async def _grade(
    ctx: dict[str, Any], job: store.Job, metrics: SessionMetrics
) -> tuple[Verdict, bool]:
    """The verdict and whether it is a fallback; raises Retry to try the AI again later."""
    data = job.input(metrics)
    ai: Analyser | None = ctx.get("ai")
    if ai is None or not uses_ai(job.user, ctx["resources"].settings.ai):
        return LOCAL_ANALYSER.verdict(data), False
    if job.analysis.attempts >= AI_ATTEMPTS:  # tries spent by earlier runs
        return LOCAL_ANALYSER.verdict(data), True
    try:
        return await ai.analyse(data), False
    except AnalyserFailed as exc:
        failure = str(exc)
        attempts = await ctx["units"].statement(
            lambda db: store.record_failure(db, job.analysis.id, failure)
        )
        delay = _retry_delay(exc, attempts)
        log.warning(
            "AI analysis failed",
            extra={"review_id": job.review.id, "attempts": attempts, "reason": str(exc)},
        )
        if delay is not None:
            raise Retry(defer=delay) from None
        return LOCAL_ANALYSER.verdict(data), True


def _retry_delay(exc: AnalyserFailed, attempts: int) -> float | None:
    """Seconds until the next AI attempt, or None to fall back now."""
    if not exc.retryable or attempts >= AI_ATTEMPTS:
        return None
    if exc.retry_after is not None:
        return exc.retry_after if exc.retry_after <= MAX_RETRY_AFTER else None
    return BACKOFF_SECONDS * 2.0 ** (attempts - 1)


async def _show(ctx: dict[str, Any], job: store.Job, text: str) -> int | None:
    """Edit the "Analysing…" message into `text`; send a new one only when it is gone.

    A send, unlike an edit, is not idempotent: a worker killed between it and the
    delivered mark would send again. It happens only when the user deleted the message.
    """
    chat_id, message_id = job.analysis.chat_id, job.analysis.message_id
    assert chat_id is not None
    notifier = Notifier(ctx["bot"], ctx["resources"].sessionmaker)
    try:
        if message_id is not None:
            try:
                await notifier.edit_text(chat_id, message_id, text)
                return message_id
            except TelegramBadRequest as exc:
                if not any(reason in exc.message for reason in GONE):
                    raise
        sent = await notifier.send_text(chat_id, text)
    except PASSING as exc:
        raise retry_send(ctx, exc, DELIVERY_BACKOFF_SECONDS) from None
    return sent.message_id if sent else message_id


ANALYZE = func(
    analyze_review, name=ANALYZE_REVIEW, timeout=JOB_TIMEOUT, keep_result=0, max_tries=10
)
