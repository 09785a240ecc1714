"""Writers of ingest's units of work; on SQLite, with group commit.

SQLite allows one writer at a time, and writers queued on its lock wait in
`busy_timeout` sleeps, which is what makes tail latency explode. Here writer tasks take
whatever units are waiting, run them in one transaction and commit once. A failing batch
is retried unit by unit, so one bad unit fails only its own caller. One worker thread owns
a plain sqlite3 connection and runs a whole batch per thread hop (aiosqlite would hop per
statement, and the hops cost more than the SQL).

PostgreSQL has no single-writer lock, so there each unit runs at once, on asyncpg.
Units are synchronous functions of a `Session`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0
BUSY_ATTEMPTS = 3  # each waits out the busy timeout first

T = TypeVar("T")
Unit = Callable[[Session], Any]
_Job = tuple[Unit, "asyncio.Future[Any]"]


class BatchWriter:
    """The queue and the batching; subclasses say how a batch becomes one transaction."""

    def __init__(self, *, max_units: int = 64) -> None:
        self.max_units = max_units
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run())]

    async def stop(self) -> None:
        """Finish what is queued, then stop the writer tasks."""
        await self._queue.join()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def submit(self, unit: Callable[[Session], T]) -> T:
        """Run `unit` in a shared transaction; returns once that transaction is committed."""
        if not self._tasks:
            result: T = (await self._transact([unit]))[0]
            return result
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put((unit, future))
        return await future

    async def _transact(self, units: list[Unit]) -> list[Any]:
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            while len(jobs) < self.max_units and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            try:
                await self._commit([job for job in jobs if not job[1].done()])
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _commit(self, jobs: list[_Job], *, retry: bool = True) -> None:
        if not jobs:
            return
        try:
            results = await self._transact([unit for unit, _ in jobs])
        except Exception as exc:
            if not retry:
                _settle(jobs[0][1], exc=exc)
                return
            # Each unit once more on its own: a bad unit fails alone, and a connection
            # that died under the batch is replaced (units are idempotent).
            log.warning(
                "batched write failed; retrying its units alone", extra={"units": len(jobs)}
            )
            for job in jobs:
                await self._commit([job], retry=False)
            return
        for (_, future), result in zip(jobs, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[Any], *, result: Any = None, exc: Exception | None = None
) -> None:
    if future.done():  # the caller went away (client disconnect); the work is done anyway
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


class ThreadWriter(BatchWriter):
    """SQLite: one thread, one connection, one hop per batch.

    Copying the write-ahead log back into the database file (a checkpoint) costs about as
    much as a commit, and SQLite does it inside whichever commit fills the log. Once
    started, this writer leaves it to a background thread, off the requests' path.
    """

    def __init__(self, engine: Engine, *, max_units: int = 64) -> None:
        super().__init__(max_units=max_units)
        self.engine = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qtime-writer")
        self._checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qtime-wal")

    async def start(self) -> None:
        """Batch from now on, and checkpoint in the background (before the first unit runs:
        connections opened earlier still checkpoint inside their commits, as SQLite does)."""
        event.listen(self.engine, "connect", _no_autocheckpoint)
        await super().start()
        self._tasks.append(asyncio.create_task(self._checkpoints()))

    async def _transact(self, units: list[Unit]) -> list[Any]:
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, self._in_thread, units
        )

    def _in_thread(self, units: list[Unit]) -> list[Any]:
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                with Session(self.engine, expire_on_commit=False) as session, session.begin():
                    return [unit(session) for unit in units]
            except OperationalError as exc:
                # Another process held the write lock past the busy timeout: the units were
                # rolled back, so they run again rather than fail their callers (a Submit).
                if attempt == BUSY_ATTEMPTS or not _busy(exc):
                    raise
                log.warning("SQLite write lock still taken; trying again", extra={"try": attempt})
        raise AssertionError("unreachable")

    async def _checkpoints(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            try:
                await loop.run_in_executor(self._checkpointer, self._checkpoint)
            except DBAPIError as exc:
                log.warning("WAL checkpoint failed", extra={"error": type(exc.orig).__name__})

    def _checkpoint(self) -> None:
        # PASSIVE: copies what it can without waiting for, or blocking, readers and writers.
        with contextlib.closing(self.engine.raw_connection()) as raw:
            raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def stop(self) -> None:
        await super().stop()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._checkpointer.shutdown)  # a running one ends
        await loop.run_in_executor(self._thread, self.engine.dispose)
        self._thread.shutdown()


def in_session(connection: Connection, unit: Callable[[Session], T]) -> T:
    """Run `unit` in an ORM session on this connection, as the connection's transaction is."""
    with Session(connection) as session:
        return unit(session)


def _busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


class AutocommitWriter:
    """PostgreSQL: each unit at once, on a pooled connection in autocommit mode.

    Ingest's unit needs no transaction (its insert is one atomic statement, and resending
    is harmless), so autocommit saves the BEGIN and COMMIT round trips, and PostgreSQL
    already groups the commits of concurrent writers. The pool skips the pre-ping: a unit
    that meets a dead connection runs once more on a fresh one."""

    def __init__(self, engine: AsyncEngine, *, connections: int = 8) -> None:
        self.engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        # Requests beyond this wait here: every API instance holds few connections.
        self._slots = asyncio.Semaphore(connections)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.engine.dispose()

    async def submit(self, unit: Callable[[Session], T]) -> T:
        try:
            return await self._run(unit)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection lost; running the unit again")
            return await self._run(unit)

    async def _run(self, unit: Callable[[Session], T]) -> T:
        async with self._slots, self._autocommit.connect() as conn:
            return await conn.run_sync(lambda sync: in_session(sync, unit))


Writer = BatchWriter | AutocommitWriter
