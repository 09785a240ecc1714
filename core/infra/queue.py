"""Job names and enqueueing. Processes reach the worker through Redis by job name only.

Every enqueue follows a committed row (the database is the source of truth), and job
ids are deterministic, so a retry or the reconcile sweep never makes a second job.
A job due now is announced on `WAKE_CHANNEL`, which wakes the workers at once
(`jobs.wakeup`) instead of at their next poll.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from arq.connections import ArqRedis
from arq.constants import result_key_prefix
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SESSION_DUE = "session_due"
SESSION_STARTED = "notify_session_started"
REVIEW_REMINDER = "review_reminder"
ANALYZE_REVIEW = "analyze_review"
SEND_WEEKLY_REPORT = "send_weekly_report"
EXPORT_DATA = "export_data"
WAKE_CHANNEL = "qtime:queue:wake"


async def enqueue(
    pool: ArqRedis,
    function: str,
    *args: Any,
    job_id: str,
    defer_until: datetime | None = None,
) -> bool:
    """Queue a job; False when Redis is unreachable (the reconcile sweep will retry it).

    arq answers None for a job id it already holds: that is success, not failure.
    """
    try:
        await pool.enqueue_job(function, *args, _job_id=job_id, _defer_until=defer_until)
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue", extra={"job": function, "error": type(exc).__name__})
        return False
    if defer_until is None or defer_until.timestamp() <= time.time():
        await _wake_workers(pool, function)
    return True


async def _wake_workers(pool: ArqRedis, function: str) -> None:
    """Best effort: a worker that misses the wake-up finds the job at its next idle poll."""
    try:
        await pool.publish(WAKE_CHANNEL, function)
    except (RedisError, OSError):
        log.debug("could not wake the workers", extra={"job": function})


# One id per piece of work, so a retry or the sweep never makes a second job; `erasure`
# lists them all to delete a forgotten user's jobs.
def due_job_id(session_id: int) -> str:
    return f"due:{session_id}"


def started_job_id(session_id: int) -> str:
    return f"started:{session_id}"


def ended_job_id(session_id: int) -> str:
    return f"ended:{session_id}"


def reminder_job_id(session_id: int) -> str:
    return f"remind:{session_id}"


def analyze_job_id(review_id: int) -> str:
    return f"analyze:{review_id}"


def report_job_id(user_id: int, iso_week: str) -> str:
    return f"report:{user_id}:{iso_week}"


def export_job_id(user_id: int) -> str:
    return f"export:{user_id}"


async def queue_session_due(pool: ArqRedis, session_id: int, at: datetime) -> bool:
    """Offer the review when the declared time is over."""
    return await enqueue(
        pool, SESSION_DUE, session_id, job_id=due_job_id(session_id), defer_until=at
    )


async def queue_session_ended(pool: ArqRedis, session_id: int) -> bool:
    """Offer the review now: the session ended early (its due job keeps its own id)."""
    return await enqueue(pool, SESSION_DUE, session_id, job_id=ended_job_id(session_id))


async def queue_session_started(pool: ArqRedis, session_id: int) -> bool:
    """Tell the chat that a session started outside it (in the browser)."""
    return await enqueue(pool, SESSION_STARTED, session_id, job_id=started_job_id(session_id))


async def queue_review_reminder(pool: ArqRedis, session_id: int, at: datetime) -> bool:
    job_id = reminder_job_id(session_id)
    return await enqueue(pool, REVIEW_REMINDER, session_id, job_id=job_id, defer_until=at)


async def queue_analysis(pool: ArqRedis, review_id: int) -> bool:
    return await enqueue(pool, ANALYZE_REVIEW, review_id, job_id=analyze_job_id(review_id))


async def queue_weekly_report(
    pool: ArqRedis, user_id: int, iso_week: str, at: datetime | None = None
) -> bool:
    job_id = report_job_id(user_id, iso_week)
    return await enqueue(pool, SEND_WEEKLY_REPORT, user_id, iso_week, job_id=job_id, defer_until=at)


async def queue_export(pool: ArqRedis, user_id: int) -> bool:
    return await enqueue(pool, EXPORT_DATA, user_id, job_id=export_job_id(user_id))


async def requeue(pool: ArqRedis, function: str, *args: Any, job_id: str) -> bool:
    """Queue again work the sweep found owed; False when Redis is down.

    A job arq gave up on (max tries, expiry) keeps its result for an hour, and while it
    does arq ignores a new job with the same id: the result goes first.
    """
    try:
        await pool.delete(result_key_prefix + job_id)
    except (RedisError, OSError):
        return False
    return await enqueue(pool, function, *args, job_id=job_id)


SESSION_JOB_IDS = (due_job_id, started_job_id, ended_job_id, reminder_job_id)
