"""Event ingest: a browser's batch of activity, checked, attached to sessions and stored once.

The raw body is validated in one pass (pydantic on bytes). Each event is then judged on
its own: a bad host or impossible times reject that event only. A valid event is kept
when it overlaps one of the user's sessions (any but cancelled, so a batch that arrives
late still lands), clipped to that session's window; events outside every session and
hosts the user excluded are dropped silently. The event id makes resending harmless.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy import Table, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.categories import categorize
from core.hostnames import normalize_host
from core.models import ActivityEvent, Category, FocusSession, SessionStatus, User
from core.session_view import excluded_hosts

MAX_EVENTS = 500
MAX_BODY_BYTES = 1024 * 1024
MAX_TITLE_CHARS = 2048  # longer is refused; what is stored is cut to the column's size
STORED_TITLE_CHARS = 300
CLOCK_SKEW = timedelta(minutes=5)  # a browser clock this far ahead is still believed
MAX_EVENT_LENGTH = timedelta(hours=12)

EVENTS: Table = ActivityEvent.__table__  # type: ignore[assignment]  # a Table at runtime


class EventIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    host: str = Field(max_length=300)
    title: str | None = Field(None, max_length=MAX_TITLE_CHARS)
    start: AwareDatetime
    end: AwareDatetime
    audible: bool = False
    idle: bool = False


class EventBatch(BaseModel):
    events: list[EventIn] = Field(max_length=MAX_EVENTS)


BATCH = TypeAdapter(EventBatch)


@dataclass(frozen=True)
class Rejection:
    index: int
    id: str
    reason: str


@dataclass
class IngestPlan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    repeats: int = 0  # the same id twice in one batch
    dropped: int = 0  # outside every session, or an excluded host


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    dropped: int
    rejected: list[Rejection]


def parse_batch(raw: bytes) -> EventBatch:
    """Validate the JSON body in one pass; raises pydantic.ValidationError."""
    return BATCH.validate_json(raw)


def _judge(event: EventIn, now: datetime) -> str | None:
    """Why this event cannot be true, or None."""
    if event.end <= event.start:
        return "end is not after start"
    if event.end - event.start > MAX_EVENT_LENGTH:
        return "longer than 12 hours"
    if event.end > now + CLOCK_SKEW:
        return "in the future"
    return None


async def plan_batch(
    db: AsyncSession, user_id: int, device_id: int | None, batch: EventBatch, now: datetime
) -> IngestPlan:
    """Decide what to store for `user_id`; reads only, so many requests can plan at once."""
    plan = IngestPlan()
    valid: list[tuple[EventIn, str]] = []
    seen: set[uuid.UUID] = set()
    for index, event in enumerate(batch.events):
        host = normalize_host(event.host)
        reason = "not a bare hostname" if host is None else _judge(event, now)
        if reason is not None or host is None:
            plan.rejected.append(Rejection(index, str(event.id), reason or ""))
        elif event.id in seen:
            plan.repeats += 1
        else:
            seen.add(event.id)
            valid.append((event, host))
    if not valid:
        return plan
    user = await db.get(User, user_id)
    if user is None:
        return plan
    rules = dict.fromkeys(await excluded_hosts(db, user_id), Category.excluded)
    sessions = await _candidate_sessions(
        db, user_id, min(e.start for e, _ in valid), max(e.end for e, _ in valid)
    )
    for event, host in valid:
        window = _best_window(sessions, event.start, event.end)
        if window is None or (rules and categorize(host, rules, {}) is Category.excluded):
            plan.dropped += 1
            continue
        session_id, start, end = window
        title = _clean_title(event.title) if user.track_titles and event.title else None
        plan.rows.append(
            {
                "id": event.id,
                "user_id": user_id,
                "device_id": device_id,
                "session_id": session_id,
                "host": host,
                "title": title,
                "started_at": start,
                "ended_at": end,
                "audible": event.audible,
                "idle": event.idle,
            }
        )
    return plan


def _clean_title(title: str) -> str | None:
    """One line of text; without NUL, which PostgreSQL refuses in text."""
    return " ".join(title.replace("\x00", "").split())[:STORED_TITLE_CHARS] or None


Window = tuple[int, datetime, datetime]


async def _candidate_sessions(
    db: AsyncSession, user_id: int, start: datetime, end: datetime
) -> list[Window]:
    result = await db.execute(
        select(FocusSession).where(
            FocusSession.user_id == user_id,
            FocusSession.status != SessionStatus.cancelled,
            FocusSession.started_at < end,
            FocusSession.planned_end > start,
            or_(FocusSession.ended_at.is_(None), FocusSession.ended_at > start),
        )
    )
    return [(s.id, s.started_at, s.window_end) for s in result.scalars()]


def _best_window(sessions: list[Window], start: datetime, end: datetime) -> Window | None:
    """The session that overlaps the event most, with the event clipped to it."""
    best: Window | None = None
    for session_id, opened, closed in sessions:
        clipped = (session_id, max(start, opened), min(end, closed))
        if clipped[1] < clipped[2] and (
            best is None or clipped[2] - clipped[1] > best[2] - best[1]
        ):
            best = clipped
    return best


async def insert_events(db: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Store the rows, skipping ids already stored; returns how many were new."""
    if not rows:
        return 0
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(EVENTS).on_conflict_do_nothing(index_elements=["id"])
    result = await db.execute(stmt.returning(EVENTS.c.id), rows)
    return len(result.all())


def result_of(plan: IngestPlan, accepted: int) -> IngestResult:
    return IngestResult(
        accepted=accepted,
        duplicates=plan.repeats + len(plan.rows) - accepted,
        dropped=plan.dropped,
        rejected=plan.rejected,
    )


async def ingest(
    db: AsyncSession, user_id: int, device_id: int | None, raw: bytes, now: datetime
) -> IngestResult:
    """Plan and store in one session: for callers without a shared writer."""
    plan = await plan_batch(db, user_id, device_id, parse_batch(raw), now)
    return result_of(plan, await insert_events(db, plan.rows))
