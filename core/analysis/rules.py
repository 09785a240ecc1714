"""The local analyser's advice: one rule per pattern, each a single sentence with real figures.

A rule answers how strongly its pattern shows (0 means not at all) and its sentence.
The three strongest rules speak; the last few always apply, so there are always three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.analysis.base import AnalysisInput
from core.db.models import Category

MANY_SWITCHES_PER_HOUR = 30
IDLE_MINUTES = 10
IDLE_SHARE = 0.2
SHORT_STREAK_MINUTES = 20
GOAL_MISSED = {"no": 45.0, "partly": 25.0}


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules look at: the input plus the measured distraction grade (None: no data)."""

    data: AnalysisInput
    measured_distraction: int | None

    def used(self, *words: str) -> bool:
        """Whether the user reported a solution whose key mentions one of `words`."""
        return any(w in key.lower() for key in self.data.solutions for w in words)


@dataclass(frozen=True, slots=True)
class Rule:
    key: str
    strength: Callable[[Facts], float]
    sentence: Callable[[Facts], str]


def _n(minutes: float) -> int:
    return round(minutes)


def _top_distracting(f: Facts) -> tuple[str, float] | None:
    hosts = [h for h in f.data.metrics.top_hosts if h.category is Category.distracting]
    return (hosts[0].host, hosts[0].minutes) if hosts else None


def _dominant_strength(f: Facts) -> float:
    top, active = _top_distracting(f), f.data.metrics.active_minutes
    if top is None or active <= 0 or top[1] < 5 or top[1] / active < 0.15:
        return 0.0
    return 50 + 50 * top[1] / active


def _dominant(f: Facts) -> str:
    host, minutes = _top_distracting(f) or ("", 0.0)
    active = f.data.metrics.active_minutes
    share = f"{_n(minutes)} of your {_n(active)} active minutes ({_n(100 * minutes / active)}%)"
    if f.used("block"):
        return f"{host} took {share} even with a blocker on, so add it to the blocker's list."
    return f"{host} took {share}, so block it with a site blocker during your next session."


def _switches(f: Facts) -> str:
    m = f.data.metrics
    return (
        f"You switched tabs about {_n(m.switches_per_hour)} times an hour ({m.tab_switches} "
        "switches in all), so keep one tab for the task and note look-ups to do at the end."
    )


def _idle_strength(f: Facts) -> float:
    m = f.data.metrics
    share = m.idle_minutes / m.tracked_minutes if m.tracked_minutes else 0.0
    return 25 + 50 * share if m.idle_minutes >= IDLE_MINUTES or share >= IDLE_SHARE else 0.0


def _idle(f: Facts) -> str:
    m = f.data.metrics
    return (
        f"You were idle for {_n(m.idle_minutes)} of {_n(m.tracked_minutes)} tracked minutes, so "
        "plan a real break (say 50 minutes on, 10 off) instead of drifting away mid-block."
    )


def _goal(f: Facts) -> str:
    how = "not met" if f.data.goal_result == "no" else "only partly met"
    step = max(10, 5 * round(f.data.metrics.window_minutes / 15))
    return (
        f"The goal was {how}, so begin the next session by writing down one concrete first "
        f"step you can finish in {step} minutes."
    )


def _gap(f: Facts) -> float:
    measured = f.measured_distraction
    return 0.0 if measured is None else abs(f.data.self_distraction - measured)


def _calibration(f: Facts) -> str:
    own, measured = f.data.self_distraction, f.measured_distraction
    if measured is not None and own < measured:
        return (
            f"You rated your distraction {own}/5 but the browser measured {measured}/5, so "
            "check your top sites right after each session to calibrate your sense of it."
        )
    return (
        f"You rated your distraction {own}/5 but the browser measured only {measured}/5, so "
        "your focus was better than it felt and the same routine is worth repeating."
    )


def _streak(f: Facts) -> str:
    streak = _n(f.data.metrics.longest_on_task_streak_minutes)
    if streak < SHORT_STREAK_MINUTES:
        return (
            f"Your longest on-task stretch was {streak} minutes, so try 25-minute pomodoro "
            "blocks with notifications off to stretch it."
        )
    return (
        f"Your longest on-task stretch was {streak} minutes, so open the next session "
        "the same way and try to beat it."
    )


def _streak_strength(f: Facts) -> float:
    m = f.data.metrics
    if m.on_task_minutes < 10:
        return 0.0
    return 20.0 if m.longest_on_task_streak_minutes < SHORT_STREAK_MINUTES else 10.0


def _top_on_task(f: Facts) -> str:
    host = next(h for h in f.data.metrics.top_hosts if h.category is Category.on_task)
    return (
        f"{host.host} held {_n(host.minutes)} on-task minutes, so have it open and ready "
        "before the next session starts."
    )


def _has_on_task_host(f: Facts) -> bool:
    return any(h.category is Category.on_task for h in f.data.metrics.top_hosts)


RULES: tuple[Rule, ...] = (
    Rule(
        "no_data",
        lambda f: 0.0 if f.data.metrics.has_data else 100.0,
        lambda f: (
            "No browser activity was recorded in this session, so these grades rest on your "
            "own review; link the extension with /link to measure the next one."
        ),
    ),
    Rule("dominant_distraction", _dominant_strength, _dominant),
    Rule(
        "many_switches",
        lambda f: (
            30 + min(40.0, (f.data.metrics.switches_per_hour - MANY_SWITCHES_PER_HOUR) / 2)
            if f.data.metrics.switches_per_hour >= MANY_SWITCHES_PER_HOUR
            else 0.0
        ),
        _switches,
    ),
    Rule("idle_gaps", _idle_strength, _idle),
    Rule("goal_not_met", lambda f: GOAL_MISSED.get(f.data.goal_result, 0.0), _goal),
    Rule("self_grade_gap", lambda f: 35 + 5 * _gap(f) if _gap(f) >= 2 else 0.0, _calibration),
    Rule("streak", _streak_strength, _streak),
    Rule("top_on_task", lambda f: 8.0 if _has_on_task_host(f) else 0.0, _top_on_task),
    Rule(
        "phone_away",
        lambda f: 0.0 if f.used("phone") else 5.0,
        lambda f: (
            "Put your phone in another room before the next session, since every glance at "
            "it costs minutes of refocusing."
        ),
    ),
    Rule(
        "first_step",
        lambda f: 3.0,
        lambda f: (
            "Decide the very first action of your next session before it starts, so the "
            "first minutes go straight to work."
        ),
    ),
    Rule(
        "same_slot",
        lambda f: 2.0,
        lambda f: "Book your next session at the same time of day and guard it like a meeting.",
    ),
    Rule(
        "stopping_point",
        lambda f: 1.0,
        lambda f: (
            "End each session by noting where you stopped, so the next one starts without "
            "a warm-up."
        ),
    ),
)


def advice(facts: Facts, count: int) -> tuple[str, ...]:
    """The sentences of the `count` strongest rules; ties keep the library's order."""
    ranked = sorted(
        ((rule.strength(facts), order, rule) for order, rule in enumerate(RULES)),
        key=lambda item: (-item[0], item[1]),
    )
    return tuple(rule.sentence(facts) for strength, _, rule in ranked[:count] if strength > 0)
