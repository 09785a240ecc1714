""" "Review now": turn the finished session's message into the first step of its review."""

from __future__ import annotations

import asyncio
from functools import partial

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import ReviewOpen
from bot.review_form import go
from bot.states import ReviewForm
from bot.texts import review as texts
from core.db.units import Units
from core.sessions.reviews import start_review

router = Router(name="review_open")


@router.callback_query(ReviewOpen.filter())
async def open_review(
    callback: CallbackQuery,
    callback_data: ReviewOpen,
    units: Units,
    state: FSMContext,
    bot: Bot,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer(texts.CLOSED)  # too old for Telegram to show us
        return
    opened = await units.run(
        partial(start_review, session_id=callback_data.session, telegram_id=callback.from_user.id)
    )
    form = {
        "user": opened.user_id,
        "session": opened.session_id,
        "chat": message.chat.id,
        "message": message.message_id,
        "goal": opened.goal,
        "hosts": [[h.host, round(h.minutes, 1), h.category.value] for h in opened.hosts],
        "solutions": [],
    }
    await asyncio.gather(bot(callback.answer()), go(bot, state, form, ReviewForm.activities))
