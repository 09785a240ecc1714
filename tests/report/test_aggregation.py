"""The week's figures from a fixture week computed by hand, and the caption that shows them."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import report as texts
from core.report.content import build_report
from core.report.week import parse_week
from tests.report.conftest import Plan, add_session, at, make_user

BERLIN = "Europe/Berlin"
WEEK = parse_week("2026-W10", BERLIN)  # Monday 2 to Sunday 8 March 2026, CET (UTC+1)


async def fixture_week(db: AsyncSession) -> int:
    """Four sessions this week and one the week before; the figures are worked out below."""
    user = await make_user(db, 1001, timezone=BERLIN)
    plans = [
        # Mon morning: 40 on-task, 15 distracting, 5 idle. Focus score
        # 100·(4·40 + 1·5)/(4·60) = 68.75 → 69.
        Plan(
            at("2026-03-02 09:00", BERLIN),
            60,
            [("github.com", 40, False), ("youtube.com", 15, False), ("github.com", 5, True)],
            review=("yes", 4, 2, ["phone_away"]),
            analysis=("local", 3, 2),
        ),
        # Tue afternoon: 50 on-task, 20 distracting, 10 neutral; graded by an AI model.
        Plan(
            at("2026-03-03 14:00", BERLIN),
            90,
            [("docs.python.org", 50, False), ("reddit.com", 20, False)]
            + [("mail.google.com", 10, False)],
            review=("partly", 3, 3, []),
            analysis=("gpt-4o-mini", 2, 4),
        ),
        # Thu morning: 30 on-task, 10 distracting; focus 100·(4·30)/(4·40) = 75. No analysis.
        Plan(
            at("2026-03-05 10:00", BERLIN),
            45,
            [("github.com", 30, False), ("youtube.com", 10, False)],
            review=("no", 2, 4, ["phone_away"]),
        ),
        # Sat evening: declared, never reviewed, nothing tracked.
        Plan(at("2026-03-07 20:00", BERLIN), 30),
        # The week before: 30 on-task minutes, goal met, self 5 against measured 3.
        Plan(
            at("2026-02-23 09:00", BERLIN),
            60,
            [("github.com", 30, False)],
            review=("yes", 5, 1, []),
            analysis=("local", 3, 1),
        ),
        # Sunday 8 March 23:30 Berlin is already Sunday 22:30 UTC but still this week;
        # Monday 9 March 00:30 Berlin (23:30 UTC on Sunday) is next week and left out.
        Plan(at("2026-03-09 00:30", BERLIN), 25, [("youtube.com", 25, False)]),
    ]
    for plan in plans:
        await add_session(db, user, plan)
    await db.commit()
    return user.id


async def test_figures_match_the_hand_computed_ones(db: AsyncSession) -> None:
    user_id = await fixture_week(db)
    report = await build_report(db, user_id, WEEK)
    stats = report.stats

    assert stats.sessions == 4
    assert stats.declared_minutes == 60 + 90 + 45 + 30
    assert stats.tracked_minutes == pytest.approx(60 + 80 + 40)
    assert stats.active_minutes == pytest.approx(55 + 80 + 40)
    assert stats.on_task_percent == pytest.approx(100 * 120 / 175)
    assert (stats.reviewed, stats.goals_met, stats.goals_partly) == (3, 1, 1)
    assert stats.self_quality == pytest.approx(3.0)
    assert stats.self_distraction == pytest.approx(3.0)
    assert stats.graded_quality == pytest.approx(2.5)
    assert stats.graded_distraction == pytest.approx(3.0)
    assert stats.graded_by_ai
    assert (stats.calibration_gap, stats.calibration_n) == (pytest.approx(1.0), 2)
    assert [(h, round(m)) for h, m in stats.top_distractions] == [
        ("youtube.com", 25),
        ("reddit.com", 20),
    ]
    assert stats.best_time is not None
    assert (stats.best_time.part, stats.best_time.score, stats.best_time.sessions) == (
        "morning",
        pytest.approx((69 + 75) / 2),
        2,
    )
    (phone,) = stats.solutions
    assert (phone.solution, phone.with_n, phone.without_n, phone.conclusive) == (
        "phone_away",
        2,
        1,
        False,
    )
    assert [round(d.on_task) for d in stats.days] == [40, 50, 0, 30, 0, 0, 0]
    assert [round(d.distracting) for d in stats.days] == [15, 20, 0, 10, 0, 0, 0]
    assert [d.self_quality for d in stats.days] == [4, 3, None, 2, None, None, None]
    assert report.previous.sessions == 1
    assert report.previous.calibration_gap == pytest.approx(2.0)


async def test_the_caption_shows_those_figures(db: AsyncSession) -> None:
    user_id = await fixture_week(db)
    caption, rest = texts.messages(await build_report(db, user_id, WEEK))

    assert rest is None
    assert texts.visible_length(caption) <= texts.CAPTION_LIMIT
    for shown in [
        "Your week</b> · 2–8 Mar 2026",
        "4 sessions</b> · declared 3 h 45 min · tracked 3 h 00 min",
        "On-task 69% of active time",
        "Goals met: 1 of 3 (1 partly)",
        "Quality: you 3.0 · AI 2.5",
        "Distraction: you 3.0 · AI 3.0",
        "you rate your focus 1.0 above the AI grade (last week +2.0: closer ✓)",
        "Top distractions: youtube.com 25 min · reddit.com 20 min\n",
        "Best time: mornings (focus score 72, 2 sessions)",
        "sessions +3 · tracked +2 h 30 min · on-task −31 pts · goals met +0",
        "Too few measured sessions to tell yet (3 with and 3 without needed): "
        "📵 Phone away (n=2 with, 1 without)",
    ]:
        assert shown in caption, shown


async def test_self_grades_alone_make_a_report(db: AsyncSession) -> None:
    user = await make_user(db, 1002, timezone=BERLIN)
    for day, quality in (("02", 2), ("03", 4), ("04", 3)):
        plan = Plan(at(f"2026-03-{day} 09:00", BERLIN), 50, review=("yes", quality, 2, []))
        await add_session(db, user, plan)
    await db.commit()

    report = await build_report(db, user.id, WEEK)
    caption, _ = texts.messages(report)

    assert report.stats.graded_quality is None and report.stats.tracked_minutes == 0
    assert "3 sessions</b> · declared 2 h 30 min · tracked 0 min" in caption
    assert "Quality: you 3.0\n" in caption and "AI" not in caption
    assert "Goals met: 3 of 3" in caption
    assert "Last week had no sessions" in caption


async def test_an_empty_week_is_empty(db: AsyncSession) -> None:
    user = await make_user(db, 1003, timezone=BERLIN)
    await db.commit()
    report = await build_report(db, user.id, WEEK)
    assert report.stats.empty
    assert "No focus sessions this week" in texts.empty(report)
