"""The analyser interface: what an analyser is given, and the verdict it must return."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from core.analysis.safe_text import neutralise
from core.errors import AnalyserFailed
from core.metrics.compute import SessionMetrics

SOLUTION_COUNT = 3
SENTENCE_MAX_CHARS = 300
# A sentence end followed by a new sentence: "Do this. Then that."
_SECOND_SENTENCE = re.compile(r"[.!?]['\")\]]?\s+[A-Z]")


@dataclass(frozen=True, slots=True)
class AnalysisInput:
    """One submitted review with its measured metrics. Text fields are the user's own."""

    goal: str
    goal_result: str  # yes | partly | no
    self_quality: int
    self_distraction: int
    metrics: SessionMetrics
    solutions: tuple[str, ...] = ()
    solutions_other: str | None = None
    extra_activities: str | None = None
    note: str | None = None
    titles_allowed: bool = False  # the user opted in to title tracking


@dataclass(frozen=True, slots=True)
class Verdict:
    quality: int  # 1..5
    distraction: int  # 1..5
    solutions: tuple[str, ...]  # exactly three sentences
    analyser: str  # "local" or the model's name


class Analyser(Protocol):
    name: str

    async def analyse(self, data: AnalysisInput) -> Verdict: ...


def checked(verdict: Verdict, known_hosts: Collection[str] = ()) -> Verdict:
    """The verdict tidied, or AnalyserFailed: grades 1–5 and exactly three single sentences,
    with nothing in them that Telegram would make a link, except the session's own hosts
    (see core.analysis.safe_text)."""
    for grade in (verdict.quality, verdict.distraction):
        if not 1 <= grade <= 5:
            raise AnalyserFailed(f"grade {grade} out of range")
    sentences = tuple(neutralise(s, known_hosts) for s in verdict.solutions)
    if len(sentences) != SOLUTION_COUNT:
        raise AnalyserFailed(f"{len(sentences)} solutions instead of {SOLUTION_COUNT}")
    for sentence in sentences:
        if not sentence or len(sentence) > SENTENCE_MAX_CHARS:
            raise AnalyserFailed("a solution is empty or too long")
        if _SECOND_SENTENCE.search(sentence):
            raise AnalyserFailed("a solution is more than one sentence")
    return Verdict(verdict.quality, verdict.distraction, sentences, verdict.analyser)
