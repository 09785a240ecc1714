"""Job names and enqueueing. Processes reach the worker through Redis by job name only.

Every enqueue follows a committed row (the database is the source of truth), and job
ids are deterministic, so a retry or the reconcile sweep never makes a second job.
"""

from __future__ import annotations

import logging
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
    return True
