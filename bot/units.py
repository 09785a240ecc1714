"""Units of work for the bot's busiest database steps (opening and submitting a review).

A unit is a synchronous function of a `Session`, run in one transaction. On SQLite it runs
in `core.writer`'s one writer thread: one thread hop per unit instead of aiosqlite's hops
per statement, and no two writers of this process ever wait on each other's lock. On
PostgreSQL it runs through the async session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from core.db import SessionMaker, create_sqlite_thread_engine, transaction
from core.writer import ThreadWriter

T = TypeVar("T")


class Units:
    def __init__(self, sessionmaker: SessionMaker) -> None:
        self.sessionmaker = sessionmaker
        url = sessionmaker.kw["bind"].url
        sqlite = url.get_backend_name() == "sqlite"
        self._writer = ThreadWriter(create_sqlite_thread_engine(str(url))) if sqlite else None

    async def run(self, unit: Callable[[Session], T]) -> T:
        if self._writer is not None:
            return await self._writer.submit(unit)
        async with transaction(self.sessionmaker) as db:
            return await db.run_sync(unit)

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.stop()
