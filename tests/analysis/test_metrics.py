"""Measured metrics with hand-computed figures (window 10:00–11:00 unless said otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db.models import Category
from core.hosts.categories import DEFAULT_HOST_RULES
from core.hosts.intent import classifier
from core.metrics.compute import SessionMetrics, Span, compute_metrics

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
END = T0 + timedelta(hours=1)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def span(host: str, start: float, end: float, **kw: object) -> Span:
    return Span(host, at(start), at(end), **kw)  # type: ignore[arg-type]


def measure(
    spans: list[Span],
    *,
    goal: str = "ship the release",
    titles: bool = False,
    rules: dict[str, Category] | None = None,
    end: datetime = END,
) -> SessionMetrics:
    classify = classifier(
        goal=goal, user_rules=rules or {}, default_rules=DEFAULT_HOST_RULES, use_titles=titles
    )
    return compute_metrics(spans, window_start=T0, window_end=end, classify=classify)


def test_a_plain_session() -> None:
    m = measure(
        [
            span("github.com", 0, 20),
            span("youtube.com", 20, 30),
            span("github.com", 30, 50),
            span("github.com", 50, 60, idle=True),
        ]
    )
    assert (m.tracked_minutes, m.idle_minutes) == (60, 10)
    assert (m.on_task_minutes, m.neutral_minutes, m.distracting_minutes) == (40, 0, 10)
    assert m.tab_switches == 2
    assert m.switches_per_hour == pytest.approx(2.4)  # 2 switches in 50 active minutes
    assert m.longest_on_task_streak_minutes == 20
    assert m.focus_score == 71  # (4·40 + 1·10) / (4·60) = 70.8
    assert [(h.host, h.minutes, h.category) for h in m.top_hosts] == [
        ("github.com", 40, Category.on_task),
        ("youtube.com", 10, Category.distracting),
    ]


def test_overlapping_events_count_once_and_the_later_start_holds_the_moment() -> None:
    m = measure([span("github.com", 0, 30), span("reddit.com", 10, 20)])
    assert m.tracked_minutes == 30
    assert (m.on_task_minutes, m.distracting_minutes) == (20, 10)
    assert m.tab_switches == 2  # github → reddit → github


def test_duplicate_events_count_once() -> None:
    m = measure([span("github.com", 0, 30)] * 3 + [span("github.com", 10, 20)])
    assert (m.tracked_minutes, m.on_task_minutes, m.tab_switches) == (30, 30, 0)


def test_events_are_clipped_to_the_session_window() -> None:
    m = measure([span("github.com", -10, 10), span("reddit.com", 50, 75), span("x.com", 61, 70)])
    assert (m.on_task_minutes, m.distracting_minutes, m.tracked_minutes) == (10, 10, 20)
    assert m.window_minutes == 60


def test_at_the_same_start_an_active_event_beats_an_idle_one() -> None:
    m = measure([span("github.com", 0, 10, idle=True), span("github.com", 0, 10)])
    assert (m.idle_minutes, m.on_task_minutes) == (0, 10)


def test_audible_idle_time_still_counts_as_attention() -> None:
    m = measure([span("youtube.com", 0, 30, idle=True, audible=True),
                 span("a.org", 30, 40, idle=True)])  # fmt: skip
    assert (m.distracting_minutes, m.idle_minutes) == (30, 10)


def test_a_short_gap_keeps_the_streak_and_a_long_one_breaks_it() -> None:
    short = measure([span("github.com", 0, 10), span("github.com", 10.5, 30)])
    long = measure([span("github.com", 0, 10), span("github.com", 12, 30)])
    assert short.longest_on_task_streak_minutes == pytest.approx(29.5)
    assert long.longest_on_task_streak_minutes == 18


def test_neutral_time_breaks_the_streak() -> None:
    m = measure([span("github.com", 0, 15), span("mail.google.com", 15, 16),
                 span("github.com", 16, 26)])  # fmt: skip
    assert m.longest_on_task_streak_minutes == 15
    assert m.neutral_minutes == 1


def test_many_switches_cost_focus_score() -> None:
    hosts = ["github.com", "stackoverflow.com"]
    m = measure([span(hosts[i % 2], i, i + 1) for i in range(30)], end=at(30))
    assert m.tab_switches == 29
    assert m.switches_per_hour == pytest.approx(58)
    assert m.focus_score == 81  # pulse 100, minus (58 − 20) / 2 = 19


def test_the_goal_makes_a_matching_title_on_task_only_when_titles_are_on() -> None:
    video = [span("youtube.com", 0, 30, title="React hooks tutorial for beginners")]
    assert measure(video, goal="learn react hooks", titles=True).on_task_minutes == 30
    assert measure(video, goal="learn react hooks", titles=False).distracting_minutes == 30


def test_the_goal_names_a_host() -> None:
    m = measure([span("www.figma.com", 0, 10), span("twitch.tv", 10, 20)],
                goal="stream on twitch for the launch")  # fmt: skip
    assert m.on_task_minutes == 20


def test_the_users_own_rule_beats_the_goal_and_the_defaults() -> None:
    rules = {"github.com": Category.distracting, "reddit.com": Category.on_task}
    m = measure([span("gist.github.com", 0, 10), span("old.reddit.com", 10, 20)],
                goal="review github pull requests", rules=rules)  # fmt: skip
    assert (m.distracting_minutes, m.on_task_minutes) == (10, 10)


def test_no_browser_data_says_so() -> None:
    m = measure([])
    assert not m.has_data
    assert m.focus_score is None
    assert m.snapshot()["has_data"] is False


def test_the_snapshot_round_trips_without_titles() -> None:
    m = measure([span("github.com", 0, 20, title="secret plan"), span("x.com", 20, 25)],
                titles=True)  # fmt: skip
    snapshot = m.snapshot()
    assert "secret plan" not in str(snapshot)
    assert SessionMetrics.from_snapshot(snapshot) == m
