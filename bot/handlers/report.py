"""/report: this week so far, and /report last: the last full week, on demand."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.identity import sender
from bot.report_messages import report_messages
from bot.texts import report as texts
from core.db.base import utcnow
from core.report.content import build_report
from core.report.week import week_of

router = Router(name="report")


@router.message(Command("report"))
async def report(message: Message, command: CommandObject, db: AsyncSession, bot: Bot) -> None:
    which = (command.args or "").strip().lower()
    if which not in ("", "last"):
        await message.answer(texts.USAGE)
        return
    user = await sender(db, message)
    await db.commit()
    now = utcnow()
    week = week_of(now, user.timezone)
    if which == "last":
        built = await build_report(db, user.id, week.previous())
    else:
        built = await build_report(db, user.id, week, now=now)
    for send in report_messages(built, message.chat.id):
        await bot(send)
