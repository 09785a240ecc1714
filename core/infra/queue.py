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
