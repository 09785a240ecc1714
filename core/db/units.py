"""Units of work for the busiest database steps: the bot's review form, the analysis job.

A unit is a synchronous function of a `Session`, run in one transaction. On SQLite it runs
in `core.db.writer`'s one writer thread: one thread hop per unit instead of aiosqlite's hops
per statement, and no two writers of this process ever wait on each other's lock. On
PostgreSQL it runs through the async session.

A unit that only reads (`read`) runs on SQLite right on the calling thread, with no hop at
all: a WAL reader takes no lock and never waits, and for a unit of a millisecond the hop
costs as much as the work. On PostgreSQL it runs, like a unit of one statement
(`statement`), without BEGIN and COMMIT, two round trips of the few it makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from core.db.engine import READ_ONLY, SessionMaker, create_sqlite_thread_engine, transaction
from core.db.writer import ThreadWriter, in_session

T = TypeVar("T")


class Units:
    def __init__(self, sessionmaker: SessionMaker) -> None:
        self.sessionmaker = sessionmaker
        engine: AsyncEngine = sessionmaker.kw["bind"]
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        url = engine.url
        sqlite = url.get_backend_name() == "sqlite"
        self._writer = self._reader = None
        if sqlite:  # each engine used from one thread: the writer's, and the caller's
            self._writer = ThreadWriter(create_sqlite_thread_engine(str(url)))
            reader = create_sqlite_thread_engine(str(url))
            self._reader = reader.execution_options(**{READ_ONLY: True})

    async def run(self, unit: Callable[[Session], T]) -> T:
        if self._writer is not None:
            return await self._writer.submit(unit)
        async with transaction(self.sessionmaker) as db:
            return await db.run_sync(unit)

    async def statement(self, unit: Callable[[Session], T]) -> T:
        """Run a unit of a single statement, which is atomic without a transaction."""
        if self._writer is not None:
            return await self._writer.submit(unit)
        return await self._autocommitted(unit)

    async def read(self, unit: Callable[[Session], T]) -> T:
        """Run a unit that never writes (its transaction takes no write lock)."""
        if self._reader is not None:
            with Session(self._reader, expire_on_commit=False) as here, here.begin():
                return unit(here)
        return await self._autocommitted(unit)

    async def _autocommitted(self, unit: Callable[[Session], T]) -> T:
        async with self._autocommit.connect() as conn:
            return await conn.run_sync(lambda sync: in_session(sync, unit))

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.stop()
        if self._reader is not None:
            self._reader.dispose()
