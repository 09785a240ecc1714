"""The reconcile sweep: what the database says is owed but has not happened is queued again.

The database is the source of truth and every enqueue follows a commit (the outbox
pattern), so an enqueue lost to a Redis outage or a job lost with its worker is found
here. Job ids are deterministic, so a sweep that meets a queued or running job is a no-op.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from arq.constants import result_key_prefix
from redis.exceptions import RedisError

from core.analysis import store
from core.db.base import utcnow
from core.db.engine import create_reader_sessionmaker
from core.infra.queue import ANALYZE_REVIEW, enqueue
from core.infra.resources import Resources
from jobs.analysis import job_id

log = logging.getLogger(__name__)

ANALYSIS_GRACE = timedelta(seconds=15)  # the queued job's turn before the sweep steps in


async def reconcile_analyses(ctx: dict[str, Any], *, now: datetime | None = None) -> int:
    """Re-enqueue analyses still undelivered after the grace period; returns how many."""
    resources: Resources = ctx["resources"]
    async with create_reader_sessionmaker(resources.engine)() as db:
        review_ids = await store.undelivered(db, older_than=(now or utcnow()) - ANALYSIS_GRACE)
    queued = 0
    for review_id in review_ids:
        key = job_id(review_id)
        # A job arq gave up on (max tries, expiry) keeps its result for an hour, and
        # while it does, arq ignores a new job with the same id.
        try:
            await resources.redis.delete(result_key_prefix + key)
        except (RedisError, OSError):
            break  # Redis is down: the next sweep tries again
        if not await enqueue(resources.redis, ANALYZE_REVIEW, review_id, job_id=key):
            break
        queued += 1
    if queued:
        log.info("re-enqueued analyses", extra={"count": queued})
    return queued
