"""Focus sessions: declared windows of deep work, one active per user."""

from __future__ import annotations

from datetime import datetime, timedelta

from arq.connections import ArqRedis
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.db.models import FocusSession, SessionSource, SessionStatus
from core.errors import InvalidInput, NoActiveSession, SessionAlreadyActive
from core.infra import events_bus
from core.infra.queue import queue_session_due, queue_session_started

MIN_MINUTES = 1
MAX_MINUTES = 480
GOAL_MAX_CHARS = 200


def validate_plan(minutes: int, goal: str) -> str:
    """Check a declared session; return the goal tidied."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"a session lasts {MIN_MINUTES} to {MAX_MINUTES} minutes")
    goal = " ".join(goal.split())
    if not goal:
        raise InvalidInput("say what you will work on")
    if len(goal) > GOAL_MAX_CHARS:
        raise InvalidInput(f"keep the goal under {GOAL_MAX_CHARS} characters")
    return goal


def cap_goal(goal: str) -> tuple[str, bool]:
    """The goal tidied and cut to GOAL_MAX_CHARS; True when it had to be cut."""
    goal = " ".join(goal.split())
    if len(goal) <= GOAL_MAX_CHARS:
        return goal, False
    return goal[: GOAL_MAX_CHARS - 1].rstrip() + "…", True


async def start_session(
    db: AsyncSession,
    user_id: int,
    *,
    minutes: int,
    goal: str,
    source: SessionSource = SessionSource.bot,
    now: datetime | None = None,
) -> FocusSession:
    goal = validate_plan(minutes, goal)
    now = now or utcnow()
    if await current_session(db, user_id, now=now) is not None:
        raise SessionAlreadyActive()
    await _close_overdue(db, user_id, now)
    session = FocusSession(
        user_id=user_id,
        goal=goal,
        started_at=now,
        planned_end=now + timedelta(minutes=minutes),
        source=source,
    )
    db.add(session)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise SessionAlreadyActive() from None  # a concurrent start won the race
    return session


async def start_and_announce(
    db: AsyncSession,
    redis: ArqRedis,
    user_id: int,
    *,
    minutes: int,
    goal: str,
    source: SessionSource,
) -> FocusSession:
    """Start a session from any front end: commit it, queue its time's-up job (and, when it
    started in the browser, the chat's note), and tell the user's open streams.

    The commit comes first: with Redis down the session still starts, and the worker's
    reconcile sweep queues what is missing.
    """
    session = await start_session(db, user_id, minutes=minutes, goal=goal, source=source)
    await db.commit()
    await queue_session_due(redis, session.id, session.planned_end)
    if source is SessionSource.extension:
        await queue_session_started(redis, session.id)
    await events_bus.publish(redis, user_id, events_bus.SESSION)
    return session


async def current_session(
    db: AsyncSession, user_id: int, *, now: datetime | None = None
) -> FocusSession | None:
    """The session whose declared window is open now, if any."""
    now = now or utcnow()
    result = await db.execute(
        select(FocusSession).where(
            FocusSession.user_id == user_id,
            FocusSession.status == SessionStatus.active,
            FocusSession.planned_end > now,
        )
    )
    return result.scalar_one_or_none()


async def end_session(
    db: AsyncSession, user_id: int, *, now: datetime | None = None
) -> FocusSession:
    """End the running session early; it stays open for review."""
    return await _close_running(db, user_id, SessionStatus.ended, now or utcnow())


async def cancel_session(
    db: AsyncSession, user_id: int, *, now: datetime | None = None
) -> FocusSession:
    """Drop the running session: no review, no report."""
    return await _close_running(db, user_id, SessionStatus.cancelled, now or utcnow())


async def _close_running(
    db: AsyncSession, user_id: int, status: SessionStatus, now: datetime
) -> FocusSession:
    session = await current_session(db, user_id, now=now)
    if session is None:
        raise NoActiveSession()
    session.status = status
    session.ended_at = now
    await db.flush()
    return session


async def mark_due(db: AsyncSession, session_id: int) -> FocusSession | None:
    """Close a session whose declared time is over; None if it was ended or dropped meanwhile."""
    session = await db.get(FocusSession, session_id)
    if session is None or session.status != SessionStatus.active:
        return None
    end_as_planned(session)
    await db.flush()
    return session


async def _close_overdue(db: AsyncSession, user_id: int, now: datetime) -> None:
    """A session past its end whose due job has not run yet still holds the active slot."""
    result = await db.execute(
        select(FocusSession).where(FocusSession.user_id == user_id, time_over(now))
    )
    for session in result.scalars():
        end_as_planned(session)
    await db.flush()


def time_over(now: datetime) -> ColumnElement[bool]:
    """Sessions still active whose declared time is over: their due job has not run yet."""
    return (FocusSession.status == SessionStatus.active) & (FocusSession.planned_end <= now)


def end_as_planned(session: FocusSession) -> None:
    """Time over: the session ended when its declared time did, however late we notice."""
    session.status = SessionStatus.ended
    session.ended_at = session.planned_end
