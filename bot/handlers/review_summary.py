"""The review's last step: Submit (store, then queue the analysis) or Edit one answer.

Also the catch-all for buttons of a form that is no longer open.
"""

from __future__ import annotations

import asyncio
from functools import partial

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from arq.connections import ArqRedis

from bot.callbacks import ReviewStep
from bot.notify import edit_text
from bot.review_form import ORDER, Form, OpenForm, answers, go, is_current, step_name
from bot.states import ReviewForm
from bot.texts import quote
from bot.texts import review as texts
from core.db.units import Units
from core.infra.queue import queue_analysis
from core.sessions.reviews import submit_review

router = Router(name="review_summary")
STEPS = {step_name(state): state for state in ORDER[:-1]}


@router.callback_query(
    StateFilter(ReviewForm.summary), ReviewStep.filter(F.action == "submit"), OpenForm()
)
async def submit(
    callback: CallbackQuery,
    form: Form,
    state: FSMContext,
    units: Units,
    queue: ArqRedis,
    bot: Bot,
) -> None:
    chat, message = form["chat"], form["message"]
    review_id, created = await units.run(
        partial(
            submit_review,
            session_id=form["session"],
            answers=answers(form),
            user_id=form["user"],
            chat_id=chat,
            message_id=message,
        )
    )
    if not created:
        await asyncio.gather(state.clear(), bot(callback.answer(texts.ALREADY_SUBMITTED)))
        return
    goal = quote(form["goal"])
    await asyncio.gather(
        state.clear(),
        bot(callback.answer()),
        edit_text(bot, chat, message, texts.ANALYSING.format(goal=goal)),
    )
    queued = await queue_analysis(queue, review_id)
    if not queued:
        await edit_text(bot, chat, message, texts.ANALYSIS_LATER.format(goal=goal))


@router.callback_query(
    StateFilter(ReviewForm.summary), ReviewStep.filter(F.action == "edit"), OpenForm()
)
async def choose_edit(callback: CallbackQuery, form: Form, state: FSMContext, bot: Bot) -> None:
    await callback.answer()
    await go(bot, state, form, ReviewForm.choosing_edit)


@router.callback_query(
    StateFilter(ReviewForm.choosing_edit),
    ReviewStep.filter(F.action.in_(("goto", "back"))),
    OpenForm(),
)
async def edit_step(
    callback: CallbackQuery, callback_data: ReviewStep, form: Form, state: FSMContext, bot: Bot
) -> None:
    await callback.answer()
    target = STEPS.get(callback_data.value) if callback_data.action == "goto" else None
    form["editing"] = target is not None
    await go(bot, state, form, target or ReviewForm.summary)


@router.callback_query(ReviewStep.filter())
async def stale_button(callback: CallbackQuery, state: FSMContext) -> None:
    """A button of a closed form, or of a step already answered."""
    current = is_current(await state.get_data(), callback)
    await callback.answer(texts.STEP_OVER if current else texts.CLOSED)
