"""Texts of the analysis result: the "Analysing…" message edited into grades and advice."""

from __future__ import annotations

from bot.texts import minutes, quote
from bot.texts.review import CATEGORY_MARKS
from core.analysis.base import Verdict
from core.analysis.local import NAME as LOCAL
from core.db.models import Review
from core.metrics.compute import SessionMetrics

TITLE = "🧠 <b>Session analysis</b>: {goal}"
GRADES = "<pre>{blank:<12}You  {grader}\nQuality     {sq}/5  {q}/5\nDistraction {sd}/5  {d}/5</pre>"
AI_GRADER = "AI"
LOCAL_GRADER = "Measured"
FALLBACK = "<i>The AI could not be reached, so the local analyser graded this session.</i>"
ADVICE_TITLE = "<b>For next time</b>"
NO_DATA = "📊 No browser activity was recorded in this session."
MEASURED = (
    "📊 <b>Measured</b>: {tracked} tracked of {window}\n"
    "On-task {on_task} · neutral {neutral} · distracting {distracting} · idle {idle}\n"
    "Focus score {score}/100 · tab switches {switches}/h · longest on-task streak {streak}"
)
TOP_SITES = "Top sites: {sites}"
SITE = "{mark} {host} {length}"


def result(
    review: Review, goal: str, verdict: Verdict, metrics: SessionMetrics, *, fallback: bool
) -> str:
    """The whole result message: grades side by side, the advice, the measured summary."""
    parts = [
        TITLE.format(goal=quote(goal)),
        GRADES.format(
            blank="",
            grader=LOCAL_GRADER if verdict.analyser == LOCAL else AI_GRADER,
            sq=review.self_quality,
            sd=review.self_distraction,
            q=verdict.quality,
            d=verdict.distraction,
        ),
    ]
    if fallback:
        parts.append(FALLBACK)
    advice = "\n".join(f"{n}. {quote(s)}" for n, s in enumerate(verdict.solutions, 1))
    parts += [f"{ADVICE_TITLE}\n{advice}", measured(metrics)]
    return "\n\n".join(parts)


def measured(metrics: SessionMetrics) -> str:
    if not metrics.has_data:
        return NO_DATA
    text = MEASURED.format(
        tracked=minutes(metrics.tracked_minutes),
        window=minutes(metrics.window_minutes),
        on_task=minutes(metrics.on_task_minutes),
        neutral=minutes(metrics.neutral_minutes),
        distracting=minutes(metrics.distracting_minutes),
        idle=minutes(metrics.idle_minutes),
        score=metrics.focus_score,
        switches=round(metrics.switches_per_hour),
        streak=minutes(metrics.longest_on_task_streak_minutes),
    )
    sites = ", ".join(
        SITE.format(
            mark=CATEGORY_MARKS.get(h.category.value, "▫️"),
            host=quote(h.host),
            length=minutes(h.minutes),
        )
        for h in metrics.top_hosts
    )
    return f"{text}\n{TOP_SITES.format(sites=sites)}" if sites else text
