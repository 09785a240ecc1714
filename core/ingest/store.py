"""The database side of ingest: one synchronous unit per request, for core.db.writer.

Inside the unit: one query for the token's device, its user's settings and excluded
hosts and the candidate sessions; then one bulk insert (core.ingest.insert) that skips
ids already stored and counts the new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BindParameter, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from core.accounts.pairing import LAST_SEEN_EVERY, digest, live_token
from core.db.models import (
    Category,
    Device,
    FocusSession,
    HostRule,
    SessionStatus,
    User,
)
from core.hosts.categories import categorize
from core.ingest.batch import (
    IngestPlan,
    IngestResult,
    Screened,
    Window,
    best_window,
    clean_title,
    result_of,
)
from core.ingest.insert import insert_events


@dataclass(frozen=True)
class Caller:
    device_id: int
    user_id: int
    track_titles: bool
    last_seen_at: datetime | None
    excluded: dict[str, Category]  # the user's never-record hosts
    sessions: list[Window]  # the user's sessions that meet the batch's time span


_EXCLUDED = (
    select(func.aggregate_strings(HostRule.pattern, " "))  # a host has no spaces
    .where(HostRule.user_id == Device.user_id, HostRule.category == Category.excluded)
    .scalar_subquery()
)
_START: BindParameter[datetime] = bindparam("start")
_END: BindParameter[datetime] = bindparam("end")
# One row per candidate session (session columns NULL when there is none).
_CALLER = (
    select(
        Device.id,
        Device.user_id,
        User.track_titles,
        Device.last_seen_at,
        _EXCLUDED,
        FocusSession.id,
        FocusSession.started_at,
        FocusSession.planned_end,
        FocusSession.ended_at,
    )
    .join(User, User.id == Device.user_id)
    .outerjoin(
        FocusSession,
        and_(
            FocusSession.user_id == Device.user_id,
            FocusSession.status != SessionStatus.cancelled,
            FocusSession.started_at < _END,
            FocusSession.planned_end > _START,
            or_(FocusSession.ended_at.is_(None), FocusSession.ended_at > _START),
        ),
    )
    .where(live_token(bindparam("token_hash")))
)


def find_caller(session: Session, token: str, start: datetime, end: datetime) -> Caller | None:
    """The live device behind `token`, what ingest needs of its user, and the user's
    sessions (but cancelled ones) whose window meets [start, end]: one query, one trip."""
    params = {"token_hash": digest(token), "start": start, "end": end}
    rows = session.connection().execute(_CALLER, params).all()  # Core: no ORM bookkeeping
    if not rows:
        return None
    device_id, user_id, track_titles, last_seen_at, patterns = rows[0][:5]
    sessions = [
        (id_, opened, min(ended, planned) if ended else planned)  # FocusSession.window_end
        for *_, id_, opened, planned, ended in rows
        if id_ is not None
    ]
    excluded = dict.fromkeys((patterns or "").split(), Category.excluded)
    return Caller(device_id, user_id, track_titles, last_seen_at, excluded, sessions)


def plan_rows(caller: Caller, screened: Screened) -> IngestPlan:
    plan = IngestPlan(rows=[], dropped=0)
    for event, host, event_start, event_end in screened.valid:
        window = best_window(caller.sessions, event_start, event_end)
        if window is None or (
            caller.excluded and categorize(host, caller.excluded, {}) is Category.excluded
        ):
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


def store_batch(
    session: Session, token: str, screened: Screened, now: datetime
) -> IngestResult | None:
    """The whole unit for one request; None when the token is unknown or revoked."""
    start = min([valid[2] for valid in screened.valid], default=now)
    end = max([valid[3] for valid in screened.valid], default=now)
    caller = find_caller(session, token, start, end)
    if caller is None:
        return None
    if caller.last_seen_at is None or now - caller.last_seen_at >= LAST_SEEN_EVERY:
        session.execute(
            update(Device).where(Device.id == caller.device_id).values(last_seen_at=now)
        )
    plan = plan_rows(caller, screened)
    return result_of(screened, plan, insert_events(session, plan.rows))
