"""The self-review form's domain: what was measured, what the user answers, and Submit.

`start_review` and `submit_review` are units of work: synchronous functions of a
`Session`, run in one transaction by `core.db.writer` (on SQLite a whole unit costs one thread
hop, where aiosqlite would hop per statement; the form's two database steps were most
of its cost). Submit is idempotent: the session is claimed (ended -> reviewed) in one
UPDATE, so a double-tapped Submit stores one review and its caller enqueues one job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import Analysis, AnalysisStatus, FocusSession, Review, SessionStatus, User
from core.errors import InvalidInput, ReviewClosed
from core.metrics.compute import HostMinutes
from core.metrics.loader import measure_sessions
from core.sessions.lifecycle import end_as_planned, time_over

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


@dataclass(frozen=True)
class ReviewStart:
    """What the form needs from the database when it opens."""

    session_id: int
    user_id: int
    goal: str
    hosts: list[HostMinutes]


def start_review(
    db: Session, session_id: int, *, telegram_id: int, now: datetime | None = None
) -> ReviewStart:
    """Open the review of the Telegram user's finished session; ReviewClosed if it cannot be
    reviewed (someone else's, dropped, or reviewed already)."""
    found = db.execute(
        select(FocusSession, User.track_titles)
        .join(User, User.id == FocusSession.user_id)
        .where(FocusSession.id == session_id, User.telegram_id == telegram_id)
    ).one_or_none()
    if found is None:
        raise ReviewClosed()
    session, track_titles = found
    now = now or utcnow()
    if session.status == SessionStatus.active and session.planned_end <= now:
        # Over, but its time's-up job has not run: end it as that job would; no "time's up".
        end_as_planned(session)
        session.due_notified_at = now
    if session.status != SessionStatus.ended:
        raise ReviewClosed()
    # Measured as the analysis will measure it: overlaps once, idle left out, the goal's
    # words and the user's rules deciding each host's category.
    measured = measure_sessions(db, [(session, track_titles)])[session.id]
    return ReviewStart(session.id, session.user_id, session.goal, list(measured.top_hosts))


def submit_review(
    db: Session,
    session_id: int,
    answers: ReviewAnswers,
    *,
    user_id: int,
    chat_id: int,
    message_id: int,
    now: datetime | None = None,
) -> tuple[int, bool]:
    """Store the review and its pending analysis (for the "Analysing…" message); the review
    id, and False when it was already submitted. ReviewClosed if it cannot be reviewed."""
    answers.validate()
    now = now or utcnow()
    claimed = db.scalar(
        update(FocusSession)
        .where(
            FocusSession.id == session_id,
            FocusSession.user_id == user_id,
            (FocusSession.status == SessionStatus.ended) | time_over(now),
        )
        .values(
            status=SessionStatus.reviewed,
            ended_at=func.coalesce(FocusSession.ended_at, FocusSession.planned_end),
            due_notified_at=func.coalesce(FocusSession.due_notified_at, now),
        )
        .returning(FocusSession.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        existing = db.scalar(
            select(Review.id).where(Review.session_id == session_id, Review.user_id == user_id)
        )
        if existing is None:
            raise ReviewClosed()
        return existing, False
    review_id = db.scalar(
        insert(Review)
        .values(
            session_id=session_id,
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
    assert review_id is not None
    db.execute(
        insert(Analysis).values(
            review_id=review_id,
            user_id=user_id,
            status=AnalysisStatus.pending,
            chat_id=chat_id,
            message_id=message_id,
        )
    )
    return review_id, True
