"""A week's figures from its sessions: pure functions over plain data
(`core.report.content` loads it).

- **On-task %** is on-task time over *active* tracked time (tracked minus idle): a break
  away from the keys is not a distraction.
- **Calibration gap** is the mean of self quality minus graded quality over the sessions
  that have both; positive means the user rates themselves higher than the grader.
- **Top distractions** sum each session's top hosts (`core.metrics.compute.TOP_HOSTS` per
  session) whose main category is distracting, so a host that is minor in every single
  session can be missed; it is small by construction.
- **Best time of day** ranks parts of the day by mean measured focus score (by self
  quality when nothing was measured), among parts with `MIN_SAMPLE_BEST` sessions, and
  only when the user worked in more than one part of the day.
- **Solutions** compare the mean distracting share of measured, reviewed sessions with
  and without each solution; no claim unless each side has `MIN_SAMPLE` sessions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean

from core.db.models import Category
from core.metrics.compute import SessionMetrics
from core.report.week import DAYS, Week

MIN_SAMPLE = 3
MIN_SAMPLE_BEST = 2
TOP_DISTRACTIONS = 3
# Parts of the local day by starting hour: (name, first hour, hour after the last).
PARTS_OF_DAY = (
    ("night", 0, 5),
    ("morning", 5, 12),
    ("afternoon", 12, 17),
    ("evening", 17, 22),
    ("night", 22, 24),
)


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the report needs of one finished session."""

    started_at: datetime
    planned_minutes: float
    metrics: SessionMetrics
    goal_result: str | None = None  # None: not reviewed
    self_quality: int | None = None
    self_distraction: int | None = None
    graded_quality: int | None = None  # None: no finished analysis
    graded_distraction: int | None = None
    graded_by_ai: bool = False
    solutions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Day:
    on_task: float
    other: float  # neutral and idle minutes
    distracting: float
    self_quality: float | None
    graded_quality: float | None


@dataclass(frozen=True, slots=True)
class SolutionEffect:
    solution: str
    with_share: float | None  # mean distracting share, 0..1
    with_n: int
    without_share: float | None
    without_n: int

    @property
    def conclusive(self) -> bool:
        return self.with_n >= MIN_SAMPLE and self.without_n >= MIN_SAMPLE


@dataclass(frozen=True, slots=True)
class BestTime:
    part: str
    score: float
    sessions: int
    by_focus_score: bool  # else by self quality


@dataclass(frozen=True, slots=True)
class WeekStats:
    sessions: int = 0
    declared_minutes: float = 0.0
    tracked_minutes: float = 0.0
    active_minutes: float = 0.0
    on_task_minutes: float = 0.0
    reviewed: int = 0
    goals_met: int = 0
    goals_partly: int = 0
    self_quality: float | None = None
    self_distraction: float | None = None
    graded_quality: float | None = None
    graded_distraction: float | None = None
    graded_by_ai: bool = False
    calibration_gap: float | None = None
    calibration_n: int = 0
    top_distractions: tuple[tuple[str, float], ...] = ()
    best_time: BestTime | None = None
    solutions: tuple[SolutionEffect, ...] = ()
    days: tuple[Day, ...] = ()

    @property
    def empty(self) -> bool:
        return self.sessions == 0

    @property
    def on_task_percent(self) -> float | None:
        return 100 * self.on_task_minutes / self.active_minutes if self.active_minutes else None


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def summarize(facts: Sequence[SessionFacts], week: Week, solutions: Sequence[str]) -> WeekStats:
    """The week's figures; `solutions` lists the known solutions in display order."""
    reviewed = [f for f in facts if f.goal_result is not None]
    graded = [f for f in facts if f.graded_quality is not None]
    measured = [f.metrics for f in facts]
    gaps = [
        f.self_quality - f.graded_quality
        for f in reviewed
        if f.self_quality is not None and f.graded_quality is not None
    ]
    return WeekStats(
        sessions=len(facts),
        declared_minutes=sum(f.planned_minutes for f in facts),
        tracked_minutes=sum(m.tracked_minutes for m in measured),
        active_minutes=sum(m.active_minutes for m in measured),
        on_task_minutes=sum(m.on_task_minutes for m in measured),
        reviewed=len(reviewed),
        goals_met=sum(f.goal_result == "yes" for f in reviewed),
        goals_partly=sum(f.goal_result == "partly" for f in reviewed),
        self_quality=_mean(f.self_quality for f in reviewed),
        self_distraction=_mean(f.self_distraction for f in reviewed),
        graded_quality=_mean(f.graded_quality for f in graded),
        graded_distraction=_mean(f.graded_distraction for f in graded),
        graded_by_ai=any(f.graded_by_ai for f in graded),
        calibration_gap=_mean(gaps),
        calibration_n=len(gaps),
        top_distractions=_top_distractions(measured),
        best_time=_best_time(facts, week),
        solutions=tuple(_solution_effects(reviewed, solutions)),
        days=_days(facts, week),
    )


def _top_distractions(measured: Iterable[SessionMetrics]) -> tuple[tuple[str, float], ...]:
    minutes: dict[str, float] = defaultdict(float)
    for metrics in measured:
        for host in metrics.top_hosts:
            if host.category is Category.distracting:
                minutes[host.host] += host.minutes
    ranked = sorted(minutes.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ranked[:TOP_DISTRACTIONS])


def part_of_day(hour: int) -> str:
    return next(name for name, first, after in PARTS_OF_DAY if first <= hour < after)


def _best_time(facts: Sequence[SessionFacts], week: Week) -> BestTime | None:
    by_focus = any(f.metrics.focus_score is not None for f in facts)
    value: Callable[[SessionFacts], float | None] = (
        (lambda f: f.metrics.focus_score) if by_focus else (lambda f: f.self_quality)
    )
    parts: dict[str, list[float]] = defaultdict(list)
    for fact in facts:
        score = value(fact)
        if score is not None:
            parts[part_of_day(week.local(fact.started_at).hour)].append(score)
    candidates = [
        (fmean(v), len(v), part) for part, v in parts.items() if len(v) >= MIN_SAMPLE_BEST
    ]
    if len(parts) < 2 or not candidates:
        return None
    score, count, part = max(candidates)
    return BestTime(part, score, count, by_focus)


def _solution_effects(
    reviewed: Sequence[SessionFacts], solutions: Sequence[str]
) -> Iterable[SolutionEffect]:
    measured = [f for f in reviewed if f.metrics.has_data]
    for solution in solutions:
        used = [f.metrics.distracting_share for f in measured if solution in f.solutions]
        if not any(solution in f.solutions for f in reviewed):
            continue
        unused = [f.metrics.distracting_share for f in measured if solution not in f.solutions]
        yield SolutionEffect(solution, _mean(used), len(used), _mean(unused), len(unused))


def _days(facts: Sequence[SessionFacts], week: Week) -> tuple[Day, ...]:
    by_day: list[list[SessionFacts]] = [[] for _ in range(DAYS)]
    for fact in facts:
        index = week.day_index(fact.started_at)
        if 0 <= index < DAYS:
            by_day[index].append(fact)
    return tuple(
        Day(
            on_task=sum(f.metrics.on_task_minutes for f in day),
            other=sum(f.metrics.neutral_minutes + f.metrics.idle_minutes for f in day),
            distracting=sum(f.metrics.distracting_minutes for f in day),
            self_quality=_mean(f.self_quality for f in day),
            graded_quality=_mean(f.graded_quality for f in day),
        )
        for day in by_day
    )
