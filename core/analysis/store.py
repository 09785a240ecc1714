"""The analyses table as the outbox of the review form.

Submit (core.sessions.reviews) opens a pending analysis with its review; the job records
attempts, stores the verdict, and marks it delivered once the user can see it. Each
step is one UPDATE, so a job killed anywhere resumes from what was committed.

The job's steps are synchronous functions of a `Session`, each run as one unit of work
(`core.db.units`): on SQLite the read needs no thread hop and each write one, instead of a
hop per statement; on PostgreSQL each runs without BEGIN and COMMIT, since a single
statement is atomic by itself. Their statements are built once; a call only binds its
values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.analysis.base import AnalysisInput, Verdict
from core.db.base import utcnow
from core.db.models import Analysis, AnalysisStatus, FocusSession, Review, User
from core.metrics.compute import SessionMetrics

ERROR_MAX_CHARS = 200
_JOB = (
    select(Analysis, Review, FocusSession, User)
    .join(Review, Review.id == Analysis.review_id)
    .join(FocusSession, FocusSession.id == Review.session_id)
    .join(User, User.id == Analysis.user_id)
    .where(Analysis.review_id == bindparam("review_id"))
)
# Core UPDATEs of the table: the SET clause comes from each call's values, and the ORM's
# bulk-update bookkeeping is skipped (the job reuses no object of the session).
_TABLE = Analysis.metadata.tables[Analysis.__tablename__]
_UPDATE = update(_TABLE).where(_TABLE.c.id == bindparam("analysis_id"))
_COUNTED = _UPDATE.values(attempts=_TABLE.c.attempts + 1)
_SAVE = _COUNTED.where(_TABLE.c.status != AnalysisStatus.done)


@dataclass(frozen=True, slots=True)
class Job:
    """Everything an analysis job reads, loaded in one query."""

    analysis: Analysis
    review: Review
    session: FocusSession
    user: User

    @property
    def open(self) -> bool:
        """Still owed to the user: neither delivered nor given up."""
        a = self.analysis
        return a.delivered_at is None and a.status != AnalysisStatus.failed

    def stored(self) -> tuple[Verdict, SessionMetrics, bool]:
        """The stored verdict, the metrics it saw, and whether it was a fallback."""
        assert self.verdict is not None
        a = self.analysis
        return self.verdict, SessionMetrics.from_snapshot(a.metrics), a.fallback

    @property
    def verdict(self) -> Verdict | None:
        """The stored verdict, if the analyser has already answered."""
        a = self.analysis
        if a.status != AnalysisStatus.done or a.quality is None or a.distraction is None:
            return None
        return Verdict(a.quality, a.distraction, tuple(a.solutions), a.analyser or "local")

    def input(self, metrics: SessionMetrics) -> AnalysisInput:
        review = self.review
        return AnalysisInput(
            goal=self.session.goal,
            goal_result=review.goal_result,
            self_quality=review.self_quality,
            self_distraction=review.self_distraction,
            metrics=metrics,
            solutions=tuple(review.solutions or ()),
            solutions_other=review.solutions_other,
            extra_activities=review.extra_activities,
            note=review.note,
            titles_allowed=self.user.track_titles,
        )


def load_job(db: Session, review_id: int) -> Job | None:
    row = db.execute(_JOB, {"review_id": review_id}).one_or_none()
    return None if row is None else Job(*row)


def record_failure(db: Session, analysis_id: int, error: str) -> int:
    """Count one failed attempt; returns the attempts made so far."""
    values = {"error": error[:ERROR_MAX_CHARS], "updated_at": utcnow()}
    attempts = db.scalar(_COUNTED.returning(_TABLE.c.attempts), _at(analysis_id, values))
    return int(attempts or 0)


def save_verdict(
    db: Session, analysis_id: int, verdict: Verdict, metrics: SessionMetrics, *, fallback: bool
) -> None:
    """Store the answer (counting its attempt) before it is shown, unless one is stored."""
    db.execute(_SAVE, _at(analysis_id, _verdict(verdict, metrics, fallback=fallback)))


def complete(
    db: Session,
    analysis_id: int,
    verdict: Verdict,
    metrics: SessionMetrics,
    *,
    fallback: bool,
    message_id: int | None,
) -> None:
    """Store the answer just shown and mark it delivered, in one write."""
    values = {**_verdict(verdict, metrics, fallback=fallback), **_delivered(message_id)}
    db.execute(_COUNTED, _at(analysis_id, values))


def mark_delivered(db: Session, analysis_id: int, *, message_id: int | None) -> None:
    db.execute(_UPDATE, _at(analysis_id, _delivered(message_id)))


def mark_failed(db: Session, analysis_id: int, error: str) -> None:
    """Give up on an analysis the chat cannot show; the sweep leaves it alone."""
    values = {"status": AnalysisStatus.failed, "error": error[:ERROR_MAX_CHARS]}
    db.execute(_UPDATE, _at(analysis_id, {**values, "updated_at": utcnow()}))


def _at(analysis_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """An UPDATE's parameters: the row, and the columns to set (its SET clause)."""
    return {"analysis_id": analysis_id, **values}


def _verdict(verdict: Verdict, metrics: SessionMetrics, *, fallback: bool) -> dict[str, Any]:
    """The stored answer; the statement counts its attempt."""
    return {
        "status": AnalysisStatus.done,
        "analyser": verdict.analyser,
        "quality": verdict.quality,
        "distraction": verdict.distraction,
        "solutions": list(verdict.solutions),
        "metrics": metrics.snapshot(),
        "fallback": fallback,
        "updated_at": utcnow(),
    }


def _delivered(message_id: int | None) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {"delivered_at": now, "updated_at": now}
    if message_id is not None:
        values["message_id"] = message_id
    return values


async def undelivered(db: AsyncSession, *, older_than: datetime, limit: int = 500) -> list[int]:
    """Review ids whose analysis has waited since before `older_than` without reaching the user."""
    result = await db.scalars(
        select(Analysis.review_id)
        .join(User, User.id == Analysis.user_id)
        .where(
            Analysis.delivered_at.is_(None),
            Analysis.status.in_([AnalysisStatus.pending, AnalysisStatus.done]),
            Analysis.updated_at < older_than,
            User.active.is_(True),
        )
        .order_by(Analysis.updated_at)
        .limit(limit)
    )
    return list(result)
