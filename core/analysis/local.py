"""The `local` analyser: deterministic grades from the metrics, advice from a rule library.

No network and no randomness: the same input always gives the same verdict.

- **Distraction** comes from the distracting share of active time: under 10% is 1,
  under 25% is 2, under 45% is 3, under 65% is 4, else 5; 60+ tab switches an hour add 1.
- **Quality** comes from the focus score: 85+ is 5, 70+ is 4, 50+ is 3, 30+ is 2, else 1;
  a goal not met takes 1 off.
- **No browser data**: quality follows the goal result (met 4, partly 3, not met 2) and
  distraction repeats the user's own grade; the first sentence says so.
"""

from __future__ import annotations

from bisect import bisect_right

from core.analysis.base import SOLUTION_COUNT, AnalysisInput, Verdict
from core.analysis.rules import Facts, advice
from core.metrics.compute import SessionMetrics

NAME = "local"
DISTRACTION_STEPS = (0.10, 0.25, 0.45, 0.65)  # distracting share where each grade starts
QUALITY_STEPS = (30, 50, 70, 85)  # focus score where each grade starts
FRANTIC_SWITCHES_PER_HOUR = 60
GOAL_QUALITY = {"yes": 4, "partly": 3, "no": 2}


def measured_distraction(metrics: SessionMetrics) -> int | None:
    """1–5 from the measurements alone; None without browser data."""
    if not metrics.has_data:
        return None
    grade = 1 + bisect_right(DISTRACTION_STEPS, metrics.distracting_share)
    if metrics.switches_per_hour >= FRANTIC_SWITCHES_PER_HOUR:
        grade += 1
    return min(grade, 5)


def measured_quality(metrics: SessionMetrics, goal_result: str) -> int:
    if metrics.focus_score is None:
        return GOAL_QUALITY.get(goal_result, 3)
    grade = 1 + bisect_right(QUALITY_STEPS, metrics.focus_score)
    return max(1, grade - 1) if goal_result == "no" else grade


class LocalAnalyser:
    name = NAME

    async def analyse(self, data: AnalysisInput) -> Verdict:
        return self.verdict(data)

    def verdict(self, data: AnalysisInput) -> Verdict:
        distraction = measured_distraction(data.metrics)
        facts = Facts(data, distraction)
        return Verdict(
            quality=measured_quality(data.metrics, data.goal_result),
            distraction=data.self_distraction if distraction is None else distraction,
            solutions=advice(facts, SOLUTION_COUNT),
            analyser=NAME,
        )
