"""A report as the Bot API calls that show it: the chart with its caption, then the rest."""

from __future__ import annotations

from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import BufferedInputFile

from bot.texts import report as texts
from core.report.content import Report

ReportMessage = SendPhoto | SendMessage


def report_messages(report: Report, chat_id: int) -> list[ReportMessage]:
    """One photo (and a text when the caption is full); a kind text alone for an empty week."""
    if report.stats.empty:
        return [SendMessage(chat_id=chat_id, text=texts.empty(report))]
    from core.report.chart import week_chart  # matplotlib, ~30 MB: loaded on the first chart drawn

    caption, rest = texts.messages(report)
    chart = week_chart(
        report.stats.days, title=texts.chart_title(report), grader=texts.grader(report.stats)
    )
    photo = BufferedInputFile(chart, filename=f"week-{report.week.label}.png")
    sends: list[ReportMessage] = [SendPhoto(chat_id=chat_id, photo=photo, caption=caption)]
    if rest:
        sends.append(SendMessage(chat_id=chat_id, text=rest))
    return sends
