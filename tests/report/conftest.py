"""Weekly report fixtures: users, sessions with browser events, reviews and analyses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from arq.worker import Worker
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import (
    Analysis,
    AnalysisStatus,
    FocusSession,
    Review,
    SessionStatus,
    User,
    WeeklyReport,
)
from core.infra.resources import Resources
from core.settings import Settings
from jobs.reports import weekly_report_tick
from jobs.worker import build_worker
from qtime.run import run_bot
from tests import factories as factory
from tests.fakes.telegram import FakeTelegram

LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def at(local: str, timezone: str) -> datetime:
    """`2026-03-02 09:00` on the wall clock of `timezone`, in UTC."""
    naive = datetime.strptime(local, "%Y-%m-%d %H:%M")  # noqa: DTZ007 (the zone follows)
    return naive.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


async def make_user(
    db: AsyncSession,
    telegram_id: int,
    *,
    timezone: str = "UTC",
    weekday: int = 0,
    hour: int = 9,
    created_at: datetime = LONG_AGO,
) -> User:
    user = User(
        telegram_id=telegram_id,
        chat_id=telegram_id,
        first_name="Tester",
        timezone=timezone,
        report_weekday=weekday,
        report_hour=hour,
        created_at=created_at,
    )
    db.add(user)
    await db.flush()
    return user


@dataclass
class Plan:
    """One session as the tests describe it."""

    start: datetime
    minutes: int
    events: list[tuple[str, float, bool]] = field(default_factory=list)  # host, minutes, idle
    review: tuple[str, int, int, list[str]] | None = None  # goal, quality, distraction, solutions
    analysis: tuple[str, int, int] | None = None  # analyser, quality, distraction


async def add_session(db: AsyncSession, user: User, plan: Plan) -> FocusSession:
    status = SessionStatus.reviewed if plan.review else SessionStatus.ended
    end = plan.start + timedelta(minutes=plan.minutes)
    session = FocusSession(
        user_id=user.id,
        goal="chapter two",
        started_at=plan.start,
        planned_end=end,
        ended_at=end,
        status=status,
    )
    db.add(session)
    await db.flush()
    pieces = [(host, length, {"idle": idle}) for host, length, idle in plan.events]
    db.add_all(factory.events(user.id, session.id, plan.start, factory.back_to_back(pieces)))
    if plan.review is not None:
        goal, quality, distraction, solutions = plan.review
        review = Review(
            session_id=session.id,
            user_id=user.id,
            goal_result=goal,
            self_quality=quality,
            self_distraction=distraction,
            solutions=solutions,
        )
        db.add(review)
        await db.flush()
        if plan.analysis is not None:
            analyser, graded_quality, graded_distraction = plan.analysis
            db.add(
                Analysis(
                    review_id=review.id,
                    user_id=user.id,
                    analyser=analyser,
                    quality=graded_quality,
                    distraction=graded_distraction,
                    status=AnalysisStatus.done,
                )
            )
    await db.flush()
    return session


@pytest.fixture
def report_settings(
    make_settings: Callable[..., Settings],
    database_url: str,
    redis: Redis,
    fake_telegram: FakeTelegram,
) -> Settings:
    """Both databases, the test Redis and the fake Bot API."""
    return make_settings(database={"url": database_url}, telegram={"api_url": fake_telegram.url})


@pytest.fixture
async def resources(report_settings: Settings) -> AsyncIterator[Resources]:
    opened = Resources.open(report_settings)
    yield opened
    await opened.close()


async def tick(resources: Resources, now: datetime) -> int:
    return await weekly_report_tick({"resources": resources}, now=now)


async def run_workers(settings: Settings, count: int = 1) -> list[Worker]:
    """`count` burst workers side by side until the queue is empty (crons left out)."""
    workers: list[Worker] = [
        build_worker(settings, burst=True, poll_delay=0.02, cron_jobs=[]) for _ in range(count)
    ]
    try:
        await asyncio.gather(*(worker.main() for worker in workers))
    finally:
        for worker in workers:
            await worker.close()
    return workers


async def reports_of(resources: Resources) -> list[WeeklyReport]:
    async with resources.sessionmaker() as db:
        rows = await db.execute(select(WeeklyReport).order_by(WeeklyReport.user_id))
        return list(rows.scalars())


@pytest.fixture
async def polling_bot(
    report_settings: Settings, fake_telegram: FakeTelegram
) -> AsyncIterator[None]:
    """`qtime bot` polling the fake Bot API, stopped after the test."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(report_settings, stop))
    await fake_telegram.wait_until(lambda: task.done() or fake_telegram.calls_of("setMyCommands"))
    if task.done():
        task.result()
    yield
    stop.set()
    await task
