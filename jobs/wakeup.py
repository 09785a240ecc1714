"""An arq worker woken by each enqueue instead of polling its queue every few milliseconds.

arq starts jobs only when it polls, so a short poll delay buys latency with one Redis
command per poll: at 10 ms, 100 commands a second on an idle worker, which pay-per-request
Redis bills by. Every enqueue that is due now also publishes on `core.queue.WAKE_CHANNEL`
(`core.queue.enqueue`); this worker polls at once when it hears one or when one of its
jobs ends, and otherwise every `IDLE_POLL` seconds, for deferred jobs, crons and any
wake-up missed while Redis was away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from arq.worker import Worker
from redis.exceptions import RedisError

from core.queue import WAKE_CHANNEL

log = logging.getLogger(__name__)

IDLE_POLL = 1.0  # seconds; a deferred job or a cron starts at most this late
RESUBSCRIBE_DELAY = 1.0  # seconds between attempts while Redis is away


class WakingWorker(Worker):
    def __init__(self, *args: Any, idle_poll: float = IDLE_POLL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle_poll = idle_poll
        self._woken = asyncio.Event()
        self._woken.set()  # the first poll runs at once
        self._listening: asyncio.Task[None] | None = None

    async def main(self) -> None:
        try:
            await super().main()
        finally:
            if self._listening is not None:
                self._listening.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._listening

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
        await super()._poll_iteration()

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
            except (RedisError, OSError) as exc:
                if not lost:  # once per outage, not at every attempt
                    log.warning("wake-ups unavailable", extra={"error": type(exc).__name__})
                    lost = True
            await asyncio.sleep(RESUBSCRIBE_DELAY)
