"""Measured metrics of one focus session, from the browser events in its window.

Pure functions over plain data; `core.metrics.loader` reads the data in batches.

**Timeline.** Events are clipped to the session window and swept in time order. Where
events overlap (two devices, a late flush, a duplicate), the moment belongs to the event
that started *last*: a newer focus change supersedes a stale one. Ties go to a non-idle
event, then to the host name, so the result never depends on input order. Nothing is
counted twice, and time no event covers is unknown, not assumed lost.

**Idle.** An idle event counts as idle unless it is audible (a video or call still has
the user's attention, as ActivityWatch treats audible tabs).

**Focus score, 0–100.** RescueTime's pulse weighs productivity levels 0..4; ours weighs
intent, so a host counts as on-task when the user's rules or the declared goal say so::

    pulse   = 100 · (4·on_task + 2·neutral + 1·idle + 0·distracting) / (4·tracked)
    penalty = min(20, max(0, switches_per_hour − 20) / 2)
    score   = round(clamp(pulse − penalty, 0, 100))

Idle weighs 1: away from the keys in a declared block is usually a break. The penalty
charges fragmentation: beyond 20 tab switches an hour, one point per two switches.
No tracked time means no score (None), never a made-up one.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from core.db.models import Category

TOP_HOSTS = 5
STREAK_GAP = timedelta(seconds=60)  # a shorter hole in the data does not break a streak
SWITCH_PENALTY_FREE = 20.0
SWITCH_PENALTY_MAX = 20.0
WEIGHTS = {Category.on_task: 4, Category.neutral: 2, Category.distracting: 0}
IDLE_WEIGHT = 1

Classify = Callable[[str, str | None], Category]


@dataclass(frozen=True, slots=True)
class Span:
    """One browser event: which host had the user's attention, from start to end."""

    host: str
    start: datetime
    end: datetime
    title: str | None = None
    idle: bool = False
    audible: bool = False


@dataclass(frozen=True, slots=True)
class HostMinutes:
    host: str
    minutes: float
    category: Category


@dataclass(frozen=True, slots=True)
class SessionMetrics:
    window_minutes: float
    tracked_minutes: float = 0.0
    idle_minutes: float = 0.0
    on_task_minutes: float = 0.0
    neutral_minutes: float = 0.0
    distracting_minutes: float = 0.0
    tab_switches: int = 0
    switches_per_hour: float = 0.0
    longest_on_task_streak_minutes: float = 0.0
    focus_score: int | None = None
    top_hosts: tuple[HostMinutes, ...] = ()
    top_titles: tuple[tuple[str, float], ...] = field(default=(), compare=False)

    @property
    def has_data(self) -> bool:
        return self.tracked_minutes > 0

    @property
    def active_minutes(self) -> float:
        return self.tracked_minutes - self.idle_minutes

    @property
    def distracting_share(self) -> float:
        """Distracting time over active (non-idle) tracked time, 0..1."""
        return self.distracting_minutes / self.active_minutes if self.active_minutes > 0 else 0.0

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe figures for storage, minutes to 0.1; titles are left out."""
        data = asdict(self)
        data.pop("top_titles")
        for key, value in data.items():
            if isinstance(value, float):
                data[key] = round(value, 1)
        data["top_hosts"] = [
            {"host": h.host, "minutes": round(h.minutes, 1), "category": h.category.value}
            for h in self.top_hosts
        ]
        data["has_data"] = self.has_data
        return data

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> SessionMetrics:
        """The figures back from `snapshot()` (minutes as rounded there)."""
        names = {f.name for f in fields(cls)} - {"top_hosts", "top_titles"}
        hosts = tuple(
            HostMinutes(h["host"], h["minutes"], Category(h["category"]))
            for h in data.get("top_hosts", [])
        )
        return cls(**{k: v for k, v in data.items() if k in names}, top_hosts=hosts)


def compute_metrics(
    spans: Iterable[Span], *, window_start: datetime, window_end: datetime, classify: Classify
) -> SessionMetrics:
    """Measure a session from its events; `classify(host, title)` names each host's category."""
    tally = _Tally()
    for start, end, span in timeline(spans, window_start, window_end):
        idle = span.idle and not span.audible
        tally.add(start, end, span, None if idle else classify(span.host, span.title))
    return tally.result((window_end - window_start).total_seconds() / 60)


def timeline(
    spans: Iterable[Span], window_start: datetime, window_end: datetime
) -> list[tuple[datetime, datetime, Span]]:
    """Non-overlapping pieces of the window, each held by one span (see the module doc)."""
    clipped = sorted(
        (
            (max(s.start, window_start), min(s.end, window_end), s)
            for s in spans
            if s.end > window_start and s.start < window_end and s.end > s.start
        ),
        key=lambda p: (p[0], p[1], p[2].idle, p[2].host, p[2].title or ""),
    )
    edges = sorted({t for start, end, _ in clipped for t in (start, end)})
    active: list[tuple[float, bool, str, int]] = []  # a max-heap on start via negation
    pieces: list[tuple[datetime, datetime, Span]] = []
    index = 0
    for left, right in zip(edges, edges[1:], strict=False):
        while index < len(clipped) and clipped[index][0] <= left:
            start, _, span = clipped[index]
            heapq.heappush(active, (-start.timestamp(), span.idle, span.host, index))
            index += 1
        while active and clipped[active[0][3]][1] <= left:
            heapq.heappop(active)  # ended; lower entries are dropped when they surface
        if not active:
            continue
        span = clipped[active[0][3]][2]
        if pieces and pieces[-1][2] is span and pieces[-1][1] == left:
            pieces[-1] = (pieces[-1][0], right, span)
        else:
            pieces.append((left, right, span))
    return pieces


class _Tally:
    """Running totals over the timeline, in seconds."""

    def __init__(self) -> None:
        self.tracked = self.idle = 0.0
        self.by_category: dict[Category, float] = defaultdict(float)
        self.by_host: dict[str, dict[Category, float]] = defaultdict(lambda: defaultdict(float))
        self.by_title: dict[str, float] = defaultdict(float)
        self.switches = 0
        self.last_host: str | None = None
        self.streak = self.longest_streak = 0.0
        self.last_end: datetime | None = None

    def add(self, start: datetime, end: datetime, span: Span, category: Category | None) -> None:
        seconds = (end - start).total_seconds()
        self.tracked += seconds
        gap = self.last_end is not None and start - self.last_end > STREAK_GAP
        self.last_end = end
        if category is None:
            self.idle += seconds
            self.streak = 0.0
            return
        self.by_category[category] += seconds
        self.by_host[span.host][category] += seconds
        if span.title:
            self.by_title[span.title] += seconds
        if self.last_host is not None and span.host != self.last_host:
            self.switches += 1
        self.last_host = span.host
        if category is Category.on_task:
            self.streak = (0.0 if gap else self.streak) + seconds
            self.longest_streak = max(self.longest_streak, self.streak)
        else:
            self.streak = 0.0

    def result(self, window_minutes: float) -> SessionMetrics:
        if self.tracked <= 0:
            return SessionMetrics(window_minutes=window_minutes)
        active_hours = (self.tracked - self.idle) / 3600
        per_hour = self.switches / active_hours if active_hours > 0 else 0.0
        return SessionMetrics(
            window_minutes=window_minutes,
            tracked_minutes=self.tracked / 60,
            idle_minutes=self.idle / 60,
            on_task_minutes=self.by_category[Category.on_task] / 60,
            neutral_minutes=self.by_category[Category.neutral] / 60,
            distracting_minutes=self.by_category[Category.distracting] / 60,
            tab_switches=self.switches,
            switches_per_hour=per_hour,
            longest_on_task_streak_minutes=self.longest_streak / 60,
            focus_score=self._score(per_hour),
            top_hosts=self._top_hosts(),
            top_titles=tuple(
                (title, seconds / 60)
                for title, seconds in sorted(self.by_title.items(), key=lambda i: (-i[1], i[0]))
            )[:TOP_HOSTS],
        )

    def _score(self, switches_per_hour: float) -> int:
        weighted = IDLE_WEIGHT * self.idle + sum(
            WEIGHTS[category] * seconds for category, seconds in self.by_category.items()
        )
        pulse = 100 * weighted / (4 * self.tracked)
        penalty = min(SWITCH_PENALTY_MAX, max(0.0, switches_per_hour - SWITCH_PENALTY_FREE) / 2)
        return round(min(100.0, max(0.0, pulse - penalty)))

    def _top_hosts(self) -> tuple[HostMinutes, ...]:
        totals = sorted(
            ((host, sum(split.values()), split) for host, split in self.by_host.items()),
            key=lambda item: (-item[1], item[0]),
        )
        return tuple(
            HostMinutes(host, seconds / 60, max(split, key=lambda c: (split[c], c.value)))
            for host, seconds, split in totals[:TOP_HOSTS]
        )
