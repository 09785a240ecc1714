"""The bulk insert of activity events, the hot spot of ingest, in each database's fastest
form, with `INSERT … ON CONFLICT DO NOTHING` semantics: ids already stored are skipped and
the count of new rows is returned."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from operator import attrgetter, itemgetter
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Boolean, Dialect, Table, Uuid, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from core.db.models import ActivityEvent

EVENTS: Table = ActivityEvent.__table__  # type: ignore[assignment]  # a Table at runtime
Row = dict[str, Any]


def insert_events(session: Session, rows: list[Row]) -> int:
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


# PostgreSQL turns one JSON document into rows of the table's own type: the driver sends a
# single string instead of encoding a thousand parameters one by one in Python.
_POSTGRES_INSERT = text(
    f"INSERT INTO {EVENTS.name} SELECT * FROM json_populate_recordset("
    f"NULL::{EVENTS.name}, CAST(:rows AS json)) ON CONFLICT (id) DO NOTHING"
)


def _insert_postgres(session: Session, rows: list[Row]) -> int:
    result = session.execute(_POSTGRES_INSERT, {"rows": to_json(rows).decode()})
    return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult at runtime


# Column types whose SQLite form has a cheaper spelling than SQLAlchemy's generic processors
# (a test holds them to the same stored values).
_SQLITE_FAST: dict[type, Callable[[Any], Any]] = {
    Uuid: attrgetter("hex"),
    Boolean: int,
}


@cache
def _sqlite_insert_plan(dialect: Dialect) -> tuple[str, Callable[[Row], tuple[Any, ...]]]:
    """The SQL, and a row's values as SQLite stores them."""
    stmt = sqlite.insert(EVENTS).on_conflict_do_nothing(index_elements=["id"])
    compiled = stmt.compile(dialect=dialect)
    names = list(compiled.positiontup or [])
    values = itemgetter(*names)
    processors = []
    for i, name in enumerate(names):
        column_type = EVENTS.c[name].type
        process = _SQLITE_FAST.get(type(column_type)) or column_type.dialect_impl(
            dialect
        ).bind_processor(dialect)
        if process is not None:
            processors.append((i, process))

    def convert(row: Row) -> tuple[Any, ...]:
        out = list(values(row))
        for i, process in processors:
            if out[i] is not None:
                out[i] = process(out[i])
        return tuple(out)

    return str(compiled), convert


def _insert_sqlite(session: Session, rows: list[Row]) -> int:
    """sqlite3's C `executemany`, counting new rows by `total_changes`: several times cheaper
    than SQLAlchemy's per-row statement building, with the same stored values."""
    sql, convert = _sqlite_insert_plan(session.get_bind().dialect)
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    before = raw.total_changes
    raw.executemany(sql, [convert(row) for row in rows])
    return int(raw.total_changes - before)
