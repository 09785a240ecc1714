"""Event ingest: a browser's batch of activity, checked, attached to sessions and stored once.

The raw body is validated in one pass (pydantic on bytes). Each event is then judged on
its own: a bad host or impossible times reject that event only. A valid event is kept
when it overlaps one of the user's sessions (any but cancelled, so a batch that arrives
late still lands), clipped to that session's window; events outside every session and
hosts the user excluded are dropped silently. The event id makes resending harmless.

The database work (core.ingest.store) is one synchronous unit, so a batching writer can
run many requests' units in one transaction and, on SQLite, in one thread hop.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from core.hosts.names import normalize_host

MAX_EVENTS = 500
MAX_BODY_BYTES = 1024 * 1024
MAX_TITLE_CHARS = 2048  # longer is refused; what is stored is cut to the column's size
STORED_TITLE_CHARS = 300
CLOCK_SKEW = timedelta(minutes=5)  # a browser clock this far ahead is still believed
MAX_EVENT_LENGTH = timedelta(hours=12)


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


# A valid event with its clean host, and its start and end in Python's own UTC zone:
# datetimes in the parser's offset zones compare ten times slower, and ingest compares
# each event's times a dozen times.
Valid = tuple[EventIn, str, datetime, datetime]


@dataclass
class Screened:
    """A batch after the checks that need no database."""

    valid: list[Valid] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    repeats: int = 0  # the same id twice in one batch


@dataclass
class IngestPlan:
    rows: list[dict[str, Any]]
    dropped: int  # outside every session, or an excluded host


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    dropped: int
    rejected: list[Rejection]


def parse_batch(raw: bytes) -> EventBatch:
    """Validate the JSON body in one pass; raises pydantic.ValidationError."""
    return BATCH.validate_json(raw)


def _judge(start: datetime, end: datetime, latest: datetime) -> str | None:
    """Why an event with these times cannot be true, or None; `latest` is the last
    believable end."""
    if end <= start:
        return "end is not after start"
    if end - start > MAX_EVENT_LENGTH:
        return "longer than 12 hours"
    if end > latest:
        return "in the future"
    return None


def screen(batch: EventBatch, now: datetime) -> Screened:
    screened = Screened()
    seen: set[uuid.UUID] = set()
    latest = now + CLOCK_SKEW
    for index, event in enumerate(batch.events):
        host = normalize_host(event.host)
        try:
            start, end = event.start.astimezone(UTC), event.end.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC form
            screened.rejected.append(Rejection(index, str(event.id), "time out of range"))
            continue
        reason = "not a bare hostname" if host is None else _judge(start, end, latest)
        if reason is not None or host is None:
            screened.rejected.append(Rejection(index, str(event.id), reason or ""))
        elif event.id in seen:
            screened.repeats += 1
        else:
            seen.add(event.id)
            screened.valid.append((event, host, start, end))
    return screened


def clean_title(title: str) -> str | None:
    """One line of text; without NUL, which PostgreSQL refuses in text."""
    return " ".join(title.replace("\x00", "").split())[:STORED_TITLE_CHARS] or None


Window = tuple[int, datetime, datetime]


def best_window(sessions: list[Window], start: datetime, end: datetime) -> Window | None:
    """The session that overlaps the event most, with the event clipped to it."""
    best: Window | None = None
    for session_id, opened, closed in sessions:
        clipped = (session_id, max(start, opened), min(end, closed))
        if clipped[1] < clipped[2] and (
            best is None or clipped[2] - clipped[1] > best[2] - best[1]
        ):
            best = clipped
    return best


def result_of(screened: Screened, plan: IngestPlan, accepted: int) -> IngestResult:
    return IngestResult(
        accepted=accepted,
        duplicates=screened.repeats + len(plan.rows) - accepted,
        dropped=plan.dropped,
        rejected=screened.rejected,
    )
