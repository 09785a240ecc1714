"""Group commit: many small writes from concurrent requests share one short transaction.

SQLite allows one writer at a time, and writers that queue on its lock wait in
`busy_timeout` sleeps, which is what makes tail latency explode. Here a few writer
tasks (one for SQLite) take whatever units are waiting, run them in one transaction
and commit once. When a batch fails, its units are retried one by one, so one bad
unit fails only its own caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import SessionMaker, transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
Unit = Callable[[AsyncSession], Awaitable[Any]]
_Job = tuple[Unit, "asyncio.Future[Any]"]


class BatchWriter:
    def __init__(
        self, sessionmaker: SessionMaker, *, writers: int = 1, max_units: int = 64
    ) -> None:
        self.sessionmaker = sessionmaker
        self.writers = writers
        self.max_units = max_units
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run()) for _ in range(self.writers)]

    async def stop(self) -> None:
        """Finish what is queued, then stop the writer tasks."""
        await self._queue.join()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def submit(self, unit: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `unit` in a shared transaction; returns once that transaction is committed."""
        if not self._tasks:
            async with transaction(self.sessionmaker) as db:
                return await unit(db)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put((unit, future))
        return await future

    async def _run(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            while len(jobs) < self.max_units and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            try:
                await self._commit(jobs)
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _commit(self, jobs: list[_Job]) -> None:
        jobs = [(unit, future) for unit, future in jobs if not future.done()]
        if not jobs:
            return
        try:
            async with transaction(self.sessionmaker) as db:
                results = [await unit(db) for unit, _ in jobs]
        except Exception as exc:
            if len(jobs) == 1:
                if not jobs[0][1].done():
                    jobs[0][1].set_exception(exc)
                return
            log.warning(
                "batched write failed; retrying its units alone", extra={"units": len(jobs)}
            )
            for job in jobs:
                await self._commit([job])
            return
        for (_, future), result in zip(jobs, results, strict=True):
            if not future.done():
                future.set_result(result)
