"""Milliseconds per user to build the weekly report: aggregate the week and draw its chart.

    .venv/bin/python -m bench.report_build [--users 40] [--postgres-url URL] [--sqlite-only]

Each user has 500 browser events in the reported week (20 sessions of 25 events, all
reviewed, most analysed) and as many in the week before, which the report compares
against. Measured per user, as the send job does it: load and aggregate both weeks,
write the texts, draw the PNG. Baselines in the same run: the chart alone, and a bare
query that only fetches the week's events. Target: ≤ 50 ms per user, chart included.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.report_messages import report_messages
from core.db.engine import SessionMaker, create_engine, create_sessionmaker
from core.db.migrate import upgrade
from core.db.models import (
    ActivityEvent,
    Analysis,
    AnalysisStatus,
    FocusSession,
    Review,
    SessionStatus,
    User,
)
from core.report.chart import week_chart
from core.report.content import build_report
from core.report.week import Week, parse_week

WEEK = parse_week("2026-W10", "Europe/Berlin")
SESSIONS_PER_WEEK = 20
EVENTS_PER_SESSION = 25
HOSTS = ["github.com", "docs.python.org", "youtube.com", "github.com", "reddit.com", "x.com"]
SOLUTIONS = [["phone_away"], ["pomodoro", "one_tab"], []]


async def seed(sessionmaker: SessionMaker, users: int) -> list[int]:
    """Users with two full weeks each; returns their ids."""
    async with sessionmaker() as db:
        result = await db.execute(
            insert(User).returning(User.id),
            [{"telegram_id": 10_000 + n, "chat_id": 10_000 + n} for n in range(users)],
        )
        ids = list(result.scalars())
        for user_id in ids:
            for week in (WEEK.previous(), WEEK):
                await _seed_week(db, user_id, week)
        await db.commit()
    return ids


async def _seed_week(db: AsyncSession, user_id: int, week: Week) -> None:
    sessions: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    for n in range(SESSIONS_PER_WEEK):
        start = week.start + timedelta(days=n % 7, hours=7 + 3 * (n // 7), minutes=n)
        sessions.append(
            {
                "user_id": user_id,
                "goal": "chapter two",
                "started_at": start,
                "planned_end": start + timedelta(minutes=50),
                "ended_at": start + timedelta(minutes=50),
                "status": SessionStatus.reviewed,
            }
        )
    ids = list(
        (await db.execute(insert(FocusSession).returning(FocusSession.id), sessions)).scalars()
    )
    for n, (session_id, session) in enumerate(zip(ids, sessions, strict=True)):
        for k in range(EVENTS_PER_SESSION):
            start = session["started_at"] + timedelta(minutes=2 * k)
            events.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "session_id": session_id,
                    "host": HOSTS[(n + k) % len(HOSTS)],
                    "started_at": start,
                    "ended_at": start + timedelta(minutes=2),
                    "idle": k % 11 == 0,
                }
            )
        reviews.append(
            {
                "session_id": session_id,
                "user_id": user_id,
                "goal_result": ("yes", "partly", "no")[n % 3],
                "self_quality": 1 + n % 5,
                "self_distraction": 1 + (n + 2) % 5,
                "solutions": SOLUTIONS[n % 3],
            }
        )
    await db.execute(insert(ActivityEvent), events)
    review_ids = (await db.execute(insert(Review).returning(Review.id), reviews)).scalars()
    analyses = [
        {
            "review_id": review_id,
            "user_id": user_id,
            "analyser": "local",
            "quality": 1 + n % 5,
            "distraction": 1 + n % 4,
            "status": AnalysisStatus.done,
        }
        for n, review_id in enumerate(review_ids)
        if n % 4
    ]
    await db.execute(insert(Analysis), analyses)


async def measure(sessionmaker: SessionMaker, ids: list[int]) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"report": [], "chart": [], "query": []}
    for user_id in [ids[0], *ids]:  # the first run warms the chart's backgrounds up
        async with sessionmaker() as db:
            started = time.perf_counter()
            report = await build_report(db, user_id, WEEK)
            sends = report_messages(report, chat_id=user_id)
            built = time.perf_counter()
            week_chart(report.stats.days, title="Focus by day", grader="Measured")
            charted = time.perf_counter()
            rows = await db.execute(
                select(ActivityEvent).where(
                    ActivityEvent.user_id == user_id,
                    ActivityEvent.started_at >= WEEK.start,
                    ActivityEvent.started_at < WEEK.end,
                )
            )
            events = len(rows.all())
            queried = time.perf_counter()
        assert len(sends) >= 1 and events == SESSIONS_PER_WEEK * EVENTS_PER_SESSION
        timings["report"].append((built - started) * 1000)
        timings["chart"].append((charted - built) * 1000)
        timings["query"].append((queried - charted) * 1000)
    return {name: values[1:] for name, values in timings.items()}


def show(backend: str, timings: dict[str, list[float]]) -> float:
    def line(name: str, values: list[float]) -> str:
        p50, mean = statistics.median(values), statistics.fmean(values)
        return f"  {name:<44} p50 {p50:6.1f} ms   mean {mean:6.1f} ms\n"

    report, chart, query = timings["report"], timings["chart"], timings["query"]
    base = statistics.median(chart) + statistics.median(query)
    p50 = statistics.median(report)
    sys.stdout.write(
        f"{backend}: {len(report)} users, {SESSIONS_PER_WEEK * EVENTS_PER_SESSION} events/week\n"
        + line("report (aggregate 2 weeks + texts + chart)", report)
        + line("baseline: chart alone", chart)
        + line("baseline: bare query of the week's events", query)
        + f"  report / (chart + bare query): {p50 / base:.2f}x;"
        f" target ≤ 50 ms: {'ok' if p50 <= 50 else 'MISSED'} ({p50:.1f} ms)\n"
    )
    return p50


async def run(backend: str, url: str, users: int) -> float:
    await upgrade(url)
    engine = create_engine(url)
    try:
        sessionmaker = create_sessionmaker(engine)
        ids = await seed(sessionmaker, users)
        return show(backend, await measure(sessionmaker, ids))
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="qtime-bench-"))
    await run("SQLite", f"sqlite+aiosqlite:///{home / 'qtime.db'}", args.users)
    if args.sqlite_only:
        return
    admin = args.postgres_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    name = f"qtime_bench_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        await run("PostgreSQL", admin.rsplit("/", 1)[0] + f"/{name}", args.users)
    finally:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite-only", action="store_true")
    asyncio.run(main(parser.parse_args()))
