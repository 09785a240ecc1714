"""The database side of ingest: one synchronous unit per request, for core.writer.

Inside the unit: the token's device and user (one query), the user's excluded hosts,
the candidate sessions (one query), and one bulk `INSERT … ON CONFLICT DO NOTHING`
whose RETURNING tells new events from ones already stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.categories import categorize
from core.ingest import (
    IngestPlan,
    IngestResult,
    Screened,
    Window,
    best_window,
    clean_title,
    parse_batch,
    result_of,
    screen,
)
from core.models import (
    ActivityEvent,
    Category,
    Device,
    FocusSession,
    HostRule,
    SessionStatus,
    User,
)
from core.pairing import LAST_SEEN_EVERY, digest, live_token

EVENTS: Table = ActivityEvent.__table__  # type: ignore[assignment]  # a Table at runtime


@dataclass(frozen=True)
class Caller:
    device_id: int
    user_id: int
    track_titles: bool
    last_seen_at: datetime | None
    excluded: dict[str, Category]  # the user's never-record hosts


_EXCLUDED = (
    select(func.aggregate_strings(HostRule.pattern, " "))  # a host has no spaces
    .where(HostRule.user_id == Device.user_id, HostRule.category == Category.excluded)
    .scalar_subquery()
)
_CALLER = (
    select(Device.id, Device.user_id, User.track_titles, Device.last_seen_at, _EXCLUDED)
    .join(User, User.id == Device.user_id)
    .where(live_token(bindparam("token_hash")))
)
_SESSIONS = select(
    FocusSession.id, FocusSession.started_at, FocusSession.planned_end, FocusSession.ended_at
).where(
    FocusSession.user_id == bindparam("user_id"),
    FocusSession.status != SessionStatus.cancelled,
    FocusSession.started_at < bindparam("end"),
    FocusSession.planned_end > bindparam("start"),
    or_(FocusSession.ended_at.is_(None), FocusSession.ended_at > bindparam("start")),
)


def find_caller(session: Session, token: str) -> Caller | None:
    """The live device behind `token` and what ingest needs of its user, in one query."""
    row = session.execute(_CALLER, {"token_hash": digest(token)}).one_or_none()
    if row is None:
        return None
    device_id, user_id, track_titles, last_seen_at, patterns = row
    excluded_hosts = dict.fromkeys((patterns or "").split(), Category.excluded)
    return Caller(device_id, user_id, track_titles, last_seen_at, excluded_hosts)


def candidate_sessions(
    session: Session, user_id: int, start: datetime, end: datetime
) -> list[Window]:
    """The user's sessions, but cancelled ones, whose window meets [start, end]."""
    found = session.execute(_SESSIONS, {"user_id": user_id, "start": start, "end": end})
    return [
        (id_, started, min(ended, planned) if ended else planned)  # FocusSession.window_end
        for id_, started, planned, ended in found
    ]


def plan_rows(session: Session, caller: Caller, screened: Screened) -> IngestPlan:
    plan = IngestPlan(rows=[], dropped=0)
    if not screened.valid:
        return plan
    rules = caller.excluded
    sessions = candidate_sessions(
        session,
        caller.user_id,
        min(event.start for event, _ in screened.valid),
        max(event.end for event, _ in screened.valid),
    )
    for event, host in screened.valid:
        window = best_window(sessions, event.start, event.end)
        if window is None or (rules and categorize(host, rules, {}) is Category.excluded):
            plan.dropped += 1
            continue
        session_id, start, end = window
        plan.rows.append(
            {
                "id": event.id,
                "user_id": caller.user_id,
                "device_id": caller.device_id,
                "session_id": session_id,
                "host": host,
                "title": clean_title(event.title) if caller.track_titles and event.title else None,
                "started_at": start,
                "ended_at": end,
                "audible": event.audible,
                "idle": event.idle,
            }
        )
    return plan


def insert_events(session: Session, rows: list[dict[str, Any]]) -> int:
    """Store the rows, skipping ids already stored; returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    if dialect.driver == "pysqlite":
        return _insert_sqlite(session, rows)
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    stmt = insert(EVENTS).on_conflict_do_nothing(index_elements=["id"]).returning(EVENTS.c.id)
    return len(session.execute(stmt, rows).all())


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


def store_batch(
    session: Session, token: str, screened: Screened, now: datetime
) -> IngestResult | None:
    """The whole unit for one request; None when the token is unknown or revoked."""
    caller = find_caller(session, token)
    if caller is None:
        return None
    if caller.last_seen_at is None or now - caller.last_seen_at >= LAST_SEEN_EVERY:
        session.execute(
            update(Device).where(Device.id == caller.device_id).values(last_seen_at=now)
        )
    plan = plan_rows(session, caller, screened)
    return result_of(screened, plan, insert_events(session, plan.rows))


async def ingest(db: AsyncSession, token: str, raw: bytes, now: datetime) -> IngestResult | None:
    """Parse, check and store one request's body in `db`: for callers without a writer."""
    screened = screen(parse_batch(raw), now)
    return await db.run_sync(store_batch, token, screened, now)
