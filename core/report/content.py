"""The weekly report's content: a week and the week before it, loaded in a few queries.

One query reads both weeks' finished sessions with their reviews and finished analyses
(on the `(user_id, started_at)` index); `core.metrics.loader` measures them all in one
more round. Nothing is per session, so a busy week costs what a quiet one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.analysis.local import NAME as LOCAL_ANALYSER
from core.db.models import Analysis, AnalysisStatus, FocusSession, Review, SessionStatus
from core.metrics.compute import SessionMetrics
from core.metrics.loader import load_metrics
from core.report.stats import SessionFacts, WeekStats, summarize
from core.report.week import Week
from core.sessions.reviews import SOLUTIONS

FINISHED = (SessionStatus.ended, SessionStatus.reviewed)


@dataclass(frozen=True, slots=True)
class Report:
    week: Week
    stats: WeekStats
    previous: WeekStats
    so_far: bool = False  # the current week, not over yet


async def build_report(
    db: AsyncSession, user_id: int, week: Week, *, now: datetime | None = None
) -> Report:
    """The report of `week` for the user, compared with the week before."""
    earlier = week.previous()
    facts = await load_facts(db, user_id, earlier.start, week.end)
    this = [f for f in facts if f.started_at >= week.start]
    before = [f for f in facts if f.started_at < week.start]
    return Report(
        week=week,
        stats=summarize(this, week, SOLUTIONS),
        previous=summarize(before, earlier, SOLUTIONS),
        so_far=now is not None and now < week.end,
    )


async def load_facts(
    db: AsyncSession, user_id: int, start: datetime, end: datetime
) -> list[SessionFacts]:
    """The user's finished sessions that started in [start, end), oldest first."""
    rows = (
        await db.execute(
            select(
                FocusSession.id,
                FocusSession.started_at,
                FocusSession.planned_end,
                Review.goal_result,
                Review.self_quality,
                Review.self_distraction,
                Review.solutions,
                Analysis.analyser,
                Analysis.quality,
                Analysis.distraction,
            )
            .outerjoin(Review, Review.session_id == FocusSession.id)
            .outerjoin(
                Analysis,
                and_(Analysis.review_id == Review.id, Analysis.status == AnalysisStatus.done),
            )
            .where(
                FocusSession.user_id == user_id,
                FocusSession.started_at >= start,
                FocusSession.started_at < end,
                FocusSession.status.in_(FINISHED),
            )
            .order_by(FocusSession.started_at)
        )
    ).all()
    measured = await load_metrics(db, [row.id for row in rows])
    return [
        SessionFacts(
            started_at=row.started_at,
            planned_minutes=(row.planned_end - row.started_at).total_seconds() / 60,
            metrics=measured.get(row.id) or SessionMetrics(window_minutes=0.0),
            goal_result=row.goal_result,
            self_quality=row.self_quality,
            self_distraction=row.self_distraction,
            graded_quality=row.quality,
            graded_distraction=row.distraction,
            graded_by_ai=row.quality is not None and row.analyser != LOCAL_ANALYSER,
            solutions=tuple(row.solutions or ()),
        )
        for row in rows
    ]
