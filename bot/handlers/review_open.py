""" "Review now": turn the finished session's message into the first step of its review."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ReviewOpen
from bot.identity import presser
from bot.review_form import go
from bot.states import ReviewForm
from bot.texts import review as texts
from core.reviews import measured_hosts, reviewable_session

router = Router(name="review_open")


@router.callback_query(ReviewOpen.filter())
async def open_review(
    callback: CallbackQuery,
    callback_data: ReviewOpen,
    db: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer(texts.CLOSED)  # too old for Telegram to show us
        return
    user = await presser(db, callback)
    session = await reviewable_session(db, user.id, callback_data.session)
    hosts = await measured_hosts(db, session)
    await db.commit()
    form = {
        "user": user.id,
        "session": session.id,
        "chat": message.chat.id,
        "message": message.message_id,
        "goal": session.goal,
        "hosts": [[h.host, round(h.minutes, 1), h.category.value] for h in hosts],
        "solutions": [],
    }
    await asyncio.gather(bot(callback.answer()), go(bot, state, form, ReviewForm.activities))
