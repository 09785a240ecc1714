"""Messages a session owes its user: "time's up" once, then at most one review reminder.

Each is claimed in the database before it is sent, so it goes out at most once; a
send that fails for a passing reason releases the claim, and a retry or the reconcile
sweep sends it later. Sessions older than a day are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.db.models import FocusSession, SessionStatus, User
from core.sessions.lifecycle import end_session, mark_due

DUE_EARLY = timedelta(seconds=5)  # a worker's clock may run a little ahead of ours
REMINDER_AFTER = timedelta(hours=1)
SWEEP_DELAY = timedelta(seconds=10)  # the deferred job's turn (it starts <= 1 s late)
STALE_AFTER = timedelta(days=1)
LATE_AFTER = timedelta(minutes=2)  # a "time's up" sent later says when the session ended
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Notice:
    """What a message about one session needs, read before the transaction ends."""

    session_id: int
    user_id: int
    chat_id: int
    timezone: str
    goal: str
    planned_end: datetime
    ended_early: bool  # ended before its declared time, e.g. from the browser

    def late(self, now: datetime) -> bool:
        """Whether a "time's up" sent at `now` must say when the session really ended."""
        return not self.ended_early and now - self.planned_end > LATE_AFTER


def due_owed(session: FocusSession, now: datetime) -> bool:
    """Whether the session's "time's up" is owed at `now`."""
    if session.due_notified_at is not None:
        return False
    if session.status == SessionStatus.active:
        return session.planned_end <= now + DUE_EARLY
    # An ended session still unclaimed was ended outside the chat (/done claims its own).
    return session.status == SessionStatus.ended  # not dropped, nor reviewed


def reminder_owed(session: FocusSession, now: datetime) -> bool:
    """Whether the session's one reminder is owed at `now`."""
    return (
        session.status == SessionStatus.ended
        and session.due_notified_at is not None
        and session.due_notified_at <= now - REMINDER_AFTER + DUE_EARLY
        and session.reminded_at is None
    )


Owed = Callable[[FocusSession, datetime], bool]


async def owed_chat(
    db: AsyncSession, session_id: int, owed: Owed, *, now: datetime | None = None
) -> int | None:
    """The chat a message is owed to, read without claiming it: a sender waits for its send
    slot before it claims, so a worker killed while waiting leaves the message owed."""
    session = await db.get(FocusSession, session_id)
    if session is None or not owed(session, now or utcnow()):
        return None
    user = await db.get(User, session.user_id)
    return user.chat_id if user is not None and user.active else None


async def claim_times_up(
    db: AsyncSession, session_id: int, *, now: datetime | None = None
) -> Notice | None:
    """End a session whose time is up and claim its "time's up"; None when none is owed."""
    now = now or utcnow()
    session = await db.get(FocusSession, session_id)
    if session is None or not due_owed(session, now):
        return None
    if session.status == SessionStatus.active:
        await mark_due(db, session_id)
    session.due_notified_at = now
    await db.flush()
    return await _notice(db, session, now)


async def claim_reminder(
    db: AsyncSession, session_id: int, *, now: datetime | None = None
) -> Notice | None:
    """Claim the single reminder of a session still waiting for its review."""
    now = now or utcnow()
    session = await db.get(FocusSession, session_id)
    if session is None or not reminder_owed(session, now):
        return None
    session.reminded_at = now
    await db.flush()
    return await _notice(db, session, now)


async def release_times_up(db: AsyncSession, session_id: int) -> None:
    session = await db.get(FocusSession, session_id)
    if session is not None:
        session.due_notified_at = None
        await db.flush()


async def release_reminder(db: AsyncSession, session_id: int) -> None:
    session = await db.get(FocusSession, session_id)
    if session is not None:
        session.reminded_at = None
        await db.flush()


async def owing_due(db: AsyncSession, *, now: datetime | None = None) -> list[FocusSession]:
    """Sessions past their end whose "time's up" has not gone out (the sweep's list)."""
    now = now or utcnow()
    result = await db.execute(
        select(FocusSession)
        .where(
            FocusSession.due_notified_at.is_(None),
            FocusSession.planned_end <= now - SWEEP_DELAY,
            FocusSession.planned_end > now - STALE_AFTER,
            FocusSession.status.in_([SessionStatus.active, SessionStatus.ended]),
        )
        .order_by(FocusSession.planned_end)
        .limit(SWEEP_BATCH)
    )
    return list(result.scalars())


async def owing_reminder(db: AsyncSession, *, now: datetime | None = None) -> list[int]:
    """Sessions still unreviewed a while after "time's up", not yet reminded."""
    now = now or utcnow()
    result = await db.execute(
        select(FocusSession.id)
        .where(
            FocusSession.status == SessionStatus.ended,
            FocusSession.reminded_at.is_(None),
            FocusSession.due_notified_at <= now - REMINDER_AFTER - SWEEP_DELAY,
            FocusSession.due_notified_at > now - STALE_AFTER,
        )
        .order_by(FocusSession.id)
        .limit(SWEEP_BATCH)
    )
    return list(result.scalars())


async def _notice(db: AsyncSession, session: FocusSession, now: datetime) -> Notice | None:
    user = await db.get(User, session.user_id)
    if user is None or not user.active or session.planned_end < now - STALE_AFTER:
        return None
    return Notice(
        session_id=session.id,
        user_id=user.id,
        chat_id=user.chat_id,
        timezone=user.timezone,
        goal=session.goal,
        planned_end=session.planned_end,
        ended_early=session.window_end < session.planned_end,
    )


async def end_early(db: AsyncSession, user_id: int, *, now: datetime | None = None) -> FocusSession:
    """End the running session now; the caller offers the review at once, so no "time's up"."""
    now = now or utcnow()
    session = await end_session(db, user_id, now=now)
    session.due_notified_at = now
    await db.flush()
    return session


async def running(
    db: AsyncSession, session_id: int, *, now: datetime | None = None
) -> Notice | None:
    """The notice data of a session still running, for its start message."""
    now = now or utcnow()
    session = await db.get(FocusSession, session_id)
    if session is None or session.status != SessionStatus.active or session.planned_end <= now:
        return None
    return await _notice(db, session, now)
