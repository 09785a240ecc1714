"""Metrics read from the database, many sessions at once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Category, FocusSession, HostRule, User
from core.metrics.loader import load_metrics
from tests import factories as factory
from tests.analysis.test_metrics import T0, at


async def add_session(
    db: AsyncSession, telegram_id: int, events: list[tuple[str, float, float, str | None]],
    *, goal: str = "ship the release", titles: bool = False, ended_early: float | None = None,
) -> FocusSession:  # fmt: skip
    user = User(telegram_id=telegram_id, chat_id=telegram_id, track_titles=titles)
    db.add(user)
    await db.flush()
    session = FocusSession(
        user_id=user.id, goal=goal, started_at=T0, planned_end=T0 + timedelta(hours=1),
        ended_at=None if ended_early is None else at(ended_early),
    )  # fmt: skip
    db.add(session)
    await db.flush()
    spans = [(host, start, end, {"title": title}) for host, start, end, title in events]
    db.add_all(factory.events(user.id, session.id, T0, spans))
    return session


async def test_metrics_for_a_batch_of_sessions(db: AsyncSession) -> None:
    plain = await add_session(db, 1, [
        ("github.com", 0, 30, None), ("github.com", 0, 30, None),  # a duplicate
        ("reddit.com", 10, 20, None),  # overlaps github
        ("github.com", 55, 70, None),  # runs past the early end
    ], ended_early=58)  # fmt: skip
    own_rules = await add_session(db, 2, [("reddit.com", 0, 20, None)])
    db.add(HostRule(user_id=own_rules.user_id, pattern="reddit.com", category=Category.on_task))
    titled = await add_session(
        db, 3, [("youtube.com", 0, 30, "Release checklist walkthrough")], titles=True
    )
    untitled = await add_session(
        db, 4, [("youtube.com", 0, 30, "Release checklist walkthrough")], titles=False
    )
    await db.commit()

    ids = [plain.id, own_rules.id, titled.id, untitled.id, 999_999]
    measured = await load_metrics(db, ids)

    assert set(measured) == set(ids[:4])
    m = measured[plain.id]
    assert (m.window_minutes, m.tracked_minutes) == (58, 33)
    assert (m.on_task_minutes, m.distracting_minutes, m.tab_switches) == (23, 10, 2)
    assert measured[own_rules.id].on_task_minutes == 20
    assert measured[titled.id].on_task_minutes == 30  # the goal's words in the title
    assert measured[titled.id].top_titles == (("Release checklist walkthrough", 30.0),)
    assert measured[untitled.id].distracting_minutes == 30
    assert measured[untitled.id].top_titles == ()


async def test_a_session_without_events_is_measured_as_empty(db: AsyncSession) -> None:
    session = await add_session(db, 5, [])
    await db.commit()
    assert not (await load_metrics(db, [session.id]))[session.id].has_data
