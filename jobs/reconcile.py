"""The reconcile sweep: what the database says is owed but has not happened is queued again.

The database is the source of truth and every enqueue follows a commit (the outbox
pattern), so an enqueue lost to a Redis outage or a job lost with its worker is found
here. Job ids are deterministic, so a sweep that meets a queued or running job is a no-op.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from core.analysis import store
from core.db.base import utcnow
from core.db.engine import create_reader_sessionmaker
from core.infra.queue import ANALYZE_REVIEW, analyze_job_id, requeue
from core.infra.resources import Resources

log = logging.getLogger(__name__)

ANALYSIS_GRACE = timedelta(seconds=15)  # the queued job's turn before the sweep steps in


async def reconcile_analyses(ctx: dict[str, Any], *, now: datetime | None = None) -> int:
    """Re-enqueue analyses still undelivered after the grace period; returns how many."""
    resources: Resources = ctx["resources"]
    async with create_reader_sessionmaker(resources.engine)() as db:
        review_ids = await store.undelivered(db, older_than=(now or utcnow()) - ANALYSIS_GRACE)
    queued = 0
    for review_id in review_ids:
        key = analyze_job_id(review_id)
        if not await requeue(resources.redis, ANALYZE_REVIEW, review_id, job_id=key):
            break  # Redis is down: the next sweep tries again
        queued += 1
    if queued:
        log.info("re-enqueued analyses", extra={"count": queued})
    return queued
