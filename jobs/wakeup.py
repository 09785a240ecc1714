"""An arq worker woken by each enqueue instead of polling its queue every few milliseconds.

arq starts jobs only when it polls, so a short poll delay buys latency with one Redis
command per poll: at 10 ms, 100 commands a second on an idle worker, which pay-per-request
Redis bills by. Every enqueue that is due now also publishes on `core.infra.queue.WAKE_CHANNEL`
(`core.infra.queue.enqueue`); this worker polls at once when it hears one or when one of its
jobs ends, and otherwise every `IDLE_POLL` seconds, for deferred jobs, crons and any
wake-up missed while Redis was away.

It also rides out Redis outages: arq gives up on a Redis away at start-up after a few
tries, and its loop ends at the first connection error after that, so here a connect or
a poll that cannot reach Redis is logged once per outage and tried again with backoff,
and the jobs under way go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from arq.connections import create_pool
from arq.worker import Worker
from redis.exceptions import RedisError

from core.infra.queue import WAKE_CHANNEL

log = logging.getLogger(__name__)

IDLE_POLL = 1.0  # seconds; a deferred job or a cron starts at most this late
RESUBSCRIBE_DELAY = 1.0  # seconds between attempts while Redis is away
RECONNECT_DELAYS = (0.25, 0.5, 1.0, 2.0)  # between polls while Redis is away; then the last
REDIS_DOWN = (RedisError, OSError)  # OSError: a refused or reset socket, a timeout


class WakingWorker(Worker):
    def __init__(self, *args: Any, idle_poll: float = IDLE_POLL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle_poll = idle_poll
        self._woken = asyncio.Event()
        self._woken.set()  # the first poll runs at once
        self._listening: asyncio.Task[None] | None = None
        self._failed_polls = 0  # in a row: the current outage's length

    async def main(self) -> None:
        await self._connect()
        try:
            await super().main()
        finally:
            if self._listening is not None:
                self._listening.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._listening

    async def _connect(self) -> None:
        """Open arq's pool, however long Redis is away at start-up (logged once)."""
        while self._pool is None:
            try:
                self._pool = await create_pool(
                    self.redis_settings,
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
            except REDIS_DOWN as exc:
                if self.burst:  # a one-off run (a script, a test) fails at once instead
                    raise
                await self._redis_away(exc)

    async def drain(self, grace: float) -> None:
        """Give the jobs under way `grace` seconds to end, once polling has stopped; `close`
        then cancels the rest, which arq queues again."""
        running = [task for task in self.tasks.values() if not task.done()]
        if running:
            log.info("waiting for %d jobs under way", len(running))
            await asyncio.wait(running, timeout=grace)

    async def _poll_iteration(self) -> None:
        if self._listening is None:  # arq opens its pool in main(), before the first poll
            self._listening = asyncio.create_task(self._listen())
        if not self.burst:  # a burst worker polls back to back until its queue is empty
            await self._until_woken()
        self._woken.clear()  # before the poll: a wake during it makes the next one immediate
        self._reap()
        try:
            await super()._poll_iteration()
        except REDIS_DOWN as exc:
            await self._redis_away(exc)
            return
        if self._failed_polls:
            log.info("Redis is back", extra={"failed_polls": self._failed_polls})
            self._failed_polls = 0

    def _reap(self) -> None:
        """Forget finished jobs; arq would raise the error of each, one poll at a time.

        A job whose bookkeeping failed while Redis was away stays queued, and runs again
        (idempotently) once its in-progress mark expires.
        """
        for job_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[job_id]
                if not task.cancelled() and task.exception() is not None:
                    log.info("job bookkeeping failed", extra={"job_id": job_id})

    async def _redis_away(self, exc: BaseException) -> None:
        if not self._failed_polls:  # once per outage, not at every attempt
            log.warning("Redis unavailable; trying again", extra={"error": type(exc).__name__})
        delay = RECONNECT_DELAYS[min(self._failed_polls, len(RECONNECT_DELAYS) - 1)]
        self._failed_polls += 1
        await asyncio.sleep(delay)

    async def close(self) -> None:
        """arq's close, when Redis may be away: its health key is left to expire."""
        try:
            await super().close()
        except REDIS_DOWN:
            if self.on_shutdown:
                await self.on_shutdown(self.ctx)
            await self.pool.aclose()
            self._pool = None

    async def _until_woken(self) -> None:
        woken = asyncio.ensure_future(self._woken.wait())
        # A job's end frees a slot, and the last poll may have left due jobs for it.
        waits: set[asyncio.Future[Any]] = {woken, *self.tasks.values()}
        try:
            await asyncio.wait(waits, timeout=self.idle_poll, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()

    async def _listen(self) -> None:
        lost = False
        while True:
            try:
                async with self.pool.pubsub() as pubsub:
                    await pubsub.subscribe(WAKE_CHANNEL)
                    self._woken.set()  # anything enqueued while we were not listening
                    if lost:
                        log.info("wake-ups back")
                        lost = False
                    async for _ in pubsub.listen():
                        self._woken.set()
            except REDIS_DOWN as exc:
                if not lost:  # once per outage, not at every attempt
                    log.warning("wake-ups unavailable", extra={"error": type(exc).__name__})
                    lost = True
            await asyncio.sleep(RESUBSCRIBE_DELAY)
