"""Ingest's writers: a bad unit fails alone, and a dropped connection costs nothing."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import writer as writer_module
from core.db.base import utcnow
from core.db.engine import SessionMaker, create_sqlite_thread_engine, transaction
from core.db.writer import ThreadWriter
from tests.api.conftest import Linked, add_session
from tests.api.test_ingest import event
from tests.conftest import BACKENDS


def insert_user(telegram_id: int) -> Any:
    def unit(session: Session) -> int:
        session.execute(
            text("INSERT INTO users (telegram_id, chat_id, first_name, timezone, report_weekday,"
                 " report_hour, track_titles, ai_enabled, active, created_at, updated_at)"
                 " VALUES (:t, :t, '', 'UTC', 0, 9, false, true, true, :now, :now)"),
            {"t": telegram_id, "now": utcnow()},
        )  # fmt: skip
        return telegram_id

    return unit


async def test_a_failing_unit_fails_only_its_caller(app: Any, sessionmaker: SessionMaker) -> None:
    writer = app.state.context.writer
    first = insert_user(1)
    clash = insert_user(1)  # same telegram id: violates the unique constraint
    other = insert_user(2)
    results = await asyncio.gather(
        writer.submit(first), writer.submit(clash), writer.submit(other), return_exceptions=True
    )
    # Which of the two clashing units wins is up to the database.
    assert sorted(map(type, results[:2]), key=str) == sorted([int, IntegrityError], key=str)
    assert results[2] == 2
    async with sessionmaker() as db:
        ids = (await db.execute(text("SELECT telegram_id FROM users ORDER BY 1"))).scalars()
        assert list(ids) == [1, 2]


@pytest.mark.parametrize(
    "database_url", [b for b in BACKENDS if b == "postgres"], indirect=True
)  # a SQLite file has no connection to drop
async def test_ingest_survives_dropped_database_connections(
    app: Any, client: httpx.AsyncClient, linker: Any, sessionmaker: SessionMaker
) -> None:
    ann: Linked = await linker()
    start = utcnow() - timedelta(hours=2)
    await add_session(sessionmaker, ann.user_id, started=start, minutes=480)
    before = [event("a.test", start + timedelta(minutes=1), start + timedelta(minutes=2))]
    assert (await client.post("/v1/events", json={"events": before}, headers=ann.auth)).is_success
    async with transaction(sessionmaker) as db:  # what a database restart does to the pools
        await db.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                 " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        )  # fmt: skip
    after = [event("b.test", start + timedelta(minutes=3), start + timedelta(minutes=4))]
    answer = await client.post("/v1/events", json={"events": after}, headers=ann.auth)
    assert answer.status_code == 202 and answer.json()["accepted"] == 1, answer.json()


async def test_sqlite_log_is_copied_into_the_database_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's commits never checkpoint; a background thread does, so the log stays
    short and the database file itself holds what was written."""
    monkeypatch.setattr(writer_module, "CHECKPOINT_SECONDS", 0.05)
    path = tmp_path / "qtime.db"
    writer = ThreadWriter(create_sqlite_thread_engine(f"sqlite+aiosqlite:///{path}"))
    await writer.start()
    try:
        await writer.submit(lambda db: db.execute(text("CREATE TABLE t (x BLOB)")))
        insert = text("INSERT INTO t VALUES (zeroblob(4000))")
        for _ in range(50):  # 200 KB of log, far below SQLite's own checkpoint at 4 MB
            await writer.submit(lambda db: db.execute(insert))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if rows_in_file(path) == 50:
                break
        assert rows_in_file(path) == 50
    finally:
        await writer.stop()


def rows_in_file(path: Path) -> int:
    """The rows of `t` in the database file alone (immutable=1 ignores the log)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as db:
        try:
            return int(db.execute("SELECT count(*) FROM t").fetchone()[0])
        except sqlite3.OperationalError:  # not even the table is there yet
            return 0
