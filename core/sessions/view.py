"""What a browser needs to know to track: the running session and the user's privacy rules."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.db.models import Category, FocusSession, HostRule, SessionStatus, User
from core.errors import NotFound
from core.sessions.lifecycle import current_session


class SessionView(BaseModel):
    """The body of GET /v1/session and of the stream's `session` events."""

    active: bool
    id: int | None
    goal: str | None
    started_at: datetime | None
    ends_at: datetime | None
    server_time: datetime
    track_titles: bool
    excluded_hosts: list[str]


def excluded_hosts_query(user_id: int) -> Select[str]:
    """The user's never-record hosts; each covers its subdomains too."""
    return (
        select(HostRule.pattern)
        .where(HostRule.user_id == user_id, HostRule.category == Category.excluded)
        .order_by(HostRule.pattern)
    )


async def excluded_hosts(db: AsyncSession, user_id: int) -> list[str]:
    return list((await db.execute(excluded_hosts_query(user_id))).scalars())


async def session_view(
    db: AsyncSession,
    user_id: int,
    *,
    session: FocusSession | None = None,
    now: datetime | None = None,
) -> SessionView:
    """The state for `user_id`; pass `session` when the caller just changed it."""
    now = now or utcnow()
    user = await db.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    if session is None:
        session = await current_session(db, user_id, now=now)
    elif not (session.status == SessionStatus.active and session.planned_end > now):
        session = None
    return SessionView(
        active=session is not None,
        id=session.id if session else None,
        goal=session.goal if session else None,
        started_at=session.started_at if session else None,
        ends_at=session.planned_end if session else None,
        server_time=now,
        track_titles=user.track_titles,
        excluded_hosts=await excluded_hosts(db, user_id),
    )
