"""Database engine and sessions.

SQLite is tuned for one writer and many readers: WAL, a busy timeout, foreign keys,
and `BEGIN IMMEDIATE` so a transaction that reads then writes takes the write lock
up front instead of failing with "database is locked" half-way.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionMaker = async_sessionmaker[AsyncSession]
READ_ONLY = "qtime_read_only"
# At DEBUG these print SQL parameters and result rows (goals, names, hosts): they stay
# quiet unless QTIME_DATABASE__ECHO asks for the SQL.
DRIVER_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg")


def _quiet_drivers() -> None:
    for name in DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        reader = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")


def create_engine(url: str, *, echo: bool = False, pre_ping: bool = True) -> AsyncEngine:
    """`pre_ping=False` saves a round trip (three on asyncpg) per checkout, for a pool whose
    users retry a failed unit anyway: a dead connection then fails once and is replaced."""
    if not echo:
        _quiet_drivers()
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, echo=echo, hide_parameters=not echo, connect_args={"timeout": 10}
        )
        _tune_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=not echo,  # SQL errors and DEBUG logs would carry goals and names
        pool_pre_ping=pre_ping,
        pool_size=10,
        max_overflow=10,
    )


def create_sqlite_thread_engine(url: str) -> Engine:
    """A synchronous engine on the same SQLite file, tuned alike, for code that runs a whole
    unit of work in one worker thread: one thread hop per unit instead of one per statement
    (aiosqlite's way). Use it from that one thread only."""
    path = url.split(":///", 1)[1]
    _quiet_drivers()
    engine = sqlalchemy.create_engine(
        f"sqlite+pysqlite:///{path}", hide_parameters=True, connect_args={"timeout": 10}
    )
    _tune_sqlite(engine)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    # expire_on_commit=False: objects stay readable after commit without a lazy
    # load, which async SQLAlchemy cannot do (MissingGreenlet).
    return async_sessionmaker(engine, expire_on_commit=False)


def create_reader_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    """Sessions that only read: on SQLite they do not take the write lock, so they never
    queue behind a writer (WAL readers see the last commit). Never write through them."""
    return create_sessionmaker(engine.execution_options(**{READ_ONLY: True}))


@asynccontextmanager
async def transaction(sessionmaker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """One short unit of work: commit on success, roll back on error."""
    async with sessionmaker() as session, session.begin():
        yield session
