"""The self-review form's domain: what was measured, what the user answers, and Submit.

Submit is idempotent: one review per session (a unique key), created in one
transaction with its pending analysis, so a double-tapped Submit stores one review
and its caller enqueues one analysis job.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.categories import categorize
from core.errors import InvalidInput, ReviewClosed
from core.host_rules import user_rules
from core.models import (
    ActivityEvent,
    Analysis,
    AnalysisStatus,
    Category,
    FocusSession,
    Review,
    SessionStatus,
    utcnow,
)
from core.sessions import mark_due

GOAL_RESULTS = ("yes", "partly", "no")
GRADES = range(1, 6)
SOLUTIONS = (
    "phone_away",
    "site_blocker",
    "pomodoro",
    "notifications_off",
    "music",
    "one_tab",
)
TEXT_MAX_CHARS = 500
TOP_HOSTS = 5


@dataclass(frozen=True)
class HostMinutes:
    host: str
    minutes: float
    category: Category


@dataclass
class ReviewAnswers:
    goal_result: str
    quality: int
    distraction: int
    solutions: list[str] = field(default_factory=list)
    extra_activities: str | None = None
    solutions_other: str | None = None
    note: str | None = None

    def validate(self) -> None:
        if self.goal_result not in GOAL_RESULTS:
            raise InvalidInput("say whether the goal was achieved")
        if self.quality not in GRADES or self.distraction not in GRADES:
            raise InvalidInput("grades go from 1 to 5")
        if any(s not in SOLUTIONS for s in self.solutions):
            raise InvalidInput("unknown solution")
        for text in (self.extra_activities, self.solutions_other, self.note):
            clean_text(text or "")


def clean_text(text: str) -> str | None:
    """A typed answer tidied, None when empty; InvalidInput when too long."""
    text = text.strip()
    if len(text) > TEXT_MAX_CHARS:
        raise InvalidInput(f"keep it under {TEXT_MAX_CHARS} characters")
    return text or None


async def reviewable_session(
    db: AsyncSession, user_id: int, session_id: int, *, now: datetime | None = None
) -> FocusSession:
    """The user's finished, not yet reviewed session; ReviewClosed otherwise."""
    session = await db.get(FocusSession, session_id)
    if session is None or session.user_id != user_id:
        raise ReviewClosed()
    now = now or utcnow()
    if session.status == SessionStatus.active and session.planned_end <= now:
        await mark_due(db, session.id)  # the time's-up job has not run yet: it need not
        session.due_notified_at = now
    if session.status != SessionStatus.ended:
        raise ReviewClosed()
    return session


async def measured_hosts(
    db: AsyncSession, session: FocusSession, *, limit: int = TOP_HOSTS
) -> list[HostMinutes]:
    """The hosts that had attention in the session window, most minutes first."""
    start, end = session.started_at, session.window_end
    result = await db.execute(
        select(ActivityEvent.host, ActivityEvent.started_at, ActivityEvent.ended_at).where(
            ActivityEvent.session_id == session.id,
            ActivityEvent.idle.is_(False),
            ActivityEvent.ended_at > start,
            ActivityEvent.started_at < end,
        )
    )
    seconds: dict[str, float] = defaultdict(float)
    for host, started, ended in result.all():
        seconds[host] += max(0.0, (min(ended, end) - max(started, start)).total_seconds())
    rules = await user_rules(db, session.user_id)
    top = sorted(seconds.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [HostMinutes(host, secs / 60, categorize(host, rules)) for host, secs in top if secs]


async def submit_review(
    db: AsyncSession,
    user_id: int,
    session_id: int,
    answers: ReviewAnswers,
    *,
    chat_id: int,
    message_id: int,
) -> tuple[int, bool]:
    """Store the review and its pending analysis; the review id, and False when it was
    already submitted.

    Two Submits of one session are serialised by the bot (one update per user at a time);
    should they still race, the unique key stops the second, whose transaction is then
    rolled back, and the stored review's id is returned.
    """
    session = await db.get(FocusSession, session_id)
    reviewed = session is not None and session.status == SessionStatus.reviewed
    if reviewed and session is not None and session.user_id == user_id:
        existing = await _review_id(db, session_id)
        if existing is not None:
            return existing, False
    session = await reviewable_session(db, user_id, session_id)
    answers.validate()
    try:  # Core statements: a Submit is the form's costliest update
        review_id = await db.scalar(
            insert(Review)
            .values(
                session_id=session.id,
                user_id=user_id,
                extra_activities=answers.extra_activities,
                goal_result=answers.goal_result,
                self_quality=answers.quality,
                self_distraction=answers.distraction,
                solutions=[s for s in SOLUTIONS if s in answers.solutions],
                solutions_other=answers.solutions_other,
                note=answers.note,
            )
            .returning(Review.id)
        )
    except IntegrityError:
        await db.rollback()
        existing = await _review_id(db, session_id)
        if existing is None:
            raise
        return existing, False
    assert review_id is not None
    await db.execute(
        insert(Analysis).values(
            review_id=review_id,
            user_id=user_id,
            status=AnalysisStatus.pending,
            chat_id=chat_id,
            message_id=message_id,
        )
    )
    session.status = SessionStatus.reviewed
    await db.flush()
    return review_id, True


async def _review_id(db: AsyncSession, session_id: int) -> int | None:
    return await db.scalar(select(Review.id).where(Review.session_id == session_id))
