"""The local analyser is sensible, specific and deterministic."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.analysis.base import AnalysisInput, checked
from core.analysis.local import LocalAnalyser
from core.hosts.categories import DEFAULT_HOST_RULES
from core.hosts.intent import classifier
from core.metrics.compute import Span, compute_metrics
from tests.analysis.test_metrics import END, T0, span


def session(spans: list[Span], **review: object) -> AnalysisInput:
    classify = classifier(goal="write chapter 2", user_rules={},
                          default_rules=DEFAULT_HOST_RULES, use_titles=False)  # fmt: skip
    metrics = compute_metrics(spans, window_start=T0, window_end=END, classify=classify)
    answers: dict[str, object] = {"goal_result": "yes", "self_quality": 4,
                                  "self_distraction": 2} | review  # fmt: skip
    return AnalysisInput(goal="write chapter 2", metrics=metrics, **answers)  # type: ignore[arg-type]


DISTRACTED = session([span("youtube.com", 0, 48), span("github.com", 48, 60)])
CLEAN = session([span("github.com", 0, 30), span("docs.python.org", 30, 60)])


async def test_eighty_percent_on_a_distracting_host_is_graded_distracted() -> None:
    verdict = await LocalAnalyser().analyse(DISTRACTED)
    assert verdict.distraction >= 4
    assert verdict.quality <= 2
    assert "youtube.com took 48 of your 60 active minutes (80%)" in verdict.solutions[0]


async def test_a_clean_session_is_graded_focused() -> None:
    verdict = await LocalAnalyser().analyse(CLEAN)
    assert verdict.distraction <= 2
    assert verdict.quality >= 4


@pytest.mark.parametrize(
    "data", [DISTRACTED, CLEAN, session([])], ids=["distracted", "clean", "empty"]
)
async def test_the_same_input_always_gives_the_same_verdict(data: AnalysisInput) -> None:
    verdicts = {await LocalAnalyser().analyse(data) for _ in range(5)}
    assert len(verdicts) == 1
    assert checked(verdicts.pop()).analyser == "local"  # three single sentences, grades 1–5


async def test_the_patterns_found_pick_the_advice() -> None:
    frantic = session(
        [span("github.com" if i % 2 else "stackoverflow.com", i, i + 1) for i in range(40)]
        + [span("github.com", 40, 60, idle=True)],
        goal_result="no",
        self_distraction=5,
    )
    advice = " ".join((await LocalAnalyser().analyse(frantic)).solutions)
    assert "about 58 times an hour (39 switches in all)" in advice
    assert "The goal was not met" in advice
    assert "You rated your distraction 5/5 but the browser measured only 1/5" in advice


async def test_without_browser_data_the_grades_rest_on_the_review() -> None:
    verdict = await LocalAnalyser().analyse(session([], goal_result="partly", self_distraction=3))
    assert (verdict.quality, verdict.distraction) == (3, 3)
    assert verdict.solutions[0].startswith("No browser activity was recorded")


async def test_solutions_already_used_are_not_suggested_again() -> None:
    used = replace(CLEAN, solutions=("phone_away",))
    assert not any("phone" in s for s in (await LocalAnalyser().analyse(used)).solutions)
    with_blocker = replace(DISTRACTED, solutions=("site_blocker",))
    assert "even with a blocker on" in (await LocalAnalyser().analyse(with_blocker)).solutions[0]
