"""The chart decodes at its size; the texts keep within Telegram's limits whatever the data."""

from __future__ import annotations

import io

from PIL import Image

from bot.texts import report as texts
from core.report.chart import SIZE_PX, week_chart
from core.report.content import Report
from core.report.stats import BestTime, Day, SolutionEffect, WeekStats
from core.report.week import parse_week
from core.sessions.reviews import SOLUTIONS

WEEK = parse_week("2026-W10", "UTC")


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_the_chart_is_a_square_png() -> None:
    days = [Day(60, 5, 10, 4, 3), Day(0, 0, 0, None, None)] * 3 + [Day(30, 0, 5, 2, None)]
    image = decode(week_chart(days, title="Focus by day · 2–8 Mar 2026"))
    assert image.format == "PNG"
    assert image.size == (SIZE_PX, SIZE_PX)


def test_charts_differ_with_the_data_and_survive_extremes() -> None:
    quiet = [Day(0, 0, 0, None, None)] * 7
    busy = [Day(1500, 200, 300, 5, 1)] * 7  # more than a day's minutes: clipped, not broken
    one = [Day(10, 0, 0, 3, 3)] + [Day(0, 0, 0, None, None)] * 6
    charts = [week_chart(days, title="t", grader="Measured") for days in (quiet, busy, one)]
    assert all(decode(png).size == (SIZE_PX, SIZE_PX) for png in charts)
    assert len({*charts}) == 3


def stuffed_week() -> Report:
    """Everything at once, with the longest hosts a browser can report."""
    long_host = "a" * 60 + ".example.com"
    stats = WeekStats(
        sessions=40,
        declared_minutes=3000,
        tracked_minutes=2900,
        active_minutes=2800,
        on_task_minutes=2000,
        reviewed=40,
        goals_met=20,
        goals_partly=10,
        self_quality=3.2,
        self_distraction=2.8,
        graded_quality=2.9,
        graded_distraction=3.1,
        graded_by_ai=True,
        calibration_gap=0.3,
        calibration_n=40,
        top_distractions=tuple((f"<i>{n}{long_host}", 100.0 - n) for n in range(3)),
        best_time=BestTime("afternoon", 81.0, 12, by_focus_score=True),
        solutions=tuple(SolutionEffect(s, 0.1, 5, 0.3, 35) for s in SOLUTIONS),
    )
    return Report(WEEK, stats, stats)


def test_a_full_week_splits_into_a_caption_and_a_message() -> None:
    caption, rest = texts.messages(stuffed_week())
    assert texts.visible_length(caption) <= texts.CAPTION_LIMIT
    assert rest is not None and texts.visible_length(rest) <= 4096
    assert "&lt;i&gt;0aaa" in caption and "<i>" not in caption  # hosts are escaped
    assert "a…" in caption and ".example.com" not in caption  # and cut short
    assert "Site blocker: 10% with it (n=5) vs 30% without (n=35)" in rest
    assert "Too few" not in rest


def test_an_empty_week_gets_a_kind_note() -> None:
    report = Report(WEEK, WeekStats(), WeekStats(), so_far=True)
    assert "No focus sessions this week yet" in texts.empty(report)
