"""The analyses table as the outbox of the review form.

Submit (core.reviews) opens a pending analysis with its review; the job records
attempts, stores the verdict, and marks it delivered once the user can see it. Each
step is one short write, so a job killed anywhere resumes from what was committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.analysis.base import AnalysisInput, Verdict
from core.metrics import SessionMetrics
from core.models import Analysis, AnalysisStatus, FocusSession, Review, User, utcnow

ERROR_MAX_CHARS = 200


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


async def load_job(db: AsyncSession, review_id: int) -> Job | None:
    row = (
        await db.execute(
            select(Analysis, Review, FocusSession, User)
            .join(Review, Review.id == Analysis.review_id)
            .join(FocusSession, FocusSession.id == Review.session_id)
            .join(User, User.id == Analysis.user_id)
            .where(Analysis.review_id == review_id)
        )
    ).one_or_none()
    return None if row is None else Job(*row)


async def record_failure(db: AsyncSession, analysis_id: int, error: str) -> int:
    """Count one failed attempt; returns the attempts made so far."""
    attempts = await db.scalar(
        _update()
        .where(Analysis.id == analysis_id)
        .values(attempts=Analysis.attempts + 1, error=error[:ERROR_MAX_CHARS], updated_at=utcnow())
        .returning(Analysis.attempts)
    )
    return int(attempts or 0)


async def save_verdict(
    db: AsyncSession, analysis_id: int, verdict: Verdict, metrics: SessionMetrics, *, fallback: bool
) -> None:
    """Store the answer (counting its attempt) before it is shown, unless one is stored."""
    await db.execute(
        _update()
        .where(Analysis.id == analysis_id, Analysis.status != AnalysisStatus.done)
        .values(**_verdict(verdict, metrics, fallback=fallback))
    )


async def complete(
    db: AsyncSession,
    analysis_id: int,
    verdict: Verdict,
    metrics: SessionMetrics,
    *,
    fallback: bool,
    message_id: int | None,
) -> None:
    """Store the answer just shown and mark it delivered, in one write."""
    await db.execute(
        _update()
        .where(Analysis.id == analysis_id)
        .values({**_verdict(verdict, metrics, fallback=fallback), **_delivered(message_id)})
    )


async def mark_delivered(db: AsyncSession, analysis_id: int, *, message_id: int | None) -> None:
    await db.execute(_update().where(Analysis.id == analysis_id).values(**_delivered(message_id)))


def _update() -> Update:
    """An UPDATE of analyses that leaves the session's objects alone (they are not reused)."""
    return update(Analysis).execution_options(synchronize_session=False)


def _verdict(verdict: Verdict, metrics: SessionMetrics, *, fallback: bool) -> dict[str, Any]:
    return {
        "status": AnalysisStatus.done,
        "analyser": verdict.analyser,
        "quality": verdict.quality,
        "distraction": verdict.distraction,
        "solutions": list(verdict.solutions),
        "metrics": metrics.snapshot(),
        "fallback": fallback,
        "attempts": Analysis.attempts + 1,
        "updated_at": utcnow(),
    }


def _delivered(message_id: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {"delivered_at": utcnow(), "updated_at": utcnow()}
    if message_id is not None:
        values["message_id"] = message_id
    return values


async def mark_failed(db: AsyncSession, analysis_id: int, error: str) -> None:
    """Give up on an analysis the chat cannot show; the sweep leaves it alone."""
    await db.execute(
        _update()
        .where(Analysis.id == analysis_id)
        .values(status=AnalysisStatus.failed, error=error[:ERROR_MAX_CHARS], updated_at=utcnow())
    )


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
