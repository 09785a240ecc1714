"""Texts of the weekly report: the chart's caption, a follow-up message when it does not all
fit in a caption, and a kind note for a week without sessions."""

from __future__ import annotations

import html
import re

from bot.texts import minutes, quote
from bot.texts.analysis import AI_GRADER, LOCAL_GRADER
from bot.texts.review import SOLUTIONS
from core.report.content import Report
from core.report.stats import MIN_SAMPLE, WeekStats
from core.report.week import Week

CAPTION_LIMIT = 1024  # Telegram's, in UTF-16 units of the text as shown
HOST_CHARS = 40

WEEK = "Your week"
WEEK_SO_FAR = "Your week so far"
TITLE = "📊 <b>{what}</b> · {dates}\n"
SESSIONS = "🎯 <b>{count}</b> · declared {declared} · tracked {tracked}"
ON_TASK = "✅ On-task {percent}% of active time"
GOALS = "🏁 Goals met: {met} of {reviewed}"
GOALS_PARTLY = " ({partly} partly)"
QUALITY = "⭐ Quality: you {you}"
DISTRACTION = "😵 Distraction: you {you}"
GRADED = " · {grader} {value}"
CALIBRATION = "🧭 Calibration: you rate your focus {gap} the {grader} grade{trend}"
TREND = " (last week {previous}: {verdict})"
CLOSER, FURTHER, SAME = "closer ✓", "further off", "the same"
DISTRACTIONS = "🚩 Top distractions: {hosts}"
BEST = "⏰ Best time: {part} ({measure}, {count})"
BY_FOCUS, BY_QUALITY = "focus score {score:.0f}", "your quality {score:.1f}/5"
CHANGE = "📈 Against last week: {changes}"
NO_PREVIOUS = "📈 Last week had no sessions to compare with."
SOLUTIONS_TITLE = "💡 <b>What went with less distraction</b> (distracting share of active time)"
SOLUTION = "{label}: {with_share}% with it (n={with_n}) vs {without_share}% without (n={without_n})"
TOO_FEW = "Too few measured sessions to tell yet ({needed} with and {needed} without needed): "
SOLUTION_FEW = "{label} (n={with_n} with, {without_n} without)"
EMPTY = (
    "🌱 <b>{what}</b> · {dates}\n\n"
    "No focus sessions {when}. That's all right: some weeks are like that. "
    "Whenever you're ready, <code>/focus 25 one small thing</code> is a gentle start."
)
CHART_TITLE = "Focus by day · {dates}"
PARTS_OF_DAY = {
    "morning": "mornings",
    "afternoon": "afternoons",
    "evening": "evenings",
    "night": "nights",
}


def dates(week: Week) -> str:
    """`23–29 Nov 2026`, or `30 Nov – 6 Dec 2026` across months."""
    first, last = week.days[0], week.days[-1]
    if first.month == last.month:
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def grader(stats: WeekStats) -> str:
    return AI_GRADER if stats.graded_by_ai else LOCAL_GRADER


def chart_title(report: Report) -> str:
    return CHART_TITLE.format(dates=dates(report.week))


def empty(report: Report) -> str:
    what, when = (WEEK_SO_FAR, "this week yet") if report.so_far else (WEEK, "this week")
    return EMPTY.format(what=what, dates=dates(report.week), when=when)


def visible_length(text: str) -> int:
    """What Telegram counts against its limits: the text without tags, in UTF-16 units."""
    shown = html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
    return len(shown.encode("utf-16-le")) // 2


def messages(report: Report) -> tuple[str, str | None]:
    """The caption, and the follow-up text for what does not fit in it (None if all fits)."""
    blocks = [_summary(report), _change(report.stats, report.previous), _solutions(report.stats)]
    caption: list[str] = []
    rest: list[str] = []
    for block in filter(None, blocks):
        fits = visible_length("\n\n".join([*caption, block])) <= CAPTION_LIMIT
        (caption if fits and not rest else rest).append(block)
    return "\n\n".join(caption), "\n\n".join(rest) or None


def _summary(report: Report) -> str:
    stats = report.stats
    count = f"{stats.sessions} session" + ("s" if stats.sessions != 1 else "")
    lines = [
        TITLE.format(what=WEEK_SO_FAR if report.so_far else WEEK, dates=dates(report.week)),
        SESSIONS.format(
            count=count,
            declared=minutes(stats.declared_minutes),
            tracked=minutes(stats.tracked_minutes),
        ),
    ]
    if stats.on_task_percent is not None:
        lines.append(ON_TASK.format(percent=round(stats.on_task_percent)))
    if stats.reviewed:
        partly = GOALS_PARTLY.format(partly=stats.goals_partly) if stats.goals_partly else ""
        lines.append(GOALS.format(met=stats.goals_met, reviewed=stats.reviewed) + partly)
        lines += _grades(stats, report.previous)
    if stats.top_distractions:
        hosts = " · ".join(
            f"{_host(host)} {minutes(length)}" for host, length in stats.top_distractions
        )
        lines.append(DISTRACTIONS.format(hosts=hosts))
    if stats.best_time is not None:
        best = stats.best_time
        measure = BY_FOCUS if best.by_focus_score else BY_QUALITY
        lines.append(
            BEST.format(
                part=PARTS_OF_DAY[best.part],
                measure=measure.format(score=best.score),
                count=f"{best.sessions} sessions",
            )
        )
    return "\n".join(lines)


def _grades(stats: WeekStats, previous: WeekStats) -> list[str]:
    name = grader(stats)
    quality = QUALITY.format(you=_one(stats.self_quality))
    distraction = DISTRACTION.format(you=_one(stats.self_distraction))
    if stats.graded_quality is None:
        return [quality, distraction]
    quality += GRADED.format(grader=name, value=_one(stats.graded_quality))
    distraction += GRADED.format(grader=name, value=_one(stats.graded_distraction))
    lines = [quality, distraction]
    gap = stats.calibration_gap
    if gap is not None:
        trend = ""
        if previous.calibration_gap is not None:
            before, now = abs(previous.calibration_gap), abs(gap)
            verdict = CLOSER if now < before - 0.05 else FURTHER if now > before + 0.05 else SAME
            trend = TREND.format(previous=_signed(previous.calibration_gap, 1), verdict=verdict)
        shown = name if name == AI_GRADER else name.lower()
        lines.append(CALIBRATION.format(gap=_gap(gap), grader=shown, trend=trend))
    return lines


def _change(stats: WeekStats, previous: WeekStats) -> str:
    if previous.empty:
        return NO_PREVIOUS
    changes = [
        f"sessions {_signed(stats.sessions - previous.sessions, 0)}",
        f"tracked {_signed_minutes(stats.tracked_minutes - previous.tracked_minutes)}",
    ]
    if stats.on_task_percent is not None and previous.on_task_percent is not None:
        points = stats.on_task_percent - previous.on_task_percent
        changes.append(f"on-task {_signed(points, 0)} pts")
    changes.append(f"goals met {_signed(stats.goals_met - previous.goals_met, 0)}")
    return CHANGE.format(changes=" · ".join(changes))


def _solutions(stats: WeekStats) -> str | None:
    if not stats.solutions:
        return None
    lines = [SOLUTIONS_TITLE]
    few = []
    for effect in stats.solutions:
        label = SOLUTIONS.get(effect.solution, effect.solution)
        counts = {"label": label, "with_n": effect.with_n, "without_n": effect.without_n}
        if not effect.conclusive or effect.with_share is None or effect.without_share is None:
            few.append(SOLUTION_FEW.format(**counts))
            continue
        with_share, without_share = effect.with_share, effect.without_share
        lines.append(
            SOLUTION.format(
                with_share=round(100 * with_share),
                without_share=round(100 * without_share),
                **counts,
            )
        )
    if few:
        lines.append(TOO_FEW.format(needed=MIN_SAMPLE) + " · ".join(few))
    return "\n".join(lines)


def _host(host: str) -> str:
    return quote(host if len(host) <= HOST_CHARS else host[: HOST_CHARS - 1] + "…")


def _one(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _signed(value: float, digits: int) -> str:
    value = round(value, digits) + 0.0  # no "−0"
    return f"{value:+.{digits}f}".replace("-", "−")


def _signed_minutes(value: float) -> str:
    sign = "+" if value >= 0 else "−"
    return sign + minutes(abs(value))


def _gap(gap: float) -> str:
    if abs(gap) < 0.05:
        return "in line with"
    return f"{abs(gap):.1f} {'above' if gap > 0 else 'below'}"


USAGE = "Use /report for this week so far, or <code>/report last</code> for last week."
