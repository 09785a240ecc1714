"""The bulk insert of activity events, the hot spot of ingest, in each database's fastest
form, with `INSERT … ON CONFLICT DO NOTHING` semantics: ids already stored are skipped and
the count of new rows is returned."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect, Table, TextClause, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from core.models import ActivityEvent

EVENTS: Table = ActivityEvent.__table__  # type: ignore[assignment]  # a Table at runtime


def insert_events(session: Session, rows: list[dict[str, Any]]) -> int:
    """Store the rows, skipping ids already stored; returns how many were new.

    The bulk insert is the hot spot of ingest, so each database gets its fastest form; the
    plain SQLAlchemy statement remains for any other driver."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        return _insert_postgres(session, rows)
    if dialect.driver == "pysqlite":
        return _insert_sqlite(session, rows)
    stmt = sqlite.insert(EVENTS).on_conflict_do_nothing(index_elements=["id"])
    return len(session.execute(stmt.returning(EVENTS.c.id), rows).all())


@cache
def _postgres_insert(dialect: Dialect) -> TextClause:
    """One statement over one array per column (`unnest`): asyncpg encodes the arrays in C,
    where a multi-row VALUES costs SQLAlchemy Python work per row and value."""
    names = [column.name for column in EVENTS.columns]
    arrays = ", ".join(f"CAST(:{n} AS {EVENTS.c[n].type.compile(dialect)}[])" for n in names)
    return text(
        f"INSERT INTO {EVENTS.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"
        " ON CONFLICT (id) DO NOTHING RETURNING id"
    )


def _insert_postgres(session: Session, rows: list[dict[str, Any]]) -> int:
    params = {column.name: [row[column.name] for row in rows] for column in EVENTS.columns}
    return len(session.execute(_postgres_insert(session.get_bind().dialect), params).all())


@cache
def _sqlite_insert_plan(
    dialect: Dialect,
) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]]:
    """The SQL, and a row's values converted by SQLAlchemy's own processors to what SQLite
    stores (so rows look exactly as if SQLAlchemy had inserted them)."""
    stmt = sqlite.insert(EVENTS).on_conflict_do_nothing(index_elements=["id"])
    compiled = stmt.compile(dialect=dialect)
    names = list(compiled.positiontup or [])
    values = itemgetter(*names)
    processors = [
        (i, p)
        for i, name in enumerate(names)
        if (p := EVENTS.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]

    def convert(row: dict[str, Any]) -> tuple[Any, ...]:
        out = list(values(row))
        for i, process in processors:
            out[i] = process(out[i])
        return tuple(out)

    return str(compiled), convert


def _insert_sqlite(session: Session, rows: list[dict[str, Any]]) -> int:
    """sqlite3's C `executemany`, counting new rows by `total_changes`: several times cheaper
    than SQLAlchemy's per-row statement building, with the same stored values."""
    sql, convert = _sqlite_insert_plan(session.get_bind().dialect)
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    before = raw.total_changes
    raw.executemany(sql, [convert(row) for row in rows])
    return int(raw.total_changes - before)
